//! One page component per file; routes to them are in `app.rs`.

pub mod events_page;
pub mod not_found_page;
pub mod sign_in_page;

//! One page component per file; the routes are in `app.rs`.

pub mod calls_page;
pub mod chat_page;
pub mod config_changes_page;
pub mod connection_page;
pub mod dashboard_page;
pub mod endpoints_page;
pub mod events_page;
pub mod not_found_page;
pub mod player_page;
pub mod recordings_page;
pub mod session_page;
pub mod settings_page;
pub mod sign_in_page;
pub mod user_page;

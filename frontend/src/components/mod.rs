//! Pieces the report pages are built from.

pub mod event_type_filter;
pub mod events_table;
pub mod pager;
pub mod preferences_dialog;
pub mod report_states;
pub mod search_box;

//! Pieces the report pages are built from.

pub mod cells;
pub mod date_range;
pub mod preferences_dialog;
pub mod report;
pub mod report_states;
pub mod search_box;

//! confreports HTTP API: the actix-web application, every route (routes.rs), one module per
//! report, the shared list/count/export/delete machinery (report.rs), CSV streaming, the
//! OpenAPI document, and static serving of the web app.

pub mod app;
pub mod audit;
pub mod auth;
pub mod body;
pub mod calls;
pub mod chat;
pub mod config_changes;
pub mod csv_export;
pub mod dashboard;
pub mod endpoints;
pub mod error;
pub mod events;
pub mod ingest;
pub mod limits;
pub mod openapi;
pub mod params;
pub mod recordings;
pub mod report;
pub mod routes;
pub mod settings;
pub mod state;
pub mod users;

pub use app::build;
pub use state::AppState;

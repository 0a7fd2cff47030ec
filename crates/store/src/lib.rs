//! confreports storage: the diesel schema, rows, queries and migrations runner over SQLite and
//! PostgreSQL (one `DbConnection`, the backend picked by the database URL), and the pool.
//! No actix here: the API crate calls these functions from blocking threads.
//!
//! Error policy: queries return diesel's `QueryResult`; connection and migration failures are
//! [`StoreError`]. `diesel::NotFound` is turned into a 404 by the API crate, in one place.

pub mod access;
pub mod audit;
pub mod calls;
pub mod chat;
pub mod config_changes;
pub mod conn;
pub mod copy;
pub mod dashboard;
pub mod demo;
pub mod endpoints;
pub mod events;
pub mod ingest;
pub mod json;
pub mod leader;
pub mod pg_async;
pub mod recordings;
pub mod records;
pub mod report;
pub mod rollups;
pub mod schema;
pub mod search;
pub mod settings;
pub mod sql_text;
pub mod users;

pub use conn::{DbConnection, DbUrl, MultiBackend, Pool, PooledConnection, StoreError, open_pool, run_migrations};
pub use report::{Actor, CommonFilter, Report};

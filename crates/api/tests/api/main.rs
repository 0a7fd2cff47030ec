//! Integration tests of the HTTP API, driving the actix app in process. Every test runs on
//! SQLite and on PostgreSQL (`TEST_DATABASE_URL`).

mod access;
mod admins;
mod audit;
mod calls;
mod chat;
mod common;
mod config_changes;
mod dashboard;
mod endpoints;
mod events;
mod ingest;
mod limits;
mod oauth;
mod openapi;
mod recordings;
mod support;
mod users;

//! What every handler can reach.

use std::path::PathBuf;

use std::sync::Arc;

use confreports_store::Pool;

use crate::auth::Auth;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// The database the pool connects to: an export on PostgreSQL opens a connection of its own.
    pub db_url: confreports_store::DbUrl,
    /// PostgreSQL's asynchronous client, for the pages read on the workers themselves
    /// ([`confreports_store::pg_async`]); `None` on SQLite.
    pub pg_reader: Option<confreports_store::pg_async::PgReader>,
    pub auth: Arc<Auth>,
    /// The built web app (index.html, app.js, app_bg.wasm); `None` serves the API only.
    pub web_dir: Option<PathBuf>,
    /// Where the content of files sent to chats is kept (`<data-dir>/files`); `None`: none is.
    pub files_dir: Option<PathBuf>,
    /// Where recordings' media files are kept (`<data-dir>/recordings`); `None`: none is.
    pub recordings_dir: Option<PathBuf>,
    /// The largest recording upload accepted, in bytes.
    pub recording_max_bytes: u64,
    /// Body sizes, concurrent exports, body timeout.
    pub limits: crate::limits::Limits,
}

//! What every handler can reach.

use std::path::PathBuf;

use confreports_store::Pool;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// The built web app (index.html, app.js, app_bg.wasm); `None` serves the API only.
    pub web_dir: Option<PathBuf>,
}

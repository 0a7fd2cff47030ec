//! Which node runs the housekeeping (retention, expired sessions, account unlocks) when several
//! serve one PostgreSQL database: the one holding a session-level advisory lock on a connection
//! of its own. The lock goes with the connection, so when the leading node stops or loses the
//! database, another takes over at its next attempt. SQLite serves one node: it always leads.

use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::{DbConnection, DbUrl, StoreError};

/// `pg_try_advisory_lock` key: "confrep" + 1, any constant no other lock of ours uses.
const HOUSEKEEPING_LOCK: i64 = 0x636f_6e66_7265_7001;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

pub struct Leadership {
    url: DbUrl,
    /// The connection holding the lock, while this node leads.
    held: Option<DbConnection>,
}

impl Leadership {
    pub fn new(url: DbUrl) -> Self {
        Leadership { url, held: None }
    }

    /// Whether this node leads now: keeps the lock if it holds it (and its connection still
    /// answers), takes it if no node holds it.
    pub fn lead(&mut self) -> Result<bool, StoreError> {
        if !self.url.is_postgres() {
            return Ok(true);
        }
        if let Some(conn) = &mut self.held {
            if diesel::sql_query("SELECT 1").execute(conn).is_ok() {
                return Ok(true);
            }
            // The connection, and with it the lock, is gone: another node may lead by now.
            self.held = None;
        }
        let mut conn = self.url.connect()?;
        let got = diesel::sql_query(format!("SELECT pg_try_advisory_lock({HOUSEKEEPING_LOCK}) AS locked"))
            .get_result::<Locked>(&mut conn)?
            .locked;
        if got {
            self.held = Some(conn);
        }
        Ok(got)
    }
}

//! PostgreSQL writing a CSV export itself: `COPY (SELECT …) TO STDOUT WITH (FORMAT csv)`.
//!
//! The rows never pass through the ORM: PostgreSQL formats them in C and the server forwards
//! the bytes (an export read row by row spent most of its time decoding 20 columns per row and
//! formatting them again). `COPY` takes no bound parameters, so the `SELECT` is plain SQL text:
//! every value a caller gave goes in as a literal ([`crate::sql_text::Literals`]).

use std::cell::RefCell;
use std::io::BufRead;

use diesel::QueryResult;
use diesel::pg::{CopyFormat, CopyTarget, Pg, PgConnection};
use diesel::query_builder::AstPass;

thread_local! {
    /// The `SELECT` of the `COPY` being started on this thread; see [`Select`].
    static SELECT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The target of diesel's `COPY … TO`, which diesel writes from the target's type alone (a
/// table or its columns): this one writes `(SELECT …)` from [`SELECT`], set by [`csv`] just
/// before, on the same thread, the statement is written.
struct Select;

impl CopyTarget for Select {
    type Table = crate::schema::events::table;
    type SqlType = diesel::sql_types::Text;

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
        SELECT.with_borrow(|select| {
            pass.push_sql("(");
            pass.push_sql(select);
            pass.push_sql(")");
        });
        Ok(())
    }
}

/// Starts `COPY (select) TO STDOUT WITH (FORMAT csv, DELIMITER …)` on `conn` and returns the
/// CSV as PostgreSQL sends it (no header), one row per read. `select` must hold no bind
/// parameter. Dropping the reader before its end leaves the connection in the middle of the
/// `COPY`: use a connection of its own and drop it too.
pub fn csv<'a>(conn: &'a mut PgConnection, select: &str, delimiter: u8) -> QueryResult<impl BufRead + 'a> {
    SELECT.with_borrow_mut(|s| {
        s.clear();
        s.push_str(select);
    });
    let reader =
        diesel::copy_to(Select).with_format(CopyFormat::Csv).with_delimiter(char::from(delimiter)).load_raw(conn);
    SELECT.with_borrow_mut(String::clear);
    reader
}

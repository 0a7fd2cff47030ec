//! The list query of the Events report as the server sends it (see `keyset!` and
//! `common_predicate!` in the store crate), and the plans the databases choose for it:
//! `EXPLAIN QUERY PLAN` through the SQLite library the server links, `EXPLAIN (ANALYZE, BUFFERS)`
//! of a prepared statement on PostgreSQL. The server prepares its pages too (`report::Prepared`
//! in the store crate): one type and the limit are written into the SQL, a cursor's values are
//! bound; PostgreSQL plans the first executions for their values, as here, and may then keep a
//! generic plan (a statement without parameters has only that one).

use std::collections::HashMap;

use anyhow::bail;
use chrono::NaiveDateTime;
use confreports_store::DbConnection;
use confreports_store::schema::events;
use diesel::prelude::*;

use super::EXPORT_COLUMNS;
use crate::dataset::{Backend, Dataset};

/// One page (or export batch) of `-time` order.
pub struct ListQuery<'a> {
    /// `type` filter; empty for none.
    pub types: &'a [String],
    /// `(time, id)` of the row the page starts after.
    pub after: Option<(NaiveDateTime, i64)>,
    /// The LIMIT as sent: the page size plus one; `None` for the whole selection.
    pub limit: Option<i64>,
}

/// `(time, id)` of the row at `offset` in `-time` order of the selection of `types`.
pub fn row_at(conn: &mut DbConnection, types: &[String], offset: i64) -> QueryResult<(NaiveDateTime, i64)> {
    let mut q = events::table.into_boxed();
    if !types.is_empty() {
        q = q.filter(events::event_type.eq_any(types));
    }
    q.order((events::time.desc(), events::id.desc()))
        .select((events::time, events::id))
        .offset(offset)
        .limit(1)
        .first(conn)
}

impl ListQuery<'_> {
    /// The SQL with PostgreSQL's `$n` placeholders (several types as one array, as diesel binds
    /// them) or SQLite's `?`; one type and the limit written into it, as the server does.
    fn sql(&self, backend: Backend) -> String {
        let mut n = 0;
        let mut next = || {
            n += 1;
            match backend {
                Backend::Postgres => format!("${n}"),
                Backend::Sqlite => "?".to_owned(),
            }
        };
        let mut sql = format!("SELECT {EXPORT_COLUMNS} FROM events WHERE 1 = 1");
        match (self.types, backend) {
            ([], _) => {}
            ([one], _) => sql.push_str(&format!(" AND type = '{one}'")),
            (_, Backend::Postgres) => sql.push_str(&format!(" AND type = ANY({})", next())),
            (several, Backend::Sqlite) => {
                let marks: Vec<String> = several.iter().map(|_| next()).collect();
                sql.push_str(&format!(" AND type IN ({})", marks.join(", ")));
            }
        }
        if self.after.is_some() {
            let (k1, k2, id) = (next(), next(), next());
            sql.push_str(&format!(" AND time <= {k1} AND (time, id) < ({k2}, {id})"));
        }
        sql.push_str(" ORDER BY time DESC, id DESC");
        if let Some(limit) = self.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        sql
    }

    /// The values bound to [`ListQuery::sql`]'s placeholders: several types, then the cursor.
    fn bound_types(&self) -> &[String] {
        if self.types.len() > 1 { self.types } else { &[] }
    }

    /// The plan, as Markdown (the SQL, then the plan).
    pub fn explain(&self, dataset: &Dataset, conn: &mut DbConnection) -> anyhow::Result<String> {
        let sql = self.sql(dataset.backend);
        let plan = match dataset.backend {
            Backend::Sqlite => self.sqlite_plan(conn, &sql)?,
            Backend::Postgres => self.postgres_plan(&dataset.url, &sql)?,
        };
        Ok(format!("```sql\n{sql}\n```\n\n```\n{}\n```\n", plan.trim_end()))
    }

    fn sqlite_plan(&self, conn: &mut DbConnection, sql: &str) -> anyhow::Result<String> {
        use diesel::sql_types::{BigInt, Text, Timestamp};
        #[derive(QueryableByName)]
        struct PlanRow {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            id: i32,
            #[diesel(sql_type = diesel::sql_types::Integer)]
            parent: i32,
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let DbConnection::Sqlite(c) = conn else { bail!("not a SQLite connection") };
        let mut q = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).into_boxed();
        for t in self.bound_types() {
            q = q.bind::<Text, _>(t.clone());
        }
        if let Some((key, id)) = self.after {
            q = q.bind::<Timestamp, _>(key).bind::<Timestamp, _>(key).bind::<BigInt, _>(id);
        }
        let rows: Vec<PlanRow> = q.load(c)?;
        let mut depth: HashMap<i32, usize> = HashMap::new();
        let mut tree = String::new();
        for r in &rows {
            let d = depth.get(&r.parent).map_or(0, |d| d + 1);
            depth.insert(r.id, d);
            tree.push_str(&format!("{}{}\n", "  ".repeat(d), r.detail));
        }
        Ok(tree)
    }

    fn postgres_plan(&self, url: &str, sql: &str) -> anyhow::Result<String> {
        let (mut types, mut args) = (Vec::new(), Vec::new());
        if !self.bound_types().is_empty() {
            types.push("text[]");
            args.push(format!("'{{{}}}'", self.types.join(",")));
        }
        if let Some((key, id)) = self.after {
            let key = format!("'{}'", key.format("%Y-%m-%d %H:%M:%S%.f"));
            types.extend(["timestamp", "timestamp", "bigint"]);
            args.extend([key.clone(), key, id.to_string()]);
        }
        let (types, args) = if types.is_empty() {
            (String::new(), String::new())
        } else {
            (format!("({})", types.join(", ")), format!("({})", args.join(", ")))
        };
        let script = format!("PREPARE q{types} AS {sql};\nEXPLAIN (ANALYZE, BUFFERS) EXECUTE q{args};\n");
        crate::tools::psql_script(url, &script)
    }
}

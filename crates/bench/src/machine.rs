//! What the figures were measured on.

use diesel::prelude::*;

use crate::dataset::{Backend, Dataset};
use crate::tools::{output_line, version_line};

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

fn first_match(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_owned())
}

/// The one text value `sql` selects (as `version`).
pub fn text_of(conn: &mut confreports_store::DbConnection, sql: &str) -> QueryResult<String> {
    Ok(diesel::sql_query(sql).get_result::<Version>(conn)?.version)
}

fn db_version(dataset: &Dataset, sql: &str) -> String {
    dataset.connect().and_then(|mut c| Ok(text_of(&mut c, sql)?)).unwrap_or_else(|e| format!("unavailable ({e:#})"))
}

/// `/proc/loadavg`'s 1, 5 and 15 minute averages: other work on the machine skews the figures.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn describe(rows: u64, datasets: &[Dataset], root: &std::path::Path) -> Vec<(String, String)> {
    let root = root.to_string_lossy();
    let mut m = vec![
        ("date".to_owned(), chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()),
        ("BENCH_ROWS".to_owned(), rows.to_string()),
        ("cores (nproc)".to_owned(), output_line("nproc", &[])),
        ("CPU".to_owned(), first_match("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into())),
        ("memory".to_owned(), first_match("/proc/meminfo", "MemTotal").unwrap_or_else(|| "unknown".into())),
        ("kernel".to_owned(), output_line("uname", &["-sr"])),
        ("load average before measuring".to_owned(), load_average()),
        ("rustc".to_owned(), output_line("rustc", &["--version"])),
        ("commit".to_owned(), {
            let rev = output_line("git", &["-C", &root, "rev-parse", "--short", "HEAD"]);
            let dirty = std::process::Command::new("git")
                .args(["-C", &root, "status", "--porcelain", "--untracked-files=no"])
                .output()
                .is_ok_and(|o| !o.stdout.is_empty());
            if dirty { format!("{rev} (with uncommitted changes)") } else { rev }
        }),
    ];
    for d in datasets {
        match d.backend {
            Backend::Sqlite => {
                m.push(("SQLite (bundled in the server)".into(), db_version(d, "SELECT sqlite_version() AS version")));
                m.push(("sqlite3 CLI".into(), output_line("sqlite3", &["--version"])));
            }
            Backend::Postgres => {
                m.push(("PostgreSQL server".into(), db_version(d, "SELECT version() AS version")));
                m.push(("psql".into(), output_line("psql", &["--version"])));
                m.push(("pgbench".into(), output_line("pgbench", &["--version"])));
            }
        }
        let load = match d.load_secs {
            Some(s) => format!("generated and loaded in {s:.1} s"),
            None => "reused from an earlier run".to_owned(),
        };
        m.push((format!("{} dataset", d.backend.name()), load));
    }
    m.push(("wrk".into(), version_line("wrk", &["-v"])));
    m.push(("nginx".into(), version_line("/usr/sbin/nginx", &["-v"])));
    m
}

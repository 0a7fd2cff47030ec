//! Streaming CSV export: rows are read on a blocking thread (keyset batches, or one `COPY` on
//! PostgreSQL) and sent through a small bounded channel as they are formatted, so memory stays
//! flat whatever the size; when the client goes away the channel closes and the reading stops.

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use confreports_store::report::page;
use confreports_store::{DbUrl, Pool};
use confreports_types::{CsvDelimiter, Sort};

use crate::limits::ExportSlot;
use crate::report::ApiReport;

/// Rows per database round trip.
const BATCH: i64 = 2000;
/// Formatted batches waiting for a slow client; bounds memory to a few batches.
const CHANNEL_DEPTH: usize = 2;
/// Bytes per message of the body (PostgreSQL's `COPY` sends a message per row).
const CHUNK_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub delimiter: CsvDelimiter,
    pub bom: bool,
    pub tz: Tz,
}

/// The first characters that make a spreadsheet read a cell as a formula: such cells of text
/// from the conferencing server or users are written with a `'` in front.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cells of one CSV row. Text from the conferencing server or users goes through
/// [`Row::text`], which neutralises cells a spreadsheet would run as a formula.
#[derive(Default)]
pub struct Row {
    cells: Vec<String>,
    tz: Option<Tz>,
}

impl Row {
    pub fn text(&mut self, value: Option<&str>) {
        let v = value.unwrap_or("");
        let cell = if v.starts_with(FORMULA_STARTS) { format!("'{v}") } else { v.to_owned() };
        self.cells.push(cell);
    }

    /// A value of our own making (numbers, booleans, ids): written as is.
    pub fn plain(&mut self, value: impl ToString) {
        self.cells.push(value.to_string());
    }

    pub fn optional(&mut self, value: Option<impl ToString>) {
        self.cells.push(value.map(|v| v.to_string()).unwrap_or_default());
    }

    /// A time in the export's time zone, with its offset.
    pub fn time(&mut self, t: Option<DateTime<Utc>>) {
        let tz = self.tz.unwrap_or(Tz::UTC);
        self.cells.push(t.map(|t| t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default());
    }
}

/// How a column of PostgreSQL's `COPY` output becomes a cell of the export: the [`Row`] method
/// the rows path writes that column with, so that both paths write the same bytes (the API
/// test `exports_are_the_same_csv_on_both_databases` holds them together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// A number or keyword of our own making, as PostgreSQL writes it ([`Row::plain`]).
    Plain,
    /// A boolean, `t`/`f` from PostgreSQL: `true`/`false`.
    Boolean,
    /// A `timestamp` holding UTC, in PostgreSQL's ISO style: [`Row::time`] in the export's zone.
    Time,
    /// Text from outside ([`Row::text`]).
    Text,
    /// A JSON array of strings, written space-separated as [`Row::text`].
    TextList,
}

impl Cell {
    /// Writes `value` (as PostgreSQL's CSV had it; NULL is empty) into `row`.
    fn write(self, value: &str, row: &mut Row) -> std::io::Result<()> {
        match self {
            Cell::Plain => row.plain(value),
            Cell::Boolean => row.plain(value == "t"),
            Cell::Time if value.is_empty() => row.time(None),
            Cell::Time => {
                let t = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f")
                    .map_err(|e| std::io::Error::other(format!("time `{value}` from PostgreSQL: {e}")))?;
                row.time(Some(t.and_utc()));
            }
            Cell::Text => row.text(Some(value)),
            Cell::TextList => {
                let list = serde_json::from_str::<Vec<String>>(value).ok().map(|l| l.join(" "));
                row.text(list.as_deref());
            }
        }
        Ok(())
    }
}

/// What an export reads with `COPY`: `SELECT` of `columns`, with its values written in
/// (`COPY` takes no parameters), and each column's name and how it becomes a cell.
#[derive(Debug)]
pub struct CopySource {
    pub select: String,
    pub columns: &'static [(&'static str, Cell)],
}

/// A CSV writer appending to `out`.
fn writer(format: Format, out: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().delimiter(format.delimiter.byte()).from_writer(out)
}

/// Formats one batch of rows, after the header (and BOM) when `first`.
fn format_batch<R: ApiReport>(items: &[R::Item], format: Format, first: bool) -> std::io::Result<Bytes> {
    let out = if first { header::<R>(format)? } else { Vec::with_capacity(CHUNK_BYTES + 4096) };
    let mut w = writer(format, out);
    let mut row = Row { cells: Vec::with_capacity(R::CSV_HEADER.len()), tz: Some(format.tz) };
    for item in items {
        row.cells.clear();
        R::csv_row(item, format.tz, &mut row);
        w.write_record(&row.cells)?;
    }
    Ok(Bytes::from(w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?))
}

/// The streaming answer of an export.
///
/// On PostgreSQL, for a report that can say its selection as one statement
/// ([`ApiReport::copy_source`]), the rows come from `COPY … TO STDOUT` ([`copy_stream`]).
/// Otherwise they are read in keyset batches by one blocking thread and formatted by another
/// ([`read_and_format`]).
///
/// `slot` is the caller's export place: it lives in the body, so it is given back when the
/// body is dropped, at its end or when the client disconnects.
pub fn stream<R: ApiReport>(
    pool: Pool,
    db_url: DbUrl,
    filter: R::Filter,
    sort: Sort<R::Sort>,
    format: Format,
    slot: ExportSlot,
) -> HttpResponse {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(CHANNEL_DEPTH);
    actix_web::rt::task::spawn_blocking(move || {
        match copy_stream::<R>(&pool, &db_url, &filter, sort, format, &tx) {
            Ok(Copied::Done) => {}
            Ok(Copied::Unavailable) => read_and_format::<R>(pool, filter, sort, format, tx),
            // An error ends the body early: the client sees a truncated transfer, not a silent cut.
            Err(e) => {
                tracing::error!(report = R::NAME, error = %e, "export failed");
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    let body = futures_util::stream::unfold((rx, slot), |(mut rx, slot)| async move {
        rx.recv().await.map(|item| (item, (rx, slot)))
    });
    let file_name = format!("{}-{}.csv", R::NAME, Utc::now().format("%Y%m%dT%H%M%SZ"));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file_name)],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// What [`copy_stream`] did.
enum Copied {
    /// The export was sent whole, or its client went away.
    Done,
    /// Not on this database, for this report or with this filter; nothing was sent.
    Unavailable,
}

/// The export read with PostgreSQL's `COPY` and written here, in chunks of [`CHUNK_BYTES`].
///
/// PostgreSQL sends the columns as they are stored (as `psql \copy` would have them), on one
/// core; this thread turns each record into the export's row on the other ([`Cell`]): no
/// query per batch, no rows decoded through the ORM. The `COPY` runs on a connection opened
/// for it and closed after it: a client that goes away leaves it half read, and closing it is
/// how PostgreSQL learns to stop (a pooled connection would be left in the middle of the
/// `COPY`). When that connection cannot be opened, the export goes through the pool as on SQLite.
fn copy_stream<R: ApiReport>(
    pool: &Pool,
    db_url: &DbUrl,
    filter: &R::Filter,
    sort: Sort<R::Sort>,
    format: Format,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) -> std::io::Result<Copied> {
    if !db_url.is_postgres() {
        return Ok(Copied::Unavailable);
    }
    let source = {
        let mut conn = pool.get().map_err(std::io::Error::other)?;
        R::copy_source(&mut conn, filter, sort).map_err(std::io::Error::other)?
    };
    let Some(source) = source else { return Ok(Copied::Unavailable) };
    // A server at its `max_connections` still gets the export, through the pool.
    let mut conn = match db_url.connect() {
        Ok(confreports_store::DbConnection::Postgres(conn)) => conn,
        Ok(confreports_store::DbConnection::Sqlite(_)) => return Ok(Copied::Unavailable),
        Err(e) => {
            tracing::warn!(report = R::NAME, error = %e, "no connection for the export's COPY: rows read through the pool");
            return Ok(Copied::Unavailable);
        }
    };
    // Timestamps as `Cell::Time` reads them, whatever the server's default.
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "SET DateStyle = ISO")
        .map_err(std::io::Error::other)?;
    let copy = confreports_store::copy::csv(&mut conn, &source.select, b',').map_err(std::io::Error::other)?;
    let mut records = csv::ReaderBuilder::new().has_headers(false).from_reader(copy);
    let mut record = csv::StringRecord::new();
    let mut out = writer(format, header::<R>(format)?);
    let mut row = Row { cells: Vec::with_capacity(source.columns.len()), tz: Some(format.tz) };
    loop {
        let more = records.read_record(&mut record).map_err(std::io::Error::other)?;
        if more {
            row.cells.clear();
            for ((_, cell), value) in source.columns.iter().zip(record.iter()) {
                cell.write(value, &mut row)?;
            }
            out.write_record(&row.cells)?;
        }
        if !more || out.get_ref().len() >= CHUNK_BYTES {
            let full = out.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
            out = writer(format, Vec::with_capacity(CHUNK_BYTES + 64 * 1024));
            if tx.blocking_send(Ok(Bytes::from(full))).is_err() {
                tracing::debug!(report = R::NAME, "export client went away");
                return Ok(Copied::Done);
            }
        }
        if !more {
            return Ok(Copied::Done);
        }
    }
}

/// The header line, after a BOM when asked for, in a buffer with room for a batch of rows.
fn header<R: ApiReport>(format: Format) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(CHUNK_BYTES + 4096);
    if format.bom {
        out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
    }
    let mut w = writer(format, out);
    w.write_record(R::CSV_HEADER)?;
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// The export read in keyset batches on another blocking thread, one batch ahead (memory
/// stays at a few batches), and formatted on this one: on two cores the database's work and
/// ours overlap instead of taking turns.
fn read_and_format<R: ApiReport>(
    pool: Pool,
    filter: R::Filter,
    sort: Sort<R::Sort>,
    format: Format,
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) {
    let (items_tx, items_rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<R::Item>>>(1);
    actix_web::rt::task::spawn_blocking(move || {
        let mut after = None;
        loop {
            let batch = pool.get().map_err(|e| std::io::Error::other(e.to_string())).and_then(|mut conn| {
                page::<R>(&mut conn, &filter, sort, after.as_ref(), BATCH)
                    .map_err(|e| std::io::Error::other(e.to_string()))
            });
            let (items, next) = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(report = R::NAME, error = %e, "export failed");
                    let _ = items_tx.send(Err(e));
                    return;
                }
            };
            // The formatter hangs up when the client goes away.
            if items_tx.send(Ok(items)).is_err() {
                return;
            }
            match next {
                Some(c) => after = Some(c),
                None => return,
            }
        }
    });
    let mut first = true;
    for batch in items_rx {
        // An error ends the body early: the client sees a truncated transfer, not a silent cut.
        let bytes = batch.and_then(|items| format_batch::<R>(&items, format, first));
        let failed = bytes.is_err();
        first = false;
        if tx.blocking_send(bytes).is_err() {
            tracing::debug!(report = R::NAME, "export client went away");
            return;
        }
        if failed {
            return;
        }
    }
}

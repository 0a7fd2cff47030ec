//! Streaming CSV export: rows are read in keyset batches on a blocking thread and sent through
//! a small bounded channel as they are formatted, so memory stays flat whatever the size; when
//! the client goes away the channel closes and the reading stops.

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use confreports_store::Pool;
use confreports_store::report::page;
use confreports_types::{CsvDelimiter, Sort};

use crate::limits::ExportSlot;
use crate::report::ApiReport;

/// Rows per database round trip.
const BATCH: i64 = 2000;
/// Formatted batches waiting for a slow client; bounds memory to a few batches.
const CHANNEL_DEPTH: usize = 2;

#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub delimiter: CsvDelimiter,
    pub bom: bool,
    pub tz: Tz,
}

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
        let cell = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v.to_owned() };
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

fn writer(format: Format) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().delimiter(format.delimiter.byte()).from_writer(Vec::with_capacity(256 * 1024))
}

/// Formats one batch of rows, with the header (and BOM) first when `first`.
fn format_batch<R: ApiReport>(items: &[R::Item], format: Format, first: bool) -> std::io::Result<Bytes> {
    let mut w = writer(format);
    if first {
        w.write_record(R::CSV_HEADER)?;
    }
    let mut row = Row { cells: Vec::with_capacity(R::CSV_HEADER.len()), tz: Some(format.tz) };
    for item in items {
        row.cells.clear();
        R::csv_row(item, format.tz, &mut row);
        w.write_record(&row.cells)?;
    }
    let mut out = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
    if first && format.bom {
        out.splice(0..0, [0xEF, 0xBB, 0xBF]);
    }
    Ok(Bytes::from(out))
}

/// The streaming answer of an export. Two blocking threads make a pipeline: one reads the
/// next batch from the database while the other formats the batch before it (on two cores the
/// database's work and ours overlap instead of taking turns).
///
/// `slot` is the caller's export place: it lives in the body, so it is given back when the
/// body is dropped, at its end or when the client disconnects.
pub fn stream<R: ApiReport>(
    pool: Pool,
    filter: R::Filter,
    sort: Sort<R::Sort>,
    format: Format,
    slot: ExportSlot,
) -> HttpResponse {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(CHANNEL_DEPTH);
    // One batch read ahead: memory stays at a few batches.
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
    actix_web::rt::task::spawn_blocking(move || {
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

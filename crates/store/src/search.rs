//! Which trigrams of a search word narrow the events down: estimated from a sample of the rows'
//! `search` texts.
//!
//! `q` is a substring search (`LIKE '%word%'` on the folded `search` column), served by a trigram
//! index on both databases (PostgreSQL's `pg_trgm` GIN index, SQLite's FTS5 trigram table). Both
//! answer a word by intersecting the rows of each of its trigrams, and for a word like
//! `u1999@corp.example` most of them (`@co`, `cor`, `.ex`, ...) are in every row: at 10M events,
//! reading those lists took 450 ms on PostgreSQL and the word's rows were 1,660. Asking the index
//! for the rarest few trigrams only, and checking the word on what they select, reads a few
//! thousand entries instead.
//!
//! How rare a trigram is comes from a sample of the table: the `search` texts of
//! [`SAMPLE_DRAWS`] ids drawn at random between the smallest and the largest, kept per process
//! for [`SAMPLE_TTL`] or until the table's id range has doubled or halved, and counted per
//! trigram on demand. A trigram absent from the sample is held by fewer than about one row in
//! four thousand. The answer never depends on the sample: every row holding the word holds each
//! of its trigrams, and the word itself is still checked; a poor estimate only costs time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use rand::Rng as _;

use crate::DbConnection;
use crate::schema::events;

/// Ids drawn for the sample.
pub const SAMPLE_DRAWS: usize = 4096;
/// How long a sample is used before it is drawn again.
pub const SAMPLE_TTL: Duration = Duration::from_secs(600);
/// Trigrams of a word the index is asked for, at most.
pub const TRIGRAMS_ASKED: usize = 3;
/// A word held by this share of the sampled rows or more is common: its newest rows are found
/// as quickly by reading rows newest first, without the index.
pub const COMMON_SHARE: f64 = 0.01;
/// After the rarest, a trigram is asked for too when held by at most this many times the
/// rarest's rows, or by [`FEW_ROWS`]: each narrows the candidates, for the price of reading its
/// rows in the index, and an index entry costs far less than a candidate row read and checked
/// (SQLite at 10M events: ~6 ns an FTS5 entry, ~2 µs a row). `999`, `199` and `99@` of
/// `u1999@corp.example` are in 19,224, 64,226 and 65,764 rows, 2,437 hold the first two: asking
/// for `999` alone took 44 ms in sqlite3, with `199` 10 ms. The sample only estimates (`999` is
/// in 5 to 12 of 4,096 sampled rows), so the margin is wide.
pub const ALSO_ASKED_FACTOR: f64 = 16.0;
/// See [`ALSO_ASKED_FACTOR`].
pub const FEW_ROWS: f64 = 100_000.0;

/// The sampled texts and what was counted of them.
#[derive(Debug)]
pub struct Sample {
    texts: Vec<String>,
    /// Ids drawn (some may have named no row).
    draws: usize,
    /// Largest id minus smallest, plus one, when drawn.
    span: i64,
    taken: Instant,
    /// Sampled texts holding each trigram counted so far.
    counts: Mutex<HashMap<String, usize>>,
}

impl Sample {
    /// A sample of `texts` drawn from `draws` ids over an id range of `span`.
    pub fn new(texts: Vec<String>, draws: usize, span: i64) -> Self {
        Sample { texts, draws, span, taken: Instant::now(), counts: Mutex::default() }
    }

    /// Draws a sample of the events' `search` texts.
    fn draw(conn: &mut DbConnection, span: (i64, i64)) -> QueryResult<Self> {
        let (min, max) = span;
        let width = max - min + 1;
        let ids: Vec<i64> = if width <= SAMPLE_DRAWS as i64 {
            (min..=max).collect()
        } else {
            let mut rng = rand::rng();
            (0..SAMPLE_DRAWS).map(|_| rng.random_range(min..=max)).collect()
        };
        let draws = ids.len();
        let texts = events::table.filter(events::id.eq_any(ids)).select(events::search).load::<String>(conn)?;
        Ok(Sample::new(texts, draws, width))
    }

    /// The rows of the table estimated to hold `trigram`.
    pub fn estimated_rows(&self, trigram: &str) -> f64 {
        if self.draws == 0 {
            return 0.0;
        }
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let held = *counts
            .entry(trigram.to_owned())
            .or_insert_with(|| self.texts.iter().filter(|t| t.contains(trigram)).count());
        held as f64 / self.draws as f64 * self.span as f64
    }

    /// Whether the sample no longer describes a table whose ids now span `width`.
    fn stale(&self, width: i64) -> bool {
        self.taken.elapsed() > SAMPLE_TTL || width > self.span.saturating_mul(2) || width < self.span / 2
    }
}

/// The trigrams of `word` (three characters each, in order, without repeats).
pub fn trigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for w in chars.windows(3) {
        let t: String = w.iter().collect();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The trigrams of `word` worth asking the index for, rarest first: at most [`TRIGRAMS_ASKED`]
/// (see [`ALSO_ASKED_FACTOR`]); empty when the word itself is common ([`COMMON_SHARE`]) or
/// shorter than three characters.
pub fn rarest(sample: &Sample, word: &str) -> Vec<String> {
    let mut held: Vec<(f64, usize, String)> =
        trigrams(word).into_iter().enumerate().map(|(at, t)| (sample.estimated_rows(&t), at, t)).collect();
    held.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let Some(&(rarest, _, _)) = held.first() else { return Vec::new() };
    if sample.estimated_rows(word) >= COMMON_SHARE * sample.span as f64 {
        return Vec::new();
    }
    let enough = (rarest * ALSO_ASKED_FACTOR).max(FEW_ROWS);
    held.into_iter().take(TRIGRAMS_ASKED).filter(|(rows, _, _)| *rows <= enough).map(|(_, _, t)| t).collect()
}

/// The process's sample of the events, per database kind (a process serves one database).
static SAMPLES: Mutex<[Option<Arc<Sample>>; 2]> = Mutex::new([None, None]);

/// The events' sample, drawn anew when missing or stale. `None` for an empty table.
pub fn events_sample(conn: &mut DbConnection) -> QueryResult<Option<Arc<Sample>>> {
    use diesel::dsl::{max, min};
    let slot = match conn {
        DbConnection::Postgres(_) => 0,
        DbConnection::Sqlite(_) => 1,
    };
    // Apart: SQLite reads the ends of the primary key for a lone min() or max(), but scans the
    // whole table for the two together.
    let lo: Option<i64> = events::table.select(min(events::id)).first(conn)?;
    let hi: Option<i64> = events::table.select(max(events::id)).first(conn)?;
    let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(None) };
    let kept = SAMPLES.lock().unwrap_or_else(|e| e.into_inner())[slot].clone();
    if let Some(sample) = kept
        && !sample.stale(hi - lo + 1)
    {
        return Ok(Some(sample));
    }
    let sample = Arc::new(Sample::draw(conn, (lo, hi))?);
    SAMPLES.lock().unwrap_or_else(|e| e.into_inner())[slot] = Some(sample.clone());
    Ok(Some(sample))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_are_of_characters_not_bytes_and_not_repeated() {
        assert_eq!(trigrams("abcab"), ["abc", "bca", "cab"]);
        assert_eq!(trigrams("петров"), ["пет", "етр", "тро", "ров"]);
        assert_eq!(trigrams("aaaa"), ["aaa"]);
        assert!(trigrams("ab").is_empty());
    }

    #[test]
    fn the_rarest_trigrams_are_asked_and_the_common_ones_never() {
        // 1,000 rows sampled out of 1,000,000: a trigram in one sampled row stands for 1,000.
        let mut texts = vec!["login u0001@corp.example".to_owned(); 990];
        texts.extend((0..10).map(|i| format!("login u19{i:02}@corp.example")));
        texts[0] = "login u1999@corp.example".into();
        let sample = Sample::new(texts, 1000, 1_000_000);
        // "999" is in one sampled row, "u19" and "99@"... in few; "@co", "cor" in all.
        let asked = rarest(&sample, "u1999@corp.example");
        // "199", "999" and "99@" are in one sampled row each (u1999), the first three of those.
        assert_eq!(asked, ["199", "999", "99@"]);
        // "u19" is in 11 sampled rows of 1,000: common enough to be found by reading rows.
        assert!(rarest(&sample, "u19").is_empty());
        // A word rarer than each of its trigrams: "u190" is in 10 sampled rows, "u19" in 11
        // and "190" in 10, but the word "u1900@" in one.
        assert_eq!(rarest(&sample, "u1900@"), ["900", "00@", "190"]);
        // Every trigram of a word in every row (or in 1% of them) is common: nothing to ask.
        assert!(rarest(&sample, "corp").is_empty());
        assert!(rarest(&sample, "ogi").is_empty());
        assert!(rarest(&sample, "co").is_empty());
        // A word the sample never saw: its trigrams are all rare.
        assert_eq!(rarest(&sample, "zyxw"), ["zyx", "yxw"]);
    }

    #[test]
    fn an_unlucky_sample_still_asks_for_a_second_trigram() {
        // 4,096 rows sampled out of 10M, as at the benchmark's 10M events: `999` was drawn in
        // 5 rows (19,224 in the table, 8 expected), `u19`, `199` and `99@` in 30 (~73,000 rows
        // each by the sample). Asked for `999` alone, SQLite read and checked ~19,000 rows
        // (44 ms); with a second trigram, ~2,400 (10 ms).
        let mut texts = vec!["login u1999@corp.example".to_owned(); 5];
        texts.extend((0..25).map(|_| "login u1990@corp.example".to_owned()));
        texts.extend((0..25).map(|_| "login u2099@corp.example".to_owned()));
        texts.resize(4096, "login u0001@corp.example".to_owned());
        let sample = Sample::new(texts, 4096, 10_000_000);
        assert_eq!(rarest(&sample, "u1999@corp.example"), ["999", "u19", "199"]);
    }

    #[test]
    fn an_empty_sample_estimates_nothing() {
        let sample = Sample::new(Vec::new(), 0, 0);
        assert_eq!(sample.estimated_rows("abc"), 0.0);
    }
}

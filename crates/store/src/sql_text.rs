//! PostgreSQL statements written as text rather than through diesel's query builder: the
//! export's `COPY (SELECT …)` ([`crate::copy`]), which takes no bound parameters, and the pages
//! read by the asynchronous client ([`crate::pg_async`]). One writer builds both; what it is
//! given decides how each value a caller gave goes in: as a literal ([`Literals`]) or as a
//! bound parameter ([`Params`]).

use chrono::NaiveDateTime;

/// How a writer puts a value into the statement's text; `None` when it cannot (a NUL, which
/// PostgreSQL text cannot hold).
pub trait SqlValues {
    fn text(&mut self, text: &str) -> Option<String>;
    fn time(&mut self, time: NaiveDateTime) -> Option<String>;
    fn int(&mut self, int: i64) -> Option<String>;
}

/// Values written into the statement, quoted.
#[derive(Debug, Default, Clone, Copy)]
pub struct Literals;

impl SqlValues for Literals {
    fn text(&mut self, text: &str) -> Option<String> {
        literal(text)
    }

    fn time(&mut self, time: NaiveDateTime) -> Option<String> {
        literal(&time.format("%Y-%m-%d %H:%M:%S%.6f").to_string()).map(|l| format!("CAST({l} AS timestamp)"))
    }

    fn int(&mut self, int: i64) -> Option<String> {
        Some(int.to_string())
    }
}

/// One bound value of a statement written with [`Params`].
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Time(NaiveDateTime),
    Int(i64),
}

/// Values bound as `$1`, `$2`, … (each with its type written: `$1::text`), collected in order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Params(pub Vec<Param>);

impl Params {
    fn push(&mut self, param: Param, sql_type: &str) -> Option<String> {
        self.0.push(param);
        Some(format!("${}::{sql_type}", self.0.len()))
    }
}

impl SqlValues for Params {
    fn text(&mut self, text: &str) -> Option<String> {
        if text.contains('\0') {
            return None;
        }
        self.push(Param::Text(text.to_owned()), "text")
    }

    fn time(&mut self, time: NaiveDateTime) -> Option<String> {
        self.push(Param::Time(time), "timestamp")
    }

    fn int(&mut self, int: i64) -> Option<String> {
        self.push(Param::Int(int), "bigint")
    }
}

/// `text` as a PostgreSQL string literal, `E'…'` (backslashes and quotes doubled), whatever
/// `standard_conforming_strings` says; `None` for text PostgreSQL cannot hold (a NUL).
pub fn literal(text: &str) -> Option<String> {
    if text.contains('\0') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 3);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Some(out)
}

/// `(a, b, …)`, each value written by `values`; `None` when one of them cannot be.
pub fn list<'a>(values: &mut impl SqlValues, items: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let items: Option<Vec<String>> = items.into_iter().map(|i| values.text(i)).collect();
    Some(format!("({})", items?.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_quotes_and_backslashes_and_refuse_nul() {
        assert_eq!(literal("plain").as_deref(), Some("E'plain'"));
        assert_eq!(literal("o'brien").as_deref(), Some("E'o''brien'"));
        assert_eq!(literal("a\\'; DROP TABLE events; --").as_deref(), Some("E'a\\\\''; DROP TABLE events; --'"));
        assert_eq!(literal("жена").as_deref(), Some("E'жена'"));
        assert_eq!(literal("a\0b"), None);
        assert_eq!(list(&mut Literals, ["a", "b'c"]).as_deref(), Some("(E'a', E'b''c')"));
        assert_eq!(list(&mut Literals, ["a", "\0"]), None);
    }

    #[test]
    fn params_are_numbered_in_order_and_keep_their_values() {
        let mut params = Params::default();
        let time = NaiveDateTime::default();
        assert_eq!(params.time(time).as_deref(), Some("$1::timestamp"));
        assert_eq!(list(&mut params, ["a", "b'c"]).as_deref(), Some("($2::text, $3::text)"));
        assert_eq!(params.int(7).as_deref(), Some("$4::bigint"));
        assert_eq!(params.text("a\0b"), None, "no NUL in PostgreSQL text");
        assert_eq!(params.0, [Param::Time(time), Param::Text("a".into()), Param::Text("b'c".into()), Param::Int(7)]);
    }
}

//! Query-string parsing for every report: parameters are split by the struct that owns them,
//! unknown ones are refused, and a value that does not parse is a 400 naming its parameter.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use confreports_store::report::{CommonFilter, search_words};
use confreports_types::RangeParams;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// Values one parameter may have (`type=login&type=logout&...`).
pub const MAX_VALUES: usize = 100;
/// Characters of the search text `q`.
pub const MAX_Q_CHARS: usize = 200;
/// Words of the search text `q` (each must match).
pub const MAX_Q_WORDS: usize = 10;
/// Bytes of a query string under `/api/`, as sent (percent-encoded); longer is `400`.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// The decoded `key=value` pairs of a query string, in order.
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    pub fn parse(query: &str) -> Self {
        QueryPairs(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    /// Refuses any parameter not named in one of `allowed`, and a parameter given more than
    /// [`MAX_VALUES`] times.
    pub fn check_known(&self, allowed: &[&[&str]]) -> ApiResult<()> {
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (key, _) in &self.0 {
            let n = counts.entry(key.as_str()).or_insert(0);
            *n += 1;
            if *n > MAX_VALUES {
                return Err(ApiError::bad_parameter(
                    key.clone(),
                    format!("`{key}` is given more than {MAX_VALUES} times; at most {MAX_VALUES} values per parameter"),
                ));
            }
            if !allowed.iter().any(|names| names.contains(&key.as_str())) {
                let mut known: Vec<&str> = allowed.iter().flat_map(|n| n.iter().copied()).collect();
                known.sort_unstable();
                known.dedup();
                return Err(ApiError::bad_parameter(
                    key.clone(),
                    format!("unknown parameter `{key}`; this operation takes {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Deserialises the parameters named in `names` into `T`.
    pub fn take<T: DeserializeOwned>(&self, names: &[&str]) -> ApiResult<T> {
        let selected: Vec<&(String, String)> = self.0.iter().filter(|(k, _)| names.contains(&k.as_str())).collect();
        match from_pairs::<T>(&selected) {
            Ok(v) => Ok(v),
            Err(message) => {
                // Find the parameter at fault by trying each alone.
                let culprit = names
                    .iter()
                    .find(|name| {
                        let alone: Vec<&(String, String)> =
                            selected.iter().copied().filter(|(k, _)| k == *name).collect();
                        !alone.is_empty() && from_pairs::<T>(&alone).is_err()
                    })
                    .copied()
                    .unwrap_or("query");
                let value = selected.iter().find(|(k, _)| k == culprit).map(|(_, v)| v.as_str()).unwrap_or("");
                Err(ApiError::bad_parameter(culprit, format!("invalid value `{value}` for `{culprit}`: {message}")))
            }
        }
    }

    /// The query string with `key` set to `value` (other occurrences of `key` dropped).
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.0.iter().filter(|(k, _)| k != key) {
            ser.append_pair(k, v);
        }
        ser.append_pair(key, value);
        ser.finish()
    }
}

fn from_pairs<T: DeserializeOwned>(pairs: &[&(String, String)]) -> Result<T, String> {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    serde_html_form::from_str(&ser.finish()).map_err(|e| e.to_string())
}

/// Item routes take no query parameters; an unknown one is a 400 like on every list.
pub fn no_query(req: &actix_web::HttpRequest) -> ApiResult<()> {
    QueryPairs::parse(req.query_string()).check_known(&[])
}

/// Resolves an IANA time zone name; `None` gives `default`.
pub fn time_zone(name: Option<&str>, default: Tz) -> ApiResult<Tz> {
    match name {
        None => Ok(default),
        Some(n) => n.parse::<Tz>().map_err(|_| {
            ApiError::bad_parameter("tz", format!("unknown time zone `{n}`; use an IANA name such as Europe/Moscow"))
        }),
    }
}

/// Reads `from`/`to`/`q` in `tz`: RFC 3339 instants as given; dates as the start of that day in
/// `tz` (`to` includes the whole day, so its bound is the start of the next day).
pub fn common_filter(range: &RangeParams, tz: Tz) -> ApiResult<CommonFilter> {
    let from = range.from.as_deref().map(|s| instant("from", s, tz, false)).transpose()?;
    let to = range.to.as_deref().map(|s| instant("to", s, tz, true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::bad_parameter("to", "`to` must be after `from`"));
    }
    if let Some(q) = range.q.as_deref() {
        if q.chars().count() > MAX_Q_CHARS {
            return Err(ApiError::bad_parameter("q", format!("`q` may have at most {MAX_Q_CHARS} characters")));
        }
        if q.split_whitespace().count() > MAX_Q_WORDS {
            return Err(ApiError::bad_parameter("q", format!("`q` may have at most {MAX_Q_WORDS} words")));
        }
    }
    let words = range.q.as_deref().map(search_words).unwrap_or_default();
    Ok(CommonFilter { from, to, words })
}

fn instant(field: &str, s: &str, tz: Tz, end_of_day: bool) -> ApiResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_parameter(field, format!("`{s}` is neither an RFC 3339 time nor a date YYYY-MM-DD"))
    })?;
    let date = if end_of_day {
        date.succ_opt().ok_or_else(|| ApiError::bad_parameter(field, "date out of range"))?
    } else {
        date
    };
    Ok(start_of_day(date, tz))
}

/// The first instant of `date` in `tz`, also on days whose midnight a DST change skips.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_time(NaiveTime::MIN);
    for _ in 0..48 {
        if let Some(local) = tz.from_local_datetime(&t).earliest() {
            return local.with_timezone(&Utc);
        }
        t += chrono::Duration::minutes(30);
    }
    date.and_time(NaiveTime::MIN).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_in_the_time_zone_and_dst_safe() {
        let moscow: Tz = "Europe/Moscow".parse().expect("zone");
        let range =
            RangeParams { from: Some("2026-11-01".into()), to: Some("2026-11-01".into()), ..Default::default() };
        let f = common_filter(&range, moscow).expect("valid");
        assert_eq!(f.from.map(|t| t.to_rfc3339()), Some("2026-10-31T21:00:00+00:00".into()));
        assert_eq!(f.to.map(|t| t.to_rfc3339()), Some("2026-11-01T21:00:00+00:00".into()));
        // New York's 2026-03-08 has 23 hours.
        let ny: Tz = "America/New_York".parse().expect("zone");
        let range =
            RangeParams { from: Some("2026-03-08".into()), to: Some("2026-03-08".into()), ..Default::default() };
        let f = common_filter(&range, ny).expect("valid");
        let hours = f.to.zip(f.from).map(|(t, f)| (t - f).num_hours());
        assert_eq!(hours, Some(23));
        // Santiago skips midnight on its DST day (2026-09-06): the day starts at 01:00.
        let santiago: Tz = "America/Santiago".parse().expect("zone");
        let start = start_of_day(NaiveDate::from_ymd_opt(2026, 9, 6).expect("date"), santiago);
        assert_eq!(start.to_rfc3339(), "2026-09-06T04:00:00+00:00");
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let range = RangeParams { from: Some("yesterday".into()), ..Default::default() };
        match common_filter(&range, Tz::UTC) {
            Err(ApiError::BadParameter { field, .. }) => assert_eq!(field, "from"),
            other => panic!("expected a bad `from`, got {other:?}"),
        }
        let pairs = QueryPairs::parse("limit=abc&sort=-time");
        match pairs.take::<confreports_types::PageParams>(confreports_types::PageParams::NAMES) {
            Err(ApiError::BadParameter { field, .. }) => assert_eq!(field, "limit"),
            other => panic!("expected a bad `limit`, got {other:?}"),
        }
        match QueryPairs::parse("colour=red").check_known(&[&["sort"]]) {
            Err(ApiError::BadParameter { field, .. }) => assert_eq!(field, "colour"),
            other => panic!("expected an unknown parameter, got {other:?}"),
        }
    }
}

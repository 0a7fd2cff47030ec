//! Times as the signed-in administrator wants to read them: in the time zone and date format of
//! their preferences. The browser's `Intl.DateTimeFormat` does the time zone arithmetic (no
//! time zone database in the WASM module).

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use confreports_types::DateFormat;
use js_sys::{Array, Date, Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Intl.DateTimeFormat`, with the `RangeError` of an unknown time zone caught.
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    type DateTimeFormat;

    #[wasm_bindgen(constructor, js_namespace = Intl, js_class = "DateTimeFormat", catch)]
    fn new(locales: &JsValue, options: &Object) -> Result<DateTimeFormat, JsValue>;

    #[wasm_bindgen(method, js_class = "DateTimeFormat", js_name = formatToParts)]
    fn format_to_parts(this: &DateTimeFormat, date: &Date) -> Array;

    /// `Intl.supportedValuesOf`, absent from older browsers.
    #[wasm_bindgen(js_namespace = Intl, js_name = supportedValuesOf, catch)]
    fn supported_values_of(key: &str) -> Result<Array, JsValue>;
}

thread_local! {
    /// The formatter of the last (time zone, format) asked for: every row of a table shares it.
    static FORMATTER: RefCell<Option<(String, DateFormat, Option<DateTimeFormat>)>> =
        const { RefCell::new(None) };
}

/// `time` in `time_zone` (an IANA name), written in `format`, to the second:
/// `2026-11-24 20:07:05`, `24.11.2026 20:07:05` or `11/24/2026 8:07:05 PM`.
/// A time zone the browser does not know falls back to UTC, saying so.
pub fn format_time(time: DateTime<Utc>, time_zone: &str, format: DateFormat) -> String {
    FORMATTER.with(|cell| {
        let mut cell = cell.borrow_mut();
        let fresh = !matches!(&*cell, Some((tz, f, _)) if tz == time_zone && *f == format);
        if fresh {
            *cell = Some((time_zone.to_owned(), format, formatter(time_zone, format)));
        }
        match cell.as_ref().and_then(|(_, _, dtf)| dtf.as_ref()) {
            Some(dtf) => {
                let date = Date::new(&JsValue::from_f64(time.timestamp_millis() as f64));
                assemble(&Parts::of(dtf, &date), format)
            }
            None => {
                let utc = Parts::utc(time);
                format!("{} UTC", assemble(&utc, format))
            }
        }
    })
}

/// Today's date in `time_zone` (UTC's when the browser does not know the zone).
pub fn today_in(time_zone: &str) -> chrono::NaiveDate {
    let now = Utc::now();
    let shown = format_time(now, time_zone, DateFormat::Iso);
    chrono::NaiveDate::parse_from_str(shown.get(..10).unwrap_or_default(), "%Y-%m-%d")
        .unwrap_or_else(|_| now.date_naive())
}

/// The IANA time zone names the browser knows, for a picker; `UTC` first.
pub fn time_zone_names() -> Vec<String> {
    let mut names = vec!["UTC".to_owned()];
    if let Ok(values) = supported_values_of("timeZone") {
        names.extend(values.iter().filter_map(|v| v.as_string()).filter(|n| n != "UTC"));
    }
    names
}

fn formatter(time_zone: &str, format: DateFormat) -> Option<DateTimeFormat> {
    let options = Object::new();
    let set = |key: &str, value: &str| {
        let _ = Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value));
    };
    set("timeZone", time_zone);
    set("year", "numeric");
    set("month", "2-digit");
    set("day", "2-digit");
    set("minute", "2-digit");
    set("second", "2-digit");
    match format {
        DateFormat::Us => {
            set("hour", "numeric");
            set("hourCycle", "h12");
        }
        DateFormat::Iso | DateFormat::European => {
            set("hour", "2-digit");
            // Not `hour12: false`, which writes midnight as 24 in some browsers.
            set("hourCycle", "h23");
        }
    }
    DateTimeFormat::new(&JsValue::from_str("en-US"), &options).ok()
}

#[derive(Debug, Default, PartialEq)]
struct Parts {
    year: String,
    month: String,
    day: String,
    hour: String,
    minute: String,
    second: String,
    day_period: String,
}

impl Parts {
    fn of(dtf: &DateTimeFormat, date: &Date) -> Parts {
        let mut parts = Parts::default();
        for part in dtf.format_to_parts(date).iter() {
            let get = |key: &str| {
                Reflect::get(&part, &JsValue::from_str(key)).ok().and_then(|v| v.as_string()).unwrap_or_default()
            };
            let value = get("value");
            match get("type").as_str() {
                "year" => parts.year = value,
                "month" => parts.month = value,
                "day" => parts.day = value,
                "hour" => parts.hour = value,
                "minute" => parts.minute = value,
                "second" => parts.second = value,
                "dayPeriod" => parts.day_period = value,
                _ => {}
            }
        }
        parts
    }

    fn utc(time: DateTime<Utc>) -> Parts {
        Parts {
            year: time.format("%Y").to_string(),
            month: time.format("%m").to_string(),
            day: time.format("%d").to_string(),
            hour: time.format("%H").to_string(),
            minute: time.format("%M").to_string(),
            second: time.format("%S").to_string(),
            day_period: String::new(),
        }
    }
}

fn assemble(p: &Parts, format: DateFormat) -> String {
    let Parts { year, month, day, hour, minute, second, day_period } = p;
    match format {
        DateFormat::Iso => format!("{year}-{month}-{day} {hour}:{minute}:{second}"),
        DateFormat::European => format!("{day}.{month}.{year} {hour}:{minute}:{second}"),
        DateFormat::Us if day_period.is_empty() => {
            // The UTC fallback has a 24-hour clock.
            format!("{month}/{day}/{year} {hour}:{minute}:{second}")
        }
        DateFormat::Us => format!("{month}/{day}/{year} {hour}:{minute}:{second} {day_period}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_each_format() {
        let p = Parts {
            year: "2026".into(),
            month: "11".into(),
            day: "24".into(),
            hour: "8".into(),
            minute: "07".into(),
            second: "05".into(),
            day_period: "PM".into(),
        };
        assert_eq!(assemble(&p, DateFormat::Us), "11/24/2026 8:07:05 PM");
        let p = Parts { hour: "20".into(), day_period: String::new(), ..p };
        assert_eq!(assemble(&p, DateFormat::Iso), "2026-11-24 20:07:05");
        assert_eq!(assemble(&p, DateFormat::European), "24.11.2026 20:07:05");
    }
}

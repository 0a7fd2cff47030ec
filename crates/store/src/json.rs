//! JSON written by hand where serde's general path is the cost of a busy page
//! ([`crate::events`]' direct pages).

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};

/// Appends `time` as chrono's `Serialize` writes a `DateTime<Utc>` (RFC 3339, `Z`, a fraction
/// of 3, 6 or 9 digits only when there is one), without the formatting machinery that chrono's
/// path goes through (serde_json escapes what it writes one character at a time).
pub fn write_utc(out: &mut Vec<u8>, time: DateTime<Utc>) {
    // The fields of the UTC date and time as they are (`DateTime`'s own accessors add its
    // offset, zero here, for each field).
    let utc = time.naive_utc();
    let year = utc.year();
    if !(0..=9999).contains(&year) {
        // Years written with a sign: chrono's own formatting, rare enough.
        out.extend_from_slice(time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true).as_bytes());
        return;
    }
    let mut nano = utc.nanosecond();
    let mut second = utc.second();
    if nano >= 1_000_000_000 {
        // A leap second, as chrono writes it.
        second += 1;
        nano -= 1_000_000_000;
    }
    two(out, (year / 100) as u32);
    two(out, (year % 100) as u32);
    out.push(b'-');
    two(out, utc.month());
    out.push(b'-');
    two(out, utc.day());
    out.push(b'T');
    two(out, utc.hour());
    out.push(b':');
    two(out, utc.minute());
    out.push(b':');
    two(out, second);
    if nano != 0 {
        let (value, digits) = if nano.is_multiple_of(1_000_000) {
            (nano / 1_000_000, 3)
        } else if nano.is_multiple_of(1_000) {
            (nano / 1_000, 6)
        } else {
            (nano, 9)
        };
        out.push(b'.');
        let mut buf = [b'0'; 9];
        let mut v = value;
        for i in (0..digits).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&buf[..digits]);
    }
    out.push(b'Z');
}

/// Appends `text`, UTF-8, as a JSON string, byte for byte as serde_json writes the same text
/// (`"`, `\\` and the control characters below 0x20 escaped; nothing else). Taking bytes lets
/// the page reader pass PostgreSQL's text on without checking its UTF-8 again
/// ([`crate::pg_async::Text`]): no byte of a multi-byte character is one that is escaped, so the
/// output is as valid as the input. Most texts need no escape: those are checked in one pass
/// the compiler vectorizes and copied whole.
pub fn write_str(out: &mut Vec<u8>, text: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push(b'"');
    let needs_escape = text.iter().fold(false, |acc, &b| acc | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if !needs_escape {
        out.extend_from_slice(text);
        out.push(b'"');
        return;
    }
    let mut plain = 0;
    for (i, &b) in text.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&text[plain..i]);
        plain = i + 1;
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(short);
        }
    }
    out.extend_from_slice(&text[plain..]);
    out.push(b'"');
}

fn two(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn chrono_json(t: DateTime<Utc>) -> String {
        serde_json::to_string(&t).expect("serializes")
    }

    fn ours(t: DateTime<Utc>) -> String {
        let mut out = vec![b'"'];
        write_utc(&mut out, t);
        out.push(b'"');
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = [
            "",
            "plain",
            "quote \"",
            "back\\slash",
            "tab\t",
            "\u{1}\u{1f}\u{7f}",
            "Иван 🎉",
            "</script>",
            "a\u{2028}b",
            "\u{0}\u{8}\u{c}\n\r\t\u{b}\"\\ all of them",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every byte below 0x80 at the start, middle and end of a long text (vectorized paths).
        for c in (0u8..0x80).map(char::from) {
            let long = "x".repeat(40);
            texts.extend([format!("{c}{long}"), format!("{long}{c}{long}"), format!("{long}{c}")]);
        }
        for text in texts {
            let mut ours = Vec::new();
            write_str(&mut ours, text.as_bytes());
            assert_eq!(String::from_utf8_lossy(&ours), serde_json::to_string(&text).expect("serializes"), "{text:?}");
        }
    }

    #[test]
    fn times_are_written_as_chrono_serializes_them() {
        let base = Utc.with_ymd_and_hms(2026, 12, 7, 9, 5, 3).single().expect("valid");
        let mut times = vec![
            base,
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).single().expect("valid"),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).single().expect("valid"),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).single().expect("valid"),
            Utc.with_ymd_and_hms(-1, 6, 30, 12, 0, 0).single().expect("valid"),
            Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).single().expect("valid"),
        ];
        for nanos in [1, 10, 999, 1_000, 120_000, 999_999, 1_000_000, 5_000_000, 123_456_789, 999_999_999] {
            times.push(base + chrono::Duration::nanoseconds(nanos));
        }
        // A leap second.
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .expect("valid");
        times.push(leap.and_utc());
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let micros = (seed % 4_000_000_000_000_000) as i64 - 1_000_000_000_000_000;
            let t = DateTime::from_timestamp_micros(micros).expect("in range");
            times.push(t);
            times.push(t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000).expect("valid"));
        }
        for t in times {
            assert_eq!(ours(t), chrono_json(t), "{t:?}");
        }
    }
}

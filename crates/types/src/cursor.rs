//! Keyset cursors: the last row's sort key and id, serialised and base64url-encoded so that
//! clients treat them as opaque.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A sort-key value of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortValue {
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "i")]
    Int(i64),
}

impl SortValue {
    pub fn kind(&self) -> crate::SortKind {
        match self {
            SortValue::Time(_) => crate::SortKind::Time,
            SortValue::Text(_) => crate::SortKind::Text,
            SortValue::Int(_) => crate::SortKind::Int,
        }
    }
}

/// Where the next page starts: after the row with this sort key and id, under the sort `sort`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort the cursor was made for (`-time`); a cursor is refused under another sort.
    #[serde(rename = "o")]
    pub sort: String,
    #[serde(rename = "k")]
    pub key: SortValue,
    #[serde(rename = "id")]
    pub id: SortValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorError {
    Malformed,
    OtherSort { made_for: String },
}

impl std::fmt::Display for CursorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CursorError::Malformed => f.write_str("malformed cursor; pass back a next_cursor unchanged"),
            CursorError::OtherSort { made_for } => {
                write!(f, "this cursor belongs to sort `{made_for}`; keep the sort while paging")
            }
        }
    }
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serialising plain data to JSON cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a cursor and checks that it was made for `sort`.
    pub fn decode(s: &str, sort: &str) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| CursorError::Malformed)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| CursorError::Malformed)?;
        if cursor.sort != sort {
            return Err(CursorError::OtherSort { made_for: cursor.sort });
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_refuses_garbage_and_other_sorts() {
        let c = Cursor {
            sort: "-time".into(),
            key: SortValue::Time(DateTime::from_timestamp(1_700_000_000, 123_000).expect("valid")),
            id: SortValue::Int(42),
        };
        let s = c.encode();
        assert_eq!(Cursor::decode(&s, "-time"), Ok(c));
        assert_eq!(Cursor::decode(&s, "time"), Err(CursorError::OtherSort { made_for: "-time".into() }));
        assert_eq!(Cursor::decode("not a cursor!", "-time"), Err(CursorError::Malformed));
        assert_eq!(Cursor::decode("e30", "-time"), Err(CursorError::Malformed));
    }
}

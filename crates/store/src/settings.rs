//! Typed access to the `settings` key-value table. A key that was never written reads as its
//! default; a change is recorded as a configuration change (object type `settings`) in the
//! transaction that makes it.

use chrono::Utc;
use confreports_types::{Settings, SettingsUpdate};
use diesel::prelude::*;

use crate::records::{NewConfigChange, insert_config_changes};
use crate::report::{Actor, search_text, to_db_time};
use crate::schema::settings;
use crate::{DbConnection, on_inner};

pub const ENDPOINT_RETENTION_DAYS: &str = "endpoint_retention_days";
pub const RECORDING_RETENTION_DAYS: &str = "recording_retention_days";

fn read_days(conn: &mut DbConnection, key: &str, default: u32) -> QueryResult<u32> {
    let value: Option<String> =
        settings::table.filter(settings::key.eq(key)).select(settings::value).first(conn).optional()?;
    // A value this module did not write (hand-edited) falls back to the default.
    Ok(value.and_then(|v| v.trim().parse().ok()).unwrap_or(default))
}

fn write(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<()> {
    let updated =
        diesel::update(settings::table.filter(settings::key.eq(key))).set(settings::value.eq(value)).execute(conn)?;
    if updated == 0 {
        let insert = diesel::insert_into(settings::table).values((settings::key.eq(key), settings::value.eq(value)));
        on_inner!(conn, c => insert.execute(c))?;
    }
    Ok(())
}

pub fn get(conn: &mut DbConnection) -> QueryResult<Settings> {
    let d = Settings::DEFAULT;
    Ok(Settings {
        endpoint_retention_days: read_days(conn, ENDPOINT_RETENTION_DAYS, d.endpoint_retention_days)?,
        recording_retention_days: read_days(conn, RECORDING_RETENTION_DAYS, d.recording_retention_days)?,
    })
}

/// The endpoint retention setting, in days.
pub fn endpoint_retention_days(conn: &mut DbConnection) -> QueryResult<u32> {
    read_days(conn, ENDPOINT_RETENTION_DAYS, Settings::DEFAULT.endpoint_retention_days)
}

/// The recording retention setting, in days.
pub fn recording_retention_days(conn: &mut DbConnection) -> QueryResult<u32> {
    read_days(conn, RECORDING_RETENTION_DAYS, Settings::DEFAULT.recording_retention_days)
}

/// Applies `update` (already validated) and records what changed, before and after, as one
/// configuration change by `actor`. Returns the settings as they now are.
pub fn update(conn: &mut DbConnection, update: &SettingsUpdate, actor: &Actor) -> QueryResult<Settings> {
    crate::conn::write_transaction(conn, |conn| {
        let before = get(conn)?;
        let mut after = before;
        let mut changes = Vec::new();
        let mut apply = |key: &'static str, old: u32, new: Option<u32>, slot: &mut u32| {
            if let Some(new) = new.filter(|n| *n != old) {
                *slot = new;
                changes.push((key, old.to_string(), new.to_string()));
            }
        };
        apply(
            ENDPOINT_RETENTION_DAYS,
            before.endpoint_retention_days,
            update.endpoint_retention_days,
            &mut after.endpoint_retention_days,
        );
        apply(
            RECORDING_RETENTION_DAYS,
            before.recording_retention_days,
            update.recording_retention_days,
            &mut after.recording_retention_days,
        );
        if changes.is_empty() {
            return Ok(after);
        }
        for (key, _, value) in &changes {
            write(conn, key, value)?;
        }
        let actor_name = actor.name.clone().unwrap_or_else(|| "server".into());
        let actor_type = if actor.app_name.is_some() { "app" } else { "admin" };
        let json: Vec<serde_json::Value> =
            changes.iter().map(|(p, b, a)| serde_json::json!({"parameter": p, "before": b, "after": a})).collect();
        let audit_changes = json.clone();
        let mut searchable = vec![Some(actor_name.as_str()), Some(actor_type), Some("settings")];
        for (p, b, a) in &changes {
            searchable.extend([Some(*p), Some(b.as_str()), Some(a.as_str())]);
        }
        let change = NewConfigChange {
            source_id: None,
            time: to_db_time(Utc::now()),
            actor: actor_name.clone(),
            actor_type: actor_type.to_owned(),
            object_type: "settings".into(),
            object: "settings".into(),
            changes: serde_json::Value::Array(json).to_string(),
            search: search_text(searchable),
        };
        let params = changes.iter().map(|(p, _, _)| (*p).to_owned()).collect();
        insert_config_changes(conn, &[(change, params)])?;
        let entry = crate::audit::Entry::by(actor, "settings_changed")
            .with_target("settings")
            .with_details(serde_json::json!({ "changes": audit_changes }));
        crate::audit::append(conn, &entry)?;
        Ok(after)
    })
}

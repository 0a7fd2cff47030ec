//! The Configuration changes report: rows and the report's queries. Changes are written with
//! their parameter rows by [`crate::records::insert_config_changes`]; build them with
//! [`new_change`].

use chrono::{DateTime, NaiveDateTime, Utc};
use confreports_types::{
    ActorType, ConfigChange, ConfigChangeSort, Cursor, EventType, ParameterChange, Sort, SortKind, SortValue,
};
use diesel::prelude::*;
use serde::Serialize;

use crate::records::NewConfigChange;
use crate::report::{
    CommonFilter, Report, cursor_int, cursor_text, cursor_time, from_db_time, search_text, to_db_time,
};
use crate::schema::{config_change_params, config_changes};
use crate::{DbConnection, any_of, common_predicate, keyset};

/// A stored configuration change.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = config_changes)]
pub struct ConfigChangeRow {
    pub id: i64,
    pub time: NaiveDateTime,
    pub actor: String,
    pub actor_type: String,
    pub object_type: String,
    pub object: String,
    pub changes: String,
}

/// A parameter as stored: values may be any JSON the conferencing server sent.
#[derive(serde::Deserialize)]
struct StoredParameter {
    parameter: String,
    #[serde(default)]
    before: serde_json::Value,
    #[serde(default)]
    after: serde_json::Value,
}

/// Strings as they are, `null` as absent, other JSON values as their JSON text.
fn value_text(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

impl From<ConfigChangeRow> for ConfigChange {
    fn from(r: ConfigChangeRow) -> Self {
        // Rows are written from typed changes; an unreadable one shows no parameters rather
        // than failing the whole page.
        let stored: Vec<StoredParameter> = serde_json::from_str(&r.changes).unwrap_or_default();
        ConfigChange {
            id: r.id,
            time: from_db_time(r.time),
            actor: r.actor,
            actor_type: ActorType::parse(&r.actor_type).unwrap_or(ActorType::Admin),
            object: r.object,
            object_type: r.object_type,
            changes: stored
                .into_iter()
                .map(|p| ParameterChange {
                    parameter: p.parameter,
                    before: value_text(p.before),
                    after: value_text(p.after),
                })
                .collect(),
        }
    }
}

/// A change to store, with its JSON `changes` and folded `search` text (actor, object type,
/// object, parameters and their values), and the parameter names for the `parameter` filter.
pub fn new_change(
    source_id: Option<String>,
    time: DateTime<Utc>,
    actor: &str,
    actor_type: ActorType,
    object_type: &str,
    object: &str,
    changes: &[ParameterChange],
) -> (NewConfigChange, Vec<String>) {
    let mut names: Vec<String> = changes.iter().map(|c| c.parameter.clone()).collect();
    names.sort();
    names.dedup();
    let values: Vec<&str> = changes.iter().flat_map(|c| [c.before.as_deref(), c.after.as_deref()]).flatten().collect();
    let names_text = names.join(" ");
    let values_text = values.join(" ");
    let search = search_text([
        Some(actor),
        Some(object_type),
        Some(object),
        Some(names_text.as_str()),
        Some(values_text.as_str()),
    ]);
    let change = NewConfigChange {
        source_id,
        time: to_db_time(time),
        actor: actor.to_owned(),
        actor_type: actor_type.as_str().to_owned(),
        object_type: object_type.to_owned(),
        object: object.to_owned(),
        changes: serde_json::to_string(changes).unwrap_or_else(|_| "[]".into()),
        search,
    };
    (change, names)
}

pub fn get(conn: &mut DbConnection, id: i64) -> QueryResult<ConfigChange> {
    config_changes::table.find(id).select(ConfigChangeRow::as_select()).first(conn).map(ConfigChange::from)
}

/// What the Configuration changes report selects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConfigChangeFilter {
    #[serde(flatten)]
    pub common: CommonFilter,
    #[serde(rename = "actor", skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<String>,
    #[serde(rename = "object", skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    #[serde(rename = "parameter", skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
}

type Predicate = crate::report::Predicate<config_changes::table>;

/// The WHERE clause of the selection; list, count, export and delete all use this one.
fn predicate(filter: &ConfigChangeFilter) -> Predicate {
    let mut p = common_predicate!(config_changes::time, config_changes::search, &filter.common);
    if !filter.actors.is_empty() {
        p = Box::new(p.and(any_of!(config_changes::actor, filter.actors.clone())));
    }
    if !filter.objects.is_empty() {
        p = Box::new(p.and(any_of!(config_changes::object, filter.objects.clone())));
    }
    if !filter.parameters.is_empty() {
        let touched = diesel::dsl::exists(
            config_change_params::table
                .filter(config_change_params::change_id.eq(config_changes::id))
                .filter(config_change_params::parameter.eq_any(filter.parameters.clone()))
                .select(config_change_params::change_id),
        );
        p = Box::new(p.and(touched));
    }
    p
}

pub struct ConfigChangesReport;

impl Report for ConfigChangesReport {
    const NAME: &'static str = "config-changes";
    const DELETE_EVENT: EventType = EventType::DeleteLogs;
    const ID_KIND: SortKind = SortKind::Int;
    type Filter = ConfigChangeFilter;
    type Sort = ConfigChangeSort;
    type Item = ConfigChange;

    fn list(
        conn: &mut DbConnection,
        filter: &ConfigChangeFilter,
        sort: Sort<ConfigChangeSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<ConfigChange>> {
        let q = config_changes::table
            .filter(predicate(filter))
            .into_boxed()
            .select(ConfigChangeRow::as_select())
            .limit(limit);
        let after_id = after.map(|c| cursor_int(&c.id)).transpose()?;
        let dir = sort.direction;
        let q = match sort.field {
            ConfigChangeSort::Time => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, config_changes::time, config_changes::id, dir, after)
            }
            ConfigChangeSort::Actor => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, config_changes::actor, config_changes::id, dir, after)
            }
            ConfigChangeSort::Object => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, config_changes::object, config_changes::id, dir, after)
            }
        };
        Ok(q.load::<ConfigChangeRow>(conn)?.into_iter().map(ConfigChange::from).collect())
    }

    fn count(conn: &mut DbConnection, filter: &ConfigChangeFilter) -> QueryResult<i64> {
        config_changes::table.filter(predicate(filter)).count().get_result(conn)
    }

    fn delete(conn: &mut DbConnection, filter: &ConfigChangeFilter) -> QueryResult<usize> {
        // Parameter rows go with their change (ON DELETE CASCADE).
        diesel::delete(config_changes::table.filter(predicate(filter))).execute(conn)
    }

    fn cursor_after(c: &ConfigChange, sort: Sort<ConfigChangeSort>) -> Cursor {
        let key = match sort.field {
            ConfigChangeSort::Time => SortValue::Time(c.time),
            ConfigChangeSort::Actor => SortValue::Text(c.actor.clone()),
            ConfigChangeSort::Object => SortValue::Text(c.object.clone()),
        };
        Cursor { sort: sort.to_string(), key, id: SortValue::Int(c.id) }
    }
}

//! The Chat messages report: rows and the report's queries. Messages are written through
//! [`crate::records::NewChatMessage`] (build one with [`new_message`] to get `search` right).

use chrono::{DateTime, NaiveDateTime, Utc};
use confreports_types::{ChatMessage, ChatSort, Cursor, EventType, Sort, SortKind, SortValue};
use diesel::prelude::*;
use serde::Serialize;

use crate::records::NewChatMessage;
use crate::report::{
    CommonFilter, Report, cursor_int, cursor_text, cursor_time, from_db_time, search_text, to_db_time,
};
use crate::schema::chat_messages;
use crate::{DbConnection, any_of, common_predicate, keyset};

/// A stored chat message.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = chat_messages)]
pub struct ChatMessageRow {
    pub id: i64,
    pub time: NaiveDateTime,
    pub sender: String,
    pub sender_name: Option<String>,
    pub recipient: String,
    pub session_id: String,
    pub text: String,
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

impl From<ChatMessageRow> for ChatMessage {
    fn from(r: ChatMessageRow) -> Self {
        ChatMessage {
            id: r.id,
            time: from_db_time(r.time),
            sender: r.sender,
            sender_name: r.sender_name,
            recipient: non_empty(r.recipient),
            session_id: non_empty(r.session_id),
            text: r.text,
        }
    }
}

/// A message to store, with its folded `search` text (sender, name, recipient, text).
/// A personal message has a `recipient` and no `session`; a group message the reverse.
pub fn new_message(
    source_id: Option<String>,
    time: DateTime<Utc>,
    sender: &str,
    sender_name: Option<&str>,
    recipient: Option<&str>,
    session: Option<&str>,
    text: &str,
) -> NewChatMessage {
    NewChatMessage {
        source_id,
        time: to_db_time(time),
        sender: sender.to_owned(),
        sender_name: sender_name.map(str::to_owned),
        recipient: recipient.unwrap_or("").to_owned(),
        session_id: session.unwrap_or("").to_owned(),
        text: text.to_owned(),
        search: search_text([Some(sender), sender_name, recipient, Some(text)]),
    }
}

pub fn get(conn: &mut DbConnection, id: i64) -> QueryResult<ChatMessage> {
    chat_messages::table.find(id).select(ChatMessageRow::as_select()).first(conn).map(ChatMessage::from)
}

/// What the Chat messages report selects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChatFilter {
    #[serde(flatten)]
    pub common: CommonFilter,
    #[serde(rename = "sender", skip_serializing_if = "Vec::is_empty")]
    pub senders: Vec<String>,
    #[serde(rename = "recipient", skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    #[serde(rename = "session", skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<String>,
    /// Sent or received by any of these users.
    #[serde(rename = "user", skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

type Predicate = crate::report::Predicate<chat_messages::table>;

/// The WHERE clause of the selection; list, count, export and delete all use this one.
fn predicate(filter: &ChatFilter) -> Predicate {
    let mut p = common_predicate!(chat_messages::time, chat_messages::search, &filter.common);
    if !filter.senders.is_empty() {
        p = Box::new(p.and(any_of!(chat_messages::sender, filter.senders.clone())));
    }
    if !filter.recipients.is_empty() {
        p = Box::new(p.and(any_of!(chat_messages::recipient, filter.recipients.clone())));
    }
    if !filter.sessions.is_empty() {
        p = Box::new(p.and(any_of!(chat_messages::session_id, filter.sessions.clone())));
    }
    if !filter.users.is_empty() {
        let sent: Predicate = any_of!(chat_messages::sender, filter.users.clone());
        let received: Predicate = any_of!(chat_messages::recipient, filter.users.clone());
        p = Box::new(p.and(sent.or(received)));
    }
    p
}

pub struct ChatReport;

impl Report for ChatReport {
    const NAME: &'static str = "chat-messages";
    const DELETE_EVENT: EventType = EventType::DeleteChatMessages;
    const ID_KIND: SortKind = SortKind::Int;
    type Filter = ChatFilter;
    type Sort = ChatSort;
    type Item = ChatMessage;

    fn list(
        conn: &mut DbConnection,
        filter: &ChatFilter,
        sort: Sort<ChatSort>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> QueryResult<Vec<ChatMessage>> {
        let q = chat_messages::table
            .filter(predicate(filter))
            .into_boxed()
            .select(ChatMessageRow::as_select())
            .limit(limit);
        let after_id = after.map(|c| cursor_int(&c.id)).transpose()?;
        let dir = sort.direction;
        let q = match sort.field {
            ChatSort::Time => {
                let after = after.map(|c| cursor_time(&c.key)).transpose()?.zip(after_id);
                keyset!(q, chat_messages::time, chat_messages::id, dir, after)
            }
            ChatSort::Sender => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, chat_messages::sender, chat_messages::id, dir, after)
            }
            ChatSort::Recipient => {
                let after = after.map(|c| cursor_text(&c.key)).transpose()?.zip(after_id);
                keyset!(q, chat_messages::recipient, chat_messages::id, dir, after)
            }
        };
        Ok(q.load::<ChatMessageRow>(conn)?.into_iter().map(ChatMessage::from).collect())
    }

    fn count(conn: &mut DbConnection, filter: &ChatFilter) -> QueryResult<i64> {
        chat_messages::table.filter(predicate(filter)).count().get_result(conn)
    }

    fn delete(conn: &mut DbConnection, filter: &ChatFilter) -> QueryResult<usize> {
        diesel::delete(chat_messages::table.filter(predicate(filter))).execute(conn)
    }

    fn cursor_after(m: &ChatMessage, sort: Sort<ChatSort>) -> Cursor {
        let key = match sort.field {
            ChatSort::Time => SortValue::Time(m.time),
            ChatSort::Sender => SortValue::Text(m.sender.clone()),
            ChatSort::Recipient => SortValue::Text(m.recipient.clone().unwrap_or_default()),
        };
        Cursor { sort: sort.to_string(), key, id: SortValue::Int(m.id) }
    }
}

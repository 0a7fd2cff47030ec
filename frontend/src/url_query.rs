//! Page state kept in the URL query string, so that every view of a report can be bookmarked,
//! shared and restored by reload or the back button.

use confreports_types::{EventFilterParams, EventType, PageParams, RangeParams};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

use crate::api::QueryString;

/// Everything the Events page shows, as read from and written to its URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventsQuery {
    pub filter: EventFilterParams,
    pub range: RangeParams,
    pub page: PageParams,
}

impl EventsQuery {
    /// The sort the server applies when the URL names none.
    pub const DEFAULT_SORT: &'static str = "-time";

    /// Reads a query string (with or without its `?`) leniently: a value the app does not know
    /// (a stale bookmark, a removed event type) is dropped rather than breaking the page; the
    /// server validates the rest.
    pub fn parse(search: &str) -> Self {
        // Decoded here in one pass, as a form would be (the router's own map decodes twice).
        let pairs: Vec<(String, String)> =
            serde_html_form::from_str(search.trim_start_matches('?')).unwrap_or_default();
        let all =
            |name: &str| -> Vec<String> { pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect() };
        let last = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let text = |name: &str| last(name).filter(|v| !v.trim().is_empty()).map(str::to_owned);
        EventsQuery {
            filter: EventFilterParams {
                event_type: all("type").iter().filter_map(|t| EventType::parse(t)).collect(),
                user: all("user"),
                ip: all("ip"),
                endpoint: all("endpoint"),
                success: last("success").and_then(|s| s.parse().ok()),
            },
            range: RangeParams { from: text("from"), to: text("to"), tz: text("tz"), q: text("q") },
            page: PageParams {
                sort: text("sort"),
                limit: last("limit").and_then(|l| l.parse().ok()),
                cursor: text("cursor"),
            },
        }
    }

    pub fn to_query_string(&self) -> String {
        QueryString::default().push(&self.filter).push(&self.range).push(&self.page).finish()
    }

    pub fn sort(&self) -> &str {
        self.page.sort.as_deref().unwrap_or(Self::DEFAULT_SORT)
    }

    /// Whether any filter narrows the list (sort and paging do not count).
    pub fn is_filtered(&self) -> bool {
        !self.filter.is_empty() || !self.range.is_empty()
    }

    /// The same view with other filters: back to the first page, same sort.
    pub fn refiltered(&self, change: impl FnOnce(&mut EventFilterParams, &mut RangeParams)) -> Self {
        let mut next = self.clone();
        change(&mut next.filter, &mut next.range);
        next.page.cursor = None;
        next
    }

    /// The same filters without any of them, keeping the sort.
    pub fn cleared(&self) -> Self {
        EventsQuery { page: PageParams { cursor: None, ..self.page.clone() }, ..Default::default() }
    }

    /// The other direction of the time sort, from the first page (a cursor belongs to one sort).
    pub fn with_time_sort_toggled(&self) -> Self {
        let mut next = self.clone();
        next.page.sort = (self.sort() == Self::DEFAULT_SORT).then(|| "time".to_owned());
        next.page.cursor = None;
        next
    }

    pub fn at_cursor(&self, cursor: Option<String>) -> Self {
        let mut next = self.clone();
        next.page.cursor = cursor;
        next
    }
}

/// The page's query as a reactive value, and a way to move to another one (a new history entry,
/// so Back returns to the previous filter or page).
pub fn use_events_query() -> (Memo<EventsQuery>, Callback<EventsQuery>) {
    let location = use_location();
    let query = Memo::new(move |_| location.search.with(|search| EventsQuery::parse(search)));
    let navigate = use_navigate();
    let go = Callback::new(move |next: EventsQuery| {
        let path = location.pathname.get_untracked();
        let qs = next.to_query_string();
        let url = if qs.is_empty() { path } else { format!("{path}?{qs}") };
        navigate(&url, NavigateOptions::default());
    });
    (query, go)
}

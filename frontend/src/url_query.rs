//! Page state kept in the URL query string, so that every view of a report can be bookmarked,
//! shared and restored by reload or the back button: its filters, sort, page (the cursor, and
//! the cursors of the pages before it, for "Previous page") and selected row.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

/// Parameters of the URL that are not filters of the report.
const VIEW_KEYS: &[&str] = &["sort", "limit", "cursor", "back", "selected", "t"];

/// Everything a report page shows, as read from and written to its URL. The filters are kept as
/// the URL names them and handed to the API as they are: the server validates them, and one
/// page component serves every report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportQuery {
    /// Filter parameters in URL order, repeated for a multi-value filter (`type=login&type=logout`).
    pub filters: Vec<(String, String)>,
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// The cursors of the pages before this one, oldest first; `""` stands for the first page.
    pub back: Vec<String>,
    pub selected: Option<String>,
}

impl ReportQuery {
    /// Reads a query string (with or without its `?`) leniently: empty values are dropped.
    pub fn parse(search: &str) -> Self {
        // Decoded here in one pass, as a form would be (the router's own map decodes twice).
        let pairs: Vec<(String, String)> =
            serde_html_form::from_str(search.trim_start_matches('?')).unwrap_or_default();
        let last =
            |name: &str| pairs.iter().rev().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.clone());
        ReportQuery {
            filters: pairs
                .iter()
                .filter(|(k, v)| !VIEW_KEYS.contains(&k.as_str()) && !v.trim().is_empty())
                .cloned()
                .collect(),
            sort: last("sort"),
            limit: last("limit").and_then(|l| l.parse().ok()),
            cursor: last("cursor"),
            back: pairs.iter().filter(|(k, _)| k == "back").map(|(_, v)| v.clone()).collect(),
            selected: last("selected"),
        }
    }

    /// The whole view as a query string (no `?`).
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = self.filters.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let limit = self.limit.map(|l| l.to_string());
        for (key, value) in
            [("sort", &self.sort), ("limit", &limit), ("cursor", &self.cursor), ("selected", &self.selected)]
        {
            if let Some(value) = value {
                pairs.push((key, value));
            }
        }
        pairs.extend(self.back.iter().map(|c| ("back", c.as_str())));
        serde_html_form::to_string(&pairs).unwrap_or_default()
    }

    /// The filters alone, as the API's list, count, export and delete take them.
    pub fn filter_query(&self) -> String {
        serde_html_form::to_string(&self.filters).unwrap_or_default()
    }

    /// What the list endpoint is asked: filters, sort, limit and cursor.
    pub fn list_query(&self, default_limit: u32) -> String {
        let mut pairs = self.filters.clone();
        if let Some(sort) = &self.sort {
            pairs.push(("sort".into(), sort.clone()));
        }
        pairs.push(("limit".into(), self.limit.unwrap_or(default_limit).to_string()));
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor".into(), cursor.clone()));
        }
        serde_html_form::to_string(&pairs).unwrap_or_default()
    }

    /// What an export is asked: the filters and the sort in force.
    pub fn export_query(&self) -> String {
        let mut pairs = self.filters.clone();
        if let Some(sort) = &self.sort {
            pairs.push(("sort".into(), sort.clone()));
        }
        serde_html_form::to_string(&pairs).unwrap_or_default()
    }

    /// Every value of one filter.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.filters.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// The value of a single-valued filter.
    pub fn get(&self, name: &str) -> Option<String> {
        self.filters.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// Whether any filter narrows the list (sort, paging and selection do not count).
    pub fn is_filtered(&self) -> bool {
        !self.filters.is_empty()
    }

    pub fn at_first_page(&self) -> bool {
        self.cursor.is_none()
    }

    /// The same view with `name` set to `values` (none: the filter removed), from the first page.
    pub fn with_filter(&self, name: &str, values: Vec<String>) -> Self {
        let mut next = self.clone();
        next.filters.retain(|(k, _)| k != name);
        next.filters.extend(values.into_iter().filter(|v| !v.trim().is_empty()).map(|v| (name.to_owned(), v)));
        next.first_page()
    }

    /// The same view with several single-valued filters set at once (`None` removes one).
    pub fn with_filters(&self, changes: &[(&str, Option<String>)]) -> Self {
        let mut next = self.clone();
        for (name, value) in changes {
            next = next.with_filter(name, value.iter().cloned().collect());
        }
        next.first_page()
    }

    /// The same sort without any filter.
    pub fn cleared(&self) -> Self {
        ReportQuery { sort: self.sort.clone(), limit: self.limit, ..Default::default() }
    }

    /// Sorted by `field`: descending first for a new column, then the other way at each click;
    /// back to the first page, as a cursor belongs to one sort.
    pub fn sorted_by(&self, field: &str, default_sort: &str) -> Self {
        let current = self.sort.as_deref().unwrap_or(default_sort);
        // Descending is the first click's order: the newest, the longest, the largest first.
        let next_sort = if current == format!("-{field}") { field.to_owned() } else { format!("-{field}") };
        let mut next = self.first_page();
        next.sort = (next_sort != default_sort).then_some(next_sort);
        next
    }

    /// The page after this one (`cursor` is the `next_cursor` of the page shown).
    pub fn next_page(&self, cursor: String) -> Self {
        let mut next = self.clone();
        next.back.push(self.cursor.clone().unwrap_or_default());
        next.cursor = Some(cursor);
        next.selected = None;
        next
    }

    /// The page before this one.
    pub fn previous_page(&self) -> Self {
        let mut next = self.clone();
        next.cursor = next.back.pop().filter(|c| !c.is_empty());
        next.selected = None;
        next
    }

    pub fn first_page(&self) -> Self {
        ReportQuery { cursor: None, back: Vec::new(), selected: None, ..self.clone() }
    }

    pub fn with_selected(&self, selected: Option<String>) -> Self {
        ReportQuery { selected, ..self.clone() }
    }
}

/// The page's query as a reactive value, and a way to move to another one (a new history entry,
/// so Back returns to the previous filter or page).
pub fn use_report_query() -> (Memo<ReportQuery>, Callback<ReportQuery>) {
    let location = use_location();
    let query = Memo::new(move |_| location.search.with(|search| ReportQuery::parse(search)));
    let navigate = use_navigate();
    let go = Callback::new(move |next: ReportQuery| {
        let path = location.pathname.get_untracked();
        let qs = next.to_query_string();
        let url = if qs.is_empty() { path } else { format!("{path}?{qs}") };
        navigate(&url, NavigateOptions::default());
    });
    (query, go)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_filters_sort_cursor_stack_and_selection() {
        let q = ReportQuery::parse("?type=login&type=logout&q=&sort=time&cursor=abc&back=&back=xyz&selected=7");
        assert_eq!(q.all("type"), ["login", "logout"]);
        assert_eq!(q.get("q"), None);
        assert_eq!(q.back, ["", "xyz"]);
        assert_eq!(ReportQuery::parse(&q.to_query_string()), q);
        assert_eq!(q.filter_query(), "type=login&type=logout");
    }

    #[test]
    fn pages_forward_and_back_through_the_cursor_stack() {
        let first = ReportQuery::parse("type=login");
        let second = first.next_page("c1".into());
        let third = second.next_page("c2".into());
        assert_eq!(third.back, ["", "c1"]);
        assert_eq!(third.previous_page(), second);
        assert_eq!(second.previous_page(), first);
    }

    #[test]
    fn sorting_toggles_and_drops_the_default() {
        let q = ReportQuery::default();
        let asc = q.sorted_by("time", "-time");
        assert_eq!(asc.sort.as_deref(), Some("time"));
        assert_eq!(asc.sorted_by("time", "-time").sort, None);
        assert_eq!(q.sorted_by("ip", "-time").sort.as_deref(), Some("-ip"));
    }
}

//! The date range of a report (`from`/`to` as dates, read by the server in the administrator's
//! time zone) with presets: today, the last 7 days, this month.

use chrono::{Datelike, Days, NaiveDate};
use leptos::prelude::*;

use crate::auth::use_auth;
use crate::time_format::today_in;
use crate::url_query::ReportQuery;

#[component]
pub fn DateRange(query: Memo<ReportQuery>, go: Callback<ReportQuery>) -> impl IntoView {
    let preferences = use_auth().preferences;
    // A date input shows a date only; a `from`/`to` with a time (from a link) shows empty.
    let date_of = move |name: &'static str| {
        move || {
            query.with(|q| q.get(name).filter(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()).unwrap_or_default())
        }
    };
    let set = move |name: &'static str, value: String| {
        go.run(query.get_untracked().with_filter(name, vec![value]));
    };
    let preset = move |range: fn(NaiveDate) -> (NaiveDate, NaiveDate)| {
        let today = preferences.with_untracked(|p| today_in(&p.time_zone));
        let (from, to) = range(today);
        go.run(query.get_untracked().with_filters(&[
            ("from", Some(from.format("%Y-%m-%d").to_string())),
            ("to", Some(to.format("%Y-%m-%d").to_string())),
        ]));
    };
    let has_range = move || query.with(|q| q.get("from").is_some() || q.get("to").is_some());

    view! {
        <div class="date-range" role="group" aria-label="Date range">
            <label class="inline-field">
                <span>"From"</span>
                <input
                    type="date"
                    data-testid="filter-from"
                    prop:value=date_of("from")
                    on:change=move |ev| set("from", event_target_value(&ev))
                />
            </label>
            <label class="inline-field">
                <span>"To"</span>
                <input
                    type="date"
                    data-testid="filter-to"
                    prop:value=date_of("to")
                    on:change=move |ev| set("to", event_target_value(&ev))
                />
            </label>
            <div class="presets">
                <button type="button" data-testid="range-today" on:click=move |_| preset(|d| (d, d))>
                    "Today"
                </button>
                <button
                    type="button"
                    data-testid="range-7-days"
                    on:click=move |_| preset(|d| (d.checked_sub_days(Days::new(6)).unwrap_or(d), d))
                >
                    "Last 7 days"
                </button>
                <button
                    type="button"
                    data-testid="range-month"
                    on:click=move |_| preset(|d| (d.with_day(1).unwrap_or(d), d))
                >
                    "This month"
                </button>
                <button
                    type="button"
                    class="link-button"
                    data-testid="range-clear"
                    hidden=move || !has_range()
                    on:click=move |_| go.run(query.get_untracked().with_filters(&[("from", None), ("to", None)]))
                >
                    "any time"
                </button>
            </div>
        </div>
    }
}

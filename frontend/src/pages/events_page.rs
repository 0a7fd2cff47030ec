//! The Events report: sign-ins, status changes, server state, app actions, deletions.
//! Its filters, sort and page live in the URL (see `url_query`).

use confreports_types::PageParams;
use leptos::prelude::*;

use crate::api;
use crate::auth::use_auth;
use crate::components::event_type_filter::EventTypeFilter;
use crate::components::events_table::EventsTable;
use crate::components::pager::Pager;
use crate::components::report_states::{EmptyNotice, ErrorNotice, LoadingNotice};
use crate::components::search_box::SearchBox;
use crate::url_query::use_events_query;

#[component]
pub fn EventsPage() -> impl IntoView {
    let (query, go) = use_events_query();
    let preferences = use_auth().preferences;
    let time_zone = Memo::new(move |_| preferences.with(|p| p.time_zone.clone()));

    let events = LocalResource::new(move || {
        let q = query.get();
        // The server reads dates without a `tz` in the administrator's time zone: when that
        // changes, so may the rows.
        time_zone.track();
        let page = PageParams { limit: q.page.limit.or(Some(PageParams::DEFAULT_LIMIT)), ..q.page };
        api::list_events(&q.filter, &q.range, &page)
    });
    let (pending, set_pending) = signal(false);

    let selected_types = Signal::derive(move || query.with(|q| q.filter.event_type.clone()));
    let search = Signal::derive(move || query.with(|q| q.range.q.clone().unwrap_or_default()));
    let sort = Signal::derive(move || query.with(|q| q.sort().to_owned()));

    let set_types = Callback::new(move |types| {
        go.run(query.get_untracked().refiltered(|filter, _| filter.event_type = types));
    });
    let set_search = Callback::new(move |text: String| {
        go.run(query.get_untracked().refiltered(|_, range| range.q = Some(text).filter(|t| !t.is_empty())));
    });
    let clear_filters = Callback::new(move |()| go.run(query.get_untracked().cleared()));
    let toggle_time_sort = Callback::new(move |()| go.run(query.get_untracked().with_time_sort_toggled()));
    let next_page = Callback::new(move |cursor| go.run(query.get_untracked().at_cursor(Some(cursor))));
    let first_page = Callback::new(move |()| go.run(query.get_untracked().at_cursor(None)));
    let retry = Callback::new(move |()| events.refetch());

    let results = move || {
        Suspend::new(async move {
            events.await.map(|page| {
                let (filtered, at_first) = query.with_untracked(|q| (q.is_filtered(), q.page.cursor.is_none()));
                let pager = view! {
                    <Pager
                        next_cursor=page.next_cursor
                        at_first
                        on_next=next_page
                        on_first=first_page
                    />
                };
                if page.items.is_empty() {
                    view! {
                        <EmptyNotice filtered on_clear=clear_filters />
                        {(!at_first).then_some(pager)}
                    }
                    .into_any()
                } else {
                    view! {
                        <EventsTable events=page.items sort on_toggle_time_sort=toggle_time_sort />
                        {pager}
                    }
                    .into_any()
                }
            })
        })
    };

    view! {
        <section class="report" class:pending=pending aria-busy=move || pending.get().to_string()>
            <header class="report-header">
                <h1>"Events"</h1>
                <span
                    class="pending-mark"
                    role="status"
                    data-testid="report-pending"
                    hidden=move || !pending.get()
                >
                    "Loading…"
                </span>
            </header>
            <div class="filters">
                <SearchBox
                    value=search
                    on_search=set_search
                    placeholder="Search user, name, IP, description…"
                />
                <EventTypeFilter selected=selected_types on_change=set_types />
            </div>
            <Transition fallback=LoadingNotice set_pending>
                <ErrorBoundary fallback=move |errors| {
                    view! { <ErrorNotice errors on_retry=retry /> }
                }>
                    {results}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

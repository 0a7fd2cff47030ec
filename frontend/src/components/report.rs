//! The one report page every report is: its filters, the count of what they select, the table
//! with sortable headers and keyset paging, the details panel of the selected row, export and
//! delete by filter. A report is described by a [`ReportSpec`]; everything the page shows lives
//! in its URL (see `url_query`).

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;

use crate::api::{self, ApiError};
use crate::auth::use_auth;
use crate::components::date_range::DateRange;
use crate::components::report_states::{EmptyNotice, ErrorNotice, SkeletonTable};
use crate::components::search_box::SearchBox;
use crate::url_query::{ReportQuery, use_report_query};

/// One column of a report table.
pub struct Column<T: 'static> {
    pub header: &'static str,
    /// The API's sort field behind the column, if it sorts.
    pub sort: Option<&'static str>,
    /// Names the cells (`data-testid="cell-<key>"`).
    pub key: &'static str,
    pub class: &'static str,
    pub cell: fn(&T) -> AnyView,
}

/// A filter of a report besides the date range and the text search.
pub enum Filter {
    /// Several values of one parameter, as checkable chips (none checked: any).
    Chips { param: &'static str, label: &'static str, options: fn() -> Vec<(&'static str, &'static str)> },
    /// One free-text value.
    Text { param: &'static str, label: &'static str, placeholder: &'static str },
    /// One value out of a few.
    Choice { param: &'static str, label: &'static str, options: &'static [(&'static str, &'static str)] },
}

/// What makes one report: its API path, columns, filters and details panel.
pub struct ReportSpec<T: 'static> {
    pub title: &'static str,
    /// The API path of the report (`events`, `chat-messages`, ...).
    pub api: &'static str,
    /// What its entries are called, plural (`events`).
    pub noun: &'static str,
    pub default_sort: &'static str,
    pub search_placeholder: &'static str,
    /// Whether the report has a date range (`from`/`to`).
    pub date_range: bool,
    pub filters: &'static [Filter],
    pub columns: &'static [Column<T>],
    pub row_id: fn(&T) -> String,
    /// Rows drawn as failures (an unsuccessful event).
    pub row_failed: fn(&T) -> bool,
    /// The body of the details panel of one entry.
    pub details: fn(T) -> AnyView,
    /// Extra actions of the details panel (play a recording...), given the entry.
    pub actions: Option<fn(&T) -> AnyView>,
}

#[component]
pub fn ReportPage<T>(spec: &'static ReportSpec<T>) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let (query, go) = use_report_query();
    let auth = use_auth();
    let preferences = auth.preferences;
    let time_zone = Memo::new(move |_| preferences.with(|p| p.time_zone.clone()));
    let can_delete = auth.is_sysadmin();
    // Bumped after a delete, so the list and the count are read again.
    let refresh = RwSignal::new(0u32);

    let list_query = Memo::new(move |_| query.with(|q| q.list_query(confreports_types::PageParams::DEFAULT_LIMIT)));
    let filter_query = Memo::new(move |_| query.with(ReportQuery::filter_query));
    let rows = LocalResource::new(move || {
        // The server reads dates without a `tz` in the administrator's time zone: when that
        // changes, so may the rows.
        time_zone.track();
        refresh.track();
        api::list_report::<T>(spec.api, &list_query.get())
    });
    let count = LocalResource::new(move || {
        time_zone.track();
        refresh.track();
        api::count_report(spec.api, &filter_query.get())
    });
    let (pending, set_pending) = signal(false);

    let search = Signal::derive(move || query.with(|q| q.get("q").unwrap_or_default()));
    let set_search = Callback::new(move |text: String| {
        go.run(query.get_untracked().with_filter("q", vec![text]));
    });
    let clear_filters = Callback::new(move |()| go.run(query.get_untracked().cleared()));
    let retry = Callback::new(move |()| refresh.update(|n| *n += 1));
    let selected = Memo::new(move |_| query.with(|q| q.selected.clone()));
    let select = Callback::new(move |id: Option<String>| go.run(query.get_untracked().with_selected(id)));

    let results = move || {
        Suspend::new(async move {
            rows.await.map(|page| {
                let (filtered, at_first) = query.with_untracked(|q| (q.is_filtered(), q.at_first_page()));
                let pager = view! { <Pager next_cursor=page.next_cursor query go /> };
                if page.items.is_empty() {
                    view! {
                        <EmptyNotice noun=spec.noun filtered on_clear=clear_filters />
                        {(!at_first).then_some(pager)}
                    }
                    .into_any()
                } else {
                    view! {
                        <ReportTable spec items=page.items query go selected select />
                        {pager}
                    }
                    .into_any()
                }
            })
        })
    };

    let count_text = move || {
        count.get().map(|c| match c {
            Ok(c) => format!("{} {}", c.count, spec.noun),
            Err(_) => String::new(),
        })
    };
    let export_href =
        move || format!("{}?{}", api::url(&format!("{}/export", spec.api)), query.with(ReportQuery::export_query));
    let delete_open = RwSignal::new(false);

    view! {
        <section class="report" class:pending=pending aria-busy=move || pending.get().to_string()>
            <header class="report-header">
                <h1>{spec.title}</h1>
                <span class="report-count muted" data-testid="report-count">{count_text}</span>
                <span
                    class="pending-mark"
                    role="status"
                    data-testid="report-pending"
                    hidden=move || !pending.get()
                >
                    "Loading…"
                </span>
                <div class="report-actions">
                    <a
                        class="button"
                        href=export_href
                        download=""
                        data-testid="export"
                        title="Download the entries the filters select as CSV (format from your preferences)"
                    >
                        "Export CSV"
                    </a>
                    {can_delete
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="danger"
                                    data-testid="delete-open"
                                    on:click=move |_| delete_open.set(true)
                                >
                                    "Delete…"
                                </button>
                                <DeleteDialog spec_api=spec.api noun=spec.noun query open=delete_open refresh />
                            }
                        })}
                </div>
            </header>
            <div class="filters">
                <div class="filter-line">
                    <SearchBox value=search on_search=set_search placeholder=spec.search_placeholder />
                    {spec.date_range.then(|| view! { <DateRange query go /> })}
                </div>
                {spec.filters.iter().map(|filter| view! { <FilterControl filter query go /> }).collect_view()}
            </div>
            <div class="report-body" class:with-panel=move || selected.with(Option::is_some)>
                <div class="report-main">
                    <Transition fallback=move || view! { <SkeletonTable columns=spec.columns.len() /> } set_pending>
                        <ErrorBoundary fallback=move |errors| {
                            view! { <ErrorNotice errors on_retry=retry on_clear=clear_filters /> }
                        }>{results}</ErrorBoundary>
                    </Transition>
                </div>
                {move || selected.get().map(|id| view! { <DetailsPanel spec id on_close=select /> })}
            </div>
        </section>
    }
}

#[component]
fn ReportTable<T>(
    spec: &'static ReportSpec<T>,
    items: Vec<T>,
    query: Memo<ReportQuery>,
    go: Callback<ReportQuery>,
    selected: Memo<Option<String>>,
    select: Callback<Option<String>>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let preferences = use_auth().preferences;
    let headers = spec
        .columns
        .iter()
        .map(|column| match column.sort {
            None => view! { <th scope="col">{column.header}</th> }.into_any(),
            Some(field) => {
                let state = move || {
                    let sort = query.with(|q| q.sort.clone()).unwrap_or_else(|| spec.default_sort.to_owned());
                    if sort == field {
                        Some(("ascending", "▲"))
                    } else if sort.strip_prefix('-') == Some(field) {
                        Some(("descending", "▼"))
                    } else {
                        None
                    }
                };
                let is_time = column.key == "time" || column.class.contains("time");
                view! {
                    <th scope="col" aria-sort=move || state().map_or("none", |(aria, _)| aria)>
                        <button
                            type="button"
                            class="sort"
                            data-testid=format!("sort-{field}")
                            title=format!("Sort by {}", column.header.to_lowercase())
                            on:click=move |_| go.run(query.get_untracked().sorted_by(field, spec.default_sort))
                        >
                            {column.header}
                            {is_time
                                .then(|| {
                                    view! {
                                        <span class="tz-label" data-testid="time-zone-label">
                                            {move || preferences.with(|p| p.time_zone.clone())}
                                        </span>
                                    }
                                })}
                            <span class="sort-mark" aria-hidden="true">
                                {move || state().map_or("", |(_, mark)| mark)}
                            </span>
                        </button>
                    </th>
                }
                .into_any()
            }
        })
        .collect_view();

    let rows = items
        .into_iter()
        .map(|item| {
            let id = (spec.row_id)(&item);
            let is_selected = {
                let id = id.clone();
                Memo::new(move |_| selected.with(|s| s.as_deref() == Some(id.as_str())))
            };
            let choose = {
                let id = id.clone();
                move || select.run(if is_selected.get_untracked() { None } else { Some(id.clone()) })
            };
            let choose_by_key = choose.clone();
            let cells = spec
                .columns
                .iter()
                .map(|column| {
                    view! {
                        <td class=column.class data-testid=format!("cell-{}", column.key)>
                            {(column.cell)(&item)}
                        </td>
                    }
                })
                .collect_view();
            view! {
                <tr
                    data-testid="report-row"
                    data-id=id
                    tabindex="0"
                    class:failed=(spec.row_failed)(&item)
                    class:selected=is_selected
                    aria-selected=move || is_selected.get().to_string()
                    on:click=move |_| choose()
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            choose_by_key()
                        }
                    }
                >
                    {cells}
                </tr>
            }
        })
        .collect_view();

    view! {
        <div class="table-wrap">
            <table class="report-table" data-testid="report-table">
                <thead>
                    <tr>{headers}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Keyset paging: forward through `next_cursor`, back through the cursors kept in the URL.
#[component]
fn Pager(next_cursor: Option<String>, query: Memo<ReportQuery>, go: Callback<ReportQuery>) -> impl IntoView {
    let at_first = query.with_untracked(ReportQuery::at_first_page);
    let page_number = query.with_untracked(|q| q.back.len() + 1);
    let is_last = next_cursor.is_none();
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted" data-testid="page-number">{format!("Page {page_number}")}</span>
            <button
                type="button"
                data-testid="first-page"
                disabled=at_first
                on:click=move |_| go.run(query.get_untracked().first_page())
            >
                "First page"
            </button>
            <button
                type="button"
                data-testid="previous-page"
                disabled=at_first
                on:click=move |_| go.run(query.get_untracked().previous_page())
            >
                "‹ Previous"
            </button>
            <button
                type="button"
                data-testid="next-page"
                disabled=is_last
                on:click=move |_| {
                    if let Some(cursor) = next_cursor.clone() {
                        go.run(query.get_untracked().next_page(cursor));
                    }
                }
            >
                "Next ›"
            </button>
        </nav>
    }
}

#[component]
fn FilterControl(filter: &'static Filter, query: Memo<ReportQuery>, go: Callback<ReportQuery>) -> impl IntoView {
    match *filter {
        Filter::Chips { param, label, options } => {
            let selected = Memo::new(move |_| query.with(|q| q.all(param)));
            let toggle = move |value: &'static str, checked: bool| {
                let mut next = selected.get_untracked();
                next.retain(|v| v != value);
                if checked {
                    next.push(value.to_owned());
                    next.sort();
                }
                go.run(query.get_untracked().with_filter(param, next));
            };
            let summary = move || {
                selected.with(|s| match s.len() {
                    0 => "all".to_owned(),
                    n => format!("{n} selected"),
                })
            };
            view! {
                <fieldset class="type-filter" data-testid=format!("{param}-filter")>
                    <legend>
                        {label} " " <span class="muted" data-testid=format!("{param}-filter-summary")>
                            {summary}
                        </span>
                        <button
                            type="button"
                            class="link-button"
                            data-testid=format!("{param}-filter-clear")
                            hidden=move || selected.with(Vec::is_empty)
                            on:click=move |_| go.run(query.get_untracked().with_filter(param, Vec::new()))
                        >
                            "any"
                        </button>
                    </legend>
                    <div class="chips">
                        {options()
                            .into_iter()
                            .map(|(value, title)| {
                                view! {
                                    <label class="chip" title=title>
                                        <input
                                            type="checkbox"
                                            value=value
                                            data-testid=format!("{param}-option-{value}")
                                            prop:checked=move || selected.with(|s| s.iter().any(|v| v == value))
                                            on:change=move |ev| toggle(value, event_target_checked(&ev))
                                        />
                                        <span>{value}</span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                </fieldset>
            }
            .into_any()
        }
        Filter::Text { param, label, placeholder } => view! {
            <label class="inline-field">
                <span>{label}</span>
                <input
                    type="text"
                    name=param
                    placeholder=placeholder
                    autocomplete="off"
                    data-testid=format!("filter-{param}")
                    prop:value=move || query.with(|q| q.get(param).unwrap_or_default())
                    on:change=move |ev| {
                        let value = event_target_value(&ev).trim().to_owned();
                        go.run(query.get_untracked().with_filter(param, vec![value]));
                    }
                />
            </label>
        }
        .into_any(),
        Filter::Choice { param, label, options } => view! {
            <label class="inline-field">
                <span>{label}</span>
                <select
                    name=param
                    data-testid=format!("filter-{param}")
                    prop:value=move || query.with(|q| q.get(param).unwrap_or_default())
                    on:change=move |ev| {
                        go.run(query.get_untracked().with_filter(param, vec![event_target_value(&ev)]));
                    }
                >
                    // `selected` on the options too: the select's value may be set before
                    // its options exist.
                    {options
                        .iter()
                        .map(|&(value, text)| {
                            view! {
                                <option
                                    value=value
                                    selected=move || query.with(|q| q.get(param).unwrap_or_default() == value)
                                >
                                    {text}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        }
        .into_any(),
    }
}

/// The details panel of the selected entry, read by its id (so a deep link to `?selected=`
/// works whatever page it is on).
#[component]
fn DetailsPanel<T>(spec: &'static ReportSpec<T>, id: String, on_close: Callback<Option<String>>) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let path = format!("{}/{}", spec.api, api::segment(&id));
    let item = LocalResource::new(move || api::fetch::<T>(&path));
    let body = move || {
        Suspend::new(async move {
            item.await.map(|item| {
                let actions = spec.actions.map(|actions| actions(&item));
                view! {
                    {actions.map(|a| view! { <div class="panel-actions">{a}</div> })}
                    <dl class="details">{(spec.details)(item)}</dl>
                }
            })
        })
    };
    view! {
        <aside class="details-panel" aria-label="Details" data-testid="details-panel">
            <header>
                <h2>"Details"</h2>
                <button
                    type="button"
                    class="link-button"
                    data-testid="details-close"
                    aria-label="Close the details"
                    on:click=move |_| on_close.run(None)
                >
                    "Close"
                </button>
            </header>
            <Transition fallback=|| view! { <p class="muted" data-testid="details-loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <div class="notice error" role="alert" data-testid="details-error">
                            {move || {
                                errors.with(|e| e.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; "))
                            }}
                        </div>
                    }
                }>{body}</ErrorBoundary>
            </Transition>
        </aside>
    }
}

/// Delete by filter: shows how many entries the current filter selects, asks for that number
/// to be typed, deletes, and says how many went.
#[component]
fn DeleteDialog(
    spec_api: &'static str,
    noun: &'static str,
    query: Memo<ReportQuery>,
    open: RwSignal<bool>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let typed = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let (count, set_count) = signal(None::<Result<u64, ApiError>>);
    let (busy, set_busy) = signal(false);
    let (result, set_result) = signal(None::<Result<u64, ApiError>>);

    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if open.get() {
            typed.set(String::new());
            reason.set(String::new());
            set_count.set(None);
            set_result.set(None);
            let filters = query.get_untracked().filter_query();
            spawn_local(async move {
                let answer = api::count_report(spec_api, &filters).await.map(|c| c.count);
                set_count.set(Some(answer));
            });
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });

    let expected = move || count.with(|c| c.as_ref().and_then(|c| c.as_ref().ok()).map(u64::to_string));
    let confirmed = move || expected().is_some_and(|n| typed.with(|t| t.trim() == n));
    let filtered = move || query.with(ReportQuery::is_filtered);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirmed() || busy.get_untracked() {
            return;
        }
        let q = query.get_untracked();
        let mut pairs = q.filters.clone();
        if !q.is_filtered() {
            pairs.push(("all".into(), "true".into()));
        }
        let why = reason.get_untracked().trim().to_owned();
        if !why.is_empty() {
            pairs.push(("reason".into(), why));
        }
        let qs = serde_html_form::to_string(&pairs).unwrap_or_default();
        set_busy.set(true);
        spawn_local(async move {
            let answer = api::delete_by_filter(spec_api, &qs).await.map(|d| d.deleted);
            set_busy.set(false);
            if answer.is_ok() {
                refresh.update(|n| *n += 1);
            }
            set_result.set(Some(answer));
        });
    };

    let summary = move || match count.get() {
        None => "Counting…".to_owned(),
        Some(Err(e)) => format!("Could not count: {e}"),
        Some(Ok(n)) if filtered() => format!("The current filters select {n} {noun}. All of them will be deleted."),
        Some(Ok(n)) => format!("No filter is set: all {n} {noun} will be deleted."),
    };

    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby="delete-title"
            data-testid="delete-dialog"
            on:close=move |_| open.set(false)
        >
            <form class="dialog-form" on:submit=submit>
                <h2 id="delete-title">{format!("Delete {noun}")}</h2>
                <p data-testid="delete-summary">{summary}</p>
                <Show
                    when=move || result.with(Option::is_none)
                    fallback=move || {
                        view! {
                            <p
                                class="notice-inline"
                                role="status"
                                data-testid="delete-result"
                            >
                                {move || match result.get() {
                                    Some(Ok(n)) => {
                                        let counted = count.with(|c| c.as_ref().and_then(|c| c.as_ref().ok().copied()));
                                        match counted {
                                            // Call history keeps sessions not yet ended and
                                            // sessions with recordings.
                                            Some(c) if c > n => {
                                                format!("Deleted {n} {noun}; {} were kept by the server.", c - n)
                                            }
                                            _ => format!("Deleted {n} {noun}."),
                                        }
                                    }
                                    Some(Err(e)) => format!("Could not delete: {e}"),
                                    None => String::new(),
                                }}
                            </p>
                            <div class="dialog-actions">
                                <button
                                    type="button"
                                    data-testid="delete-done"
                                    on:click=move |_| open.set(false)
                                >
                                    "Close"
                                </button>
                            </div>
                        }
                    }
                >
                    <label class="field">
                        <span>
                            "Type " <strong data-testid="delete-expected">{expected}</strong>
                            " to confirm"
                        </span>
                        <input
                            type="text"
                            autocomplete="off"
                            inputmode="numeric"
                            data-testid="delete-confirm-input"
                            prop:value=move || typed.get()
                            on:input=move |ev| typed.set(event_target_value(&ev))
                        />
                    </label>
                    <label class="field">
                        <span>"Reason (kept in the deletion event)"</span>
                        <input
                            type="text"
                            autocomplete="off"
                            data-testid="delete-reason"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))
                        />
                    </label>
                    <div class="dialog-actions">
                        <button type="button" data-testid="delete-cancel" on:click=move |_| open.set(false)>
                            "Cancel"
                        </button>
                        <button
                            type="submit"
                            class="danger"
                            data-testid="delete-confirm"
                            disabled=move || !confirmed() || busy.get()
                        >
                            "Delete"
                        </button>
                    </div>
                </Show>
            </form>
        </dialog>
    }
}

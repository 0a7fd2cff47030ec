//! What a report shows instead of its table: while the first page loads, when nothing matches,
//! and when the server could not answer.

use leptos::prelude::*;

/// Grey bars the shape of a table, while the first page loads.
#[component]
pub fn SkeletonTable(columns: usize) -> impl IntoView {
    let row = move || {
        view! {
            <tr>
                {(0..columns).map(|_| view! { <td><span class="skeleton-bar"></span></td> }).collect_view()}
            </tr>
        }
    };
    view! {
        <div class="table-wrap" role="status" aria-label="Loading" data-testid="report-loading">
            <table class="report-table skeleton">
                <tbody>{(0..8).map(|_| row()).collect_view()}</tbody>
            </table>
        </div>
    }
}

#[component]
pub fn LoadingNotice() -> impl IntoView {
    view! {
        <p class="notice" role="status" data-testid="page-loading">
            "Loading…"
        </p>
    }
}

#[component]
pub fn EmptyNotice(
    /// What the report's entries are called (`events`).
    noun: &'static str,
    /// Whether a filter is in force (then offer to clear it).
    filtered: bool,
    on_clear: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="notice empty" data-testid="report-empty">
            <p>
                {if filtered { format!("No {noun} match the filters.") } else { format!("No {noun} yet.") }}
            </p>
            {filtered
                .then(|| {
                    view! {
                        <button
                            type="button"
                            data-testid="clear-filters"
                            on:click=move |_| on_clear.run(())
                        >
                            "Clear filters"
                        </button>
                    }
                })}
        </div>
    }
}

/// The errors caught by an `ErrorBoundary`, each shown by its message (for a problem answer of
/// the server, its `detail`). A bad filter in a bookmark is one of them: offer to clear it.
#[component]
pub fn ErrorNotice(
    errors: ArcRwSignal<Errors>,
    on_retry: Callback<()>,
    #[prop(optional)] on_clear: Option<Callback<()>>,
) -> impl IntoView {
    let messages = move || {
        errors.with(|errors| {
            errors
                .iter()
                .map(|(_, e)| view! { <p data-testid="report-error-detail">{e.to_string()}</p> })
                .collect_view()
        })
    };
    view! {
        <div class="notice error" role="alert" data-testid="report-error">
            <strong>"Could not load the report"</strong>
            {messages}
            <div class="notice-actions">
                <button type="button" data-testid="retry" on:click=move |_| on_retry.run(())>
                    "Try again"
                </button>
                {on_clear
                    .map(|clear| {
                        view! {
                            <button
                                type="button"
                                data-testid="error-clear-filters"
                                on:click=move |_| clear.run(())
                            >
                                "Clear filters"
                            </button>
                        }
                    })}
            </div>
        </div>
    }
}

/// One part of a page read from the API: "Loading…" while it loads, its error with a retry,
/// else what `render` makes of it.
#[component]
pub fn Loaded<T>(
    resource: LocalResource<Result<T, crate::api::ApiError>>,
    render: Callback<T, AnyView>,
    #[prop(default = "section-loading")] testid: &'static str,
) -> impl IntoView
where
    T: Clone + 'static,
{
    let retry = Callback::new(move |()| resource.refetch());
    view! {
        <Transition fallback=move || {
            view! {
                <p class="muted loading-line" role="status" data-testid=testid>
                    <span class="skeleton-bar"></span>
                </p>
            }
        }>
            <ErrorBoundary fallback=move |errors| {
                view! { <ErrorNotice errors on_retry=retry /> }
            }>{move || Suspend::new(async move { resource.await.map(|v| render.run(v)) })}</ErrorBoundary>
        </Transition>
    }
}

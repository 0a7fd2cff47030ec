//! What a report shows instead of its table: while the first page loads, when nothing matches,
//! and when the server could not answer.

use leptos::prelude::*;

#[component]
pub fn LoadingNotice() -> impl IntoView {
    view! {
        <p class="notice" role="status" data-testid="report-loading">
            "Loading…"
        </p>
    }
}

#[component]
pub fn EmptyNotice(
    /// Whether a filter is in force (then offer to clear it).
    filtered: bool,
    on_clear: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="notice empty" data-testid="report-empty">
            <p>{if filtered { "No events match the filters." } else { "No events yet." }}</p>
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
/// the server, its `detail`).
#[component]
pub fn ErrorNotice(errors: ArcRwSignal<Errors>, on_retry: Callback<()>) -> impl IntoView {
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
            <button type="button" data-testid="retry" on:click=move |_| on_retry.run(())>
                "Try again"
            </button>
        </div>
    }
}

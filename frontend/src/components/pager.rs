use leptos::prelude::*;

/// Keyset paging: forward through `next_cursor`, or back to the start.
#[component]
pub fn Pager(
    /// The `next_cursor` of the page shown; `None` on the last page.
    next_cursor: Option<String>,
    /// Whether the page shown is the first one.
    at_first: bool,
    on_next: Callback<String>,
    on_first: Callback<()>,
) -> impl IntoView {
    let is_last = next_cursor.is_none();
    view! {
        <nav class="pager" aria-label="Pages">
            <button
                type="button"
                data-testid="first-page"
                disabled=at_first
                on:click=move |_| on_first.run(())
            >
                "First page"
            </button>
            <button
                type="button"
                data-testid="next-page"
                disabled=is_last
                on:click=move |_| {
                    if let Some(cursor) = next_cursor.clone() {
                        on_next.run(cursor);
                    }
                }
            >
                "Next page"
            </button>
        </nav>
    }
}

use leptos::html;
use leptos::prelude::*;

/// The free-text search `q` of a report: submitted with Enter or the button.
#[component]
pub fn SearchBox(
    /// The search in force (from the URL).
    #[prop(into)]
    value: Signal<String>,
    /// Called with the text typed, trimmed.
    on_search: Callback<String>,
    #[prop(default = "Search")] placeholder: &'static str,
) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = input.get() {
            on_search.run(input.value().trim().to_owned());
        }
    };

    view! {
        <form class="search-box" role="search" on:submit=submit>
            <input
                type="search"
                name="q"
                node_ref=input
                placeholder=placeholder
                aria-label=placeholder
                autocomplete="off"
                data-testid="search-input"
                prop:value=move || value.get()
            />
            <button type="submit" data-testid="search-submit">"Search"</button>
        </form>
    }
}

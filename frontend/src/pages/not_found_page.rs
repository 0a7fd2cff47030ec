use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="report" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>
                "There is no page at this address. " <A href="/">"Go to the Events report"</A> "."
            </p>
        </section>
    }
}

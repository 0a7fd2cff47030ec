//! The app shell and every route of the web app.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::pages::events_page::EventsPage;
use crate::pages::not_found_page::NotFoundPage;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="app-header">
                <A href="/" exact=true attr:class="brand">"confreports"</A>
                <nav class="app-nav" aria-label="Reports">
                    <A href="/" exact=true attr:data-testid="nav-events">"Events"</A>
                </nav>
            </header>
            <main class="app-main">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=EventsPage />
                </Routes>
            </main>
        </Router>
    }
}

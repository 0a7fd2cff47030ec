//! confreports-web: the administrators' web app, rendered in the browser (Leptos CSR).

mod api;
mod app;
mod auth;
mod components;
mod pages;
mod theme;
mod time_format;
mod url_query;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

//! Connection properties: what the endpoint of one participant connection reported.

use confreports_types::ConnectionProperties;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{self, segment};
use crate::components::cells::{self, field};
use crate::components::report_states::Loaded;

#[component]
pub fn ConnectionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let connection =
        LocalResource::new(move || api::fetch::<ConnectionProperties>(&format!("connections/{}", segment(&id.get()))));
    view! {
        <section class="page" data-testid="connection-page">
            <nav class="breadcrumbs">
                <a href="/calls">"Call history"</a>
                " / connection"
            </nav>
            <Loaded resource=connection testid="page-loading" render=Callback::new(connection_view) />
        </section>
    }
}

fn connection_view(c: ConnectionProperties) -> AnyView {
    let system_info = match &c.system_info {
        Some(serde_json::Value::Object(map)) => view! {
            <table class="report-table" data-testid="system-info">
                <tbody>
                    {map
                        .iter()
                        .map(|(k, v)| {
                            let value = match v {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            view! {
                                <tr>
                                    <th scope="row">{k.clone()}</th>
                                    <td>{value}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
        other => cells::json(other.as_ref()),
    };
    view! {
        <header class="page-header">
            <h1>{c.display_name.clone()} <span class="muted">" — connection properties"</span></h1>
        </header>
        <dl class="details summary-grid" data-testid="connection-properties">
            {field("Connection ID", cells::code(&c.connection_id))}
            {field("Session", cells::session_link(Some(&c.session_id)))}
            {field("User", cells::user_link(c.user_id.as_deref()))}
            {field("Display name", cells::text(Some(&c.display_name)))}
            {field("Guest", cells::yes_no(c.is_guest))}
            {field("Device", cells::text(c.device.as_deref()))}
            {field("Endpoint", cells::endpoint_link(c.endpoint_id.as_deref()))}
            {field("Application", cells::text(c.app.as_deref()))}
            {field("Version", cells::text(c.app_version.as_deref()))}
            {field("OS", cells::text(c.os.as_deref()))}
            {field("CPU", cells::text(c.cpu.as_deref()))}
            {field("IP", cells::text(c.ip.as_deref()))}
            {field("Joined", cells::time(c.joined_at))}
            {field("Left", cells::optional_time(c.left_at))}
        </dl>
        <h2>"System information"</h2>
        {system_info}
    }
    .into_any()
}

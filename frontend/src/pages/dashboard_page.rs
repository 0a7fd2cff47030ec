//! The dashboard: calls per day with the peak of concurrent sessions, active users per day,
//! events per type and recording storage over a range of days (kept in the URL), each chart
//! linking to its table with the same filter. Charts are drawn by ECharts through `charming`;
//! ECharts (vendored, served by us) is loaded the first time a dashboard is shown.

use charming::component::{Axis, Grid, Legend};
use charming::element::{AxisType, Tooltip, Trigger};
use charming::renderer::WasmRenderer;
use charming::series::{Bar, Line};
use charming::{Chart, theme::Theme as ChartTheme};
use confreports_types::Dashboard;
use leptos::html;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::api;
use crate::components::cells::format_size;
use crate::components::report_states::Loaded;
use crate::theme;
use crate::url_query::{ReportQuery, use_report_query};

const ECHARTS_SRC: &str = "/vendor/echarts.min.js";

/// Whether ECharts is loaded; loads it once, from our own origin (the CSP allows no other).
fn echarts_ready() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    let loaded = js_sys::Reflect::has(&window(), &JsValue::from_str("echarts")).unwrap_or(false);
    if loaded {
        set_ready.set(true);
        return ready;
    }
    let document = document();
    let existing = document.query_selector(&format!("script[src=\"{ECHARTS_SRC}\"]")).ok().flatten();
    let script = match existing {
        Some(s) => s.dyn_into::<web_sys::HtmlScriptElement>().ok(),
        None => {
            let s =
                document.create_element("script").ok().and_then(|s| s.dyn_into::<web_sys::HtmlScriptElement>().ok());
            if let Some(s) = &s {
                s.set_src(ECHARTS_SRC);
                if let Some(head) = document.head() {
                    let _ = head.append_child(s);
                }
            }
            s
        }
    };
    if let Some(script) = script {
        let onload = Closure::<dyn FnMut()>::new(move || set_ready.set(true));
        let _ = script.add_event_listener_with_callback("load", onload.as_ref().unchecked_ref());
        onload.forget();
    }
    ready
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let (query, go) = use_report_query();
    let dashboard = LocalResource::new(move || {
        let q = query.with(ReportQuery::filter_query);
        api::fetch::<Dashboard>(&format!("dashboard?{q}"))
    });
    let ready = echarts_ready();
    let preset = move |days: u64| {
        let today = use_auth_today();
        let from = today.checked_sub_days(chrono::Days::new(days - 1)).unwrap_or(today);
        go.run(query.get_untracked().with_filters(&[
            ("from", Some(from.format("%Y-%m-%d").to_string())),
            ("to", Some(today.format("%Y-%m-%d").to_string())),
        ]));
    };
    let render = Callback::new(move |d: Dashboard| view! { <DashboardView dashboard=d ready /> }.into_any());
    view! {
        <section class="page dashboard-page" data-testid="dashboard-page">
            <header class="page-header">
                <h1>"Dashboard"</h1>
                <div class="presets">
                    <button type="button" data-testid="dashboard-7" on:click=move |_| preset(7)>"7 days"</button>
                    <button type="button" data-testid="dashboard-30" on:click=move |_| preset(30)>"30 days"</button>
                    <button type="button" data-testid="dashboard-90" on:click=move |_| preset(90)>"90 days"</button>
                </div>
            </header>
            <Loaded resource=dashboard testid="page-loading" render />
        </section>
    }
}

fn use_auth_today() -> chrono::NaiveDate {
    let preferences = crate::auth::use_auth().preferences;
    preferences.with_untracked(|p| crate::time_format::today_in(&p.time_zone))
}

#[component]
fn DashboardView(dashboard: Dashboard, ready: ReadSignal<bool>) -> impl IntoView {
    let t = &dashboard.totals;
    let range = format!("from={}&to={}", enc(&dashboard.from.to_rfc3339()), enc(&dashboard.to.to_rfc3339()));
    let days: Vec<String> = dashboard.days.iter().map(|d| d.date.format("%m-%d").to_string()).collect();
    let day_ranges: Vec<String> = dashboard
        .days
        .iter()
        .map(|d| format!("from={}&to={}", enc(&d.from.to_rfc3339()), enc(&d.to.to_rfc3339())))
        .collect();
    let total_events: u64 = t.events.values().sum();

    let calls = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().top("bottom"))
        .grid(Grid::new().left("40").right("20").top("20").bottom("60"))
        .x_axis(Axis::new().type_(AxisType::Category).data(days.clone()))
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(
            Bar::new()
                .name("Calls started")
                .data(dashboard.days.iter().map(|d| d.figures.calls_started as i64).collect()),
        )
        .series(
            Line::new()
                .name("Peak concurrent sessions")
                .data(dashboard.days.iter().map(|d| d.figures.peak_concurrent_sessions as i64).collect()),
        );
    let users = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("40").right("20").top("20").bottom("30"))
        .x_axis(Axis::new().type_(AxisType::Category).data(days.clone()))
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(
            Line::new()
                .name("Active users")
                .data(dashboard.days.iter().map(|d| d.figures.active_users as i64).collect()),
        );
    let mut by_type: Vec<(&String, &u64)> = t.events.iter().filter(|(_, n)| **n > 0).collect();
    by_type.sort_by(|a, b| a.1.cmp(b.1));
    let type_names: Vec<String> = by_type.iter().map(|(k, _)| (*k).clone()).collect();
    let events = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("170").right("30").top("10").bottom("30"))
        .x_axis(Axis::new().type_(AxisType::Value))
        .y_axis(Axis::new().type_(AxisType::Category).data(type_names.clone()))
        .series(Bar::new().name("Events").data(by_type.iter().map(|(_, n)| **n as i64).collect()));
    let storage = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("60").right("20").top("35").bottom("30"))
        .x_axis(Axis::new().type_(AxisType::Category).data(days))
        .y_axis(Axis::new().type_(AxisType::Value).name("MB"))
        .series(
            Line::new()
                .name("Stored recordings, MB")
                .data(dashboard.days.iter().map(|d| (d.figures.recording_bytes_total / 1_000_000) as i64).collect()),
        );

    let figure = |label: &'static str, value: String, href: String, testid: &'static str| {
        view! {
            <a class="figure" href=href data-testid=testid>
                <span class="figure-value">{value}</span>
                <span class="figure-label">{label}</span>
            </a>
        }
    };
    let per_day = |page: &'static str, extra: &'static str| {
        let ranges = day_ranges.clone();
        move |i: usize| ranges.get(i).map(|r| format!("{page}?{extra}{r}"))
    };
    let per_type = {
        let range = range.clone();
        move |i: usize| type_names.get(i).map(|t| format!("/?type={t}&{range}"))
    };

    view! {
        <div class="figures" data-testid="dashboard-figures">
            {figure("calls started", t.calls_started.to_string(), format!("/calls?{range}"), "figure-calls")}
            {figure("peak concurrent sessions", t.peak_concurrent_sessions.to_string(), format!("/calls?{range}"), "figure-peak")}
            {figure("active users", t.active_users.to_string(), format!("/?type=login&type=authorize&success=true&{range}"), "figure-users")}
            {figure("events", total_events.to_string(), format!("/?{range}"), "figure-events")}
            {figure("recordings stored", format_size(t.recording_bytes_total as i64), format!("/recordings?{range}"), "figure-storage")}
        </div>
        <div class="charts">
            <ChartCard title="Calls per day" chart=calls ready href=format!("/calls?{range}") on_pick=per_day("/calls", "") />
            <ChartCard
                title="Active users per day"
                chart=users
                ready
                href=format!("/?type=login&type=authorize&success=true&{range}")
                on_pick=per_day("/", "type=login&type=authorize&success=true&")
            />
            <ChartCard title="Events per type" chart=events ready href=format!("/?{range}") on_pick=per_type />
            <ChartCard title="Recording storage" chart=storage ready href=format!("/recordings?{range}") on_pick=per_day("/recordings", "") />
        </div>
    }
}

fn enc(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

/// One chart with a link to its table; clicking a bar or point opens the table of that day
/// (or type).
#[component]
fn ChartCard(
    title: &'static str,
    chart: Chart,
    ready: ReadSignal<bool>,
    href: String,
    on_pick: impl Fn(usize) -> Option<String> + 'static,
) -> impl IntoView {
    static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let id = format!("chart-{}", NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let node = NodeRef::<html::Div>::new();
    let navigate = use_navigate();
    let on_pick = send_wrapper::SendWrapper::new(std::rc::Rc::new(on_pick));
    let chart_id = id.clone();
    // The element may exist before it is in the document (a Transition mounts its children
    // when they are ready); ECharts needs it there, with its size, so try again shortly.
    let retry = RwSignal::new(0u32);
    Effect::new(move |done: Option<bool>| {
        let attempt = retry.get();
        if done == Some(true) || !ready.get() {
            return done.unwrap_or(false);
        }
        let connected = node.get().is_some_and(|el| el.is_connected());
        if !connected {
            if attempt < 200 {
                set_timeout(move || retry.update(|n| *n += 1), std::time::Duration::from_millis(25));
            }
            return false;
        }
        let dark = theme::current() == theme::Theme::Dark;
        let chart = chart.clone().background_color("transparent");
        let renderer =
            WasmRenderer::new_opt(None, None).theme(if dark { ChartTheme::Dark } else { ChartTheme::Default });
        let Ok(echarts) = renderer.render(&chart_id, &chart) else { return false };
        let navigate = navigate.clone();
        let on_pick = on_pick.clone();
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |params: JsValue| {
            let index = js_sys::Reflect::get(&params, &JsValue::from_str("dataIndex")).ok().and_then(|v| v.as_f64());
            if let Some(href) = index.and_then(|i| on_pick(i as usize)) {
                navigate(&href, NavigateOptions::default());
            }
        });
        if let Ok(on) = js_sys::Reflect::get(&echarts, &JsValue::from_str("on"))
            && let Some(on) = on.dyn_ref::<js_sys::Function>()
        {
            let _ = on.call2(&echarts, &JsValue::from_str("click"), handler.as_ref());
        }
        handler.forget();
        true
    });
    view! {
        <section class="chart-card" data-testid="chart-card">
            <header>
                <h2>{title}</h2>
                <a href=href data-testid="chart-table-link">"Open the table →"</a>
            </header>
            <div class="chart" id=id node_ref=node role="img" aria-label=title>
                <Show when=move || !ready.get()>
                    <span class="skeleton-bar"></span>
                </Show>
            </div>
        </section>
    }
}

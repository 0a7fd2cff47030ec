//! Settings (sysadmin only): retention of recordings and endpoints, and the OAuth applications
//! that call the API (a new or rotated secret is shown once).

use confreports_types::{NewOAuthApp, OAuthApp, OAuthAppSecret, Scope, Settings, SettingsUpdate};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::cells;
use crate::components::report_states::Loaded;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = LocalResource::new(|| api::fetch::<Settings>("settings"));
    let apps = LocalResource::new(|| api::fetch::<Vec<OAuthApp>>("oauth-apps"));
    view! {
        <section class="page settings-page" data-testid="settings-page">
            <header class="page-header">
                <h1>"Settings"</h1>
            </header>
            <h2>"Retention"</h2>
            <Loaded resource=settings render=Callback::new(|s| view! { <RetentionForm current=s /> }.into_any()) />
            <h2>"OAuth applications"</h2>
            <NewAppForm apps />
            <Loaded resource=apps render=Callback::new(move |list| apps_table(list, apps)) />
            <h2>"Administrators"</h2>
            <p class="muted">
                "Administrator accounts are managed on the server's command line: "
                <code>"confreports admin create --login L --role sysadmin|security --password-stdin"</code>
                ", " <code>"admin list"</code> ", " <code>"admin passwd"</code> ", " <code>"admin unlock"</code> "."
            </p>
        </section>
    }
}

#[component]
fn RetentionForm(current: Settings) -> impl IntoView {
    let recordings = RwSignal::new(current.recording_retention_days.to_string());
    let endpoints = RwSignal::new(current.endpoint_retention_days.to_string());
    let (status, set_status) = signal(None::<Result<(), ApiError>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let update = SettingsUpdate {
            recording_retention_days: recordings.get_untracked().trim().parse().ok(),
            endpoint_retention_days: endpoints.get_untracked().trim().parse().ok(),
        };
        spawn_local(async move {
            let answer = api::put_json::<_, Settings>("settings", &update).await;
            set_status.set(Some(answer.map(drop)));
        });
    };
    view! {
        <form class="settings-form" on:submit=submit>
            <label class="inline-field">
                <span>"Delete recordings after (days)"</span>
                <input
                    type="number"
                    min="1"
                    max="3650"
                    required
                    data-testid="retention-recordings"
                    prop:value=move || recordings.get()
                    on:input=move |e| recordings.set(event_target_value(&e))
                />
            </label>
            <label class="inline-field">
                <span>"Delete endpoints not seen for (days)"</span>
                <input
                    type="number"
                    min="1"
                    max="3650"
                    required
                    data-testid="retention-endpoints"
                    prop:value=move || endpoints.get()
                    on:input=move |e| endpoints.set(event_target_value(&e))
                />
            </label>
            <button type="submit" data-testid="retention-save">"Save"</button>
            <span role="status" data-testid="retention-status">
                {move || match status.get() {
                    Some(Ok(())) => view! { <span class="badge ok">"saved"</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="form-error">{e.to_string()}</span> }.into_any(),
                    None => ().into_any(),
                }}
            </span>
        </form>
    }
}

/// Where a new or rotated secret is shown, once.
fn secret_box(secret: OAuthAppSecret) -> AnyView {
    view! {
        <div class="notice secret" role="status" data-testid="app-secret">
            <strong>{format!("Secret of “{}” — copy it now, it is shown only this once:", secret.app.name)}</strong>
            <p>"Client ID: " <code data-testid="app-client-id">{secret.app.client_id}</code></p>
            <p>"Client secret: " <code data-testid="app-client-secret">{secret.client_secret}</code></p>
        </div>
    }
    .into_any()
}

#[component]
fn NewAppForm(apps: LocalResource<Result<Vec<OAuthApp>, ApiError>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<Scope>::new());
    let (shown, set_shown) = signal(None::<Result<OAuthAppSecret, ApiError>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewOAuthApp { name: name.get_untracked().trim().to_owned(), scopes: scopes.get_untracked() };
        spawn_local(async move {
            let answer = api::post_json::<_, OAuthAppSecret>("oauth-apps", Some(&body)).await;
            if answer.is_ok() {
                name.set(String::new());
                scopes.set(Vec::new());
                apps.refetch();
            }
            set_shown.set(Some(answer));
        });
    };
    view! {
        <form class="filters app-form" on:submit=submit>
            <label class="inline-field">
                <span>"New application"</span>
                <input
                    type="text"
                    required
                    placeholder="name"
                    data-testid="app-name"
                    prop:value=move || name.get()
                    on:input=move |e| name.set(event_target_value(&e))
                />
            </label>
            <fieldset class="type-filter">
                <legend>"Scopes"</legend>
                <div class="chips">
                    {Scope::ALL
                        .iter()
                        .map(|&scope| {
                            view! {
                                <label class="chip" title=scope.description()>
                                    <input
                                        type="checkbox"
                                        data-testid=format!("app-scope-{}", scope.as_str())
                                        prop:checked=move || scopes.with(|s| s.contains(&scope))
                                        on:change=move |e| {
                                            let on = event_target_checked(&e);
                                            scopes.update(|s| {
                                                s.retain(|x| *x != scope);
                                                if on {
                                                    s.push(scope);
                                                }
                                            });
                                        }
                                    />
                                    <span>{scope.as_str()}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <button type="submit" data-testid="app-create">"Create"</button>
        </form>
        {move || match shown.get() {
            Some(Ok(secret)) => secret_box(secret),
            Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            None => ().into_any(),
        }}
    }
}

fn apps_table(list: Vec<OAuthApp>, apps: LocalResource<Result<Vec<OAuthApp>, ApiError>>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="notice empty small" data-testid="section-empty">"No applications yet."</p> }
            .into_any();
    }
    let (shown, set_shown) = signal(None::<Result<OAuthAppSecret, ApiError>>);
    let rows = list
        .into_iter()
        .map(|app| {
            let id = app.id;
            let rotate = move |_| {
                spawn_local(async move {
                    let answer = api::post_json::<(), OAuthAppSecret>(&format!("oauth-apps/{id}/secret"), None).await;
                    set_shown.set(Some(answer));
                });
            };
            let revoke = move |_| {
                spawn_local(async move {
                    match api::delete(&format!("oauth-apps/{id}")).await {
                        Ok(()) => apps.refetch(),
                        Err(e) => set_shown.set(Some(Err(e))),
                    }
                });
            };
            let scopes = app.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
            view! {
                <tr data-testid="app-row">
                    <td>{app.name}</td>
                    <td>{cells::code(&app.client_id)}</td>
                    <td><code>{scopes}</code></td>
                    <td>{cells::yes_no(app.active)}</td>
                    <td class="nowrap">{cells::time(app.created_at)}</td>
                    <td class="nowrap actions">
                        {app.active.then(|| view! {
                            <button type="button" class="small" on:click=rotate>"New secret"</button>
                            <button type="button" class="small danger" on:click=revoke>"Revoke"</button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {move || match shown.get() {
            Some(Ok(secret)) => secret_box(secret),
            Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            None => ().into_any(),
        }}
        <div class="table-wrap">
            <table class="report-table" data-testid="apps-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Client ID"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Active"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">""</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

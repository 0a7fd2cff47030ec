//! Settings (sysadmin only): retention of recordings and endpoints, and the OAuth applications
//! that call the API (a new or rotated secret is shown once), and the administrators of the web
//! app (create, reset a password, unlock, delete with a typed confirmation).

use confreports_types::{
    AdminAccount, NewAdmin, NewAdminPassword, NewOAuthApp, OAuthApp, OAuthAppSecret, Scope, Settings, SettingsUpdate,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::cells;
use crate::components::report_states::Loaded;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = LocalResource::new(|| api::fetch::<Settings>("settings"));
    let apps = LocalResource::new(|| api::fetch::<Vec<OAuthApp>>("oauth-apps"));
    let admins = LocalResource::new(|| api::fetch::<Vec<AdminAccount>>("admins"));
    // What the last action on an administrator did; kept above the table, which a refetch redraws.
    let (admin_message, set_admin_message) = signal(None::<Result<String, ApiError>>);
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
            <NewAdminForm admins />
            {move || match admin_message.get() {
                Some(Ok(m)) => view! { <p class="notice small" role="status" data-testid="admin-message">{m}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert" data-testid="admin-error">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
            <Loaded resource=admins render=Callback::new(move |list| admins_table(list, admins, set_admin_message)) />
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

type AdminsResource = LocalResource<Result<Vec<AdminAccount>, ApiError>>;
type AdminMessage = WriteSignal<Option<Result<String, ApiError>>>;

#[component]
fn NewAdminForm(admins: AdminsResource) -> impl IntoView {
    let login = RwSignal::new(String::new());
    let role = RwSignal::new("security".to_owned());
    let password = RwSignal::new(String::new());
    let (status, set_status) = signal(None::<Result<String, ApiError>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewAdmin {
            login: login.get_untracked().trim().to_owned(),
            role: role.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            let answer = api::post_json::<_, AdminAccount>("admins", Some(&body)).await;
            // The password is never kept once sent.
            password.set(String::new());
            if answer.is_ok() {
                login.set(String::new());
                admins.refetch();
            }
            set_status.set(Some(answer.map(|a| a.login)));
        });
    };
    view! {
        <form class="filters admin-form" on:submit=submit>
            <label class="inline-field">
                <span>"New administrator"</span>
                <input
                    type="text"
                    required
                    maxlength="200"
                    autocomplete="off"
                    placeholder="login"
                    data-testid="admin-login"
                    prop:value=move || login.get()
                    on:input=move |e| login.set(event_target_value(&e))
                />
            </label>
            <label class="inline-field">
                <span>"Role"</span>
                <select data-testid="admin-role" prop:value=move || role.get() on:change=move |e| role.set(event_target_value(&e))>
                    <option value="security">"security (read-only auditor)"</option>
                    <option value="sysadmin">"sysadmin"</option>
                </select>
            </label>
            <label class="inline-field">
                <span>"Password (12 characters or more)"</span>
                <input
                    type="password"
                    required
                    minlength="12"
                    autocomplete="new-password"
                    data-testid="admin-password"
                    prop:value=move || password.get()
                    on:input=move |e| password.set(event_target_value(&e))
                />
            </label>
            <button type="submit" data-testid="admin-create">"Create"</button>
            <span role="status" data-testid="admin-status">
                {move || match status.get() {
                    Some(Ok(login)) => view! { <span class="badge ok">{format!("{login} created")}</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="form-error">{e.to_string()}</span> }.into_any(),
                    None => ().into_any(),
                }}
            </span>
        </form>
    }
}

/// What a row of the administrators' table shows under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdminRowMode {
    Idle,
    Password,
    Delete,
}

fn admins_table(list: Vec<AdminAccount>, admins: AdminsResource, set_message: AdminMessage) -> AnyView {
    if list.is_empty() {
        return view! { <p class="notice empty small" data-testid="section-empty">"No administrators."</p> }.into_any();
    }
    let rows = list.into_iter().map(move |admin| admin_row(admin, admins, set_message)).collect_view();
    view! {
        <div class="table-wrap">
            <table class="report-table" data-testid="admins-table">
                <thead>
                    <tr>
                        <th scope="col">"Login"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"State"</th>
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

fn admin_row(admin: AdminAccount, admins: AdminsResource, set_message: AdminMessage) -> impl IntoView {
    let login = admin.login.clone();
    let path = format!("admins/{}", api::segment(&admin.login));
    let mode = RwSignal::new(AdminRowMode::Idle);
    let new_password = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let toggle = move |m: AdminRowMode| {
        mode.update(|cur| *cur = if *cur == m { AdminRowMode::Idle } else { m });
        new_password.set(String::new());
        typed.set(String::new());
    };
    let unlock = {
        let (path, login) = (path.clone(), login.clone());
        move |_| {
            let (path, login) = (format!("{path}/unlock"), login.clone());
            spawn_local(async move {
                match api::post_no_content(&path).await {
                    Ok(()) => {
                        set_message.set(Some(Ok(format!("{login} unlocked"))));
                        admins.refetch();
                    }
                    Err(e) => set_message.set(Some(Err(e))),
                }
            });
        }
    };
    let save_password = {
        let (path, login) = (path.clone(), login.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (path, login) = (format!("{path}/password"), login.clone());
            let body = NewAdminPassword { password: new_password.get_untracked() };
            new_password.set(String::new());
            spawn_local(async move {
                match api::put_no_content(&path, &body).await {
                    Ok(()) => {
                        mode.set(AdminRowMode::Idle);
                        set_message.set(Some(Ok(format!("password of {login} changed; their sessions are ended"))));
                        admins.refetch();
                    }
                    Err(e) => set_message.set(Some(Err(e))),
                }
            });
        }
    };
    let confirmed = {
        let login = login.clone();
        move || typed.with(|t| t.trim() == login)
    };
    let delete = {
        let (path, login, confirmed) = (path.clone(), login.clone(), confirmed.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if !confirmed() || busy.get_untracked() {
                return;
            }
            busy.set(true);
            let (path, login) = (path.clone(), login.clone());
            spawn_local(async move {
                let answer = api::delete(&path).await;
                busy.set(false);
                match answer {
                    Ok(()) => {
                        set_message.set(Some(Ok(format!("{login} deleted"))));
                        admins.refetch();
                    }
                    Err(e) => set_message.set(Some(Err(e))),
                }
            });
        }
    };
    let locked = admin.locked;
    view! {
        <tr data-testid="admin-row" data-login=admin.login.clone()>
            <td>{admin.login.clone()}</td>
            <td>{admin.role.as_str()}</td>
            <td>
                {if locked {
                    view! { <span class="badge fail">"locked"</span> }.into_any()
                } else {
                    view! { <span class="badge ok">"active"</span> }.into_any()
                }}
            </td>
            <td class="nowrap">{cells::time(admin.created_at)}</td>
            <td class="nowrap actions">
                <button type="button" class="small" data-testid="admin-reset" on:click=move |_| toggle(AdminRowMode::Password)>
                    "Reset password"
                </button>
                {locked.then(|| view! {
                    <button type="button" class="small" data-testid="admin-unlock" on:click=unlock.clone()>"Unlock"</button>
                })}
                <button type="button" class="small danger" data-testid="admin-delete" on:click=move |_| toggle(AdminRowMode::Delete)>
                    "Delete"
                </button>
            </td>
        </tr>
        {move || match mode.get() {
            AdminRowMode::Idle => ().into_any(),
            AdminRowMode::Password => view! {
                <tr class="row-detail">
                    <td colspan="5">
                        <form class="filters" on:submit=save_password.clone()>
                            <label class="inline-field">
                                <span>"New password (12 characters or more; ends their sessions)"</span>
                                <input
                                    type="password"
                                    required
                                    minlength="12"
                                    autocomplete="new-password"
                                    data-testid="admin-new-password"
                                    prop:value=move || new_password.get()
                                    on:input=move |e| new_password.set(event_target_value(&e))
                                />
                            </label>
                            <button type="submit" data-testid="admin-password-save">"Set password"</button>
                        </form>
                    </td>
                </tr>
            }.into_any(),
            AdminRowMode::Delete => {
                let confirmed = confirmed.clone();
                view! {
                    <tr class="row-detail">
                        <td colspan="5">
                            <form class="filters" on:submit=delete.clone()>
                                <label class="inline-field">
                                    <span>"Type " <code>{login.clone()}</code> " to delete this administrator and end their sessions"</span>
                                    <input
                                        type="text"
                                        autocomplete="off"
                                        data-testid="admin-delete-confirm-input"
                                        prop:value=move || typed.get()
                                        on:input=move |e| typed.set(event_target_value(&e))
                                    />
                                </label>
                                <button
                                    type="submit"
                                    class="danger"
                                    data-testid="admin-delete-confirm"
                                    prop:disabled=move || !confirmed() || busy.get()
                                >
                                    "Delete administrator"
                                </button>
                            </form>
                        </td>
                    </tr>
                }.into_any()
            }
        }}
    }
}

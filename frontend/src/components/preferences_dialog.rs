//! The signed-in administrator's preferences (time zone, CSV export, date format) in a modal
//! dialog, saved with `PUT /auth/me/preferences`.

use chrono::Utc;
use confreports_types::{CsvDelimiter, DateFormat, Preferences};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::auth::use_auth;
use crate::time_format::{format_time, time_zone_names};

const TIME_ZONES_ID: &str = "time-zone-names";

/// A modal dialog, open while `open` is true (Escape and Cancel close it without saving).
/// The form is filled from the preferences in force each time it opens, and read on submit.
#[component]
pub fn PreferencesDialog(open: RwSignal<bool>) -> impl IntoView {
    let auth = use_auth();
    let dialog = NodeRef::<html::Dialog>::new();
    let time_zone = NodeRef::<html::Input>::new();
    let date_format = NodeRef::<html::Select>::new();
    let delimiter = NodeRef::<html::Select>::new();
    let bom = NodeRef::<html::Input>::new();
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<ApiError>);
    // What times will look like with the time zone and format in the form.
    let (preview, set_preview) = signal(String::new());

    let read_form = move || {
        let value = |select: NodeRef<html::Select>| select.get_untracked().map(|s| s.value());
        Some(Preferences {
            time_zone: time_zone.get_untracked()?.value().trim().to_owned(),
            csv_delimiter: value(delimiter).as_deref().and_then(CsvDelimiter::parse)?,
            csv_bom: bom.get_untracked()?.checked(),
            date_format: value(date_format).as_deref().and_then(DateFormat::parse)?,
        })
    };
    let update_preview = move || {
        if let Some(p) = read_form() {
            set_preview.set(format_time(Utc::now(), &p.time_zone, p.date_format));
        }
    };

    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if open.get() {
            let current = auth.preferences.get_untracked();
            if let Some(input) = time_zone.get_untracked() {
                input.set_value(&current.time_zone);
            }
            if let Some(select) = date_format.get_untracked() {
                select.set_value(current.date_format.as_str());
            }
            if let Some(select) = delimiter.get_untracked() {
                select.set_value(current.csv_delimiter.as_str());
            }
            if let Some(input) = bom.get_untracked() {
                input.set_checked(current.csv_bom);
            }
            set_error.set(None);
            update_preview();
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(preferences) = read_form() else { return };
        if busy.get_untracked() {
            return;
        }
        set_busy.set(true);
        set_error.set(None);
        spawn_local(async move {
            let result = api::update_preferences(&preferences).await;
            set_busy.set(false);
            match result {
                Ok(me) => {
                    auth.signed_in(me);
                    open.set(false);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    };

    let time_zone_error = move || error.with(|e| e.as_ref()?.field_message("time_zone"));
    let other_error = move || {
        error.with(|e| {
            let e = e.as_ref()?;
            e.field_message("time_zone").is_none().then(|| e.to_string())
        })
    };
    let options = |choices: &[(&'static str, &'static str)]| {
        choices.iter().map(|&(value, label)| view! { <option value=value>{label}</option> }).collect_view()
    };

    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby="preferences-title"
            data-testid="preferences-dialog"
            on:close=move |_| open.set(false)
        >
            <form class="dialog-form" on:submit=submit on:input=move |_| update_preview()>
                <h2 id="preferences-title">"Preferences"</h2>
                <label class="field">
                    <span>"Time zone"</span>
                    <input
                        type="text"
                        name="time_zone"
                        node_ref=time_zone
                        list=TIME_ZONES_ID
                        required
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="Europe/Berlin"
                        data-testid="pref-time-zone"
                        aria-invalid=move || time_zone_error().is_some().to_string()
                    />
                    <TimeZoneNames />
                    <small class="field-error" data-testid="pref-time-zone-error">
                        {time_zone_error}
                    </small>
                </label>
                <label class="field">
                    <span>"Date format"</span>
                    <select name="date_format" node_ref=date_format data-testid="pref-date-format">
                        {options(
                            &[
                                ("iso", "ISO (2026-11-24 20:07)"),
                                ("european", "European (24.11.2026 20:07)"),
                                ("us", "US (11/24/2026 8:07 PM)"),
                            ],
                        )}
                    </select>
                    <small class="muted">"Now: " <span data-testid="pref-preview">{preview}</span></small>
                </label>
                <fieldset class="field-group">
                    <legend>"CSV export"</legend>
                    <label class="field">
                        <span>"Delimiter"</span>
                        <select name="csv_delimiter" node_ref=delimiter data-testid="pref-csv-delimiter">
                            {options(
                                &[
                                    ("comma", "Comma ( , )"),
                                    ("semicolon", "Semicolon ( ; )"),
                                    ("tab", "Tab"),
                                ],
                            )}
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="csv_bom" node_ref=bom data-testid="pref-csv-bom" />
                        <span>"Start files with a byte order mark (for Excel)"</span>
                    </label>
                </fieldset>
                <p class="form-error" role="alert" data-testid="pref-error">{other_error}</p>
                <div class="dialog-actions">
                    <button type="button" data-testid="pref-cancel" on:click=move |_| open.set(false)>
                        "Cancel"
                    </button>
                    <button type="submit" data-testid="pref-save" disabled=busy>
                        "Save"
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// The IANA names the browser knows, offered as the time zone is typed.
#[component]
fn TimeZoneNames() -> impl IntoView {
    view! {
        <datalist id=TIME_ZONES_ID>
            {time_zone_names()
                .into_iter()
                .map(|name| view! { <option value=name></option> })
                .collect_view()}
        </datalist>
    }
}

use confreports_types::EventType;
use leptos::prelude::*;

/// A multi-select of event types as checkboxes; no type checked means every type.
#[component]
pub fn EventTypeFilter(
    /// The checked types, in [`EventType::ALL`] order.
    #[prop(into)]
    selected: Signal<Vec<EventType>>,
    /// Called with the new selection.
    on_change: Callback<Vec<EventType>>,
) -> impl IntoView {
    let toggle = move |event_type: EventType, checked: bool| {
        let mut next = selected.get_untracked();
        next.retain(|t| *t != event_type);
        if checked {
            next.push(event_type);
            next.sort();
        }
        on_change.run(next);
    };
    let summary = move || {
        selected.with(|s| match s.len() {
            0 => "all".to_owned(),
            n => format!("{n} selected"),
        })
    };

    view! {
        <fieldset class="type-filter" data-testid="type-filter">
            <legend>
                "Event types "
                <span class="muted" data-testid="type-filter-summary">{summary}</span>
                <button
                    type="button"
                    class="link-button"
                    data-testid="type-filter-clear"
                    hidden=move || selected.with(Vec::is_empty)
                    on:click=move |_| on_change.run(Vec::new())
                >
                    "any type"
                </button>
            </legend>
            <div class="chips">
                {EventType::ALL
                    .iter()
                    .map(|&event_type| {
                        view! {
                            <label class="chip" title=event_type.description()>
                                <input
                                    type="checkbox"
                                    value=event_type.as_str()
                                    data-testid=format!("type-option-{}", event_type.as_str())
                                    prop:checked=move || selected.with(|s| s.contains(&event_type))
                                    on:change=move |ev| {
                                        toggle(event_type, event_target_checked(&ev))
                                    }
                                />
                                <span>{event_type.as_str()}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
        </fieldset>
    }
}

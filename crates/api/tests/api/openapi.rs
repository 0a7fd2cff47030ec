//! The committed OpenAPI document is the generated one.

#[test]
fn committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = confreports_api::openapi::document_json();
    assert!(committed == generated, "openapi/openapi.json is stale: run `make openapi` and commit the result");
}

#[test]
fn every_operation_has_an_id_tag_summary_and_error_responses() {
    let doc: serde_json::Value = serde_json::from_str(&confreports_api::openapi::document_json()).expect("JSON");
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && !id.contains('_'), "{id}: camelCase");
            assert!(ids.insert(id.to_owned()), "{id}: duplicate");
            assert_eq!(op["tags"].as_array().map(Vec::len), Some(1), "{id}: one tag");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{id}: summary");
            let has_params = op["parameters"].as_array().is_some_and(|p| !p.is_empty());
            if has_params {
                assert!(op["responses"]["400"].is_object(), "{id}: documents its 400");
            }
        }
    }
    assert!(ids.contains("listEvents") && ids.contains("exportEvents") && ids.contains("deleteEvents"));
}

fn document() -> serde_json::Value {
    serde_json::from_str(&confreports_api::openapi::document_json()).expect("JSON")
}

#[test]
fn the_scope_schema_lists_the_scopes_as_sent() {
    // The enum once listed the Rust names (`EventsRead`): generated clients then refused every
    // `scopes` the server sent.
    let doc = document();
    let listed: Vec<&str> = doc["components"]["schemas"]["Scope"]["enum"]
        .as_array()
        .expect("Scope enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let sent: Vec<String> = confreports_types::Scope::ALL
        .iter()
        .map(|s| serde_json::to_value(s).expect("JSON").as_str().expect("a string").to_owned())
        .collect();
    assert_eq!(listed, sent);
    assert!(listed.contains(&"events:read"));
}

#[test]
fn every_operation_that_needs_credentials_documents_401_and_403() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let public = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty())));
            for status in ["401", "403"] {
                let documented = op["responses"][status].is_object();
                if public {
                    continue;
                }
                assert!(documented, "{method} {path}: documents its {status}");
            }
        }
    }
    for name in ["Unauthorized", "Forbidden"] {
        let r = &doc["components"]["responses"][name];
        assert_eq!(r["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
    }
}

#[test]
fn generic_pages_refer_to_their_item_schema() {
    // utoipa inlines the type argument; clients then named an event `ActivityEventLatestInner`.
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for (page, item) in [("Page_Event", "Event"), ("Page_CallSession", "CallSession"), ("Page_User", "User")] {
        assert_eq!(
            schemas[page]["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{page}"
        );
    }
    assert_eq!(schemas["Activity_Event"]["properties"]["latest"]["items"]["$ref"], "#/components/schemas/Event");
}

#[test]
fn sort_lists_the_values_of_its_report() {
    // `sort` was any string with the example `-time`, which the users list refuses (400).
    let doc = document();
    let sort = |path: &str| -> (Vec<String>, serde_json::Value) {
        let params = doc["paths"][path]["get"]["parameters"].as_array().expect("parameters");
        let p = params.iter().find(|p| p["name"] == "sort").expect("sort");
        let values =
            p["schema"]["enum"].as_array().expect("enum").iter().map(|v| v.as_str().expect("str").to_owned()).collect();
        (values, p["example"].clone())
    };
    let (users, example) = sort("/api/v1/users");
    assert!(users.contains(&"display_name".to_owned()) && users.contains(&"-display_name".to_owned()), "{users:?}");
    assert!(!users.contains(&"-time".to_owned()));
    assert!(users.contains(&example.as_str().expect("example").to_owned()));
    let (events, example) = sort("/api/v1/events/export");
    assert!(events.contains(&"-time".to_owned()) && events.contains(&"ip".to_owned()));
    assert_eq!(example, "-time");
    for path in
        ["/api/v1/calls", "/api/v1/chat-messages", "/api/v1/config-changes", "/api/v1/recordings", "/api/v1/endpoints"]
    {
        let (values, example) = sort(path);
        assert!(values.contains(&example.as_str().expect("example").to_owned()), "{path}");
    }
}

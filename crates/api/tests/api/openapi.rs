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

//! JSON request bodies.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

/// Where `value` has a string (or a key) with a NUL character: `login`, `details.note`,
/// `users[2]`; `None` when it has none. PostgreSQL refuses NUL in text, so such a value failed
/// the query (a 500, found by schemathesis); it cannot be stored or match anything stored.
pub fn nul_field(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    fn walk(value: &Value, path: &mut String) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(v, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(k, v)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&k.replace('\0', "\\u0000"));
                let found = k.contains('\0') || walk(v, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then(|| if path.is_empty() { "body".to_owned() } else { path })
}

/// A JSON body read as `T`, which must be a JSON object. serde's derived structs also accept an
/// array of their fields in order, so `[null, null]` was a valid settings update and
/// `["root", "secret"]` a sign-in; no client means that, and the contract says objects. Other
/// errors are those of `web::Json` (413 too large, 422 malformed, as set in
/// `routes::extractor_config`).
#[derive(Debug)]
pub struct JsonObject<T>(pub T);

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            if !value.is_object() {
                return Err(crate::app::framework_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "the body must be a JSON object".into(),
                ));
            }
            if let Some(field) = nul_field(&value) {
                return Err(crate::app::framework_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("`{field}` contains a NUL character (\\u0000)"),
                ));
            }
            serde_json::from_value(value).map(JsonObject).map_err(|e| {
                crate::app::framework_error(StatusCode::UNPROCESSABLE_ENTITY, format!("Json deserialize error: {e}"))
            })
        })
    }
}

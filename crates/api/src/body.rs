//! JSON request bodies.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

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
            serde_json::from_value(value).map(JsonObject).map_err(|e| {
                crate::app::framework_error(StatusCode::UNPROCESSABLE_ENTITY, format!("Json deserialize error: {e}"))
            })
        })
    }
}

//! Calling the app in tests.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use confreports_api::AppState;
use confreports_store::Pool;
use serde_json::Value;

pub struct Answer {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts a problem+json answer with `status` naming `field`.
    pub fn assert_problem(&self, status: u16, field: &str) {
        assert_eq!(self.status, status, "status of {}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"));
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
        let fields: Vec<&str> = p["errors"].as_array().map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
        assert!(fields.contains(&field), "problem should name `{field}`: {p}");
    }
}

pub async fn app(
    pool: Pool,
) -> impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(confreports_api::build(AppState { pool, web_dir: None })).await
}

pub async fn call<S, B>(app: &S, method: &str, uri: &str) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = test::TestRequest::default()
        .method(method.parse().expect("method"))
        .uri(&encode_non_ascii(uri))
        .insert_header(("user-agent", "confreports-tests"))
        .to_request();
    let res = test::call_service(app, req).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = test::read_body(res).await.to_vec();
    Answer { status, headers, body }
}

pub async fn get<S, B>(app: &S, uri: &str) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    call(app, "GET", uri).await
}

/// Percent-encodes what a browser would before sending (non-ASCII bytes).
fn encode_non_ascii(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for b in uri.bytes() {
        if b.is_ascii() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

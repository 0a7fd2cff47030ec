//! Calling the app in tests, as an anonymous caller, a signed-in administrator or an OAuth
//! application.

use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use chrono::Utc;
use confreports_api::AppState;
use confreports_api::auth::{Auth, AuthSettings, password};
use confreports_store::Pool;
use confreports_store::access;
use confreports_store::report::to_db_time;
use serde_json::Value;

use crate::common::TestDb;

pub struct Answer {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts a problem+json answer with `status` naming `field`.
    pub fn assert_problem(&self, status: u16, field: &str) {
        self.assert_status_problem(status);
        let p = self.json();
        let fields: Vec<&str> =
            p["errors"].as_array().map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
        assert!(fields.contains(&field), "problem should name `{field}`: {p}");
    }

    /// Asserts a problem+json answer with `status`.
    pub fn assert_status_problem(&self, status: u16) {
        assert_eq!(self.status, status, "status of {}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"));
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
}

/// A signed-in administrator's cookie and CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Who makes a request.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    Admin(Session),
    /// A session cookie without the CSRF header.
    AdminNoCsrf(Session),
    Bearer(String),
}

type BoxedService = Rc<
    dyn Service<
            actix_http::Request,
            Response = ServiceResponse<BoxBody>,
            Error = actix_web::Error,
            Future = std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>>>,
            >,
        >,
>;

pub struct TestApp {
    service: BoxedService,
    pub pool: Pool,
    pub auth: Arc<Auth>,
    /// A sysadmin signed in when the app was made; `get` and `call` act as them.
    pub root: Session,
    _keys: tempdir::Dir,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Test settings: no sign-in delay unless a test asks for one.
pub fn test_settings() -> AuthSettings {
    AuthSettings { throttle_base_ms: 0, ..AuthSettings::default() }
}

pub async fn app(db: &TestDb) -> TestApp {
    app_with(db, test_settings()).await
}

pub const ROOT_LOGIN: &str = "root-admin";
/// The recording upload limit of test apps (the demo sample is about 420 KB).
pub const RECORDING_MAX_BYTES: u64 = 2 << 20;
pub const ROOT_PASSWORD: &str = "root password for tests";

pub async fn app_with(db: &TestDb, settings: AuthSettings) -> TestApp {
    app_with_limits(db, settings, confreports_api::limits::Limits::default()).await
}

/// An app with its own resource limits.
pub async fn app_with_limits(db: &TestDb, settings: AuthSettings, limits: confreports_api::limits::Limits) -> TestApp {
    let keys = std::env::temp_dir().join(format!("confreports-keys-{}", confreports_api::auth::random_token(9)));
    let auth = Auth::new(settings, &keys).expect("keys");
    let pool = db.pool();
    let state = AppState {
        pool: pool.clone(),
        db_url: db.url.clone(),
        pg_reader: confreports_store::pg_async::PgReader::new(&db.url, 2),
        web_dir: None,
        files_dir: Some(keys.join("files")),
        recordings_dir: Some(keys.join("recordings")),
        recording_max_bytes: RECORDING_MAX_BYTES,
        limits,
        auth: auth.clone(),
    };
    let svc = test::init_service(confreports_api::build(state)).await;
    let svc = Rc::new(svc);
    let service: BoxedService = Rc::new(BoxService(svc));
    let mut app = TestApp {
        service,
        pool,
        auth,
        root: Session { cookie: String::new(), csrf: String::new() },
        _keys: tempdir::Dir(keys),
    };
    app.create_admin(ROOT_LOGIN, "sysadmin", ROOT_PASSWORD);
    app.root = app.sign_in(ROOT_LOGIN, ROOT_PASSWORD).await;
    app
}

struct BoxService<S>(Rc<S>);

impl<S, B> Service<actix_http::Request> for BoxService<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>>>>;

    actix_web::dev::always_ready!();

    fn call(&self, req: actix_http::Request) -> Self::Future {
        let svc = self.0.clone();
        Box::pin(async move { svc.call(req).await.map(ServiceResponse::map_into_boxed_body) })
    }
}

impl TestApp {
    /// Where the app keeps its token signing key.
    pub fn keys_dir(&self) -> &std::path::Path {
        &self._keys.0
    }

    pub fn create_admin(&self, login: &str, role: &str, password: &str) {
        let mut conn = self.pool.get().expect("connection");
        let hash = password::hash(password).expect("hash");
        access::create_admin(&mut conn, login, role, &hash, to_db_time(Utc::now())).expect("create admin");
    }

    /// Signs in through the API; panics unless it succeeds.
    pub async fn sign_in(&self, login: &str, password: &str) -> Session {
        let res = self.login(login, password).await;
        assert_eq!(res.status, 200, "sign-in of {login}: {}", res.text());
        let set_cookie = res.header("set-cookie").expect("Set-Cookie");
        let cookie = set_cookie.split(';').next().expect("cookie").to_owned();
        Session { cookie, csrf: res.json()["csrf_token"].as_str().expect("csrf_token").to_owned() }
    }

    pub async fn login(&self, login: &str, password: &str) -> Answer {
        let body = serde_json::json!({"login": login, "password": password});
        self.call_as(&Caller::Anonymous, "POST", "/api/v1/auth/login", Some(body)).await
    }

    /// GET as the root sysadmin.
    pub async fn get(&self, uri: &str) -> Answer {
        self.call_as(&Caller::Admin(self.root.clone()), "GET", uri, None).await
    }

    /// Follows `next_cursor` from `path?query` to the end, checking the `Link` header on the
    /// way; returns every item in order.
    pub async fn walk(&self, path: &str, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut uri = format!("{path}?{query}");
        for _ in 0..1000 {
            let page = self.get(&uri).await;
            assert_eq!(page.status, 200, "{uri}: {}", page.text());
            let body = page.json();
            out.extend(body["items"].as_array().expect("items").iter().cloned());
            match body["next_cursor"].as_str() {
                Some(c) => {
                    let link = page.header("link").expect("Link header while more rows follow");
                    assert!(link.ends_with("rel=\"next\"") && link.contains("cursor="), "{link}");
                    uri = format!("{path}?{query}&cursor={c}");
                }
                None => {
                    assert!(page.header("link").is_none(), "no Link header on the last page");
                    return out;
                }
            }
        }
        panic!("walk of {path}?{query} did not end");
    }

    /// Any method as the root sysadmin.
    pub async fn call(&self, method: &str, uri: &str) -> Answer {
        self.call_as(&Caller::Admin(self.root.clone()), method, uri, None).await
    }

    pub async fn call_as(&self, caller: &Caller, method: &str, uri: &str, json: Option<Value>) -> Answer {
        let mut req = test::TestRequest::default()
            .method(method.parse().expect("method"))
            .uri(&encode_non_ascii(uri))
            .peer_addr("127.0.0.1:40000".parse().expect("addr"))
            .insert_header(("user-agent", "confreports-tests"));
        match caller {
            Caller::Anonymous => {}
            Caller::Admin(s) => {
                req = req.insert_header(("cookie", s.cookie.clone())).insert_header(("x-csrf-token", s.csrf.clone()))
            }
            Caller::AdminNoCsrf(s) => req = req.insert_header(("cookie", s.cookie.clone())),
            Caller::Bearer(t) => req = req.insert_header(("authorization", format!("Bearer {t}"))),
        }
        if let Some(body) = json {
            req = req.set_json(body);
        }
        self.send(req).await
    }

    /// Sends a request without reading its answer's body: the caller holds it (a client still
    /// reading) or drops it (a client gone away).
    pub async fn send_unread(&self, req: actix_http::Request) -> ServiceResponse<BoxBody> {
        self.service.call(req).await.unwrap_or_else(|e| e.error_response().into_body_response())
    }

    /// Sends a request whose body is `chunks`, streamed without a `Content-Length` (as a chunked
    /// upload arrives).
    pub async fn send_stream(
        &self,
        req: test::TestRequest,
        chunks: impl futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_http::error::PayloadError>> + 'static,
    ) -> Answer {
        let mut req = req.to_request();
        req.headers_mut().remove(actix_web::http::header::CONTENT_LENGTH);
        let boxed: actix_http::BoxedPayloadStream = Box::pin(chunks);
        let (req, _) = req.replace_payload(actix_http::Payload::from(boxed));
        let res = self.send_unread(req).await;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = test::read_body(res).await.to_vec();
        Answer { status, headers, body }
    }

    /// Sends a request built by the test.
    pub async fn send(&self, req: test::TestRequest) -> Answer {
        let res = self.service.call(req.to_request()).await.unwrap_or_else(|e| e.error_response().into_body_response());
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = test::read_body(res).await.to_vec();
        Answer { status, headers, body }
    }
}

trait IntoBodyResponse {
    fn into_body_response(self) -> ServiceResponse<BoxBody>;
}

impl IntoBodyResponse for actix_web::HttpResponse {
    fn into_body_response(self) -> ServiceResponse<BoxBody> {
        ServiceResponse::new(test::TestRequest::default().to_http_request(), self)
    }
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

/// A new OAuth application `name` with `scopes`, created by the root administrator, and an
/// access token of it (client credentials, HTTP Basic): (client id, token).
pub async fn app_token(app: &TestApp, name: &str, scopes: &[&str]) -> (String, String) {
    use base64::Engine as _;
    let res = app
        .call_as(
            &Caller::Admin(app.root.clone()),
            "POST",
            "/api/v1/oauth-apps",
            Some(serde_json::json!({"name": name, "scopes": scopes})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    let (id, secret) = (body["client_id"].as_str().expect("id"), body["client_secret"].as_str().expect("secret"));
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
    let res = app
        .send(
            test::TestRequest::post()
                .uri("/oauth2/token")
                .peer_addr("127.0.0.1:40000".parse().expect("addr"))
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .insert_header(("authorization", format!("Basic {basic}")))
                .set_payload("grant_type=client_credentials"),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    (id.to_owned(), res.json()["access_token"].as_str().expect("access_token").to_owned())
}

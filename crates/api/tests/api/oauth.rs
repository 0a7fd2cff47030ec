//! The OAuth 2.0 server (token, revoke, introspect, JWKS), OAuth application management, and
//! what access tokens may and may not do, down to forged ones.

use actix_web::test::TestRequest;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use confreports_api::auth::AuthSettings;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{self, Answer, Caller, TestApp, app, app_with};

const PEER: &str = "127.0.0.1:40000";

/// An application as created through the API, with its secret.
#[derive(Debug, Clone)]
struct Client {
    id: i64,
    client_id: String,
    secret: String,
    name: String,
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn basic(client_id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret))))
}

/// A form POST from `peer`.
fn post_form_from(peer: &str, uri: &str, body: String) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .peer_addr(peer.parse().expect("addr"))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body)
}

fn post_form(uri: &str, body: String) -> TestRequest {
    post_form_from(PEER, uri, body)
}

async fn create_client(app: &TestApp, name: &str, scopes: &[&str]) -> Client {
    let res = app
        .call_as(
            &Caller::Admin(app.root.clone()),
            "POST",
            "/api/v1/oauth-apps",
            Some(json!({"name": name, "scopes": scopes})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    Client {
        id: body["id"].as_i64().expect("id"),
        client_id: body["client_id"].as_str().expect("client_id").to_owned(),
        secret: body["client_secret"].as_str().expect("client_secret").to_owned(),
        name: name.to_owned(),
    }
}

/// `POST /oauth2/token` with HTTP Basic and the extra parameters.
async fn token_basic(app: &TestApp, client_id: &str, secret: &str, extra: &[(&str, &str)]) -> Answer {
    let mut pairs = vec![("grant_type", "client_credentials")];
    pairs.extend_from_slice(extra);
    app.send(post_form("/oauth2/token", form(&pairs)).insert_header(("authorization", basic(client_id, secret)))).await
}

/// `POST /oauth2/token` with the credentials as parameters.
async fn token_form(app: &TestApp, client_id: &str, secret: &str, extra: &[(&str, &str)]) -> Answer {
    let mut pairs = vec![("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    pairs.extend_from_slice(extra);
    app.send(post_form("/oauth2/token", form(&pairs))).await
}

async fn access_token(app: &TestApp, client: &Client) -> String {
    let res = token_basic(app, &client.client_id, &client.secret, &[]).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["access_token"].as_str().expect("access_token").to_owned()
}

async fn revoke(app: &TestApp, client: &Client, token: &str) -> Answer {
    app.send(
        post_form("/oauth2/revoke", form(&[("token", token)]))
            .insert_header(("authorization", basic(&client.client_id, &client.secret))),
    )
    .await
}

async fn introspect(app: &TestApp, client: &Client, token: &str) -> Answer {
    app.send(post_form(
        "/oauth2/introspect",
        form(&[("token", token), ("client_id", &client.client_id), ("client_secret", &client.secret)]),
    ))
    .await
}

fn assert_no_store(res: &Answer) {
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"), "{}", res.text());
}

fn assert_oauth_error(res: &Answer, status: u16, error: &str) {
    assert_eq!(res.status, status, "{}", res.text());
    let body = res.json();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    assert_no_store(res);
}

fn assert_invalid_client(res: &Answer) {
    assert_oauth_error(res, 401, "invalid_client");
    assert_eq!(res.header("www-authenticate").as_deref(), Some("Basic realm=\"confreports\""));
}

/// `GET /api/v1/events` with a bearer token.
async fn events_with(app: &TestApp, token: &str) -> Answer {
    app.call_as(&Caller::Bearer(token.to_owned()), "GET", "/api/v1/events", None).await
}

fn assert_invalid_token(res: &Answer, what: &str) {
    assert_eq!(res.status, 401, "{what}: {}", res.text());
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains("invalid_token"), "{what}: WWW-Authenticate {challenge:?}");
}

/// The app's token signing key, read back from the key file it created.
fn signing_key(app: &TestApp) -> SigningKey {
    let pem = std::fs::read_to_string(app.keys_dir().join("oauth-ed25519.pem")).expect("key file");
    let key = SigningKey::from_pkcs8_pem(&pem).expect("PKCS#8 key");
    let x = app.auth.keys.jwks()["keys"][0]["x"].as_str().expect("x").to_owned();
    assert_eq!(URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()), x, "the key the JWKS publishes");
    key
}

fn ed_encoding_key(key: &SigningKey) -> EncodingKey {
    let pem = key.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF).expect("pem");
    EncodingKey::from_ed_pem(pem.as_bytes()).expect("encoding key")
}

/// Claims of a valid token for `client_id`.
fn claims(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "iss": app.auth.settings.token_issuer,
        "aud": app.auth.settings.token_audience,
        "sub": client_id,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": now + 300,
        "jti": confreports_api::auth::random_token(16),
    })
}

fn ed_header(app: &TestApp, typ: Option<&str>) -> Header {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = typ.map(str::to_owned);
    header.kid = Some(app.auth.keys.kid.clone());
    header
}

fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).expect("encode")
}

fn b64_json(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"))
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().expect("object").remove(key);
    claims
}

both_backends! {
    async fn client_credentials_by_basic_and_by_form(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read", "calls:read"]).await;

        let res = token_basic(&app, &client.client_id, &client.secret, &[]).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_store(&res);
        assert_eq!(res.header("pragma").as_deref(), Some("no-cache"));
        let body = res.json();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 600);
        assert_eq!(body["scope"], "events:read calls:read");
        let token = body["access_token"].as_str().expect("token");
        assert_eq!(events_with(&app, token).await.status, 200);

        let res = token_form(&app, &client.client_id, &client.secret, &[]).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_store(&res);
        assert_eq!(events_with(&app, res.json()["access_token"].as_str().expect("token")).await.status, 200);

        // Basic with client_id repeated in the body is fine; a secret in both places is not.
        let both = app.send(
            post_form("/oauth2/token", form(&[("grant_type", "client_credentials"), ("client_id", &client.client_id)]))
                .insert_header(("authorization", basic(&client.client_id, &client.secret))),
        ).await;
        assert_eq!(both.status, 200, "{}", both.text());
        let both = app.send(
            post_form("/oauth2/token", form(&[("grant_type", "client_credentials"), ("client_secret", &client.secret)]))
                .insert_header(("authorization", basic(&client.client_id, &client.secret))),
        ).await;
        assert_oauth_error(&both, 400, "invalid_request");
    }

    async fn malformed_token_requests_are_invalid_request(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read"]).await;
        let auth = basic(&client.client_id, &client.secret);

        let no_grant = app.send(post_form("/oauth2/token", form(&[("scope", "events:read")])).insert_header(("authorization", auth.clone()))).await;
        assert_oauth_error(&no_grant, 400, "invalid_request");
        let repeated = app.send(
            post_form("/oauth2/token", "grant_type=client_credentials&grant_type=client_credentials".into())
                .insert_header(("authorization", auth.clone())),
        ).await;
        assert_oauth_error(&repeated, 400, "invalid_request");
        let json_body = app.send(
            TestRequest::post().uri("/oauth2/token").peer_addr(PEER.parse().expect("addr"))
                .insert_header(("authorization", auth.clone()))
                .set_json(json!({"grant_type": "client_credentials"})),
        ).await;
        assert_oauth_error(&json_body, 400, "invalid_request");
        let grant = token_basic(&app, &client.client_id, &client.secret, &[]).await;
        assert_eq!(grant.status, 200);

        let password_grant = app.send(
            post_form("/oauth2/token", form(&[("grant_type", "password"), ("username", "u"), ("password", "p")]))
                .insert_header(("authorization", auth.clone())),
        ).await;
        assert_oauth_error(&password_grant, 400, "unsupported_grant_type");

        let anonymous = app.send(post_form("/oauth2/token", form(&[("grant_type", "client_credentials")]))).await;
        assert_invalid_client(&anonymous);
    }

    async fn unrecognized_parameters_are_ignored_even_repeated(db: TestDb) {
        // Found by schemathesis: `x=1&x=2` next to a good request answered 400 "repeated";
        // RFC 6749 3.2 says unrecognized parameters are ignored.
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read"]).await;
        let auth = basic(&client.client_id, &client.secret);
        let res = app.send(
            post_form("/oauth2/token", "grant_type=client_credentials&x=1&x=2&=a&=b".into())
                .insert_header(("authorization", auth.clone())),
        ).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let token = res.json()["access_token"].as_str().expect("token").to_owned();
        let res = app.send(
            post_form("/oauth2/introspect", format!("token={}&x=1&x=2", enc(&token)))
                .insert_header(("authorization", auth.clone())),
        ).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["active"], true);
        let res = app.send(
            post_form("/oauth2/revoke", format!("token={}&x=1&x=2", enc(&token)))
                .insert_header(("authorization", auth.clone())),
        ).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // A recognized parameter still may not repeat.
        let res = app.send(
            post_form("/oauth2/token", "grant_type=client_credentials&scope=events:read&scope=events:read".into())
                .insert_header(("authorization", auth)),
        ).await;
        assert_oauth_error(&res, 400, "invalid_request");
    }

    async fn wrong_secret_unknown_client_and_revoked_app_fail_alike(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read"]).await;
        let gone = create_client(&app, "Old export", &["events:read"]).await;
        assert_eq!(app.call("DELETE", &format!("/api/v1/oauth-apps/{}", gone.id)).await.status, 204);

        let wrong = token_basic(&app, &client.client_id, "not-the-secret", &[]).await;
        let unknown = token_basic(&app, "app_doesnotexist00000", &client.secret, &[]).await;
        let revoked = token_basic(&app, &gone.client_id, &gone.secret, &[]).await;
        let wrong_form = token_form(&app, &client.client_id, "not-the-secret", &[]).await;
        for res in [&wrong, &unknown, &revoked, &wrong_form] {
            assert_invalid_client(res);
            assert_eq!(res.body, wrong.body, "the failures cannot be told apart");
        }
    }

    async fn scope_narrows_to_a_subset_and_never_widens(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read", "events:delete", "calls:read"]).await;

        let res = token_basic(&app, &client.client_id, &client.secret, &[("scope", "events:read")]).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["scope"], "events:read");
        let narrow = res.json()["access_token"].as_str().expect("token").to_owned();
        assert_eq!(events_with(&app, &narrow).await.status, 200);
        let denied = app.call_as(&Caller::Bearer(narrow.clone()), "DELETE", "/api/v1/events?all=true", None).await;
        assert_eq!(denied.status, 403, "{}", denied.text());
        assert!(denied.header("www-authenticate").unwrap_or_default().contains("insufficient_scope"));

        let two = token_basic(&app, &client.client_id, &client.secret, &[("scope", "calls:read events:delete")]).await;
        assert_eq!(two.json()["scope"], "calls:read events:delete");

        let not_granted = token_basic(&app, &client.client_id, &client.secret, &[("scope", "events:read chat:read")]).await;
        assert_oauth_error(&not_granted, 400, "invalid_scope");
        let unknown = token_basic(&app, &client.client_id, &client.secret, &[("scope", "events:everything")]).await;
        assert_oauth_error(&unknown, 400, "invalid_scope");
    }

    async fn a_token_lists_events_but_needs_events_delete_to_delete(db: TestDb) {
        let app = app(&db).await;
        let reader = create_client(&app, "Reader", &["events:read"]).await;
        let token = access_token(&app, &reader).await;
        let list = events_with(&app, &token).await;
        assert_eq!(list.status, 200, "{}", list.text());
        assert!(list.json()["items"].is_array());
        let res = app.call_as(&Caller::Bearer(token.clone()), "DELETE", "/api/v1/events?type=login", None).await;
        assert_eq!(res.status, 403, "{}", res.text());
        let challenge = res.header("www-authenticate").unwrap_or_default();
        assert!(challenge.contains("insufficient_scope") && challenge.contains("events:delete"), "{challenge}");
    }

    async fn admin_only_routes_refuse_every_app_token(db: TestDb) {
        let app = app(&db).await;
        let all: Vec<&str> = confreports_types::Scope::ALL.iter().map(|s| s.as_str()).collect();
        let client = create_client(&app, "Everything", &all).await;
        let token = access_token(&app, &client).await;
        let bearer = Caller::Bearer(token);
        for (method, uri, body) in [
            ("GET", "/api/v1/oauth-apps".to_owned(), None),
            ("POST", "/api/v1/oauth-apps".to_owned(), Some(json!({"name": "mine", "scopes": ["events:read"]}))),
            ("DELETE", format!("/api/v1/oauth-apps/{}", client.id), None),
            ("POST", format!("/api/v1/oauth-apps/{}/secret", client.id), None),
            ("GET", "/api/v1/auth/me".to_owned(), None),
        ] {
            let res = app.call_as(&bearer, method, &uri, body).await;
            assert_eq!(res.status, 403, "{method} {uri}: {}", res.text());
        }
        // Nothing happened.
        let apps = app.get("/api/v1/oauth-apps").await.json();
        assert_eq!(apps.as_array().map(Vec::len), Some(1));
        assert_eq!(apps[0]["active"], true);
    }

    async fn forged_and_dead_tokens_are_invalid_token(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read"]).await;
        let key = signing_key(&app);
        let real = ed_encoding_key(&key);
        let good = claims(&app, &client.client_id, "events:read");
        let now = Utc::now().timestamp();

        // The way tokens are made here works: a well-formed one is accepted.
        let baseline = sign(&ed_header(&app, Some("at+jwt")), &good, &real);
        assert_eq!(events_with(&app, &baseline).await.status, 200, "a correctly made token is accepted");

        let mut forged: Vec<(&str, String)> = Vec::new();
        let none_header = json!({"alg": "none", "typ": "at+jwt", "kid": app.auth.keys.kid});
        forged.push(("alg none", format!("{}.{}.", b64_json(&none_header), b64_json(&good))));
        let public = key.verifying_key().to_bytes();
        let mut hs = Header::new(Algorithm::HS256);
        hs.typ = Some("at+jwt".into());
        hs.kid = Some(app.auth.keys.kid.clone());
        forged.push(("HS256 with the public key bytes", sign(&hs, &good, &EncodingKey::from_secret(&public))));
        let x = URL_SAFE_NO_PAD.encode(public);
        forged.push(("HS256 with the JWK x", sign(&hs, &good, &EncodingKey::from_secret(x.as_bytes()))));
        let stranger = SigningKey::generate(&mut rand_core::OsRng);
        forged.push(("another Ed25519 key", sign(&ed_header(&app, Some("at+jwt")), &good, &ed_encoding_key(&stranger))));
        let mut parts: Vec<String> = baseline.split('.').map(str::to_owned).collect();
        let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).expect("signature");
        signature[10] ^= 0x01;
        parts[2] = URL_SAFE_NO_PAD.encode(signature);
        forged.push(("flipped signature byte", parts.join(".")));
        let expired = with(with(good.clone(), "iat", json!(now - 700)), "exp", json!(now - 120));
        forged.push(("expired", sign(&ed_header(&app, Some("at+jwt")), &expired, &real)));
        let future = with(with(good.clone(), "iat", json!(now + 120)), "exp", json!(now + 700));
        forged.push(("issued in the future", sign(&ed_header(&app, Some("at+jwt")), &future, &real)));
        let not_before = with(good.clone(), "nbf", json!(now + 120));
        forged.push(("nbf in the future", sign(&ed_header(&app, Some("at+jwt")), &not_before, &real)));
        forged.push(("wrong iss", sign(&ed_header(&app, Some("at+jwt")), &with(good.clone(), "iss", json!("https://evil.example")), &real)));
        forged.push(("no iss", sign(&ed_header(&app, Some("at+jwt")), &without(good.clone(), "iss"), &real)));
        forged.push(("wrong aud", sign(&ed_header(&app, Some("at+jwt")), &with(good.clone(), "aud", json!("another-api")), &real)));
        forged.push(("no exp", sign(&ed_header(&app, Some("at+jwt")), &without(good.clone(), "exp"), &real)));
        forged.push(("typ JWT", sign(&ed_header(&app, Some("JWT")), &good, &real)));
        forged.push(("no typ", sign(&ed_header(&app, None), &good, &real)));
        forged.push(("lifetime over 15 minutes", sign(&ed_header(&app, Some("at+jwt")), &with(good.clone(), "exp", json!(now + 3600)), &real)));
        forged.push(("unknown client", sign(&ed_header(&app, Some("at+jwt")), &claims(&app, "app_nobody000000000", "events:read"), &real)));
        // Payload edited to add a scope, signature kept.
        let mut parts: Vec<String> = baseline.split('.').map(str::to_owned).collect();
        parts[1] = b64_json(&with(good.clone(), "scope", json!("events:read events:delete")));
        forged.push(("tampered scope", parts.join(".")));
        forged.push(("garbage", "not.a.token".into()));

        // Tokens that were good: revoked through /oauth2/revoke, and of a revoked application.
        let revoked = access_token(&app, &client).await;
        assert_eq!(events_with(&app, &revoked).await.status, 200);
        let res = revoke(&app, &client, &revoked).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_store(&res);
        forged.push(("revoked token", revoked));
        let doomed = create_client(&app, "Doomed", &["events:read"]).await;
        let doomed_token = access_token(&app, &doomed).await;
        assert_eq!(events_with(&app, &doomed_token).await.status, 200);
        assert_eq!(app.call("DELETE", &format!("/api/v1/oauth-apps/{}", doomed.id)).await.status, 204);
        forged.push(("token of a revoked application", doomed_token));
        // An administrator's session token is no access token.
        let session = app.root.cookie.split_once('=').expect("cookie").1.to_owned();
        forged.push(("admin session token", session));

        let mut accepted = Vec::new();
        for (what, token) in &forged {
            let res = events_with(&app, token).await;
            let challenge = res.header("www-authenticate").unwrap_or_default();
            if res.status != 401 || !challenge.contains("invalid_token") {
                accepted.push(format!("{what}: {} {challenge:?}", res.status));
            }
        }
        assert!(accepted.is_empty(), "answered other than 401 invalid_token: {accepted:#?}");
        // The good tokens still work.
        assert_eq!(events_with(&app, &baseline).await.status, 200);
        assert_eq!(events_with(&app, &access_token(&app, &client).await).await.status, 200);
    }

    async fn revocation_only_touches_the_clients_own_tokens(db: TestDb) {
        let app = app(&db).await;
        let a = create_client(&app, "A", &["events:read"]).await;
        let b = create_client(&app, "B", &["events:read"]).await;
        let token_a = access_token(&app, &a).await;
        // B cannot revoke A's token; garbage is ignored; both answer 200.
        assert_eq!(revoke(&app, &b, &token_a).await.status, 200);
        assert_eq!(revoke(&app, &b, "garbage").await.status, 200);
        assert_eq!(events_with(&app, &token_a).await.status, 200);
        // Revoking needs a client, and a token.
        let anonymous = app.send(post_form("/oauth2/revoke", form(&[("token", &token_a)]))).await;
        assert_invalid_client(&anonymous);
        let no_token = app.send(post_form("/oauth2/revoke", form(&[("client_id", &a.client_id), ("client_secret", &a.secret)]))).await;
        assert_oauth_error(&no_token, 400, "invalid_request");
        // A revokes it, twice: the second time is a no-op.
        assert_eq!(revoke(&app, &a, &token_a).await.status, 200);
        assert_eq!(revoke(&app, &a, &token_a).await.status, 200);
        assert_invalid_token(&events_with(&app, &token_a).await, "revoked");
        let logged = app.get("/api/v1/events?type=logout").await.json();
        let items = logged["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{logged}");
        assert_eq!(items[0]["app_name"], "A");
    }

    async fn introspection_tells_valid_from_revoked(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read", "calls:read"]).await;
        let other = create_client(&app, "Other", &["events:read"]).await;
        let res = token_basic(&app, &client.client_id, &client.secret, &[("scope", "events:read")]).await;
        let token = res.json()["access_token"].as_str().expect("token").to_owned();

        let res = introspect(&app, &client, &token).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_store(&res);
        let body = res.json();
        assert_eq!(body["active"], true, "{body}");
        assert_eq!(body["scope"], "events:read");
        assert_eq!(body["client_id"], client.client_id.as_str());
        assert_eq!(body["sub"], client.client_id.as_str());
        assert_eq!(body["aud"], "confreports-api");
        assert_eq!(body["iss"], "confreports");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["jti"].as_str().is_some_and(|j| !j.is_empty()));
        let (iat, exp) = (body["iat"].as_i64().expect("iat"), body["exp"].as_i64().expect("exp"));
        assert_eq!(exp - iat, 600);

        // Another client learns nothing about it.
        assert_eq!(introspect(&app, &other, &token).await.json(), json!({"active": false}));
        assert_eq!(introspect(&app, &client, "garbage").await.json(), json!({"active": false}));
        let wrong = app.send(post_form(
            "/oauth2/introspect",
            form(&[("token", &token), ("client_id", &client.client_id), ("client_secret", "wrong")]),
        )).await;
        assert_invalid_client(&wrong);

        assert_eq!(revoke(&app, &client, &token).await.status, 200);
        assert_eq!(introspect(&app, &client, &token).await.json(), json!({"active": false}));
    }

    async fn jwks_publishes_the_key_that_verifies_tokens(db: TestDb) {
        let app = app(&db).await;
        let res = app.call_as(&Caller::Anonymous, "GET", "/.well-known/jwks.json", None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.header("cache-control").unwrap_or_default().contains("max-age"));
        let jwks = res.json();
        let keys = jwks["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 1);
        let k = &keys[0];
        assert_eq!((k["kty"].as_str(), k["crv"].as_str(), k["alg"].as_str(), k["use"].as_str()),
                   (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig")));
        let x = k["x"].as_str().expect("x");
        assert_eq!(URL_SAFE_NO_PAD.decode(x).expect("base64url").len(), 32);
        assert!(k.get("d").is_none(), "never the private key");

        let client = create_client(&app, "SIEM export", &["events:read"]).await;
        let token = access_token(&app, &client).await;
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.kid.as_deref(), k["kid"].as_str());
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.set_audience(&["confreports-api"]);
        validation.set_issuer(&["confreports"]);
        let decoded = jsonwebtoken::decode::<Value>(&token, &jsonwebtoken::DecodingKey::from_ed_components(x).expect("key"), &validation)
            .expect("the published key verifies the token");
        assert_eq!(decoded.claims["client_id"], client.client_id.as_str());
        assert_eq!(decoded.claims["scope"], "events:read");
    }

    async fn failed_client_authentication_is_rate_limited(db: TestDb) {
        let app = app_with(&db, AuthSettings { client_failures_per_minute: 3, ..support::test_settings() }).await;
        let client = create_client(&app, "SIEM export", &["events:read"]).await;
        for _ in 0..3 {
            assert_invalid_client(&token_basic(&app, &client.client_id, "wrong", &[]).await);
        }
        let res = token_basic(&app, &client.client_id, "wrong", &[]).await;
        assert_oauth_error(&res, 429, "slow_down");
        let retry: u64 = res.header("retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        // Blocked means blocked, even with the right secret (no guessing oracle) and on every endpoint.
        assert_eq!(token_basic(&app, &client.client_id, &client.secret, &[]).await.status, 429);
        let from_elsewhere = app.send(
            post_form_from("10.9.9.9:5000", "/oauth2/introspect", form(&[("token", "x")]))
                .insert_header(("authorization", basic(&client.client_id, &client.secret))),
        ).await;
        assert_eq!(from_elsewhere.status, 429, "the client id is blocked whatever the address");

        // Per address: many client ids from one address.
        let peer = "10.1.2.3:6000";
        for i in 0..3 {
            let res = app.send(
                post_form_from(peer, "/oauth2/token", form(&[("grant_type", "client_credentials")]))
                    .insert_header(("authorization", basic(&format!("app_guess{i}"), "x"))),
            ).await;
            assert_invalid_client(&res);
        }
        let res = app.send(
            post_form_from(peer, "/oauth2/token", form(&[("grant_type", "client_credentials")]))
                .insert_header(("authorization", basic("app_guess9", "x"))),
        ).await;
        assert_oauth_error(&res, 429, "slow_down");
        assert!(res.header("retry-after").is_some());

        // Another client from another address is not affected.
        let other = create_client(&app, "Other", &["events:read"]).await;
        let res = app.send(
            post_form_from("10.7.7.7:7000", "/oauth2/token", form(&[("grant_type", "client_credentials")]))
                .insert_header(("authorization", basic(&other.client_id, &other.secret))),
        ).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    async fn managing_apps_needs_a_sysadmin_and_valid_input(db: TestDb) {
        let app = app(&db).await;
        app.create_admin("auditor", "security", "auditor password for tests");
        let auditor = Caller::Admin(app.sign_in("auditor", "auditor password for tests").await);
        let res = app.call_as(&auditor, "POST", "/api/v1/oauth-apps", Some(json!({"name": "x", "scopes": ["events:read"]}))).await;
        assert_eq!(res.status, 403, "{}", res.text());
        assert_eq!(app.call_as(&auditor, "GET", "/api/v1/oauth-apps", None).await.status, 403);
        let anonymous = app.call_as(&Caller::Anonymous, "GET", "/api/v1/oauth-apps", None).await;
        assert_eq!(anonymous.status, 401);
        let no_csrf = app
            .call_as(&Caller::AdminNoCsrf(app.root.clone()), "POST", "/api/v1/oauth-apps", Some(json!({"name": "x", "scopes": ["events:read"]})))
            .await;
        assert_eq!(no_csrf.status, 403);

        let root = Caller::Admin(app.root.clone());
        let res = app.call_as(&root, "POST", "/api/v1/oauth-apps", Some(json!({"name": "  ", "scopes": ["events:read"]}))).await;
        res.assert_problem(422, "name");
        let res = app.call_as(&root, "POST", "/api/v1/oauth-apps", Some(json!({"name": "SIEM", "scopes": []}))).await;
        res.assert_problem(422, "scopes");
        let res = app.call_as(&root, "POST", "/api/v1/oauth-apps", Some(json!({"name": "SIEM", "scopes": ["events:everything"]}))).await;
        res.assert_status_problem(422);
        assert_eq!(app.get("/api/v1/oauth-apps").await.json(), json!([]), "nothing was created");

        let created = app.call_as(&root, "POST", "/api/v1/oauth-apps", Some(json!({"name": " SIEM ", "scopes": ["events:read", "events:read"]}))).await;
        assert_eq!(created.status, 201, "{}", created.text());
        assert_no_store(&created);
        let body = created.json();
        assert_eq!(body["name"], "SIEM");
        assert_eq!(body["scopes"], json!(["events:read"]));
        assert_eq!(body["active"], true);
        assert!(body["client_id"].as_str().is_some_and(|c| c.starts_with("app_") && c.len() == 20), "{body}");
        assert_eq!(body["client_secret"].as_str().map(str::len), Some(43));
        let listed = app.get("/api/v1/oauth-apps").await.json();
        assert_eq!(listed[0]["client_id"], body["client_id"]);
        assert!(listed[0].get("client_secret").is_none() && !listed.to_string().contains("sha256"), "{listed}");

        assert_eq!(app.call("DELETE", "/api/v1/oauth-apps/999999").await.status, 404);
        app.call("DELETE", "/api/v1/oauth-apps/abc").await.assert_problem(400, "id");
        assert_eq!(app.call("POST", "/api/v1/oauth-apps/999999/secret").await.status, 404);
        let id = body["id"].as_i64().expect("id");
        assert_eq!(app.call("DELETE", &format!("/api/v1/oauth-apps/{id}")).await.status, 204);
        assert_eq!(app.call("DELETE", &format!("/api/v1/oauth-apps/{id}")).await.status, 204, "revoking twice is harmless");
        app.call("POST", &format!("/api/v1/oauth-apps/{id}/secret")).await.assert_status_problem(409);
        let listed = app.get("/api/v1/oauth-apps").await.json();
        assert_eq!(listed[0]["active"], false);
        assert!(listed[0]["revoked_at"].is_string());
    }

    async fn rotating_the_secret_retires_the_old_one(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "SIEM export", &["events:read"]).await;
        let before = access_token(&app, &client).await;
        let res = app.call("POST", &format!("/api/v1/oauth-apps/{}/secret", client.id)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_no_store(&res);
        let body = res.json();
        assert_eq!(body["client_id"], client.client_id.as_str());
        let new_secret = body["client_secret"].as_str().expect("secret").to_owned();
        assert_ne!(new_secret, client.secret);
        assert_invalid_client(&token_basic(&app, &client.client_id, &client.secret, &[]).await);
        let res = token_basic(&app, &client.client_id, &new_secret, &[]).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // Tokens issued before stay valid until they expire.
        assert_eq!(events_with(&app, &before).await.status, 200);
    }

    async fn app_changes_and_app_actions_are_recorded(db: TestDb) {
        let app = app(&db).await;
        let client = create_client(&app, "Janitor", &["events:read", "events:delete"]).await;
        assert_eq!(app.call("POST", &format!("/api/v1/oauth-apps/{}/secret", client.id)).await.status, 200);
        let rotated_secret = {
            let res = app.call("POST", &format!("/api/v1/oauth-apps/{}/secret", client.id)).await;
            res.json()["client_secret"].as_str().expect("secret").to_owned()
        };
        let client = Client { secret: rotated_secret, ..client };

        let by_app = |kind: &str, events: &Value| -> Vec<Value> {
            events["items"].as_array().expect("items").iter()
                .filter(|e| e["type"] == kind && e["details"]["oauth_app"]["client_id"] == client.client_id.as_str())
                .cloned().collect()
        };
        let log = app.get("/api/v1/events?type=activation&type=status").await.json();
        let created = by_app("activation", &log);
        assert_eq!(created.len(), 1, "{log}");
        assert_eq!(created[0]["user_id"], support::ROOT_LOGIN);
        assert_eq!(created[0]["admin_type"], "sysadmin");
        assert!(created[0]["description"].as_str().is_some_and(|d| d.contains("Janitor") && d.contains("created")));
        assert_eq!(created[0]["details"]["oauth_app"]["scopes"], json!(["events:read", "events:delete"]));
        let rotations = by_app("status", &log);
        assert_eq!(rotations.len(), 2, "{log}");
        assert!(rotations[0]["description"].as_str().is_some_and(|d| d.contains("rotated")));

        // A delete by filter done by the application names it.
        let token = access_token(&app, &client).await;
        let res = app.call_as(&Caller::Bearer(token), "DELETE", "/api/v1/events?type=login", None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.json()["deleted"].as_i64().is_some_and(|n| n >= 1), "the root's sign-in was deleted");
        let log = app.get("/api/v1/events?type=delete_events").await.json();
        let items = log["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{log}");
        assert_eq!(items[0]["app_name"], client.name.as_str());
        assert_eq!(items[0]["ip"], "127.0.0.1");

        assert_eq!(app.call("DELETE", &format!("/api/v1/oauth-apps/{}", client.id)).await.status, 204);
        let log = app.get("/api/v1/events?type=deactivation").await.json();
        let revoked = by_app("deactivation", &log);
        assert_eq!(revoked.len(), 1, "{log}");
        assert_eq!(revoked[0]["user_id"], support::ROOT_LOGIN);
        assert!(revoked[0]["description"].as_str().is_some_and(|d| d.contains("revoked")));
    }
}

//! OAuth access tokens: RFC 9068 JWTs signed with Ed25519. The key is created on first start
//! and kept in the data directory (mode 0600); its public half is published as a JWKS.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use confreports_types::Scope;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The JWT `typ` of access tokens (RFC 9068 section 2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
const KEY_FILE: &str = "oauth-ed25519.pem";

/// Claims of an access token (RFC 9068 section 2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub client_id: String,
    /// Space-separated granted scopes.
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Why a token was refused; never shown beyond `invalid_token`.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("not a valid access token: {0}")]
    Invalid(String),
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Public key, base64url (the JWK `x`).
    x: String,
    pub kid: String,
    pub issuer: String,
    pub audience: String,
    pub ttl_seconds: i64,
}

impl TokenKeys {
    /// Loads the signing key from `data_dir`, creating it (mode 0600) when absent.
    pub fn load_or_create(
        data_dir: &Path,
        issuer: String,
        audience: String,
        ttl_seconds: i64,
    ) -> std::io::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let key = match std::fs::read_to_string(&path) {
            Ok(pem) => SigningKey::from_pkcs8_pem(&pem)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir)?;
                let key = SigningKey::generate(&mut rand_core::OsRng);
                let pem = key
                    .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                if write_private(&path, pem.as_bytes())? {
                    tracing::info!(path = %path.display(), "created the token signing key");
                    key
                } else {
                    // Another node sharing the data directory created it first: use theirs.
                    let pem = std::fs::read_to_string(&path)?;
                    SigningKey::from_pkcs8_pem(&pem)
                        .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?
                }
            }
            Err(e) => return Err(e),
        };
        Self::from_key(&key, issuer, audience, ttl_seconds)
    }

    fn from_key(key: &SigningKey, issuer: String, audience: String, ttl_seconds: i64) -> std::io::Result<Self> {
        let pem = key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let encoding = EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| std::io::Error::other(e.to_string()))?;
        let public = key.verifying_key().to_bytes();
        let x = URL_SAFE_NO_PAD.encode(public);
        let decoding = DecodingKey::from_ed_components(&x).map_err(|e| std::io::Error::other(e.to_string()))?;
        let kid = URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(public)[..12]);
        Ok(TokenKeys { encoding, decoding, x, kid, issuer, audience, ttl_seconds })
    }

    /// Issues an access token for `client_id` with `scopes`.
    pub fn issue(
        &self,
        client_id: &str,
        scopes: &[Scope],
    ) -> Result<(String, AccessClaims), jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: client_id.to_owned(),
            client_id: client_id.to_owned(),
            scope: Scope::join(scopes),
            iat: now,
            exp: now + self.ttl_seconds,
            jti: crate::auth::random_token(16),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        header.kid = Some(self.kid.clone());
        Ok((jsonwebtoken::encode(&header, &claims, &self.encoding)?, claims))
    }

    /// Checks signature, algorithm, `typ`, `iss`, `aud`, `exp`, `iat`; the caller checks that
    /// the application is active and the token not revoked.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        // jsonwebtoken does not check `typ`.
        let typ = header.typ.as_deref().map(str::to_ascii_lowercase);
        if !matches!(typ.as_deref(), Some("at+jwt" | "application/at+jwt")) {
            return Err(TokenError::Invalid(format!("typ {:?} is not at+jwt", header.typ)));
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        // jsonwebtoken checks `nbf` only when asked.
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let now = Utc::now().timestamp();
        if claims.iat > now + 5 {
            return Err(TokenError::Invalid("issued in the future".into()));
        }
        if claims.exp - claims.iat > 15 * 60 {
            return Err(TokenError::Invalid("lifetime longer than 15 minutes".into()));
        }
        if claims.sub != claims.client_id {
            return Err(TokenError::Invalid("sub is not client_id".into()));
        }
        Ok(claims)
    }

    /// The public key set (`GET /.well-known/jwks.json`).
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": self.x,
                "kid": self.kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        })
    }
}

/// Writes `bytes` to `path` (mode 0600) whole or not at all: into a temporary file first, then
/// linked into place, which fails when the file exists. `false`: it existed (nodes sharing a
/// data directory may start together; the first one's key wins and no one reads half a key).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension(format!("tmp-{}", crate::auth::random_token(6)));
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    let linked = f.write_all(bytes).and_then(|()| f.sync_all()).and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

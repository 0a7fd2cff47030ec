//! Who may do what: scopes of OAuth applications, roles of administrators, the signed-in
//! administrator and their preferences, and OAuth application management.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::CsvDelimiter;

// `$name` is a `tt`, not a `literal`: a `literal` fragment reaches derive macros wrapped in an
// invisible group, which utoipa's reading of `#[serde(rename = ...)]` does not see through (the
// OpenAPI document then listed the Rust names `EventsRead`, ... instead of `events:read`).
macro_rules! scopes {
    ($($variant:ident => $name:tt, $description:literal;)*) => {
        /// A permission an OAuth application can be granted (`<report>:read`, `<report>:delete`, `ingest`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum Scope {
            $(#[doc = $description] #[serde(rename = $name)] $variant,)*
        }

        impl Scope {
            pub const ALL: &'static [Scope] = &[$(Scope::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Scope::$variant => $name,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Scope::$variant => $description,)* }
            }

            pub fn parse(s: &str) -> Option<Scope> {
                match s { $($name => Some(Scope::$variant),)* _ => None }
            }
        }
    };
}

scopes! {
    EventsRead => "events:read", "Read, count and export events";
    EventsDelete => "events:delete", "Delete events by filter";
    CallsRead => "calls:read", "Read call history and session pages";
    CallsDelete => "calls:delete", "Delete call history";
    ChatRead => "chat:read", "Read chat messages";
    ChatDelete => "chat:delete", "Delete chat messages";
    ConfigRead => "config:read", "Read configuration changes";
    ConfigDelete => "config:delete", "Delete configuration change entries";
    RecordingsRead => "recordings:read", "List, play and download recordings";
    RecordingsDelete => "recordings:delete", "Delete recordings";
    EndpointsRead => "endpoints:read", "Read endpoints";
    EndpointsDelete => "endpoints:delete", "Delete endpoints";
    UsersRead => "users:read", "Read user profiles and activity";
    DashboardRead => "dashboard:read", "Read the dashboard";
    Ingest => "ingest", "Push records of the conferencing server";
}

impl Scope {
    /// Whether this scope only reads.
    pub fn is_read(self) -> bool {
        self.as_str().ends_with(":read")
    }

    /// Parses a space-separated scope list (RFC 6749 section 3.3); `Err` names an unknown scope.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, String> {
        let mut out = Vec::new();
        for name in s.split_whitespace() {
            let scope = Scope::parse(name).ok_or_else(|| name.to_owned())?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        Ok(out)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an administrator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Sysadmin,
    /// Read-only auditor: every report, export, playback and download; no deletes, settings,
    /// accounts or apps.
    Security,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sysadmin => "sysadmin",
            Role::Security => "security",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "sysadmin" => Some(Role::Sysadmin),
            "security" => Some(Role::Security),
            _ => None,
        }
    }

    /// The scopes the role holds: all of them for `sysadmin`, every `:read` for `security`.
    pub fn grants(self, scope: Scope) -> bool {
        match self {
            Role::Sysadmin => true,
            Role::Security => scope.is_read(),
        }
    }
}

/// How dates are shown in the web app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// 2026-11-24 20:07
    #[default]
    Iso,
    /// 24.11.2026 20:07
    European,
    /// 11/24/2026 8:07 PM
    Us,
}

impl DateFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::Iso => "iso",
            DateFormat::European => "european",
            DateFormat::Us => "us",
        }
    }

    pub fn parse(s: &str) -> Option<DateFormat> {
        match s {
            "iso" => Some(DateFormat::Iso),
            "european" => Some(DateFormat::European),
            "us" => Some(DateFormat::Us),
            _ => None,
        }
    }
}

impl CsvDelimiter {
    pub fn as_str(self) -> &'static str {
        match self {
            CsvDelimiter::Comma => "comma",
            CsvDelimiter::Semicolon => "semicolon",
            CsvDelimiter::Tab => "tab",
        }
    }

    pub fn parse(s: &str) -> Option<CsvDelimiter> {
        match s {
            "comma" => Some(CsvDelimiter::Comma),
            "semicolon" => Some(CsvDelimiter::Semicolon),
            "tab" => Some(CsvDelimiter::Tab),
            _ => None,
        }
    }
}

/// An administrator's preferences: defaults of every `tz` and every export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "time_zone": "Europe/Moscow", "csv_delimiter": "semicolon", "csv_bom": true, "date_format": "european"
})))]
pub struct Preferences {
    /// IANA time zone name.
    pub time_zone: String,
    pub csv_delimiter: CsvDelimiter,
    /// Start exports with a UTF-8 byte order mark (for Excel).
    pub csv_bom: bool,
    pub date_format: DateFormat,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            time_zone: "UTC".into(),
            csv_delimiter: CsvDelimiter::Comma,
            csv_bom: false,
            date_format: DateFormat::Iso,
        }
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"login": "admin", "password": "correct horse battery staple"})))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

/// The signed-in administrator (`GET /api/v1/auth/me`, and the answer of a sign-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub login: String,
    pub role: Role,
    pub preferences: Preferences,
    /// Send it back in the `X-CSRF-Token` header of every request that changes something.
    pub csrf_token: String,
}

/// An OAuth application (`GET /api/v1/oauth-apps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthApp {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/oauth-apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "SIEM export", "scopes": ["events:read"]})))]
#[serde(deny_unknown_fields)]
pub struct NewOAuthApp {
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// An application with its secret, shown this once (creation and rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthAppSecret {
    #[serde(flatten)]
    pub app: OAuthApp,
    /// Shown once; only its hash is kept.
    pub client_secret: String,
}

/// An administrator of the web app (`GET /api/v1/admins`). The password hash is never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminAccount {
    pub login: String,
    pub role: Role,
    /// Locked after wrong passwords, until `locked_until` or until a sysadmin unlocks it.
    pub locked: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The last change of the account (password, preferences).
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/admins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"login": "auditor", "role": "security", "password": "correct horse battery staple"})))]
#[serde(deny_unknown_fields)]
pub struct NewAdmin {
    pub login: String,
    /// `sysadmin` or `security`.
    pub role: String,
    /// At least 12 characters.
    pub password: String,
}

/// `PUT /api/v1/admins/{login}/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"password": "correct horse battery staple"})))]
#[serde(deny_unknown_fields)]
pub struct NewAdminPassword {
    /// At least 12 characters.
    pub password: String,
}

//! The one table of who may call what. Every route of the API has an entry; a test enumerates
//! the routes of the OpenAPI document and fails on one without.

use actix_web::http::Method;
use confreports_types::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in, the OAuth endpoints, which authenticate the client themselves).
    Public,
    /// An OAuth application granted the scope, or an administrator whose role holds it.
    Scope(Scope),
    /// Any signed-in administrator; never an application.
    Admin,
    /// Administrators with role `sysadmin`; never an application.
    Sysadmin,
}

use Access::*;

/// `(method, route pattern, access)`.
pub const POLICY: &[(&str, &str, Access)] = &[
    // Events.
    ("GET", "/api/v1/events", Scope(Scope::EventsRead)),
    ("GET", "/api/v1/events/count", Scope(Scope::EventsRead)),
    ("GET", "/api/v1/events/export", Scope(Scope::EventsRead)),
    ("DELETE", "/api/v1/events", Scope(Scope::EventsDelete)),
    ("GET", "/api/v1/events/{id}", Scope(Scope::EventsRead)),
    ("GET", "/api/v1/event-types", Scope(Scope::EventsRead)),
    // Call history and the session page; chat files are part of it.
    ("GET", "/api/v1/calls", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/calls/count", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/calls/export", Scope(Scope::CallsRead)),
    ("DELETE", "/api/v1/calls", Scope(Scope::CallsDelete)),
    ("GET", "/api/v1/calls/{id}", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/calls/{id}/participants", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/calls/{id}/invitations", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/calls/{id}/media", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/calls/{id}/files", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/calls/{id}/chat", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/connections/{connection_id}", Scope(Scope::CallsRead)),
    ("GET", "/api/v1/files/{id}/content", Scope(Scope::CallsRead)),
    ("DELETE", "/api/v1/files/{id}", Scope(Scope::CallsDelete)),
    // Chat messages.
    ("GET", "/api/v1/chat-messages", Scope(Scope::ChatRead)),
    ("GET", "/api/v1/chat-messages/count", Scope(Scope::ChatRead)),
    ("GET", "/api/v1/chat-messages/export", Scope(Scope::ChatRead)),
    ("DELETE", "/api/v1/chat-messages", Scope(Scope::ChatDelete)),
    ("GET", "/api/v1/chat-messages/{id}", Scope(Scope::ChatRead)),
    // Configuration changes.
    ("GET", "/api/v1/config-changes", Scope(Scope::ConfigRead)),
    ("GET", "/api/v1/config-changes/count", Scope(Scope::ConfigRead)),
    ("GET", "/api/v1/config-changes/export", Scope(Scope::ConfigRead)),
    ("DELETE", "/api/v1/config-changes", Scope(Scope::ConfigDelete)),
    ("GET", "/api/v1/config-changes/{id}", Scope(Scope::ConfigRead)),
    // Users.
    ("GET", "/api/v1/users", Scope(Scope::UsersRead)),
    ("GET", "/api/v1/users/{id}", Scope(Scope::UsersRead)),
    // Endpoints, the dashboard, and settings (sysadmins only).
    // Recordings; the upload is the conferencing server's.
    ("GET", "/api/v1/recordings", Scope(Scope::RecordingsRead)),
    ("GET", "/api/v1/recordings/count", Scope(Scope::RecordingsRead)),
    ("GET", "/api/v1/recordings/export", Scope(Scope::RecordingsRead)),
    ("DELETE", "/api/v1/recordings", Scope(Scope::RecordingsDelete)),
    ("GET", "/api/v1/recordings/{id}", Scope(Scope::RecordingsRead)),
    ("GET", "/api/v1/recordings/{id}/media", Scope(Scope::RecordingsRead)),
    ("GET", "/api/v1/recordings/{id}/download", Scope(Scope::RecordingsRead)),
    ("GET", "/api/v1/recordings/{id}/chat", Scope(Scope::RecordingsRead)),
    ("DELETE", "/api/v1/recordings/{id}", Scope(Scope::RecordingsDelete)),
    ("PUT", "/api/v1/ingest/recordings/{id}/media", Scope(Scope::Ingest)),
    ("POST", "/api/v1/ingest", Scope(Scope::Ingest)),
    ("GET", "/api/v1/endpoints", Scope(Scope::EndpointsRead)),
    ("GET", "/api/v1/endpoints/count", Scope(Scope::EndpointsRead)),
    ("GET", "/api/v1/endpoints/export", Scope(Scope::EndpointsRead)),
    ("DELETE", "/api/v1/endpoints", Scope(Scope::EndpointsDelete)),
    ("GET", "/api/v1/endpoints/{id}", Scope(Scope::EndpointsRead)),
    ("GET", "/api/v1/dashboard", Scope(Scope::DashboardRead)),
    ("GET", "/api/v1/settings", Sysadmin),
    ("PUT", "/api/v1/settings", Sysadmin),
    // The audit trail: administrators, never applications.
    ("GET", "/api/v1/audit", Admin),
    // Administrators of the web app.
    ("POST", "/api/v1/auth/login", Public),
    ("POST", "/api/v1/auth/logout", Admin),
    ("GET", "/api/v1/auth/me", Admin),
    ("PUT", "/api/v1/auth/me/preferences", Admin),
    ("GET", "/api/v1/admins", Sysadmin),
    ("POST", "/api/v1/admins", Sysadmin),
    ("PUT", "/api/v1/admins/{login}/password", Sysadmin),
    ("POST", "/api/v1/admins/{login}/unlock", Sysadmin),
    ("DELETE", "/api/v1/admins/{login}", Sysadmin),
    // OAuth applications, managed by sysadmins.
    ("GET", "/api/v1/oauth-apps", Sysadmin),
    ("POST", "/api/v1/oauth-apps", Sysadmin),
    ("DELETE", "/api/v1/oauth-apps/{id}", Sysadmin),
    ("POST", "/api/v1/oauth-apps/{id}/secret", Sysadmin),
    // The OAuth 2.0 server: client authentication happens inside.
    ("POST", "/oauth2/token", Public),
    ("POST", "/oauth2/revoke", Public),
    ("POST", "/oauth2/introspect", Public),
    ("GET", "/.well-known/jwks.json", Public),
];

/// The access rule of a route; `None` when the table has no entry.
pub fn access(method: &Method, pattern: &str) -> Option<Access> {
    let method = if *method == Method::HEAD { "GET" } else { method.as_str() };
    POLICY.iter().find(|(m, p, _)| *m == method && *p == pattern).map(|(_, _, a)| *a)
}

/// The methods the table has for a route pattern (for `405 Method Not Allowed`).
pub fn methods(pattern: &str) -> Vec<&'static str> {
    POLICY.iter().filter(|(_, p, _)| *p == pattern).map(|(m, _, _)| *m).collect()
}

//! Every route of the server, in one place. Reports under `/api/v1`, the OpenAPI document and
//! Swagger UI, then the web app for everything else.

use actix_web::web;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{auth, chat, config_changes, events, users};

/// The API routes; utoipa-actix-web collects their OpenAPI paths from the same calls.
pub fn api(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            // Report data is never to be kept by browsers or proxies.
            .wrap(
                actix_web::middleware::DefaultHeaders::new().add((actix_web::http::header::CACHE_CONTROL, "no-store")),
            )
            // Reports. Fixed segments (count, export) before `{id}`.
            .service(events::list_events)
            .service(events::count_events)
            .service(events::export_events)
            .service(events::delete_events)
            .service(events::get_event)
            .service(events::list_event_types)
            .service(crate::calls::list_calls)
            .service(crate::calls::count_calls)
            .service(crate::calls::export_calls)
            .service(crate::calls::delete_calls)
            .service(crate::calls::get_call)
            .service(crate::calls::list_call_participants)
            .service(crate::calls::list_call_invitations)
            .service(crate::calls::list_call_media)
            .service(crate::calls::list_call_files)
            .service(crate::calls::list_call_chat)
            .service(crate::calls::get_connection)
            .service(crate::calls::download_file)
            .service(crate::calls::delete_file)
            .service(chat::list_chat_messages)
            .service(chat::count_chat_messages)
            .service(chat::export_chat_messages)
            .service(chat::delete_chat_messages)
            .service(chat::get_chat_message)
            .service(config_changes::list_config_changes)
            .service(config_changes::count_config_changes)
            .service(config_changes::export_config_changes)
            .service(config_changes::delete_config_changes)
            .service(config_changes::get_config_change)
            .service(crate::recordings::list_recordings)
            .service(crate::recordings::count_recordings)
            .service(crate::recordings::export_recordings)
            .service(crate::recordings::delete_recordings)
            .service(crate::recordings::get_recording)
            .service(crate::recordings::get_recording_media)
            .service(crate::recordings::download_recording)
            .service(crate::recordings::get_recording_chat)
            .service(crate::recordings::delete_recording)
            .service(crate::recordings::upload_recording_media)
            .service(crate::ingest::ingest_records)
            .service(crate::endpoints::list_endpoints)
            .service(crate::endpoints::count_endpoints)
            .service(crate::endpoints::export_endpoints)
            .service(crate::endpoints::delete_endpoints)
            .service(crate::endpoints::get_endpoint)
            .service(crate::dashboard::get_dashboard)
            .service(crate::settings::get_settings)
            .service(crate::settings::update_settings)
            .service(users::list_users)
            .service(users::get_user)
            .service(crate::audit::list_audit)
            // The web app's administrators.
            .service(auth::session::sign_in)
            .service(auth::session::sign_out)
            .service(auth::session::get_me)
            .service(auth::session::update_preferences)
            // Managing administrators (sysadmins only).
            .service(auth::admins::list_admins)
            .service(auth::admins::create_admin)
            .service(auth::admins::set_admin_password)
            .service(auth::admins::unlock_admin)
            .service(auth::admins::delete_admin_account)
            // OAuth applications, managed by sysadmins.
            .service(auth::apps::list_oauth_apps)
            .service(auth::apps::create_oauth_app)
            .service(auth::apps::revoke_oauth_app)
            .service(auth::apps::rotate_oauth_app_secret),
    );
    // The OAuth 2.0 server, outside /api/v1: it authenticates clients itself.
    cfg.service(
        scope::scope("/oauth2")
            .service(auth::oauth::issue_token)
            .service(auth::oauth::revoke_token)
            .service(auth::oauth::introspect_token),
    );
    cfg.service(auth::oauth::jwks);
}

/// Limits of request parts that come before a handler runs.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|err, _req| {
        crate::app::framework_error(actix_web::http::StatusCode::BAD_REQUEST, err.to_string())
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _req| {
        crate::app::framework_error(actix_web::http::StatusCode::BAD_REQUEST, err.to_string())
    }))
    .app_data(web::JsonConfig::default().limit(1 << 20).error_handler(|err, _req| {
        let status = match &err {
            actix_web::error::JsonPayloadError::Overflow { .. }
            | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
            }
            _ => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        };
        crate::app::framework_error(status, err.to_string())
    }));
}

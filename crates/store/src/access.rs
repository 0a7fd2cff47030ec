//! Administrators (accounts, lock state, preferences, web-app sessions) and OAuth applications
//! (hashed secrets, scopes, revoked tokens).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::DbConnection;
use crate::schema::{admin_sessions, admins, oauth_apps, revoked_tokens};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = admins)]
pub struct AdminRow {
    pub id: i64,
    pub login: String,
    pub role: String,
    pub password_hash: String,
    pub failed_attempts: i32,
    pub last_failed_at: Option<NaiveDateTime>,
    pub locked_until: Option<NaiveDateTime>,
    pub time_zone: String,
    pub csv_delimiter: String,
    pub csv_bom: bool,
    pub date_format: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn admin_count(conn: &mut DbConnection) -> QueryResult<i64> {
    admins::table.count().get_result(conn)
}

pub fn create_admin(
    conn: &mut DbConnection,
    login: &str,
    role: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(admins::table)
        .values((
            admins::login.eq(login),
            admins::role.eq(role),
            admins::password_hash.eq(password_hash),
            admins::created_at.eq(now),
            admins::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn admin_by_login(conn: &mut DbConnection, login: &str) -> QueryResult<Option<AdminRow>> {
    admins::table.filter(admins::login.eq(login)).select(AdminRow::as_select()).first(conn).optional()
}

pub fn admin_by_id(conn: &mut DbConnection, id: i64) -> QueryResult<Option<AdminRow>> {
    admins::table.find(id).select(AdminRow::as_select()).first(conn).optional()
}

pub fn list_admins(conn: &mut DbConnection) -> QueryResult<Vec<AdminRow>> {
    admins::table.order(admins::login.asc()).select(AdminRow::as_select()).load(conn)
}

/// How many administrators have role `sysadmin`.
pub fn sysadmin_count(conn: &mut DbConnection) -> QueryResult<i64> {
    admins::table.filter(admins::role.eq("sysadmin")).count().get_result(conn)
}

/// Deletes an administrator and their sessions. Returns whether the login existed.
pub fn delete_admin(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    crate::conn::write_transaction(conn, |conn| {
        delete_sessions_of(conn, id)?;
        Ok(diesel::delete(admins::table.find(id)).execute(conn)? > 0)
    })
}

/// Sets a new password; also clears failures and any lock. Returns whether the login exists.
pub fn set_password(
    conn: &mut DbConnection,
    login: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(admins::table.filter(admins::login.eq(login)))
        .set((
            admins::password_hash.eq(password_hash),
            admins::failed_attempts.eq(0),
            admins::locked_until.eq(None::<NaiveDateTime>),
            admins::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Counts a wrong password. When this makes `lock_after` consecutive failures, the account is
/// locked until `lock_until`; returns whether this failure locked it.
pub fn record_failed_login(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    lock_after: i32,
    lock_until: NaiveDateTime,
) -> QueryResult<bool> {
    crate::conn::write_transaction(conn, |conn| {
        diesel::update(admins::table.find(id))
            .set((admins::failed_attempts.eq(admins::failed_attempts + 1), admins::last_failed_at.eq(now)))
            .execute(conn)?;
        let n = diesel::update(
            admins::table
                .find(id)
                .filter(admins::failed_attempts.ge(lock_after))
                .filter(admins::locked_until.is_null().or(admins::locked_until.le(now))),
        )
        .set((admins::locked_until.eq(lock_until), admins::failed_attempts.eq(0)))
        .execute(conn)?;
        Ok(n > 0)
    })
}

pub fn record_successful_login(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::update(admins::table.find(id))
        .set((admins::failed_attempts.eq(0), admins::last_failed_at.eq(None::<NaiveDateTime>)))
        .execute(conn)
}

/// Unlocks an account now. Returns whether it was locked.
pub fn unlock_admin(conn: &mut DbConnection, login: &str) -> QueryResult<bool> {
    let n = diesel::update(admins::table.filter(admins::login.eq(login)).filter(admins::locked_until.is_not_null()))
        .set((admins::locked_until.eq(None::<NaiveDateTime>), admins::failed_attempts.eq(0)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Clears the locks that expired before `now`; returns the accounts unlocked by this call (on
/// several nodes, each expired lock is cleared, and reported, by exactly one of them).
pub fn clear_expired_locks(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<AdminRow>> {
    let expired: Vec<AdminRow> =
        admins::table.filter(admins::locked_until.le(now)).select(AdminRow::as_select()).load(conn)?;
    let mut cleared = Vec::new();
    for admin in expired {
        let n = diesel::update(admins::table.find(admin.id).filter(admins::locked_until.eq(admin.locked_until)))
            .set(admins::locked_until.eq(None::<NaiveDateTime>))
            .execute(conn)?;
        if n > 0 {
            cleared.push(admin);
        }
    }
    Ok(cleared)
}

pub fn set_preferences(
    conn: &mut DbConnection,
    id: i64,
    time_zone: &str,
    csv_delimiter: &str,
    csv_bom: bool,
    date_format: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(admins::table.find(id))
        .set((
            admins::time_zone.eq(time_zone),
            admins::csv_delimiter.eq(csv_delimiter),
            admins::csv_bom.eq(csv_bom),
            admins::date_format.eq(date_format),
            admins::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn create_session(
    conn: &mut DbConnection,
    token_hash: &str,
    admin_id: i64,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> QueryResult<usize> {
    diesel::insert_into(admin_sessions::table)
        .values((
            admin_sessions::token_hash.eq(token_hash),
            admin_sessions::admin_id.eq(admin_id),
            admin_sessions::created_at.eq(now),
            admin_sessions::expires_at.eq(expires_at),
            admin_sessions::ip.eq(ip),
            admin_sessions::user_agent.eq(user_agent),
        ))
        .execute(conn)
}

/// The administrator of an unexpired session.
pub fn session_admin(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<AdminRow>> {
    admin_sessions::table
        .inner_join(admins::table)
        .filter(admin_sessions::token_hash.eq(token_hash))
        .filter(admin_sessions::expires_at.gt(now))
        .select(AdminRow::as_select())
        .first(conn)
        .optional()
}

pub fn delete_session(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::token_hash.eq(token_hash))).execute(conn)
}

/// Ends every session of an administrator (password change).
pub fn delete_sessions_of(conn: &mut DbConnection, admin_id: i64) -> QueryResult<usize> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::admin_id.eq(admin_id))).execute(conn)
}

pub fn delete_expired_sessions(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::expires_at.le(now))).execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_apps)]
pub struct AppRow {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    /// Space-separated.
    pub scopes: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn create_app(
    conn: &mut DbConnection,
    client_id: &str,
    name: &str,
    secret_hash: &str,
    scopes: &str,
    now: NaiveDateTime,
) -> QueryResult<AppRow> {
    diesel::insert_into(oauth_apps::table)
        .values((
            oauth_apps::client_id.eq(client_id),
            oauth_apps::name.eq(name),
            oauth_apps::secret_hash.eq(secret_hash),
            oauth_apps::scopes.eq(scopes),
            oauth_apps::active.eq(true),
            oauth_apps::created_at.eq(now),
        ))
        .execute(conn)?;
    oauth_apps::table.filter(oauth_apps::client_id.eq(client_id)).select(AppRow::as_select()).first(conn)
}

pub fn app_by_client_id(conn: &mut DbConnection, client_id: &str) -> QueryResult<Option<AppRow>> {
    oauth_apps::table.filter(oauth_apps::client_id.eq(client_id)).select(AppRow::as_select()).first(conn).optional()
}

pub fn app_by_id(conn: &mut DbConnection, id: i64) -> QueryResult<Option<AppRow>> {
    oauth_apps::table.find(id).select(AppRow::as_select()).first(conn).optional()
}

pub fn list_apps(conn: &mut DbConnection) -> QueryResult<Vec<AppRow>> {
    oauth_apps::table.order(oauth_apps::id.asc()).select(AppRow::as_select()).load(conn)
}

/// Deactivates an application: its tokens stop working at once. Returns whether it was active.
pub fn revoke_app(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(oauth_apps::table.find(id).filter(oauth_apps::active.eq(true)))
        .set((oauth_apps::active.eq(false), oauth_apps::revoked_at.eq(now)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Replaces an active application's secret. Returns whether the application exists and is active.
pub fn rotate_app_secret(conn: &mut DbConnection, id: i64, secret_hash: &str) -> QueryResult<bool> {
    let n = diesel::update(oauth_apps::table.find(id).filter(oauth_apps::active.eq(true)))
        .set(oauth_apps::secret_hash.eq(secret_hash))
        .execute(conn)?;
    Ok(n > 0)
}

/// Records a revoked access token until it would have expired anyway.
pub fn revoke_token(conn: &mut DbConnection, jti: &str, expires_at: NaiveDateTime) -> QueryResult<()> {
    if is_token_revoked(conn, jti)? {
        return Ok(());
    }
    diesel::insert_into(revoked_tokens::table)
        .values((revoked_tokens::jti.eq(jti), revoked_tokens::expires_at.eq(expires_at)))
        .execute(conn)?;
    Ok(())
}

pub fn is_token_revoked(conn: &mut DbConnection, jti: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(revoked_tokens::table.filter(revoked_tokens::jti.eq(jti)))).get_result(conn)
}

pub fn purge_revoked_tokens(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.le(now))).execute(conn)
}

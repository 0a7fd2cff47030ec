//! Signing the benchmark in, when the server asks for it: a read-only (`security`)
//! administrator `bench` is created (or given a new password) through the server's own CLI
//! before the server starts, then signs in once; the session cookie goes with every request.
//! A server without sign-in (no `admin` subcommand, or a list that answers 200 unsigned) is
//! used as is.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail, ensure};
use rand::Rng as _;

pub const LOGIN: &str = "bench";
const SESSION_COOKIE: &str = "confreports_session";
/// The header carrying a session's CSRF token.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Credentials of the bench administrator, when the server binary manages administrators.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

fn admin_cli(
    bin: &Path,
    database_url: &str,
    data_dir: &Path,
    args: &[&str],
    password: &str,
) -> anyhow::Result<(bool, String)> {
    let mut child = Command::new(bin)
        .arg("--database-url")
        .arg(database_url)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("admin")
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {} admin", bin.display()))?;
    child.stdin.take().context("no stdin")?.write_all(format!("{password}\n").as_bytes())?;
    let out = child.wait_with_output()?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// Makes sure the administrator `bench` exists with a fresh password; `None` when the server
/// binary has no `admin` subcommand (a server without sign-in).
pub fn provision(bin: &Path, database_url: &str, data_dir: &Path) -> anyhow::Result<Option<Credentials>> {
    provision_as(bin, database_url, data_dir, LOGIN, "security")
}

/// Makes sure the administrator `login` exists with a fresh password (created with `role`);
/// `None` when the server binary has no `admin` subcommand (a server without sign-in).
pub fn provision_as(
    bin: &Path,
    database_url: &str,
    data_dir: &Path,
    login: &str,
    role: &str,
) -> anyhow::Result<Option<Credentials>> {
    let has_admin = Command::new(bin)
        .args(["admin", "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_admin {
        return Ok(None);
    }
    let mut rng = rand::rng();
    let password: String = (0..24).map(|_| rng.sample(rand::distr::Alphanumeric) as char).collect();
    let (created, create_out) = admin_cli(
        bin,
        database_url,
        data_dir,
        &["create", "--login", login, "--role", role, "--password-stdin"],
        &password,
    )?;
    if !created {
        let (changed, passwd_out) =
            admin_cli(bin, database_url, data_dir, &["passwd", "--password-stdin", login], &password)?;
        if !changed {
            bail!("cannot create the administrator `{login}`: {create_out}\nnor set its password: {passwd_out}");
        }
    }
    Ok(Some(Credentials { login: login.to_owned(), password }))
}

/// Signs in; the `Cookie` header value for the requests that follow.
pub fn sign_in(agent: &ureq::Agent, base: &str, credentials: &Credentials) -> anyhow::Result<String> {
    Ok(sign_in_session(agent, base, credentials)?.cookie)
}

/// A signed-in session: what requests send.
#[derive(Debug, Clone)]
pub struct Session {
    /// The `Cookie` header value.
    pub cookie: String,
    /// The `X-CSRF-Token` header value, which requests that change something need.
    pub csrf_token: String,
}

/// Signs in; the session cookie and its CSRF token.
pub fn sign_in_session(agent: &ureq::Agent, base: &str, credentials: &Credentials) -> anyhow::Result<Session> {
    let url = format!("{base}/api/v1/auth/login");
    let mut res = agent
        .post(&url)
        .send_json(serde_json::json!({"login": credentials.login, "password": credentials.password}))
        .with_context(|| format!("POST {url}"))?;
    let status = res.status();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned);
    let body = res.body_mut().read_to_string().unwrap_or_default();
    ensure!(status == 200, "signing in as `{}`: {status} {body}", credentials.login);
    let cookie = cookie
        .with_context(|| format!("signing in as `{}`: no {SESSION_COOKIE} cookie in the answer", credentials.login))?;
    let me: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let csrf_token = me["csrf_token"].as_str().unwrap_or_default().to_owned();
    Ok(Session { cookie, csrf_token })
}

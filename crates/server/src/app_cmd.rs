//! `confreports app ...`: OAuth applications, with the same code (and the same events) as
//! `/api/v1/oauth-apps`.

use anyhow::Context as _;
use clap::Subcommand;
use confreports_api::auth::apps::{self, AppsError, Origin};
use confreports_store::DbConnection;
use confreports_store::access;
use confreports_types::{NewOAuthApp, OAuthApp, OAuthAppSecret, Scope};

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create an application; prints its client id and secret (shown this once).
    Create {
        /// A name people recognise (shown in the events the application causes).
        #[arg(long)]
        name: String,
        /// A scope to grant; repeat the flag (or separate with commas) for several.
        #[arg(long = "scope", required = true, value_delimiter = ',', value_parser = parse_scope)]
        scopes: Vec<Scope>,
        /// Print the application and its secret as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the applications.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an application: its secret and tokens stop working at once.
    Revoke {
        /// Application id, or its client id.
        id: String,
    },
    /// Give an application a new secret (the old one stops working); prints it once.
    Rotate {
        /// Application id, or its client id.
        id: String,
        /// Print the application and its new secret as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    Scope::parse(s.trim()).ok_or_else(|| {
        format!("unknown scope `{s}`; one of: {}", Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
    })
}

/// The numeric id of an application named by id or client id.
fn resolve(conn: &mut DbConnection, id: &str) -> anyhow::Result<i64> {
    if let Ok(n) = id.parse::<i64>() {
        return Ok(n);
    }
    let app =
        access::app_by_client_id(conn, id)?.with_context(|| format!("no OAuth application with client id `{id}`"))?;
    Ok(app.id)
}

fn apps_error(e: AppsError) -> anyhow::Error {
    match e {
        AppsError::Invalid { field, message } => anyhow::anyhow!("{field}: {message}"),
        other => anyhow::Error::new(other),
    }
}

fn print_secret(s: &OAuthAppSecret, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(s)?);
    } else {
        println!("client_id:     {}", s.app.client_id);
        println!("client_secret: {}", s.client_secret);
        eprintln!("The secret is shown this once; only its hash is kept.");
    }
    Ok(())
}

fn scopes_text(app: &OAuthApp) -> String {
    Scope::join(&app.scopes)
}

pub fn run(conn: &mut DbConnection, command: AppCommand) -> anyhow::Result<()> {
    match command {
        AppCommand::Create { name, scopes, json } => {
            let created =
                apps::create(conn, &NewOAuthApp { name, scopes }, &Origin::CommandLine).map_err(apps_error)?;
            eprintln!(
                "OAuth application `{}` created (id {}) with scopes {}",
                created.app.name,
                created.app.id,
                scopes_text(&created.app)
            );
            print_secret(&created, json)?;
        }
        AppCommand::List { json } => {
            let list = apps::list(conn).map_err(apps_error)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!("{:>5} {:<22} {:<8} {:<17} {:<24} scopes", "id", "client_id", "state", "created", "name");
                for a in &list {
                    println!(
                        "{:>5} {:<22} {:<8} {:<17} {:<24} {}",
                        a.id,
                        a.client_id,
                        if a.active { "active" } else { "revoked" },
                        a.created_at.format("%Y-%m-%d %H:%M"),
                        a.name,
                        scopes_text(a)
                    );
                }
            }
        }
        AppCommand::Revoke { id } => {
            let id = resolve(conn, &id)?;
            let app = apps::revoke(conn, id, &Origin::CommandLine).map_err(apps_error)?;
            eprintln!("OAuth application `{}` ({}) is revoked; its tokens no longer work", app.name, app.client_id);
        }
        AppCommand::Rotate { id, json } => {
            let id = resolve(conn, &id)?;
            let rotated = apps::rotate(conn, id, &Origin::CommandLine).map_err(apps_error)?;
            eprintln!("new secret for OAuth application `{}`; the old one no longer works", rotated.app.name);
            print_secret(&rotated, json)?;
        }
    }
    Ok(())
}

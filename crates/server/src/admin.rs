//! `confreports admin ...`: administrators of the web app.

use std::io::Read as _;

use anyhow::Context as _;
use chrono::Utc;
use clap::Subcommand;
use confreports_api::auth::admins;
use confreports_api::auth::apps::Origin;
use confreports_api::auth::password;
use confreports_store::DbConnection;
use confreports_store::access;
use confreports_store::events::{self, NewEvent};
use confreports_store::report::to_db_time;
use confreports_types::{EventType, NewAdmin};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator; the password is read from standard input.
    Create {
        #[arg(long)]
        login: String,
        #[arg(long, value_parser = ["sysadmin", "security"])]
        role: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List the administrators.
    List,
    /// Set an administrator's password (read from standard input) and end their sessions.
    Passwd {
        login: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Unlock an account locked after wrong passwords.
    Unlock { login: String },
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).context("reading the password from standard input")?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    password::check_new(&p).map_err(anyhow::Error::msg)?;
    Ok(p)
}

fn cli_event(event_type: EventType, login: &str, role: &str, description: String) -> NewEvent {
    let mut e = NewEvent::new(Utc::now(), event_type, true);
    e.user_id = Some(login.to_owned());
    e.admin_type = Some(role.to_owned());
    e.description = Some(description);
    e.auth_method = Some("cli".into());
    e
}

pub fn run(conn: &mut DbConnection, command: AdminCommand) -> anyhow::Result<()> {
    let origin = Origin::CommandLine;
    match command {
        AdminCommand::Create { login, role, .. } => {
            let new = NewAdmin { login, role, password: read_password()? };
            let created = admins::create(conn, &new, &origin)?;
            eprintln!("administrator `{}` created with role {}", created.login, created.role.as_str());
        }
        AdminCommand::List => {
            println!("{:<24} {:<9} {:<8} created", "login", "role", "state");
            for a in admins::list(conn)? {
                let state = if a.locked { "locked" } else { "active" };
                println!(
                    "{:<24} {:<9} {:<8} {}",
                    a.login,
                    a.role.as_str(),
                    state,
                    a.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        AdminCommand::Passwd { login, .. } => {
            admins::set_password(conn, &login, &read_password()?, &origin)?;
            eprintln!("password of `{login}` changed; their sessions are ended");
        }
        AdminCommand::Unlock { login } => {
            let unlocked = admins::unlock(conn, &login, &origin)?;
            eprintln!("{}", if unlocked { format!("`{login}` unlocked") } else { format!("`{login}` was not locked") });
        }
    }
    Ok(())
}

/// A database without administrators gets a sysadmin `admin` with a random password, printed
/// once. There is no default password anywhere.
pub fn ensure_first_admin(conn: &mut DbConnection) -> anyhow::Result<()> {
    if access::admin_count(conn)? > 0 {
        return Ok(());
    }
    let secret = password::generate();
    let hash = password::hash(&secret).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let created = confreports_store::conn::write_transaction(conn, |conn| {
        access::create_admin(conn, "admin", "sysadmin", &hash, to_db_time(Utc::now()))?;
        events::insert(
            conn,
            &[cli_event(EventType::Activation, "admin", "sysadmin", "first administrator created at start-up".into())],
        )?;
        let entry = confreports_store::audit::Entry::system("admin_created")
            .with_target("admin:admin")
            .with_details(serde_json::json!({ "login": "admin", "role": "sysadmin", "reason": "first start" }));
        confreports_store::audit::append(conn, &entry).map(|_| ())
    });
    match created {
        Ok(()) => {}
        // Another node starting at the same moment created it (and showed its password).
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    eprintln!();
    eprintln!("  ┌─────────────────────────────────────────────────────────────────────┐");
    eprintln!("  │ First start: sign in as `admin` with password {secret:<22}│");
    eprintln!("  │ It is shown this once. Change it: confreports admin passwd admin    │");
    eprintln!("  │ --password-stdin                                                    │");
    eprintln!("  └─────────────────────────────────────────────────────────────────────┘");
    eprintln!();
    Ok(())
}

//! `confreports simulate`: drives a running server through the ingest API like a conferencing
//! server would: users and their endpoints, sessions with participants joining, leaving and
//! renaming, chat in Russian and English, media statistics, invitations, configuration changes
//! and sign-in/out and status events, pushed in batches at a given rate.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use chrono::Utc;
use rand::prelude::*;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct SimulateOptions {
    pub url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Records per second.
    pub rate: u32,
    /// Seconds to run; `None`: until interrupted.
    pub duration: Option<u64>,
    /// Records per batch.
    pub batch: u32,
}

/// What the run achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub batches: u64,
    pub accepted: u64,
    pub duplicates: u64,
    /// Records of batches the server refused or that could not be sent.
    pub errors: u64,
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A client-credentials token, refreshed before it expires.
struct TokenSource {
    agent: ureq::Agent,
    url: String,
    basic: String,
    token: String,
    refresh_at: Instant,
}

impl TokenSource {
    fn new(agent: ureq::Agent, base: &str, client_id: &str, secret: &str) -> Self {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", pct(client_id), pct(secret)));
        TokenSource {
            agent,
            url: format!("{base}/oauth2/token"),
            basic: format!("Basic {basic}"),
            token: String::new(),
            refresh_at: Instant::now(),
        }
    }

    fn get(&mut self) -> anyhow::Result<String> {
        if self.token.is_empty() || Instant::now() >= self.refresh_at {
            self.fetch()?;
        }
        Ok(self.token.clone())
    }

    fn fetch(&mut self) -> anyhow::Result<()> {
        let mut res = self
            .agent
            .post(&self.url)
            .header("authorization", &self.basic)
            .send_form([("grant_type", "client_credentials")])
            .with_context(|| format!("POST {}", self.url))?;
        let status = res.status().as_u16();
        let body: Value = res.body_mut().read_json().unwrap_or(Value::Null);
        if status != 200 {
            bail!("token request refused ({status}): {body}");
        }
        let token = body["access_token"].as_str().context("no access_token in the token answer")?;
        let expires_in = body["expires_in"].as_u64().unwrap_or(300);
        self.token = token.to_owned();
        // Refresh at four fifths of the lifetime, well before it runs out.
        self.refresh_at = Instant::now() + Duration::from_secs(expires_in * 4 / 5);
        tracing::debug!(expires_in, "access token obtained");
        Ok(())
    }
}

const FIRST: &[&str] = &["Анна", "Иван", "Мария", "Сергей", "Olga", "John", "Emma", "Dmitry", "Elena", "Peter"];
const LAST: &[&str] = &["Петрова", "Смирнов", "Кузнецова", "Orlov", "Smith", "Brown", "Волков", "Ivanova"];
const DEPARTMENTS: &[&str] = &["Sales", "Engineering", "Support", "Finance", "HR"];
const CHAT: &[&str] = &[
    "Коллеги, начинаем через минуту",
    "Меня слышно?",
    "Презентацию пришлю после встречи",
    "Давайте перенесём на четверг",
    "Can you share your screen?",
    "Sorry, I was on mute",
    "Let's wrap up in five minutes",
    "Thanks everyone!",
];
const TITLES: &[&str] = &["Weekly sales", "Планёрка", "Sprint review", "Обучение новых сотрудников", "Board call"];

struct Session {
    id: String,
    title: String,
    connections: Vec<(String, usize)>,
    guests: u32,
}

/// Makes realistic records, each with a source id unique to this run.
struct Generator {
    rng: SmallRng,
    run: String,
    seq: u64,
    users: Vec<(String, String)>,
    started: bool,
    sessions: Vec<Session>,
}

impl Generator {
    fn new(users: usize) -> Self {
        let mut rng = SmallRng::from_os_rng();
        let run = format!("{:08x}", rng.random::<u32>());
        let users = (0..users)
            .map(|i| {
                let name = format!("{} {}", FIRST[i % FIRST.len()], LAST[(i / FIRST.len() + i) % LAST.len()]);
                (format!("sim{i:03}-{run}@corp.example"), name)
            })
            .collect();
        Generator { rng, run, seq: 0, users, started: false, sessions: Vec::new() }
    }

    fn id(&mut self, what: &str) -> String {
        self.seq += 1;
        format!("sim-{}-{what}-{}", self.run, self.seq)
    }

    fn now() -> String {
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// Users and their endpoints first, then a mix.
    fn batch(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::with_capacity(n);
        if !self.started {
            self.started = true;
            for i in 0..self.users.len() {
                let (uid, name) = self.users[i].clone();
                let id = self.id("user");
                out.push(json!({"kind": "user", "id": id, "user_id": uid, "display_name": name,
                    "email": uid, "department": DEPARTMENTS[i % DEPARTMENTS.len()], "created_at": Self::now()}));
                let id = self.id("ep");
                let (app, ty, os) = [
                    ("Desktop client", "desktop", "Windows 11"),
                    ("Mobile", "mobile", "Android 15"),
                    ("Web", "browser", "macOS 15"),
                ][i % 3];
                out.push(json!({"kind": "endpoint", "id": id, "change": "connect", "endpoint_id": format!("ep-{uid}"),
                    "user_id": uid, "app": app, "app_version": "5.2.1", "endpoint_type": ty, "os": os,
                    "ip": format!("10.20.{}.{}", i / 200, 10 + i % 200), "time": Self::now()}));
            }
        }
        while out.len() < n {
            let r = self.one();
            out.push(r);
        }
        out
    }

    fn user(&mut self) -> (usize, String, String) {
        let i = self.rng.random_range(0..self.users.len());
        (i, self.users[i].0.clone(), self.users[i].1.clone())
    }

    fn one(&mut self) -> Value {
        let now = Self::now();
        let roll = self.rng.random_range(0..100);
        if self.sessions.is_empty() || (roll < 6 && self.sessions.len() < 8) {
            let (_, owner, _) = self.user();
            let sid = format!("sim-{}-sess-{}", self.run, self.seq);
            let title = TITLES[self.rng.random_range(0..TITLES.len())].to_owned();
            self.sessions.push(Session { id: sid.clone(), title: title.clone(), connections: Vec::new(), guests: 0 });
            let id = self.id("ss");
            let mode = ["symmetric", "role_based", "webinar"][self.rng.random_range(0..3)];
            return json!({"kind": "session_started", "id": id, "session_id": sid, "title": title,
                "owner": owner, "mode": mode, "started_at": now});
        }
        let si = self.rng.random_range(0..self.sessions.len());
        match roll {
            0..=35 => {
                let (_, uid, name) = self.user();
                let (ty, extra) = match self.rng.random_range(0..10) {
                    0..=3 => ("login", json!({"auth_method": "password"})),
                    4..=6 => ("logout", json!({})),
                    _ => ("status", json!({"previous_status": 1, "new_status": self.rng.random_range(2..5)})),
                };
                let id = self.id("ev");
                let mut v = json!({"kind": "event", "id": id, "time": now, "type": ty, "success": true,
                    "user_id": uid, "display_name": name, "endpoint_id": format!("ep-{uid}"), "ip": "10.20.0.1"});
                if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                    o.extend(e.clone());
                }
                v
            }
            36..=50 => {
                let join_guest = self.rng.random_bool(0.2);
                let cid = self.id("conn");
                let id = self.id("pj");
                let s = &mut self.sessions[si];
                if join_guest {
                    s.guests += 1;
                    let name = format!("Guest {}", s.guests);
                    s.connections.push((cid.clone(), usize::MAX));
                    json!({"kind": "participant_joined", "id": id, "session_id": s.id, "connection_id": cid,
                        "display_name": name, "endpoint_id": format!("inst-{cid}"), "app": "Web", "time": now})
                } else {
                    let sid = s.id.clone();
                    let (i, uid, name) = self.user();
                    self.sessions[si].connections.push((cid.clone(), i));
                    json!({"kind": "participant_joined", "id": id, "session_id": sid, "connection_id": cid,
                        "user_id": uid, "display_name": name, "endpoint_id": format!("ep-{uid}"),
                        "device": "Laptop", "app": "Desktop client", "app_version": "5.2.1", "ip": "10.20.0.1", "time": now})
                }
            }
            51..=65 if !self.sessions[si].connections.is_empty() => {
                let k = self.rng.random_range(0..self.sessions[si].connections.len());
                let cid = self.sessions[si].connections[k].0.clone();
                let sid = self.sessions[si].id.clone();
                let id = self.id("ms");
                json!({"kind": "media_stats", "id": id, "session_id": sid, "connection_id": cid,
                    "bitrate_in_kbps": self.rng.random_range(300..2500), "bitrate_out_kbps": self.rng.random_range(200..1500),
                    "resolution": "1280x720", "fps": 30.0, "packet_loss_pct": self.rng.random_range(0.0..3.0),
                    "jitter_ms": self.rng.random_range(1.0..40.0), "cpu_pct": self.rng.random_range(5.0..80.0), "time": now})
            }
            66..=78 => {
                let (_, uid, name) = self.user();
                let text = CHAT[self.rng.random_range(0..CHAT.len())];
                let id = self.id("msg");
                if self.rng.random_bool(0.8) {
                    json!({"kind": "chat_message", "id": id, "session_id": self.sessions[si].id, "sender": uid,
                        "sender_name": name, "text": text, "time": now})
                } else {
                    let (_, to, _) = self.user();
                    json!({"kind": "chat_message", "id": id, "recipient": to, "sender": uid,
                        "sender_name": name, "text": text, "time": now})
                }
            }
            79..=83 => {
                let (_, uid, _) = self.user();
                let id = self.id("inv");
                let outcome = ["accepted", "rejected", "missed"][self.rng.random_range(0..3)];
                json!({"kind": "invitation", "id": id, "session_id": self.sessions[si].id, "inviter": "conf.corp.example",
                    "inviter_is_server": true, "invitee": uid, "outcome": outcome, "time": now})
            }
            84..=86 => {
                let id = self.id("cc");
                let n = self.rng.random_range(10..200);
                json!({"kind": "config_change", "id": id, "actor": "admin", "actor_type": "admin",
                    "object_type": "conference", "object": self.sessions[si].title,
                    "changes": [{"parameter": "max_participants", "before": n.to_string(), "after": (n + 10).to_string()}],
                    "time": now})
            }
            87..=92 if !self.sessions[si].connections.is_empty() => {
                let k = self.rng.random_range(0..self.sessions[si].connections.len());
                let (cid, who) = self.sessions[si].connections.remove(k);
                let sid = self.sessions[si].id.clone();
                if who == usize::MAX && self.rng.random_bool(0.5) {
                    // A guest renames instead of leaving.
                    self.sessions[si].connections.push((cid.clone(), who));
                    let id = self.id("pr");
                    return json!({"kind": "participant_renamed", "id": id, "session_id": sid, "connection_id": cid,
                        "old_name": "Guest", "new_name": "Guest (Contoso)", "time": now});
                }
                let id = self.id("pl");
                let reason = ["hangup", "network", "kicked"][self.rng.random_range(0..3)];
                json!({"kind": "participant_left", "id": id, "session_id": sid, "connection_id": cid,
                    "reason": reason, "time": now})
            }
            93..=95 if self.sessions.len() > 2 => {
                let s = self.sessions.remove(si);
                let id = self.id("se");
                json!({"kind": "session_ended", "id": id, "session_id": s.id, "ended_at": now})
            }
            _ => {
                let (_, uid, _) = self.user();
                let id = self.id("ev");
                json!({"kind": "event", "id": id, "time": now, "type": "status", "user_id": uid,
                    "previous_status": 2, "new_status": 1})
            }
        }
    }
}

/// Runs the simulation and prints the summary.
pub fn run(opts: &SimulateOptions) -> anyhow::Result<Summary> {
    let base = opts.url.trim_end_matches('/').to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut tokens = TokenSource::new(agent.clone(), &base, &opts.client_id, &opts.client_secret);
    tokens.get()?;
    let rate = opts.rate.max(1) as f64;
    let batch = opts.batch.clamp(1, 10_000) as usize;
    let interval = Duration::from_secs_f64(batch as f64 / rate);
    let mut generator = Generator::new(30);
    let url = format!("{base}/api/v1/ingest");
    let started = Instant::now();
    let end = opts.duration.map(|d| started + Duration::from_secs(d));
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = match opts.duration {
            Some(d) => indicatif::ProgressBar::new(d),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} simulate [{bar:30}] {pos}/{len}s {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut summary = Summary::default();
    let mut next = Instant::now();
    let mut last_log = Instant::now();
    while end.is_none_or(|e| Instant::now() < e) {
        let records = generator.batch(batch);
        let body = serde_json::to_vec(&records)?;
        let n = records.len() as u64;
        let mut sent = false;
        for attempt in 0..3 {
            let token = match tokens.get() {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(error = %e, "no token");
                    std::thread::sleep(Duration::from_millis(500));
                    continue;
                }
            };
            match agent
                .post(&url)
                .header("authorization", &format!("Bearer {token}"))
                .content_type("application/json")
                .send(&body[..])
            {
                Ok(mut res) => {
                    let status = res.status().as_u16();
                    let answer: Value = res.body_mut().read_json().unwrap_or(Value::Null);
                    match status {
                        200 => {
                            summary.accepted += answer["accepted"].as_u64().unwrap_or(0);
                            summary.duplicates += answer["duplicates"].as_u64().unwrap_or(0);
                            sent = true;
                            break;
                        }
                        // The token expired or was revoked: fetch a new one and retry.
                        401 => tokens.token.clear(),
                        s if s >= 500 && attempt < 2 => {
                            tracing::warn!(status = s, "server error; retrying the batch (duplicates are skipped)");
                            std::thread::sleep(Duration::from_millis(500));
                        }
                        s => {
                            tracing::warn!(status = s, %answer, "batch refused");
                            break;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sending the batch failed; retrying");
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
        summary.batches += 1;
        if !sent {
            summary.errors += n;
        }
        let msg =
            format!("accepted {} · duplicates {} · errors {}", summary.accepted, summary.duplicates, summary.errors);
        match &bar {
            Some(bar) => {
                bar.set_position(started.elapsed().as_secs());
                bar.set_message(msg);
            }
            None if last_log.elapsed() >= Duration::from_secs(5) => {
                last_log = Instant::now();
                tracing::info!("simulate: {msg}");
            }
            None => {}
        }
        next += interval;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    println!(
        "batches {} · accepted {} · duplicates {} · errors {} in {:.1} s",
        summary.batches,
        summary.accepted,
        summary.duplicates,
        summary.errors,
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

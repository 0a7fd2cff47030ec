//! Realistic demo data for a 200-person organisation: users, endpoints, a month of events,
//! conferences and their sessions with participants, invitations, media quality, chat in
//! Russian and English, configuration changes and recordings. Deterministic for a seed.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Utc, Weekday};
use confreports_types::EventType;
use confreports_types::config_changes::{ActorType, ParameterChange};
use diesel::prelude::*;
use rand::prelude::*;
use rand::rngs::SmallRng;

use crate::DbConnection;
use crate::calls;
use crate::events::{self, NewEvent};
use crate::records::*;
use crate::report::{search_text, to_db_time};

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub days: u32,
    pub users: u32,
    /// Number of events; `None` for what the users' month of activity gives.
    pub events: Option<u64>,
    pub seed: u64,
    /// The last day of the data.
    pub now: DateTime<Utc>,
    /// Where the content of chat files goes (`<data-dir>/files`); `None` writes no content.
    pub files_dir: Option<std::path::PathBuf>,
    /// Where recordings' media goes (`<data-dir>/recordings`): every demo recording gets
    /// [`SAMPLE_WEBM`] as its media (hard links of one copy); `None` writes no media.
    pub recordings_dir: Option<std::path::PathBuf>,
}

/// The demo recording: 20 s of VP8 test pattern and an Opus 440 Hz tone (`demo/sample.webm`).
pub const SAMPLE_WEBM: &[u8] = include_bytes!("../../../demo/sample.webm");
/// Its length, as its WebM Duration element says (20.0 s).
pub const SAMPLE_WEBM_DURATION_S: i64 = 20;

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            days: 30,
            users: 200,
            events: None,
            seed: 2026,
            now: Utc::now(),
            files_dir: None,
            recordings_dir: None,
        }
    }
}

/// How far generation has come: `done` of `total` steps, with what is being written.
pub trait Progress {
    fn set_total(&mut self, total: u64);
    fn advance(&mut self, what: &str, n: u64);
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub users: usize,
    pub endpoints: usize,
    pub events: usize,
    pub conferences: usize,
    pub sessions: usize,
    pub participations: usize,
    pub chat_messages: usize,
    pub config_changes: usize,
    pub recordings: usize,
}

const FIRST_RU: &[&str] = &[
    "Иван",
    "Мария",
    "Алексей",
    "Ольга",
    "Дмитрий",
    "Анна",
    "Сергей",
    "Елена",
    "Павел",
    "Наталья",
    "Андрей",
    "Татьяна",
];
/// Masculine forms; women's surnames add "а". `FIRST_RU` alternates men's and women's names.
const LAST_RU: &[&str] =
    &["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов"];
const FIRST_EN: &[&str] = &["John", "Emily", "Michael", "Sarah", "David", "Laura", "James", "Anna", "Robert", "Olivia"];
const LAST_EN: &[&str] =
    &["Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Hall", "Young"];
const DEPARTMENTS: &[&str] = &["Sales", "Engineering", "Support", "Finance", "HR", "Marketing", "Legal"];
const CHAT_RU: &[&str] = &[
    "Привет! Начинаем через пять минут.",
    "Коллеги, презентация в чате.",
    "Меня плохо слышно?",
    "Спасибо всем, до завтра!",
    "Можно повторить последний слайд?",
    "Отправил договор на согласование.",
    "Перенесём встречу на четверг?",
    "ПРИВЕТ всем из Новосибирска",
];
const CHAT_EN: &[&str] = &[
    "Hi all, starting in five minutes.",
    "Can everyone see my screen?",
    "The slides are in the chat.",
    "You are on mute.",
    "Thanks everyone, see you tomorrow!",
    "Let's move the review to Thursday.",
    "I'll send the report after the call.",
    "Sorry, my connection dropped.",
];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "TrueConfClient/8.5.2 (Windows 11)",
    "TrueConfClient/8.5.1 (Ubuntu 24.04)",
    "ConfMobile/5.3 (Android 14)",
    "ConfMobile/5.3 (iOS 18.1)",
];
const SERVER: &str = "conf.corp.example";

struct Person {
    id: String,
    name: String,
    ip: String,
    endpoints: Vec<String>,
    auth: &'static str,
    ua: &'static str,
}

/// Writing chat file content failed; reported through the query error like the rest.
fn io_error(e: std::io::Error) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(Box::new(e))
}

fn t(dt: DateTime<Utc>) -> NaiveDateTime {
    to_db_time(dt)
}

/// Fills an empty database. All rows go in one transaction: a failed run leaves nothing.
pub fn generate(conn: &mut DbConnection, opts: &DemoOptions, progress: &mut dyn Progress) -> QueryResult<DemoSummary> {
    let mut rng = SmallRng::seed_from_u64(opts.seed);
    let start = opts.now - Duration::days(i64::from(opts.days));
    let user_count = opts.users.max(4) as usize;
    let target_events = opts.events.unwrap_or(u64::from(opts.days) * user_count as u64 * 6);
    progress.set_total(target_events + 6);

    if let Some(dir) = &opts.files_dir {
        std::fs::create_dir_all(dir).map_err(io_error)?;
    }
    // One copy of the sample; each recording's media is a hard link to it (a copy where links
    // are not possible), so deleting one recording's file leaves the others.
    let mut sample_master: Option<std::path::PathBuf> = None;
    let mut recording_media = |dir: &std::path::Path, session_id: &str| -> Result<String, diesel::result::Error> {
        let safe: String = session_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
            .collect();
        let key = format!("demo-rec-{safe}");
        let path = dir.join(&key);
        let _ = std::fs::remove_file(&path);
        match &sample_master {
            Some(master) => {
                if std::fs::hard_link(master, &path).is_err() {
                    std::fs::copy(master, &path).map_err(io_error)?;
                }
            }
            None => {
                std::fs::create_dir_all(dir).map_err(io_error)?;
                std::fs::write(&path, SAMPLE_WEBM).map_err(io_error)?;
                sample_master = Some(path);
            }
        }
        Ok(key)
    };
    crate::conn::write_transaction(conn, |conn| {
        let mut summary = DemoSummary::default();

        // Users and their endpoints.
        let mut people = Vec::with_capacity(user_count);
        let mut users = Vec::new();
        let mut endpoints = Vec::new();
        for i in 0..user_count {
            let russian = i % 3 != 0;
            let (first, last) = if russian {
                let k = i % FIRST_RU.len();
                let last = LAST_RU[(i / FIRST_RU.len() + i) % LAST_RU.len()];
                (FIRST_RU[k], if k % 2 == 1 { format!("{last}а") } else { last.to_owned() })
            } else {
                (FIRST_EN[i % FIRST_EN.len()], LAST_EN[(i / FIRST_EN.len() + i) % LAST_EN.len()].to_owned())
            };
            let login = format!("user{:03}", i + 1);
            let id = format!("{login}@corp.example");
            let name = format!("{first} {last}");
            let department = DEPARTMENTS[i % DEPARTMENTS.len()];
            users.push(NewUser {
                id: id.clone(),
                display_name: name.clone(),
                email: Some(id.clone()),
                department: Some(department.to_owned()),
                is_guest: false,
                created_at: t(start - Duration::days(400)),
                search: crate::users::search_text(&id, &name, Some(&id), Some(department)),
            });
            let ip = format!("10.{}.{}.{}", 1 + i / 250, (i * 7) % 250, 10 + i % 200);
            let mut own = Vec::new();
            let kinds: &[(&str, &str, &str)] = match i % 4 {
                0 => &[("desktop", "TrueConf Client", "Windows 11")],
                1 => &[("desktop", "TrueConf Client", "Windows 10"), ("mobile", "ConfMobile", "Android 14")],
                2 => &[("browser", "WebClient", "macOS 14")],
                _ => &[("desktop", "TrueConf Client", "Ubuntu 24.04"), ("mobile", "ConfMobile", "iOS 18.1")],
            };
            for (k, (kind, app, os)) in kinds.iter().enumerate() {
                let ep = format!("ep-{:04}-{k}", i + 1);
                let seen = start + Duration::minutes(rng.random_range(0..60 * 24 * 30));
                endpoints.push(NewEndpoint {
                    id: ep.clone(),
                    user_id: id.clone(),
                    app: (*app).to_owned(),
                    app_version: Some(if *kind == "mobile" { "5.3.0" } else { "8.5.2" }.to_owned()),
                    endpoint_type: (*kind).to_owned(),
                    os: Some((*os).to_owned()),
                    cpu: Some(if *kind == "mobile" { "ARM64 8 cores" } else { "Intel Core i5-1235U" }.to_owned()),
                    ip: ip.clone(),
                    last_conference: None,
                    network_test: Some(format!(
                        "{{\"down_kbps\": {}, \"up_kbps\": {}, \"rtt_ms\": {}}}",
                        rng.random_range(5000..100000),
                        rng.random_range(2000..50000),
                        rng.random_range(2..80)
                    )),
                    system_info: Some(format!("{{\"ram_gb\": {}, \"camera\": \"HD Webcam\"}}", [8, 16, 32][i % 3])),
                    first_seen: t(start - Duration::days(rng.random_range(30..300))),
                    last_seen: t(seen.min(opts.now)),
                    search: String::new(),
                });
                own.push(ep);
            }
            people.push(Person {
                id,
                name,
                ip,
                endpoints: own,
                auth: ["password", "ntlm", "kerberos"][i % 3],
                ua: USER_AGENTS[i % USER_AGENTS.len()],
            });
        }
        // Guests, reaching us from the browser.
        for g in 0..20 {
            let seen = start + Duration::hours(rng.random_range(0..24 * i64::from(opts.days)));
            endpoints.push(NewEndpoint {
                id: format!("guest-ep-{g:03}"),
                user_id: if g % 4 == 0 { format!("guest{g}@guest.{SERVER}") } else { String::new() },
                app: "WebClient".into(),
                app_version: Some("8.5.2".into()),
                endpoint_type: "guest".into(),
                os: Some(["Windows 11", "macOS 14", "Android 14"][g % 3].into()),
                cpu: None,
                ip: format!("203.0.113.{}", 10 + g),
                last_conference: None,
                network_test: None,
                system_info: Some("{\"browser\": \"Chrome 131\"}".into()),
                first_seen: t(seen),
                last_seen: t(seen + Duration::hours(1)),
                search: String::new(),
            });
        }
        summary.users = insert_users(conn, &users)?;
        progress.advance("users", 1);

        // Conferences and their sessions.
        let mut conferences = Vec::new();
        let mut sessions = Vec::new();
        let mut parts = Vec::new();
        let mut renames: Vec<(String, DateTime<Utc>, String, String)> = Vec::new();
        let mut invitations = Vec::new();
        let mut stats = Vec::new();
        let mut chats = Vec::new();
        let mut files = Vec::new();
        let mut recordings = Vec::new();
        let topics = [
            "Weekly sync",
            "Планёрка отдела продаж",
            "Board meeting",
            "Обучение новых сотрудников",
            "Sprint review",
            "Совет директоров",
            "Town hall",
            "Support standup",
        ];
        for c in 0..30usize {
            let owner = &people[(c * 13) % people.len()];
            let (kind, mode) = match c % 3 {
                0 => ("virtual_room", "symmetric"),
                1 => ("recurring", if c % 2 == 0 { "role_based" } else { "symmetric" }),
                _ => ("scheduled", if c == 5 { "lecture (UDP multicast)" } else { "lecture" }),
            };
            let title = format!("{} #{}", topics[c % topics.len()], c + 1);
            conferences.push(NewConference {
                id: format!("conf-{:04}", c + 1),
                title: title.clone(),
                owner: owner.id.clone(),
                kind: kind.into(),
                mode: mode.into(),
                created_at: t(start - Duration::days(10)),
                search: search_text([Some(title.as_str()), Some(owner.id.as_str())]),
            });
        }
        let session_count = user_count * 3;
        for s in 0..session_count {
            let day = (s * opts.days as usize) / session_count;
            let mut begin = start
                + Duration::days(day as i64)
                + Duration::hours(8 + rng.random_range(0..10))
                + Duration::minutes(rng.random_range(0..60));
            if matches!(begin.weekday(), Weekday::Sat | Weekday::Sun) {
                begin -= Duration::days(2);
            }
            let kind = s % 10;
            let (conference, title, mode) = if kind < 4 {
                (None, None, "p2p".to_owned())
            } else if kind < 8 {
                let c = &conferences[s % conferences.len()];
                (Some(c.id.clone()), Some(c.title.clone()), c.mode.clone())
            } else {
                (None, Some(format!("Ad hoc: {}", topics[s % topics.len()])), "symmetric".to_owned())
            };
            let owner = &people[rng.random_range(0..people.len())];
            let minutes = if kind < 4 { rng.random_range(2..40) } else { rng.random_range(15..90) };
            // The newest conference session is still going on.
            let active = s == session_count - 1;
            let begin = if active { opts.now - Duration::minutes(20) } else { begin };
            let end = (!active).then(|| begin + Duration::minutes(minutes));
            let id = format!("sess-{:05}", s + 1);
            let mut invited: Vec<&Person> = vec![owner];
            let size = if kind < 4 { 2 } else { rng.random_range(3..12) };
            while invited.len() < size {
                let p = &people[rng.random_range(0..people.len())];
                if !invited.iter().any(|q| q.id == p.id) {
                    invited.push(p);
                }
            }
            // `participants` and `connections` are counted by `calls::recount` once inserted.
            let mut connections = 0;
            for (n, p) in invited.iter().enumerate() {
                let join = begin + Duration::seconds(rng.random_range(0..120));
                if n > 0 {
                    let server_call = conference.is_some() && n % 2 == 0;
                    let outcome = ["accepted", "accepted", "accepted", "rejected", "missed"][rng.random_range(0..5)];
                    invitations.push(NewInvitation {
                        source_id: None,
                        session_id: id.clone(),
                        time: t(begin),
                        inviter: if server_call { SERVER.to_owned() } else { owner.id.clone() },
                        inviter_is_server: server_call,
                        invitee: p.id.clone(),
                        outcome: outcome.into(),
                    });
                    if outcome != "accepted" {
                        continue;
                    }
                }
                let reconnects = if rng.random_bool(0.1) { 2 } else { 1 };
                for r in 0..reconnects {
                    connections += 1;
                    let cid = format!("{id}-c{connections}");
                    let j = join + Duration::minutes(r * 5);
                    let leave = end.map(|e| if r + 1 < reconnects { j + Duration::minutes(3) } else { e });
                    parts.push(participation(&cid, &id, &p.id, &p.id, &p.name, false, p, j, leave, r + 1 < reconnects));
                    stats.push(media(&mut rng, &id, &cid, j + Duration::minutes(1)));
                }
            }
            // A guest who reconnects from the same browser under a new name counts once.
            if kind >= 4 && s % 3 == 0 {
                let guest = format!("guest-ep-{:03}", s % 20);
                let names = ["Guest", "Гость (Петров)"];
                for (r, name) in names.iter().enumerate() {
                    connections += 1;
                    let cid = format!("{id}-c{connections}");
                    let j = begin + Duration::minutes(2 + r as i64 * 6);
                    let leave = end.map(|e| if r == 0 { j + Duration::minutes(4) } else { e });
                    let mut part = participation(&cid, &id, "", &guest, name, true, &people[0], j, leave, r == 0);
                    part.app = Some("WebClient".into());
                    part.device = Some("browser".into());
                    part.endpoint_id = Some(guest.clone());
                    part.ip = Some("203.0.113.77".into());
                    parts.push(part);
                    if r == 1 {
                        renames.push((
                            cid.clone(),
                            j + Duration::minutes(1),
                            name.to_string(),
                            "Пётр Петров (ООО Ромашка)".into(),
                        ));
                    }
                }
            }
            let recorded = conference.is_some() && s % 7 == 0 && !active;
            if kind >= 4 {
                for m in 0..rng.random_range(0..10) {
                    let who = invited[rng.random_range(0..invited.len())];
                    let text = if m % 2 == 0 {
                        CHAT_RU[rng.random_range(0..CHAT_RU.len())]
                    } else {
                        CHAT_EN[rng.random_range(0..CHAT_EN.len())]
                    };
                    chats.push(chat(begin + Duration::seconds(30 + m * 95), who, "", &id, text));
                }
                if s % 5 == 0 {
                    files.push(NewChatFile {
                        source_id: None,
                        session_id: id.clone(),
                        sender: owner.id.clone(),
                        file_name: ["agenda.pdf", "Отчёт за квартал.xlsx", "slides.pptx"][s % 3].into(),
                        content_type: "application/octet-stream".into(),
                        size_bytes: rng.random_range(20_000..5_000_000),
                        sent_at: t(begin + Duration::minutes(3)),
                        storage_key: None,
                    });
                }
                // Some files with content on disk, downloadable from the session page.
                if s % 20 == 5
                    && let Some(dir) = &opts.files_dir
                {
                    let (name, content_type, body) = if s % 40 == 5 {
                        (
                            "Повестка встречи.txt",
                            "text/plain; charset=utf-8",
                            format!(
                                "Повестка: {}\n1. Итоги недели\n2. Планы\n3. Разное\n",
                                title.as_deref().unwrap_or(&id)
                            ),
                        )
                    } else {
                        (
                            "minutes.csv",
                            "text/csv",
                            format!("item,owner\nReview the slides,{}\nSend the report,{}\n", owner.id, owner.name),
                        )
                    };
                    let key = format!("demo-{id}-minutes");
                    std::fs::write(dir.join(&key), body.as_bytes()).map_err(io_error)?;
                    files.push(NewChatFile {
                        source_id: None,
                        session_id: id.clone(),
                        sender: owner.id.clone(),
                        file_name: name.into(),
                        content_type: content_type.into(),
                        size_bytes: body.len() as i64,
                        sent_at: t(begin + Duration::minutes(5)),
                        storage_key: Some(key),
                    });
                }
            }
            if recorded && let Some(dir) = &opts.recordings_dir {
                // Chat during the recorded sample, for the player's chat in sync.
                for (k, text) in
                    ["Запись идёт", "Recording started, can everyone hear me?", "Да, слышно хорошо"].iter().enumerate()
                {
                    let who = if k % 2 == 0 { owner } else { invited[k % invited.len()] };
                    chats.push(chat(begin + Duration::seconds(3 + 6 * k as i64), who, "", &id, text));
                }
                let key = recording_media(dir, &id)?;
                recordings.push(NewRecording {
                    source_id: None,
                    session_id: id.clone(),
                    conference_id: conference.clone(),
                    title: title.clone(),
                    title_sort: title.clone().unwrap_or_default(),
                    owner: owner.id.clone(),
                    started_at: t(begin),
                    duration_s: SAMPLE_WEBM_DURATION_S,
                    size_bytes: SAMPLE_WEBM.len() as i64,
                    content_type: "video/webm".into(),
                    storage_key: Some(key),
                    created_at: t(begin),
                });
            } else if recorded {
                recordings.push(NewRecording {
                    source_id: None,
                    session_id: id.clone(),
                    conference_id: conference.clone(),
                    title: title.clone(),
                    title_sort: title.clone().unwrap_or_default(),
                    owner: owner.id.clone(),
                    started_at: t(begin),
                    duration_s: minutes * 60,
                    size_bytes: minutes * 60 * 150_000,
                    content_type: "video/webm".into(),
                    storage_key: None,
                    created_at: t(begin),
                });
            }
            if let Some(ep) = owner.endpoints.first()
                && let Some(e) = endpoints.iter_mut().find(|e| &e.id == ep)
            {
                e.last_conference = title.clone().or(Some(id.clone()));
            }
            sessions.push(NewCallSession {
                id: id.clone(),
                conference_id: conference,
                title_sort: title.clone().unwrap_or_default(),
                search: search_text([
                    Some(id.as_str()),
                    title.as_deref(),
                    Some(owner.id.as_str()),
                    Some(owner.name.as_str()),
                ]),
                title,
                owner: owner.id.clone(),
                multicast: mode.contains("multicast"),
                mode,
                started_at: t(begin),
                ended_at: end.map(t),
                duration_s: end.map(|e| (e - begin).num_seconds()),
                participants: 0,
                connections: 0,
                recorded,
            });
        }
        // Personal messages.
        for m in 0..user_count * 5 {
            let a = &people[rng.random_range(0..people.len())];
            let b = &people[rng.random_range(0..people.len())];
            if a.id == b.id {
                continue;
            }
            let text = if m % 2 == 0 { CHAT_RU[m % CHAT_RU.len()] } else { CHAT_EN[m % CHAT_EN.len()] };
            chats.push(chat(
                start + Duration::minutes(rng.random_range(0..60 * 24 * i64::from(opts.days))),
                a,
                &b.id,
                "",
                text,
            ));
        }
        chats.sort_by_key(|c| c.time);

        // After the sessions: their last conference is part of what quick search finds.
        for ep in &mut endpoints {
            ep.search = crate::endpoints::search_of_new(ep);
        }
        summary.endpoints = insert_endpoints(conn, &endpoints)?;
        summary.conferences = insert_conferences(conn, &conferences)?;
        summary.sessions = insert_call_sessions(conn, &sessions)?;
        summary.participations = insert_participations(conn, &parts)?;
        let mut changes = Vec::new();
        for (cid, time, old, new) in renames {
            changes.push(NewNameChange {
                participation_id: participation_id(conn, &cid)?,
                time: t(time),
                old_name: old,
                new_name: new,
            });
        }
        insert_name_changes(conn, &changes)?;
        insert_invitations(conn, &invitations)?;
        insert_media_stats(conn, &stats)?;
        summary.chat_messages = insert_chat_messages(conn, &chats)?;
        insert_chat_files(conn, &files)?;
        for session in &sessions {
            calls::recount(conn, &session.id)?;
        }
        summary.recordings = insert_recordings(conn, &recordings)?;
        progress.advance("calls", 1);

        // Configuration changes.
        let mut config = Vec::new();
        for k in 0..150 {
            let when = start + Duration::minutes(rng.random_range(0..60 * 24 * i64::from(opts.days)));
            let (object_type, object, params): (&str, String, Vec<(&str, String, String)>) = match k % 6 {
                0 => (
                    "conference",
                    format!("conf-{:04}", k % 30 + 1),
                    vec![("topic", "Weekly sync".into(), "Weekly sync (new time)".into())],
                ),
                1 => (
                    "conference",
                    format!("conf-{:04}", k % 30 + 1),
                    vec![
                        ("schedule", "Mon 10:00".into(), "Tue 11:00".into()),
                        ("registration", "closed".into(), "open".into()),
                    ],
                ),
                2 => ("server", "network".into(), vec![("max_bitrate_kbps", "4096".into(), "8192".into())]),
                3 => ("ldap", "corp.example".into(), vec![("sync_interval_min", "60".into(), "30".into())]),
                4 => ("user", people[k % people.len()].id.clone(), vec![("group", "Users".into(), "Managers".into())]),
                _ => ("license", "pro".into(), vec![("pro_seats", "150".into(), "180".into())]),
            };
            let (actor, actor_type) =
                if k % 4 == 0 { ("provisioning-app", ActorType::App) } else { ("admin", ActorType::Admin) };
            let changes: Vec<ParameterChange> = params
                .into_iter()
                .map(|(p, b, a)| ParameterChange { parameter: p.to_owned(), before: Some(b), after: Some(a) })
                .collect();
            config.push(crate::config_changes::new_change(
                None,
                when,
                actor,
                actor_type,
                object_type,
                &object,
                &changes,
            ));
        }
        config.sort_by_key(|(c, _)| c.time);
        summary.config_changes = insert_config_changes(conn, &config)?;
        progress.advance("configuration changes", 1);

        // Events: a month of sign-ins, status changes and server life, in time order.
        let mut evs: Vec<NewEvent> = Vec::with_capacity(target_events as usize + 64);
        let span_min = 60 * 24 * i64::from(opts.days);
        for d in 0..i64::from(opts.days) {
            if d % 9 == 0 {
                let when = start + Duration::days(d) + Duration::hours(3);
                let ty = [EventType::Restart, EventType::Stop, EventType::Start][(d as usize / 9) % 3];
                evs.push(NewEvent::new(when, ty, true).with_description(format!("{SERVER} {ty}")));
                let mut ldap = NewEvent::new(when + Duration::minutes(1), EventType::Connect, d % 18 != 0);
                ldap.description = Some("ldap://dc1.corp.example:389".into());
                evs.push(ldap);
            }
            if d % 11 == 5 {
                let mut e = NewEvent::new(start + Duration::days(d) + Duration::hours(14), EventType::Disconnect, true);
                e.description = Some("ldap://dc1.corp.example:389: connection reset".into());
                evs.push(e);
            }
            if d % 10 == 3 {
                let p = &people[(d as usize * 17) % people.len()];
                let mut e = NewEvent::new(
                    start + Duration::days(d) + Duration::hours(12),
                    EventType::ProLicenseRevocation,
                    true,
                );
                e.user_id = Some(p.id.clone());
                e.display_name = Some(p.name.clone());
                e.description = Some("PRO licence returned to the pool after 30 days of inactivity".into());
                evs.push(e);
                let mut e =
                    NewEvent::new(start + Duration::days(d) + Duration::hours(9), EventType::ProLicenseLimit, false);
                e.description = Some("All 180 PRO licences are in use".into());
                evs.push(e);
            }
        }
        while (evs.len() as u64) < target_events {
            let p = &people[rng.random_range(0..people.len())];
            let begin = start + Duration::minutes(rng.random_range(0..span_min));
            let ep = p.endpoints[rng.random_range(0..p.endpoints.len())].clone();
            let base = |time: DateTime<Utc>, ty: EventType, ok: bool| {
                let mut e = NewEvent::new(time, ty, ok);
                e.user_id = Some(p.id.clone());
                e.display_name = Some(p.name.clone());
                e.ip = Some(p.ip.clone());
                e.endpoint_id = Some(ep.clone());
                e.user_agent = Some(p.ua.to_owned());
                e
            };
            let roll = rng.random_range(0..100);
            if roll < 4 {
                // Wrong passwords until the account locks; unlocked half an hour later.
                for k in 0..5 {
                    let mut e = base(begin + Duration::seconds(k * 20), EventType::Login, false);
                    e.entered_login = Some(p.id.split('@').next().unwrap_or_default().to_owned());
                    e.auth_method = Some("password".into());
                    e.description = Some("wrong password".into());
                    evs.push(e);
                }
                let mut lock = base(begin + Duration::seconds(101), EventType::Lock, true);
                lock.description = Some("locked after 5 wrong passwords".into());
                evs.push(lock);
                let mut unlock = base(begin + Duration::minutes(30), EventType::Unlock, true);
                unlock.description = Some("lock expired".into());
                evs.push(unlock);
                continue;
            }
            if roll < 6 {
                let ty = if roll == 4 { EventType::Activation } else { EventType::Deactivation };
                let mut e = base(begin, ty, true);
                e.admin_type = Some("sysadmin".into());
                e.description = Some("by administrator admin".into());
                evs.push(e);
                continue;
            }
            let sso = roll < 20;
            let mut login = base(begin, if sso { EventType::Authorize } else { EventType::Login }, true);
            login.entered_login = Some(p.id.split('@').next().unwrap_or_default().to_owned());
            login.auth_method = Some(if sso { "sso" } else { p.auth }.to_owned());
            login.user_rights = Some("1011".into());
            evs.push(login);
            let mut time = begin + Duration::seconds(2);
            let mut status = 0;
            for next in [1, 2, 1, 5, 1] {
                if rng.random_bool(0.3) && next != 1 {
                    continue;
                }
                let mut e = base(time, EventType::Status, true);
                e.previous_status = Some(status);
                e.new_status = Some(next);
                evs.push(e);
                status = next;
                time += Duration::minutes(rng.random_range(5..90));
            }
            let mut e = base(time, EventType::Status, true);
            e.previous_status = Some(status);
            e.new_status = Some(0);
            evs.push(e);
            evs.push(base(time, EventType::Logout, true));
        }
        // Administrators of this server signing in.
        for d in 0..i64::from(opts.days) {
            let mut e = NewEvent::new(start + Duration::days(d) + Duration::hours(9), EventType::Login, d % 13 != 7);
            e.user_id = Some("admin".into());
            e.entered_login = Some("admin".into());
            e.admin_type = Some(if d % 4 == 0 { "security" } else { "sysadmin" }.into());
            e.ip = Some("10.0.0.5".into());
            e.auth_method = Some("password".into());
            e.user_agent = Some(USER_AGENTS[0].into());
            evs.push(e);
        }
        evs.retain(|e| e.time <= opts.now);
        evs.sort_by_key(|e| e.time);
        for chunk in evs.chunks(5000) {
            summary.events += events::insert(conn, chunk)?;
            progress.advance("events", chunk.len() as u64);
        }
        Ok(summary)
    })
}

#[expect(clippy::too_many_arguments, reason = "a private constructor of a wide row")]
fn participation(
    cid: &str,
    session: &str,
    user: &str,
    person: &str,
    name: &str,
    guest: bool,
    p: &Person,
    join: DateTime<Utc>,
    leave: Option<DateTime<Utc>>,
    dropped: bool,
) -> NewParticipation {
    NewParticipation {
        connection_id: cid.to_owned(),
        session_id: session.to_owned(),
        user_id: user.to_owned(),
        person_key: calls::person_key(user, Some(person), cid),
        display_name: name.to_owned(),
        is_guest: guest,
        device: Some("desktop".into()),
        endpoint_id: p.endpoints.first().cloned(),
        joined_at: t(join),
        left_at: leave.map(t),
        leave_reason: leave.map(|_| if dropped { "connection lost" } else { "left" }.to_owned()),
        app: Some("TrueConf Client".into()),
        app_version: Some("8.5.2".into()),
        os: Some("Windows 11".into()),
        cpu: Some("Intel Core i5-1235U".into()),
        ip: Some(p.ip.clone()),
        system_info: Some("{\"ram_gb\": 16}".into()),
    }
}

fn media(rng: &mut SmallRng, session: &str, cid: &str, at: DateTime<Utc>) -> NewMediaStats {
    NewMediaStats {
        source_id: None,
        session_id: session.to_owned(),
        connection_id: cid.to_owned(),
        time: t(at),
        bitrate_in_kbps: Some(rng.random_range(300..4000)),
        bitrate_out_kbps: Some(rng.random_range(300..2500)),
        resolution: Some(["1280x720", "1920x1080", "640x360"][rng.random_range(0..3)].into()),
        fps: Some([15.0, 25.0, 30.0][rng.random_range(0..3)]),
        packet_loss_pct: Some(f64::from(rng.random_range(0..300)) / 100.0),
        jitter_ms: Some(f64::from(rng.random_range(1..60))),
        cpu_pct: Some(f64::from(rng.random_range(5..90))),
    }
}

fn chat(at: DateTime<Utc>, sender: &Person, recipient: &str, session: &str, text: &str) -> NewChatMessage {
    let present = |s: &str| (!s.is_empty()).then_some(s.to_owned());
    crate::chat::new_message(
        None,
        at,
        &sender.id,
        Some(&sender.name),
        present(recipient).as_deref(),
        present(session).as_deref(),
        text,
    )
}

/// Whether the database holds any report data.
pub fn is_empty(conn: &mut DbConnection) -> QueryResult<bool> {
    use crate::schema::{call_sessions, users};
    let users: bool = diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)?;
    let sessions: bool =
        diesel::select(diesel::dsl::exists(call_sessions::table.select(call_sessions::id))).get_result(conn)?;
    Ok(!users && !sessions && !events::any(conn)?)
}

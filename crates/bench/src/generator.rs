//! Synthetic events with the variety of a real month of a conferencing server: 23 event types
//! with a strong skew, 2000 users of uneven activity (each with a home IP, a few endpoints and a
//! browser), server-side events without a user, administrators deleting things, and a day/night
//! and weekday/weekend rhythm. Deterministic for a seed; yielded in time order, so ids grow with
//! time as in a real log. Times have whole seconds, so some events share a time and paging
//! has to break ties on the id.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use confreports_store::events::NewEvent;
use confreports_types::EventType;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Bump when the generated data changes: a stored dataset of another version is regenerated.
pub const VERSION: u32 = 1;

pub const USERS: usize = 2000;
pub const DAYS: i64 = 30;

/// The first instant of the generated month.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).single().unwrap_or_default()
}

/// Relative frequency of each type (per mille, roughly): sessions dominate, administration is
/// rare, server life rarer still.
const TYPE_WEIGHTS: &[(EventType, f64)] = &[
    (EventType::Status, 340.0),
    (EventType::Login, 190.0),
    (EventType::Logout, 150.0),
    (EventType::Authorize, 105.0),
    (EventType::Connect, 40.0),
    (EventType::Disconnect, 38.0),
    (EventType::Lock, 22.0),
    (EventType::Unlock, 20.0),
    (EventType::ProLicenseRevocation, 18.0),
    (EventType::Activation, 14.0),
    (EventType::Deactivation, 12.0),
    (EventType::ProLicenseLimit, 10.0),
    (EventType::DeleteChatMessages, 8.0),
    (EventType::DeleteConferences, 7.0),
    (EventType::DeleteConnections, 6.0),
    (EventType::DeleteEvents, 5.0),
    (EventType::DeleteVideoRecording, 5.0),
    (EventType::DeleteLogs, 4.0),
    (EventType::DeleteVideoRecordings, 3.0),
    (EventType::DeleteChatMessagesCascade, 2.0),
    (EventType::Restart, 0.5),
    (EventType::Stop, 0.3),
    (EventType::Start, 0.3),
];

const FIRST_NAMES: &[&str] = &[
    "Anna",
    "Boris",
    "Chen",
    "Daria",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Irina",
    "Jonas",
    "Ksenia",
    "Lucas",
    "Maria",
    "Nikolai",
    "Olga",
    "Pavel",
    "Quentin",
    "Rosa",
    "Sergei",
    "Tatiana",
    "Umar",
    "Vera",
    "Walter",
    "Yulia",
    "Zoe",
    "Алексей",
    "Мария",
    "Дмитрий",
    "Екатерина",
    "Иван",
    "Наталья",
    "Сергей",
    "Анна",
    "Михаил",
    "Ольга",
    "Андрей",
    "Юлия",
];
const LAST_NAMES: &[&str] = &[
    "Ivanov",
    "Petrova",
    "Smith",
    "Müller",
    "Garcia",
    "Kowalski",
    "Nguyen",
    "Rossi",
    "Dubois",
    "Sato",
    "Novak",
    "Jensen",
    "Иванов",
    "Смирнова",
    "Кузнецов",
    "Попова",
    "Соколов",
    "Лебедева",
    "Козлов",
    "Новикова",
    "Морозов",
    "Волкова",
];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "ConfClient/5.4.2 (Windows 11; x64)",
    "ConfClient/5.4.1 (macOS 14.6; arm64)",
    "ConfClient/5.3.9 (Android 14; Pixel 8)",
    "ConfClient/5.4.0 (iOS 18.1; iPhone15,2)",
    "ConfRoom/3.2.0 (Linux; Room Terminal)",
];
const AUTH_METHODS: &[&str] = &["password", "password", "ntlm", "kerberos", "kerberos", "ldap"];
const STATUSES: &[i32] = &[-2, 0, 1, 2, 5];
const SERVER: &str = "conf.corp.example";
const LDAP: &str = "ldap://dc1.corp.example:389";

struct Person {
    id: String,
    login: String,
    name: String,
    ip: String,
    endpoints: Vec<String>,
    user_agent: &'static str,
    auth: &'static str,
}

/// The event stream. `next()` yields `rows` events, then `None`.
pub struct Generator {
    rng: SmallRng,
    rows: u64,
    produced: u64,
    people: Vec<Person>,
    /// Cumulative activity of each minute of the month, normalised to end at 1.
    minute_cdf: Vec<f64>,
    /// Cumulative weights of `TYPE_WEIGHTS`, normalised to end at 1.
    type_cdf: Vec<f64>,
    minute: usize,
}

impl Generator {
    pub fn new(seed: u64, rows: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let people = (0..USERS).map(|n| person(&mut rng, n)).collect();
        let start = start();
        let minutes = (DAYS * 24 * 60) as usize;
        let mut minute_cdf = Vec::with_capacity(minutes);
        let mut acc = 0.0;
        for m in 0..minutes {
            let t = start + Duration::minutes(m as i64);
            acc += activity(t);
            minute_cdf.push(acc);
        }
        for c in &mut minute_cdf {
            *c /= acc;
        }
        let total: f64 = TYPE_WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut acc = 0.0;
        let type_cdf = TYPE_WEIGHTS
            .iter()
            .map(|(_, w)| {
                acc += w / total;
                acc
            })
            .collect();
        Generator { rng, rows, produced: 0, people, minute_cdf, type_cdf, minute: 0 }
    }

    /// The time of event `i`: stratified sampling of the month's activity curve, so times
    /// come out in order without sorting.
    fn time_of(&mut self, i: u64) -> DateTime<Utc> {
        let q = (i as f64 + self.rng.random::<f64>()) / self.rows as f64;
        while self.minute + 1 < self.minute_cdf.len() && self.minute_cdf[self.minute] < q {
            self.minute += 1;
        }
        let lo = if self.minute == 0 { 0.0 } else { self.minute_cdf[self.minute - 1] };
        let hi = self.minute_cdf[self.minute];
        let frac = if hi > lo { ((q - lo) / (hi - lo)).clamp(0.0, 0.999_999) } else { 0.0 };
        start() + Duration::minutes(self.minute as i64) + Duration::seconds((frac * 60.0) as i64)
    }

    fn pick_type(&mut self) -> EventType {
        let u = self.rng.random::<f64>();
        let i = self.type_cdf.partition_point(|&c| c < u).min(TYPE_WEIGHTS.len() - 1);
        TYPE_WEIGHTS[i].0
    }

    /// A user, the busiest few far more often than the rest.
    fn pick_person(&mut self) -> usize {
        let u = self.rng.random::<f64>();
        ((u * u * u) * USERS as f64) as usize % USERS
    }

    fn event(&mut self, time: DateTime<Utc>, ty: EventType) -> NewEvent {
        use EventType as T;
        let who = self.pick_person();
        let rng = &mut self.rng;
        let mut e = NewEvent::new(time, ty, true);
        let with_user =
            !matches!(ty, T::Connect | T::Disconnect | T::Start | T::Stop | T::Restart | T::ProLicenseLimit);
        let p = &self.people[who];
        let p = if with_user { Some(p) } else { None };
        if let Some(p) = p {
            e.user_id = Some(p.id.clone());
            e.display_name = Some(p.name.clone());
            // One connection in twenty from outside the corporate network.
            e.ip = Some(if rng.random_ratio(1, 20) {
                format!("203.0.113.{}", rng.random_range(1..255))
            } else {
                p.ip.clone()
            });
            e.endpoint_id = Some(p.endpoints[rng.random_range(0..p.endpoints.len())].clone());
            e.user_agent = Some(p.user_agent.to_owned());
        }
        match ty {
            T::Login => {
                let p = p.expect("login has a user");
                e.entered_login = Some(p.login.clone());
                e.auth_method = Some(p.auth.to_owned());
                e.user_rights = Some("1011".into());
                if rng.random_ratio(8, 100) {
                    e.success = false;
                    e.description = Some("wrong password".into());
                    e.user_rights = None;
                }
                if rng.random_ratio(1, 200) {
                    e.real_user_id = Some(self.people[rng.random_range(0..USERS)].id.clone());
                }
            }
            T::Authorize => {
                let p = p.expect("authorize has a user");
                e.entered_login = Some(p.login.clone());
                e.auth_method = Some("sso".into());
                e.description = Some("SAML assertion from idp.corp.example".into());
                e.success = !rng.random_ratio(2, 100);
            }
            T::Logout => {}
            T::Status => {
                let from = STATUSES[rng.random_range(0..STATUSES.len())];
                let mut to = STATUSES[rng.random_range(0..STATUSES.len())];
                if to == from {
                    to = if from == 1 { 2 } else { 1 };
                }
                e.previous_status = Some(from);
                e.new_status = Some(to);
            }
            T::Lock => e.description = Some("locked after 5 wrong passwords".into()),
            T::Unlock => {
                e.description =
                    Some(if rng.random_bool(0.7) { "lock expired" } else { "unlocked by administrator admin" }.into());
            }
            T::Activation | T::Deactivation => {
                let p = p.expect("has a user");
                e.admin_type = Some("sysadmin".into());
                e.description = Some("by administrator admin".into());
                e.users = Some(vec![p.id.clone()]);
            }
            T::Connect | T::Disconnect => {
                e.success = !rng.random_ratio(3, 100);
                e.description =
                    Some(if ty == T::Connect { LDAP.into() } else { format!("{LDAP}: connection reset by peer") });
            }
            T::Start | T::Stop | T::Restart => e.description = Some(format!("{SERVER} {ty}")),
            T::ProLicenseLimit => {
                e.success = false;
                e.description = Some("All 180 PRO licences are in use".into());
            }
            T::ProLicenseRevocation => {
                e.description = Some("PRO licence returned to the pool after 30 days of inactivity".into());
            }
            T::DeleteChatMessages
            | T::DeleteChatMessagesCascade
            | T::DeleteConferences
            | T::DeleteConnections
            | T::DeleteEvents
            | T::DeleteLogs
            | T::DeleteVideoRecording
            | T::DeleteVideoRecordings => {
                // An administrator or the retention job acted: the actor replaces the user.
                let by_app = rng.random_ratio(1, 4);
                let deleted = rng.random_range(1..5000);
                e.user_id = (!by_app).then(|| "admin".into());
                e.display_name = None;
                e.endpoint_id = None;
                e.admin_type = (!by_app).then(|| if rng.random_bool(0.8) { "sysadmin" } else { "security" }.into());
                e.app_name = by_app.then(|| "retention-bot".into());
                e.ip = Some(if by_app { "10.0.0.9" } else { "10.0.0.5" }.into());
                e.user_agent = Some(if by_app { "retention-bot/1.2" } else { USER_AGENTS[0] }.into());
                e.description = Some(format!("{deleted} entries deleted"));
                let affected: Vec<String> =
                    (0..rng.random_range(0..3)).map(|_| self.people[rng.random_range(0..USERS)].id.clone()).collect();
                let to = time.date_naive() - chrono::Days::new(rng.random_range(30..90));
                e.details = Some(serde_json::json!({
                    "deleted": deleted,
                    "filter": {"to": to.to_string()},
                    "reason": if by_app { "retention: older than 30 days" } else { "GDPR request" },
                    "actor": if by_app { "retention-bot" } else { "admin" },
                }));
                if !affected.is_empty() {
                    e.users = Some(affected);
                }
            }
        }
        e
    }
}

impl Iterator for Generator {
    type Item = NewEvent;

    fn next(&mut self) -> Option<NewEvent> {
        if self.produced >= self.rows {
            return None;
        }
        let time = self.time_of(self.produced);
        let ty = self.pick_type();
        self.produced += 1;
        Some(self.event(time, ty))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.rows - self.produced) as usize;
        (left, Some(left))
    }
}

/// How busy a minute is: office hours (UTC+3) on weekdays, a trickle at night and at weekends.
fn activity(t: DateTime<Utc>) -> f64 {
    let local_hour = (t.hour() + 3) % 24;
    let weekend = matches!(t.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
    let base = match local_hour {
        0..=6 => 0.05,
        7 | 20..=21 => 0.3,
        8 | 18..=19 => 0.7,
        9..=17 => 1.0,
        _ => 0.12,
    };
    if weekend { base * 0.15 } else { base }
}

fn person(rng: &mut SmallRng, n: usize) -> Person {
    let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
    let login = format!("u{n:04}");
    let endpoints =
        (0..rng.random_range(1..=3)).map(|_| format!("ep-{:06x}", rng.random_range(0..0x100_0000u32))).collect();
    Person {
        id: format!("{login}@corp.example"),
        login,
        name: format!("{first} {last}"),
        ip: format!("10.{}.{}.{}", rng.random_range(0..4), rng.random_range(0..64), rng.random_range(1..255)),
        endpoints,
        user_agent: USER_AGENTS[rng.random_range(0..USER_AGENTS.len())],
        auth: AUTH_METHODS[rng.random_range(0..AUTH_METHODS.len())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_time_ordered_and_skewed() {
        let a: Vec<NewEvent> = Generator::new(7, 20_000).collect();
        let b: Vec<NewEvent> = Generator::new(7, 20_000).collect();
        assert_eq!(a.len(), 20_000);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].time <= w[1].time));
        assert!(a.first().is_some_and(|e| e.time >= start()));
        assert!(a.last().is_some_and(|e| e.time < start() + Duration::days(DAYS)));
        let share =
            |types: &[EventType]| a.iter().filter(|e| types.contains(&e.event_type)).count() as f64 / a.len() as f64;
        assert!(share(&[EventType::Login, EventType::Logout, EventType::Status]) > 0.6);
        let authorize = share(&[EventType::Authorize]);
        assert!((0.08..0.13).contains(&authorize), "authorize share {authorize}");
        let users: std::collections::HashSet<_> = a.iter().filter_map(|e| e.user_id.as_deref()).collect();
        assert!(users.len() > 500, "{} users", users.len());
    }
}

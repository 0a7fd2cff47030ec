//! Resource limits that keep one caller from taking what others need: body sizes, concurrent
//! exports per principal, and an idle timeout on request bodies. Query-string limits are in
//! [`crate::params`]; the dashboard's range limit in [`crate::dashboard`]; header and keep-alive
//! timeouts are the HTTP server's own (set by `confreports serve`).

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage as _, web};
use futures_util::StreamExt as _;

use crate::auth::Principal;
use crate::error::{framework_problem, problem_response};
use crate::ingest::IngestLimits;
use crate::state::AppState;

/// Every configurable limit of the API (flags and environment variables of `confreports serve`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Ingest body size and records per batch.
    pub ingest: IngestLimits,
    /// CSV exports one principal may stream at once (on this node).
    pub exports_per_principal: usize,
    /// Longest pause between two parts of a request body before the request is answered 408.
    pub body_idle_timeout: Duration,
    /// The exports streaming now, per principal.
    pub exports: Arc<ExportSlots>,
}

impl Limits {
    pub const DEFAULT_EXPORTS_PER_PRINCIPAL: usize = 2;
    pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
    /// Seconds a caller refused an export slot is told to wait.
    pub const EXPORT_RETRY_AFTER_S: u64 = 5;

    pub fn new(ingest: IngestLimits, exports_per_principal: usize, body_idle_timeout: Duration) -> Limits {
        Limits {
            ingest,
            exports_per_principal: exports_per_principal.max(1),
            body_idle_timeout,
            exports: Arc::new(ExportSlots::default()),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(IngestLimits::default(), Self::DEFAULT_EXPORTS_PER_PRINCIPAL, Self::DEFAULT_BODY_IDLE_TIMEOUT)
    }
}

/// Counts of exports streaming per principal.
#[derive(Debug, Default)]
pub struct ExportSlots {
    held: Mutex<HashMap<String, usize>>,
}

/// One export's place, given back when dropped: when its body is dropped, at the end of the
/// stream or when the client goes away.
#[derive(Debug)]
pub struct ExportSlot {
    slots: Arc<ExportSlots>,
    key: String,
}

impl ExportSlots {
    /// A slot for `principal`, unless it holds `max` already.
    pub fn try_acquire(self: &Arc<Self>, principal: &Principal, max: usize) -> Option<ExportSlot> {
        let key = match principal {
            Principal::Admin(a) => format!("admin:{}", a.login),
            Principal::App(a) => format!("app:{}", a.client_id),
        };
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(ExportSlot { slots: self.clone(), key })
    }

    /// Exports streaming now, all principals together.
    pub fn in_use(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).values().sum()
    }
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// Middleware: a request body that pauses longer than `body_idle_timeout` fails its read, and
/// the request is answered `408` (problem+json) on a connection that is then closed, whatever
/// the handler made of the failed read. A stalled client holds no worker (reads are async),
/// but without this it would hold its connection and the handler's state forever.
pub async fn body_idle_timeout(
    mut req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let idle = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.limits.body_idle_timeout)
        .unwrap_or(Limits::DEFAULT_BODY_IDLE_TIMEOUT);
    let fired = Rc::new(Cell::new(false));
    let inner = req.take_payload();
    let flag = fired.clone();
    let stream = futures_util::stream::unfold((inner, false), move |(mut inner, done)| {
        let flag = flag.clone();
        async move {
            if done {
                return None;
            }
            match actix_web::rt::time::timeout(idle, inner.next()).await {
                Ok(Some(item)) => Some((item, (inner, false))),
                Ok(None) => None,
                Err(_) => {
                    flag.set(true);
                    let e = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no part of the body arrived for {} s", idle.as_secs_f64()),
                    );
                    Some((Err(PayloadError::Io(e)), (inner, true)))
                }
            }
        }
    });
    let boxed: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<web::Bytes, PayloadError>>>> = Box::pin(stream);
    req.set_payload(Payload::from(boxed));
    let res = next.call(req).await?.map_into_boxed_body();
    if !fired.get() {
        return Ok(res);
    }
    let detail = format!("the request body stalled: no data for {} s", idle.as_secs_f64());
    let mut answer = problem_response(&framework_problem(StatusCode::REQUEST_TIMEOUT, detail));
    answer.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
    Ok(res.into_response(answer))
}

/// Middleware: a query string under `/api/` longer than [`crate::params::MAX_QUERY_BYTES`] is
/// answered `400` (naming `query`) before the handler runs, once the caller may use the route
/// (a status every operation with parameters documents; schemathesis found an undocumented 414).
pub async fn query_length(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let max = crate::params::MAX_QUERY_BYTES;
    let len = req.query_string().len();
    if len > max && req.path().starts_with("/api/") {
        let detail = format!("the query string has {len} bytes; at most {max} are accepted");
        let problem = crate::error::ApiError::bad_parameter("query", detail).problem();
        return Ok(req.into_response(problem_response(&problem)));
    }
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

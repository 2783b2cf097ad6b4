//! A real OpenAI-compatible HTTP server for tests and benchmarks.
//!
//! Binds `127.0.0.1:0` and serves `POST /v1/chat/completions` and
//! `POST /chat/completions` over real HTTP/1.1 (axum), so the client under
//! test runs its whole stack: connection pool, timeouts, headers, bodies.
//!
//! - Scripted: each request takes the next [`Scripted`] response from a
//!   queue (status, headers, body, delay), or the default one when the
//!   queue is empty.
//! - Records every request (path, headers, JSON body, arrival time).
//! - Tracks in-flight requests and their maximum.
//! - Optional global latency and an RPM cap (a token bucket refilled at
//!   `rpm / 60` per second holding one second of requests, like OpenAI's
//!   quantized limits) answering 429 with `Retry-After` when exceeded.
//!
//! Use from an integration test with `mod support;` (see `tests/support/mod.rs`)
//! or from a bench with `#[path = "../tests/support/fake_openai.rs"] mod fake_openai;`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

/// One scripted response.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Slept before answering (on top of the server latency).
    pub delay: Duration,
}

impl Scripted {
    /// A 200 chat completion whose assistant content is `content`, with
    /// usage 10 prompt (0 cached) / 5 completion tokens.
    pub fn completion(content: &str) -> Self {
        Self::completion_with_usage(content, 10, 0, 5)
    }

    pub fn completion_with_usage(content: &str, prompt: u32, cached: u32, completion: u32) -> Self {
        let body = json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000u32,
            "model": "fake-model-2024",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0}
            }
        });
        Self::json(200, body)
    }

    /// Any status with a JSON body.
    pub fn json(status: u16, body: Value) -> Self {
        Scripted {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    /// Any status with a raw body (text, HTML, broken JSON, empty).
    pub fn raw(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Scripted {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// An OpenAI-shaped error: `{"error":{"message","type","param","code"}}`.
    pub fn openai_error(status: u16, message: &str, kind: &str, code: Option<&str>) -> Self {
        Self::json(
            status,
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
        )
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    /// Lower-cased names.
    pub headers: HashMap<String, String>,
    /// `Value::Null` when the body is not JSON (see `raw_body`).
    pub body: Value,
    pub raw_body: String,
    pub received_at: Instant,
}

#[derive(Debug)]
struct RpmCap {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
struct Shared {
    script: Mutex<VecDeque<Scripted>>,
    default: Mutex<Scripted>,
    latency: Mutex<Duration>,
    rpm_cap: Mutex<Option<RpmCap>>,
    requests: Mutex<Vec<RecordedRequest>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    capped_429: AtomicUsize,
    answered_ok: AtomicUsize,
}

/// The running server. Stops accepting when dropped.
pub struct FakeOpenAi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FakeOpenAi {
    /// Starts a server answering [`Scripted::completion("{}")`] by default.
    pub async fn start() -> FakeOpenAi {
        let shared = Arc::new(Shared {
            script: Mutex::new(VecDeque::new()),
            default: Mutex::new(Scripted::completion("{}")),
            latency: Mutex::new(Duration::ZERO),
            rpm_cap: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            capped_429: AtomicUsize::new(0),
            answered_ok: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(handle))
            .route("/chat/completions", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenAi { addr, shared, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`, the usual OpenAI-style base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT` (serves `/chat/completions`).
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues a response for the next unanswered request.
    pub fn push(&self, r: Scripted) {
        self.shared.script.lock().unwrap().push_back(r);
    }

    /// The response used once the queue is empty.
    pub fn set_default(&self, r: Scripted) {
        *self.shared.default.lock().unwrap() = r;
    }

    /// Added to every response's delay (not to RPM-cap 429s).
    pub fn set_latency(&self, d: Duration) {
        *self.shared.latency.lock().unwrap() = d;
    }

    /// Answers 429 + `Retry-After` once more than `rpm` requests a minute
    /// arrive (bucket of one second's worth, refilled continuously).
    pub fn set_rpm_cap(&self, rpm: u32) {
        let rate = f64::from(rpm) / 60.0;
        let capacity = rate.max(1.0);
        *self.shared.rpm_cap.lock().unwrap() = Some(RpmCap {
            rate,
            capacity,
            tokens: capacity,
            last: Instant::now(),
        });
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// The most requests ever being handled at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// 429s sent by the RPM cap (not scripted ones).
    pub fn rpm_cap_429s(&self) -> usize {
        self.shared.capped_429.load(Ordering::SeqCst)
    }

    /// 2xx responses fully sent by the handler.
    pub fn answered_ok(&self) -> usize {
        self.shared.answered_ok.load(Ordering::SeqCst)
    }

    /// Time between the arrivals of request `i` and `i + 1`.
    pub fn gap(&self, i: usize) -> Duration {
        let r = self.requests();
        r[i + 1].received_at.duration_since(r[i].received_at)
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = Instant::now();
    let n = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(n, Ordering::SeqCst);
    let _guard = InFlight(&shared);

    let raw_body = String::from_utf8_lossy(&body).into_owned();
    shared.requests.lock().unwrap().push(RecordedRequest {
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw_body,
        received_at: now,
    });

    if let Some(retry_after) = over_rpm_cap(&shared, now) {
        shared.capped_429.fetch_add(1, Ordering::SeqCst);
        let r = Scripted::openai_error(
            429,
            "Rate limit reached for requests per minute",
            "requests",
            Some("rate_limit_exceeded"),
        )
        .header("retry-after", retry_after.to_string());
        return respond(&r);
    }

    let scripted = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| shared.default.lock().unwrap().clone());
    let latency = *shared.latency.lock().unwrap();
    let wait = latency + scripted.delay;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    if (200..300).contains(&scripted.status) {
        shared.answered_ok.fetch_add(1, Ordering::SeqCst);
    }
    respond(&scripted)
}

/// `Some(retry_after_secs)` when the request is over the cap.
fn over_rpm_cap(shared: &Shared, now: Instant) -> Option<u64> {
    let mut cap = shared.rpm_cap.lock().unwrap();
    let cap = cap.as_mut()?;
    let elapsed = now.saturating_duration_since(cap.last).as_secs_f64();
    cap.tokens = (cap.tokens + elapsed * cap.rate).min(cap.capacity);
    cap.last = cap.last.max(now);
    if cap.tokens >= 1.0 {
        cap.tokens -= 1.0;
        None
    } else {
        let secs = ((1.0 - cap.tokens) / cap.rate).ceil().max(1.0);
        Some(secs as u64)
    }
}

fn respond(r: &Scripted) -> Response {
    let mut resp = Response::new(Body::from(r.body.clone()));
    *resp.status_mut() = StatusCode::from_u16(r.status).expect("valid status");
    for (k, v) in &r.headers {
        resp.headers_mut().insert(
            HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            HeaderValue::from_str(v).expect("header value"),
        );
    }
    resp
}

/// An HTTP-date `secs` seconds from now (for `Retry-After`).
pub fn http_date_in(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
}

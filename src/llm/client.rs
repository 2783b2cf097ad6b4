//! `LlmClient`: one structured-output chat call with our retry policy,
//! limiter and counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use tokio::time::Instant;

use super::limiter::Limiter;
use super::retry::{
    MAX_HONOURED_RETRY_AFTER, RetryReason, StatusVerdict, classify_status, full_jitter,
};
use super::wire::{Completion, build_request, parse_response};
use super::{LlmConfig, LlmError};
use crate::model::TokenUsage;

/// Who speaks a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One structured-output call.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// Sent in this order.
    pub messages: Vec<ChatMessage>,
    /// `response_format.json_schema.name`: 1-64 of `[a-zA-Z0-9_-]`.
    pub schema_name: String,
    /// A JSON Schema object, sent with `strict: true`.
    pub json_schema: serde_json::Value,
    /// Prompt + expected completion tokens, charged to the TPM budget before
    /// sending and corrected with the real usage afterwards.
    pub estimated_tokens: u32,
}

/// A successful call.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutcome {
    /// The assistant message content (the JSON text; not validated here).
    pub content: String,
    pub usage: TokenUsage,
    /// HTTP requests made, the successful one included.
    pub attempts: u32,
    /// The model the server reports (the configured one if it reports none).
    pub model: String,
    /// `stop`, `length` (truncated: the JSON is likely cut), … or empty.
    pub finish_reason: String,
}

/// A snapshot of the client's counters (monotonic since creation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LlmStats {
    /// `chat_json` calls.
    pub calls: u64,
    /// HTTP requests sent (attempts).
    pub requests: u64,
    /// Calls that returned `Ok`.
    pub successes: u64,
    /// Calls that returned `Err`.
    pub failures: u64,
    /// Retries scheduled, by reason.
    pub retries_rate_limited: u64,
    pub retries_server_error: u64,
    pub retries_timeout: u64,
    pub retries_connection: u64,
    /// 429 responses received (quota ones included).
    pub http_429: u64,
    pub prompt_tokens: u64,
    pub cached_prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Total time callers spent waiting in the limiter, in milliseconds.
    pub limiter_wait_ms: u64,
}

impl LlmStats {
    pub fn retries(&self) -> u64 {
        self.retries_rate_limited
            + self.retries_server_error
            + self.retries_timeout
            + self.retries_connection
    }
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    requests: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    retries_rate_limited: AtomicU64,
    retries_server_error: AtomicU64,
    retries_timeout: AtomicU64,
    retries_connection: AtomicU64,
    http_429: AtomicU64,
    prompt_tokens: AtomicU64,
    cached_prompt_tokens: AtomicU64,
    completion_tokens: AtomicU64,
    limiter_wait_ms: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// The LLM transport. Cheap to clone (shares one connection pool, limiter
/// and set of counters).
#[derive(Debug, Clone)]
pub struct LlmClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cfg: LlmConfig,
    url: String,
    headers: HeaderMap,
    http: reqwest::Client,
    limiter: Limiter,
    counters: Counters,
}

/// What one HTTP attempt came to.
enum AttemptResult {
    Done(Completion),
    Fatal(LlmError),
    Retry {
        reason: RetryReason,
        status: Option<u16>,
        retry_after: Option<Duration>,
    },
    /// The attempt was cut short by the caller's deadline.
    DeadlineHit,
}

/// Installs rustls' `ring` provider as the process default unless one is
/// installed already (reqwest is built without a provider of its own).
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: a provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

impl LlmClient {
    /// Validates `cfg` (all problems at once, as `LlmError::Config`) and
    /// builds the HTTP client. Makes no request.
    pub fn new(cfg: LlmConfig) -> Result<LlmClient, LlmError> {
        cfg.validate_for_client()
            .map_err(|problems| LlmError::Config { problems })?;
        ensure_crypto_provider();
        let config_err = |p: String| LlmError::Config { problems: vec![p] };

        let url = format!("{}/chat/completions", cfg.resolved_base_url());
        reqwest::Url::parse(&url).map_err(|e| config_err(format!("llm.base_url: {e}")))?;

        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(key) = cfg.resolved_api_key() {
            let mut v = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                config_err("llm.api_key: contains characters not allowed in a header".into())
            })?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }

        let request_timeout = Duration::from_millis(cfg.request_timeout_ms);
        let http = reqwest::Client::builder()
            .user_agent(concat!("proofline/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(request_timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(cfg.max_concurrent_requests as usize)
            .build()
            .map_err(|e| config_err(format!("cannot build the HTTP client: {e}")))?;

        let limiter = Limiter::new(
            cfg.max_concurrent_requests,
            cfg.requests_per_minute,
            cfg.tokens_per_minute,
        );
        Ok(LlmClient {
            inner: Arc::new(Inner {
                cfg,
                url,
                headers,
                http,
                limiter,
                counters: Counters::default(),
            }),
        })
    }

    pub fn config(&self) -> &LlmConfig {
        &self.inner.cfg
    }

    /// The full chat-completions URL requests go to.
    pub fn endpoint(&self) -> &str {
        &self.inner.url
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> LlmStats {
        let c = &self.inner.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        LlmStats {
            calls: g(&c.calls),
            requests: g(&c.requests),
            successes: g(&c.successes),
            failures: g(&c.failures),
            retries_rate_limited: g(&c.retries_rate_limited),
            retries_server_error: g(&c.retries_server_error),
            retries_timeout: g(&c.retries_timeout),
            retries_connection: g(&c.retries_connection),
            http_429: g(&c.http_429),
            prompt_tokens: g(&c.prompt_tokens),
            cached_prompt_tokens: g(&c.cached_prompt_tokens),
            completion_tokens: g(&c.completion_tokens),
            limiter_wait_ms: g(&c.limiter_wait_ms),
        }
    }

    /// One structured-output chat completion, retried per our policy.
    ///
    /// Retries 429 (unless `insufficient_quota`), 5xx/408/409, per-attempt
    /// timeouts and connection errors, at most `max_retries` times. The wait
    /// before retry `n` (from 0) is the server's `Retry-After`/`retry-after-ms`
    /// when given (seconds or HTTP-date, any body), else uniform in
    /// `[0, min(backoff_max, backoff_base * 2^n)]`. With a `deadline`, no
    /// wait (limiter, cool-down or backoff) may end past it: the call returns
    /// `DeadlineExceeded` at once instead of sleeping, and an in-flight
    /// attempt is cut at the deadline. A `Retry-After` over
    /// [`MAX_HONOURED_RETRY_AFTER`] (and within any deadline) ends the call
    /// with its transient error instead of a minutes-long sleep. A 429's
    /// `Retry-After` also holds every other call on this client until then.
    pub async fn chat_json(
        &self,
        req: ChatRequest,
        deadline: Option<Instant>,
    ) -> Result<ChatOutcome, LlmError> {
        let c = &self.inner.counters;
        bump(&c.calls, 1);
        let result = self.run(req, deadline).await;
        match &result {
            Ok(out) => {
                bump(&c.successes, 1);
                bump(&c.prompt_tokens, u64::from(out.usage.prompt_tokens));
                bump(
                    &c.cached_prompt_tokens,
                    u64::from(out.usage.cached_prompt_tokens),
                );
                bump(&c.completion_tokens, u64::from(out.usage.completion_tokens));
            }
            Err(e) => {
                bump(&c.failures, 1);
                tracing::warn!(kind = e.kind(), error = %e, "llm call failed");
            }
        }
        result
    }

    async fn run(
        &self,
        req: ChatRequest,
        deadline: Option<Instant>,
    ) -> Result<ChatOutcome, LlmError> {
        let inner = &*self.inner;
        let cfg = &inner.cfg;
        let wire = build_request(cfg, &req)?;
        let body = serde_json::to_vec(&wire).map_err(|e| LlmError::BadRequest {
            message: format!("cannot serialize the chat request: {e}"),
        })?;
        let base = Duration::from_millis(cfg.backoff_base_ms);
        let max = Duration::from_millis(cfg.backoff_max_ms);
        let mut attempts = 0u32;
        let mut retries = 0u32;

        loop {
            let permit = inner
                .limiter
                .acquire(req.estimated_tokens, deadline)
                .await
                .map_err(|_| LlmError::DeadlineExceeded { attempts })?;
            bump(
                &inner.counters.limiter_wait_ms,
                u64::try_from(permit.waited.as_millis()).unwrap_or(u64::MAX),
            );
            attempts += 1;
            bump(&inner.counters.requests, 1);
            let result = self.attempt(&body, deadline).await;
            drop(permit);

            let (reason, status, retry_after) = match result {
                AttemptResult::Done(done) => {
                    inner.limiter.settle_tokens(
                        req.estimated_tokens,
                        done.usage.prompt_tokens + done.usage.completion_tokens,
                    );
                    return Ok(ChatOutcome {
                        content: done.content,
                        usage: done.usage,
                        attempts,
                        model: if done.model.is_empty() {
                            cfg.model.clone()
                        } else {
                            done.model
                        },
                        finish_reason: done.finish_reason,
                    });
                }
                AttemptResult::Fatal(e) => return Err(e),
                AttemptResult::DeadlineHit => return Err(LlmError::DeadlineExceeded { attempts }),
                AttemptResult::Retry {
                    reason,
                    status,
                    retry_after,
                } => (reason, status, retry_after),
            };

            let exhausted = || match reason {
                RetryReason::RateLimited => LlmError::RateLimited { retries },
                RetryReason::Timeout => LlmError::Timeout { retries },
                RetryReason::ServerError | RetryReason::Connection => {
                    LlmError::Unavailable { status, retries }
                }
            };
            if let Some(ra) = retry_after
                && reason == RetryReason::RateLimited
                && ra <= MAX_HONOURED_RETRY_AFTER
            {
                // Hold every other caller too: the budget is shared.
                inner.limiter.cool_down(Instant::now() + ra);
            }
            if retries >= cfg.max_retries {
                return Err(exhausted());
            }
            let wait = retry_after.unwrap_or_else(|| full_jitter(retries, base, max));
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                tracing::debug!(?wait, "llm retry wait would cross the deadline");
                return Err(LlmError::DeadlineExceeded { attempts });
            }
            if wait > MAX_HONOURED_RETRY_AFTER {
                return Err(exhausted());
            }
            let counter = match reason {
                RetryReason::RateLimited => &inner.counters.retries_rate_limited,
                RetryReason::ServerError => &inner.counters.retries_server_error,
                RetryReason::Timeout => &inner.counters.retries_timeout,
                RetryReason::Connection => &inner.counters.retries_connection,
            };
            bump(counter, 1);
            tracing::debug!(?reason, ?status, ?wait, attempts, "llm retry");
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    /// One HTTP request, bounded by `request_timeout_ms` and the deadline.
    async fn attempt(&self, body: &[u8], deadline: Option<Instant>) -> AttemptResult {
        let inner = &*self.inner;
        let timeout = Duration::from_millis(inner.cfg.request_timeout_ms);
        let now = Instant::now();
        let (limit, cut_by_deadline) = match deadline {
            Some(d) if d.saturating_duration_since(now) < timeout => {
                (d.saturating_duration_since(now), true)
            }
            _ => (timeout, false),
        };
        let send = async {
            let resp = inner
                .http
                .post(&inner.url)
                .headers(inner.headers.clone())
                .body(body.to_vec())
                .send()
                .await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, bytes))
        };
        match tokio::time::timeout(limit, send).await {
            Err(_) if cut_by_deadline => AttemptResult::DeadlineHit,
            Err(_) => AttemptResult::Retry {
                reason: RetryReason::Timeout,
                status: None,
                retry_after: None,
            },
            Ok(Err(e)) if e.is_builder() => AttemptResult::Fatal(LlmError::Config {
                problems: vec![format!("cannot build the HTTP request: {e}")],
            }),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "llm connection error");
                AttemptResult::Retry {
                    reason: if e.is_timeout() {
                        RetryReason::Timeout
                    } else {
                        RetryReason::Connection
                    },
                    status: None,
                    retry_after: None,
                }
            }
            Ok(Ok((status, headers, bytes))) => {
                if status == 429 {
                    bump(&inner.counters.http_429, 1);
                }
                if (200..300).contains(&status) {
                    return match parse_response(&bytes) {
                        Ok(done) => AttemptResult::Done(done),
                        Err(e) => AttemptResult::Fatal(e),
                    };
                }
                match classify_status(
                    status,
                    &headers,
                    &bytes,
                    &inner.cfg.model,
                    SystemTime::now(),
                ) {
                    StatusVerdict::Fatal(e) => AttemptResult::Fatal(e),
                    StatusVerdict::Retry {
                        reason,
                        retry_after,
                    } => AttemptResult::Retry {
                        reason,
                        status: Some(status),
                        retry_after,
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_reports_config_problems() {
        let err = LlmClient::new(LlmConfig {
            base_url: String::new(),
            api_key: String::new(),
            model: String::new(),
            temperature: -1.0,
            ..Default::default()
        })
        .unwrap_err();
        match err {
            LlmError::Config { problems } => {
                assert!(problems.iter().any(|p| p.starts_with("llm.model")));
                assert!(problems.iter().any(|p| p.starts_with("llm.temperature")));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn builds_an_https_client_with_the_ring_provider() {
        let client = LlmClient::new(LlmConfig {
            base_url: "https://api.openai.com/v1/".into(),
            api_key: "sk-test".into(),
            model: "gpt-4o-mini".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            client.endpoint(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        assert_eq!(client.stats(), LlmStats::default());
    }
}

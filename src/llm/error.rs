//! `LlmError`: what a chat call can end with, after our retry policy ran.

/// The outcome of a failed [`LlmClient::chat_json`](super::LlmClient::chat_json).
///
/// Transient variants (`RateLimited`, `Timeout`, `Unavailable`) are returned
/// only once the retry budget is spent; the others are returned at once.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// 429 on every attempt (not `insufficient_quota`).
    #[error("rate limited by the LLM endpoint (after {retries} retries)")]
    RateLimited { retries: u32 },
    /// Every attempt hit `request_timeout_ms`.
    #[error("LLM request timed out (after {retries} retries)")]
    Timeout { retries: u32 },
    /// The caller's deadline came (or the next wait would have crossed it).
    #[error("deadline exceeded before the LLM answered ({attempts} attempts made)")]
    DeadlineExceeded { attempts: u32 },
    /// 5xx/408/409 or a connection error on every attempt. `status` is
    /// `None` for connection errors.
    #[error("LLM endpoint unavailable (status {}, after {retries} retries)", fmt_status(.status))]
    Unavailable { status: Option<u16>, retries: u32 },
    /// 401/403.
    #[error("LLM endpoint refused our credentials ({status}): {message}")]
    Auth { status: u16, message: String },
    /// 400 and other 4xx: the request itself is wrong.
    #[error("LLM endpoint rejected the request: {message}")]
    BadRequest { message: String },
    /// 429 with `insufficient_quota`: billing, not load. Never retried.
    #[error("LLM quota exhausted: {message}")]
    QuotaExhausted { message: String },
    /// 404: unknown model (or wrong base URL).
    #[error("LLM model {model:?} not found: {message}")]
    ModelNotFound { model: String, message: String },
    /// A 2xx whose body is not a usable chat completion.
    #[error("malformed LLM response: {detail}")]
    Malformed { detail: String },
    /// The configuration cannot make a client.
    #[error("invalid LLM configuration: {}", .problems.join("; "))]
    Config { problems: Vec<String> },
}

fn fmt_status(status: &Option<u16>) -> String {
    match status {
        Some(s) => s.to_string(),
        None => "connection error".into(),
    }
}

impl LlmError {
    /// True for transient failures: trying again later may succeed.
    /// `DeadlineExceeded` is not retryable: the caller's time is up.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LlmError::RateLimited { .. } | LlmError::Timeout { .. } | LlmError::Unavailable { .. }
        )
    }

    /// The gRPC status code name the service should answer with
    /// (`tonic::Code` spelled in SCREAMING_SNAKE_CASE, as in the gRPC spec).
    ///
    /// | variant | code |
    /// | --- | --- |
    /// | RateLimited, QuotaExhausted | RESOURCE_EXHAUSTED |
    /// | Timeout, Unavailable | UNAVAILABLE |
    /// | DeadlineExceeded | DEADLINE_EXCEEDED |
    /// | Auth, ModelNotFound, Config | FAILED_PRECONDITION (our setup, not the caller's input) |
    /// | BadRequest, Malformed | INTERNAL |
    pub fn grpc_code_name(&self) -> &'static str {
        match self {
            LlmError::RateLimited { .. } | LlmError::QuotaExhausted { .. } => "RESOURCE_EXHAUSTED",
            LlmError::Timeout { .. } | LlmError::Unavailable { .. } => "UNAVAILABLE",
            LlmError::DeadlineExceeded { .. } => "DEADLINE_EXCEEDED",
            LlmError::Auth { .. } | LlmError::ModelNotFound { .. } | LlmError::Config { .. } => {
                "FAILED_PRECONDITION"
            }
            LlmError::BadRequest { .. } | LlmError::Malformed { .. } => "INTERNAL",
        }
    }

    /// A short stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            LlmError::RateLimited { .. } => "rate_limited",
            LlmError::Timeout { .. } => "timeout",
            LlmError::DeadlineExceeded { .. } => "deadline_exceeded",
            LlmError::Unavailable { .. } => "unavailable",
            LlmError::Auth { .. } => "auth",
            LlmError::BadRequest { .. } => "bad_request",
            LlmError::QuotaExhausted { .. } => "quota_exhausted",
            LlmError::ModelNotFound { .. } => "model_not_found",
            LlmError::Malformed { .. } => "malformed",
            LlmError::Config { .. } => "config",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<(LlmError, bool, &'static str)> {
        vec![
            (
                LlmError::RateLimited { retries: 3 },
                true,
                "RESOURCE_EXHAUSTED",
            ),
            (LlmError::Timeout { retries: 1 }, true, "UNAVAILABLE"),
            (
                LlmError::DeadlineExceeded { attempts: 1 },
                false,
                "DEADLINE_EXCEEDED",
            ),
            (
                LlmError::Unavailable {
                    status: Some(503),
                    retries: 2,
                },
                true,
                "UNAVAILABLE",
            ),
            (
                LlmError::Unavailable {
                    status: None,
                    retries: 2,
                },
                true,
                "UNAVAILABLE",
            ),
            (
                LlmError::Auth {
                    status: 401,
                    message: "bad key".into(),
                },
                false,
                "FAILED_PRECONDITION",
            ),
            (
                LlmError::BadRequest {
                    message: "bad".into(),
                },
                false,
                "INTERNAL",
            ),
            (
                LlmError::QuotaExhausted {
                    message: "pay".into(),
                },
                false,
                "RESOURCE_EXHAUSTED",
            ),
            (
                LlmError::ModelNotFound {
                    model: "m".into(),
                    message: "nope".into(),
                },
                false,
                "FAILED_PRECONDITION",
            ),
            (
                LlmError::Malformed { detail: "x".into() },
                false,
                "INTERNAL",
            ),
            (
                LlmError::Config {
                    problems: vec!["a".into(), "b".into()],
                },
                false,
                "FAILED_PRECONDITION",
            ),
        ]
    }

    #[test]
    fn retryability_of_every_variant() {
        for (err, retryable, _) in all() {
            assert_eq!(err.is_retryable(), retryable, "{err:?}");
        }
    }

    #[test]
    fn grpc_code_of_every_variant() {
        for (err, _, code) in all() {
            assert_eq!(err.grpc_code_name(), code, "{err:?}");
            assert!(!err.kind().is_empty());
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn messages_are_readable() {
        let e = LlmError::Unavailable {
            status: None,
            retries: 2,
        };
        assert_eq!(
            e.to_string(),
            "LLM endpoint unavailable (status connection error, after 2 retries)"
        );
        let e = LlmError::Config {
            problems: vec!["a".into(), "b".into()],
        };
        assert_eq!(e.to_string(), "invalid LLM configuration: a; b");
    }
}

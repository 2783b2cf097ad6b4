//! Our retry policy, as pure functions: which responses to retry, how long
//! to wait (exponential backoff with full jitter, or the server's
//! `Retry-After`), and how to read an error body of any shape.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::LlmError;

/// A `Retry-After` longer than this is not waited out: the call fails with
/// its transient error at once (the server means minutes, not a blip).
pub const MAX_HONOURED_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Why an attempt is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryReason {
    /// 429 (not `insufficient_quota`).
    RateLimited,
    /// 5xx, 408, 409.
    ServerError,
    /// No complete response within `request_timeout_ms`.
    Timeout,
    /// Connect/reset/read error.
    Connection,
}

/// What one non-2xx response means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StatusVerdict {
    Retry {
        reason: RetryReason,
        retry_after: Option<Duration>,
    },
    Fatal(LlmError),
}

/// Exponential backoff with full jitter: uniform in
/// `[0, min(max, base * 2^retry)]`, `retry` counting from 0.
pub(crate) fn full_jitter(retry: u32, base: Duration, max: Duration) -> Duration {
    let cap = backoff_cap(retry, base, max);
    let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::random_range(0..=cap_ms))
}

pub(crate) fn backoff_cap(retry: u32, base: Duration, max: Duration) -> Duration {
    let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(max)
}

/// The server's requested wait, from `retry-after-ms` (OpenAI) or
/// `Retry-After` as delay-seconds (decimals tolerated) or an HTTP-date.
/// Unparseable values are ignored. A date in the past means "now".
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    parse_retry_after(raw, now)
}

pub(crate) fn parse_retry_after(raw: &str, now: SystemTime) -> Option<Duration> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0 * 365.0)));
    }
    let when = httpdate::parse_http_date(raw).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The parts of an error body we use.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub message: String,
    pub code: Option<String>,
    pub kind: Option<String>,
}

/// Reads an error body of any shape: OpenAI's `{"error":{...}}` (through
/// async-openai's `WrappedError`), vLLM's `{"message","type","code":int}`,
/// FastAPI's `{"detail"}`, `{"error":"text"}`, plain text, HTML or nothing.
pub(crate) fn parse_error_body(status: u16, body: &[u8]) -> ErrorBody {
    if let Ok(w) = serde_json::from_slice::<async_openai::error::WrappedError>(body) {
        return ErrorBody {
            message: w.error.message,
            code: w.error.code,
            kind: w.error.r#type,
        };
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let obj = match v.get("error") {
            Some(e) if e.is_object() => e,
            _ => &v,
        };
        let text = |key: &str| -> Option<String> {
            match obj.get(key)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        };
        let message = v
            .get("error")
            .and_then(|e| e.as_str())
            .map(str::to_string)
            .or_else(|| text("message"))
            .or_else(|| text("detail"));
        if let Some(message) = message {
            return ErrorBody {
                message,
                code: text("code"),
                kind: text("type"),
            };
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let message = if text.is_empty() {
        format!("HTTP {status} with an empty body")
    } else {
        truncate(text, 300)
    };
    ErrorBody {
        message,
        code: None,
        kind: None,
    }
}

pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Classifies a non-2xx response.
pub(crate) fn classify_status(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    model: &str,
    now: SystemTime,
) -> StatusVerdict {
    let retry = |reason| StatusVerdict::Retry {
        reason,
        retry_after: retry_after(headers, now),
    };
    match status {
        429 => {
            let e = parse_error_body(status, body);
            let quota = [e.code.as_deref(), e.kind.as_deref()]
                .into_iter()
                .flatten()
                .any(|c| c == "insufficient_quota");
            if quota {
                StatusVerdict::Fatal(LlmError::QuotaExhausted { message: e.message })
            } else {
                retry(RetryReason::RateLimited)
            }
        }
        408 | 409 => retry(RetryReason::ServerError),
        s if s >= 500 => retry(RetryReason::ServerError),
        401 | 403 => StatusVerdict::Fatal(LlmError::Auth {
            status,
            message: parse_error_body(status, body).message,
        }),
        404 => StatusVerdict::Fatal(LlmError::ModelNotFound {
            model: model.to_string(),
            message: parse_error_body(status, body).message,
        }),
        _ => StatusVerdict::Fatal(LlmError::BadRequest {
            message: format!("HTTP {status}: {}", parse_error_body(status, body).message),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn backoff_cap_doubles_up_to_max() {
        let b = Duration::from_millis(100);
        let m = Duration::from_millis(1000);
        assert_eq!(backoff_cap(0, b, m), Duration::from_millis(100));
        assert_eq!(backoff_cap(1, b, m), Duration::from_millis(200));
        assert_eq!(backoff_cap(3, b, m), Duration::from_millis(800));
        assert_eq!(backoff_cap(4, b, m), m);
        assert_eq!(backoff_cap(40, b, m), m);
        for r in 0..10 {
            assert!(full_jitter(r, b, m) <= backoff_cap(r, b, m));
        }
    }

    #[test]
    fn retry_after_seconds_date_and_ms() {
        let now = SystemTime::now();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", " 1.5 ")]), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(10));
        let d = retry_after(&headers(&[("retry-after", &date)]), now).unwrap();
        assert!(
            d > Duration::from_secs(8) && d <= Duration::from_secs(10),
            "{d:?}"
        );
        // RFC 850 and asctime forms are HTTP-dates too.
        let base = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:40 GMT", base),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:41 1994", base),
            Some(Duration::from_secs(4))
        );
        // Past dates mean now; junk and negatives are ignored.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:30 GMT", base),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", base), None);
        assert_eq!(parse_retry_after("-1", base), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn error_bodies_of_every_shape() {
        let openai = br#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let e = parse_error_body(429, openai);
        assert_eq!(e.message, "Rate limit reached");
        assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
        let vllm = br#"{"object":"error","message":"bad schema","type":"BadRequestError","param":null,"code":400}"#;
        let e = parse_error_body(400, vllm);
        assert_eq!(e.message, "bad schema");
        assert_eq!(e.code.as_deref(), Some("400"));
        assert_eq!(
            parse_error_body(422, br#"{"detail":"field required"}"#).message,
            "field required"
        );
        assert_eq!(
            parse_error_body(502, br#"{"error":"upstream down"}"#).message,
            "upstream down"
        );
        assert_eq!(
            parse_error_body(429, b"Too Many Requests\n").message,
            "Too Many Requests"
        );
        assert!(
            parse_error_body(503, b"<html><body>503</body></html>")
                .message
                .starts_with("<html>")
        );
        assert_eq!(
            parse_error_body(500, b"").message,
            "HTTP 500 with an empty body"
        );
        let long = "x".repeat(1000);
        assert_eq!(
            parse_error_body(500, long.as_bytes())
                .message
                .chars()
                .count(),
            301
        );
    }

    #[test]
    fn status_classification() {
        let now = SystemTime::now();
        let h = HeaderMap::new();
        let c = |s: u16, body: &[u8]| classify_status(s, &h, body, "m", now);
        let retry = |reason| StatusVerdict::Retry {
            reason,
            retry_after: None,
        };
        assert_eq!(c(429, b"slow down"), retry(RetryReason::RateLimited));
        for s in [500, 502, 503, 504, 529, 408, 409] {
            assert_eq!(c(s, b""), retry(RetryReason::ServerError), "{s}");
        }
        let quota = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert!(matches!(
            c(429, quota),
            StatusVerdict::Fatal(LlmError::QuotaExhausted { .. })
        ));
        assert!(matches!(
            c(401, b""),
            StatusVerdict::Fatal(LlmError::Auth { status: 401, .. })
        ));
        assert!(matches!(
            c(403, b""),
            StatusVerdict::Fatal(LlmError::Auth { status: 403, .. })
        ));
        assert!(matches!(
            c(404, b""),
            StatusVerdict::Fatal(LlmError::ModelNotFound { .. })
        ));
        match c(400, br#"{"error":{"message":"Invalid schema"}}"#) {
            StatusVerdict::Fatal(LlmError::BadRequest { message }) => {
                assert_eq!(message, "HTTP 400: Invalid schema")
            }
            other => panic!("{other:?}"),
        }
        let h = headers(&[("retry-after", "2")]);
        assert_eq!(
            classify_status(503, &h, b"", "m", now),
            StatusVerdict::Retry {
                reason: RetryReason::ServerError,
                retry_after: Some(Duration::from_secs(2))
            }
        );
    }
}

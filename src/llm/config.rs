//! `LlmConfig`: the `[llm]` section of the service configuration.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Endpoint used when only an API key is configured.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// Environment variable read when `api_key` is empty.
pub const API_KEY_ENV: &str = "OPENAI_API_KEY";

/// Settings of the LLM transport. Every field has a default, so a partial
/// section (or none) deserializes; unknown keys are rejected.
///
/// `0` for `requests_per_minute` / `tokens_per_minute` turns that client-side
/// budget off.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// OpenAI-compatible base URL including the version prefix, e.g.
    /// `https://api.openai.com/v1` or `http://localhost:8000/v1`. Requests go
    /// to `{base_url}/chat/completions`. Empty: OpenAI's, when a key is set.
    pub base_url: String,
    /// Bearer token. Empty: taken from `OPENAI_API_KEY`; still empty: no
    /// `Authorization` header (local servers). Never serialized.
    #[serde(skip_serializing)]
    pub api_key: String,
    pub model: String,
    pub temperature: f32,
    /// Sent as `max_completion_tokens`.
    pub max_tokens: u32,
    /// Per HTTP attempt (connect + response body).
    pub request_timeout_ms: u64,
    pub max_concurrent_requests: u32,
    pub requests_per_minute: u32,
    pub tokens_per_minute: u32,
    /// Retries after the first attempt (so at most `max_retries + 1` requests).
    pub max_retries: u32,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// Schema re-asks after an invalid answer. Used by the engine, not here.
    pub reasks: u32,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            base_url: String::new(),
            api_key: String::new(),
            model: String::new(),
            temperature: 0.7,
            max_tokens: 1024,
            request_timeout_ms: 60_000,
            max_concurrent_requests: 8,
            requests_per_minute: 500,
            tokens_per_minute: 200_000,
            max_retries: 4,
            backoff_base_ms: 500,
            backoff_max_ms: 20_000,
            reasks: 2,
        }
    }
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field(
                "api_key",
                &if self.api_key.is_empty() {
                    "<empty>"
                } else {
                    "<redacted>"
                },
            )
            .field("model", &self.model)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("tokens_per_minute", &self.tokens_per_minute)
            .field("max_retries", &self.max_retries)
            .field("backoff_base_ms", &self.backoff_base_ms)
            .field("backoff_max_ms", &self.backoff_max_ms)
            .field("reasks", &self.reasks)
            .finish()
    }
}

impl LlmConfig {
    /// The key to send: `api_key`, else `$OPENAI_API_KEY`, else none.
    pub fn resolved_api_key(&self) -> Option<String> {
        let key = self.api_key.trim();
        if !key.is_empty() {
            return Some(key.to_string());
        }
        std::env::var(API_KEY_ENV)
            .ok()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
    }

    /// The base URL to use: `base_url` without trailing `/`, or OpenAI's.
    pub fn resolved_base_url(&self) -> String {
        let base = self.base_url.trim().trim_end_matches('/');
        if base.is_empty() {
            DEFAULT_OPENAI_BASE_URL.to_string()
        } else {
            base.to_string()
        }
    }

    /// True when an LLM can be called: a model, and a base URL or an API key
    /// (config or environment). The engine falls back to the offline
    /// composer otherwise.
    pub fn is_configured(&self) -> bool {
        !self.model.trim().is_empty()
            && (!self.base_url.trim().is_empty() || self.resolved_api_key().is_some())
    }

    /// Checks the values; returns every problem found, each naming its key.
    /// An unconfigured section (see [`is_configured`](Self::is_configured))
    /// still has its numbers checked, but missing model/endpoint are only
    /// reported by [`LlmClient::new`](super::LlmClient::new).
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let base = self.base_url.trim();
        let scheme_ok = base.starts_with("http://") || base.starts_with("https://");
        if !base.is_empty() {
            if !scheme_ok {
                problems.push(format!(
                    "llm.base_url: must start with http:// or https:// (got {base:?})"
                ));
            } else if reqwest::Url::parse(base).is_err() {
                problems.push(format!("llm.base_url: not a valid URL ({base:?})"));
            }
        }
        if !self.temperature.is_finite() || !(0.0..=2.0).contains(&self.temperature) {
            problems.push(format!(
                "llm.temperature: must be within 0.0..=2.0 (got {})",
                self.temperature
            ));
        }
        if self.max_tokens == 0 {
            problems.push("llm.max_tokens: must be at least 1".into());
        }
        if self.request_timeout_ms == 0 {
            problems.push("llm.request_timeout_ms: must be at least 1".into());
        }
        if self.max_concurrent_requests == 0 {
            problems.push("llm.max_concurrent_requests: must be at least 1".into());
        }
        if self.backoff_base_ms == 0 {
            problems.push("llm.backoff_base_ms: must be at least 1".into());
        }
        if self.backoff_max_ms < self.backoff_base_ms {
            problems.push(format!(
                "llm.backoff_max_ms: must be >= backoff_base_ms ({} < {})",
                self.backoff_max_ms, self.backoff_base_ms
            ));
        }
        if self.max_retries > 20 {
            problems.push(format!(
                "llm.max_retries: at most 20 (got {})",
                self.max_retries
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// [`validate`](Self::validate) plus what a client needs: a model and an
    /// endpoint or key.
    pub fn validate_for_client(&self) -> Result<(), Vec<String>> {
        let mut problems = self.validate().err().unwrap_or_default();
        if self.model.trim().is_empty() {
            problems.push("llm.model: must be set".into());
        }
        if self.base_url.trim().is_empty() && self.resolved_api_key().is_none() {
            problems.push(format!(
                "llm.base_url: must be set, or an API key given (llm.api_key or ${API_KEY_ENV})"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_but_not_configured() {
        let cfg = LlmConfig::default();
        assert_eq!(cfg.validate(), Ok(()));
        assert!(cfg.model.is_empty());
        assert!(!cfg.is_configured());
        assert_eq!(cfg.reasks, 2);
    }

    #[test]
    fn configured_with_model_and_base_url() {
        let cfg = LlmConfig {
            model: "m".into(),
            base_url: "http://127.0.0.1:8000/v1".into(),
            ..Default::default()
        };
        assert!(cfg.is_configured());
        assert_eq!(cfg.validate_for_client(), Ok(()));
        let cfg = LlmConfig {
            model: "m".into(),
            api_key: "sk-x".into(),
            ..Default::default()
        };
        assert!(cfg.is_configured());
        assert_eq!(cfg.resolved_base_url(), DEFAULT_OPENAI_BASE_URL);
        let cfg = LlmConfig {
            base_url: "http://x/v1".into(),
            ..Default::default()
        };
        assert!(!cfg.is_configured());
    }

    #[test]
    fn validation_reports_every_problem() {
        let cfg = LlmConfig {
            base_url: "ftp://x".into(),
            temperature: 3.0,
            max_tokens: 0,
            request_timeout_ms: 0,
            max_concurrent_requests: 0,
            backoff_base_ms: 100,
            backoff_max_ms: 10,
            ..Default::default()
        };
        let problems = cfg.validate().unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:#?}");
        for key in [
            "llm.base_url",
            "llm.temperature",
            "llm.max_tokens",
            "llm.request_timeout_ms",
            "llm.max_concurrent_requests",
            "llm.backoff_max_ms",
        ] {
            assert!(problems.iter().any(|p| p.starts_with(key)), "{key}");
        }
    }

    #[test]
    fn deserializes_partial_and_rejects_unknown() {
        let cfg: LlmConfig = serde_json::from_str(r#"{"model":"gpt-4o-mini","reasks":1}"#).unwrap();
        assert_eq!(cfg.model, "gpt-4o-mini");
        assert_eq!(cfg.reasks, 1);
        assert_eq!(cfg.max_retries, LlmConfig::default().max_retries);
        let err = serde_json::from_str::<LlmConfig>(r#"{"modle":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn debug_redacts_the_key() {
        let cfg = LlmConfig {
            api_key: "sk-secret".into(),
            ..Default::default()
        };
        let s = format!("{cfg:?}");
        assert!(!s.contains("sk-secret"));
        assert!(s.contains("<redacted>"));
    }
}

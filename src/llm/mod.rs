//! The OpenAI-compatible generator's transport: one structured-output chat
//! call to any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp,
//! proxies), with a retry policy we own, a client-side limiter and counters.
//!
//! Owns: [`LlmConfig`] and its validation; [`LlmClient`] (HTTP via reqwest
//! with rustls/ring, wire format in async-openai's types); the retry policy
//! (which failures to retry, backoff with full jitter, `Retry-After` in
//! seconds or HTTP-date whatever the body, the caller's deadline);
//! the limiter (concurrency, RPM and TPM budgets); [`LlmError`] and its gRPC
//! code name; the [`LlmStats`] counters.
//!
//! Must never: know gRPC/protobuf types, the store, prompts or drafts (the
//! caller hands in messages and a JSON schema and gets the content text back
//! unvalidated); sleep past the caller's deadline; retry a failure that
//! cannot heal (auth, bad request, quota, unknown model, malformed body);
//! log the API key or message contents.
//!
//! async-openai's own `Client` is not used to send: its built-in retry layer
//! cannot be turned off without its `middleware` feature, it does not retry a
//! 429 whose body is not OpenAI-shaped, and it drops the headers and raw body
//! we classify on. Its request/response types are the wire format.

mod client;
mod config;
mod error;
mod limiter;
mod retry;
mod wire;

pub use client::{
    ChatMessage, ChatOutcome, ChatRequest, LlmClient, LlmStats, Role, ensure_crypto_provider,
};
pub use config::{API_KEY_ENV, DEFAULT_OPENAI_BASE_URL, LlmConfig};
pub use error::LlmError;
pub use retry::MAX_HONOURED_RETRY_AFTER;

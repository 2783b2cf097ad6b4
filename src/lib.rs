//! Proofline: grounded, policy-checked 1:1 B2B outreach.
//!
//! # Layout
//! - `model`: domain types (brief, draft, finding, route, lineage). No IO.
//! - `brief`: the input contract (seed 5.2): validation with field paths.
//! - `library`: the versioned prompt/component/proof/policy library and its
//!   loader (the only module that reads library files).
//! - `compose`: layered assembly with minijinja and the offline composer.
//! - `checks`: grounding, red-line and tone checks. Pure.
//! - `route`: risk-based routing. Pure.
//! - `llm`: the OpenAI-compatible generator, its retry policy and limiter.
//! - `engine`: the pipeline brief → draft → checks → route → lineage.
//! - `outcomes`: outcome events, performance by component and version,
//!   experiments and lift (pure, but for its `ledger`).
//! - `store`: persistence (the only module that knows sled).
//! - `grpc`: tonic services (the only module that knows protobuf).
//! - `review`: the review queue, decisions, release log and check stats.
//! - `console`: the reviewers' web console (embedded assets, JSON API).
//! - `http`: /healthz, /metrics, the console and the landing-page preview.
//! - `landing`: a landing_page draft as a standalone, escaped HTML page.
//! - `tls`: `[server.tls]` for both ports (rustls, ring).
//! - `lint`: `proofline lint`, the library repository's CI check.
//! - `auth`: bearer-token clients bound to a tenant and scopes. Pure.
//! - `config`: embedded defaults, file, `PROOFLINE__SECTION__KEY` overrides.

pub mod app;
pub mod auth;
pub mod batch;
pub mod brief;
pub mod checks;
pub mod compose;
pub mod config;
pub mod console;
pub mod cooldown;
pub mod engine;
pub mod eval;
pub mod grpc;
pub mod http;
pub mod landing;
pub mod library;
pub mod lint;
pub mod llm;
pub mod metrics;
pub mod model;
pub mod outcomes;
pub mod retention;
pub mod review;
pub mod route;
pub mod store;
pub mod tls;
pub mod watch;

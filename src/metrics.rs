//! Prometheus metrics, exported on the HTTP port at /metrics.

use crate::engine::{EngineError, GenerateOutcome};
use crate::model::Draft;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DraftLabels {
    pub channel: String,
    pub route: String,
    pub generator: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FindingLabels {
    pub check: String,
    pub rule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub kind: String,
}

pub struct Metrics {
    registry: Registry,
    pub drafts: Family<DraftLabels, Counter>,
    pub requests: Family<OutcomeLabels, Counter>,
    pub findings: Family<FindingLabels, Counter>,
    pub tokens: Family<TokenLabels, Counter>,
    pub generate_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("proofline");
        let drafts = Family::<DraftLabels, Counter>::default();
        let requests = Family::<OutcomeLabels, Counter>::default();
        let findings = Family::<FindingLabels, Counter>::default();
        let tokens = Family::<TokenLabels, Counter>::default();
        let generate_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "drafts",
            "Drafts generated, by channel, route and generator",
            drafts.clone(),
        );
        registry.register(
            "generate_requests",
            "Generate requests by outcome",
            requests.clone(),
        );
        registry.register(
            "findings",
            "Check findings on generated drafts, by check and rule",
            findings.clone(),
        );
        registry.register(
            "llm_tokens",
            "LLM tokens used (prompt, cached_prompt, completion)",
            tokens.clone(),
        );
        registry.register(
            "generate_duration_seconds",
            "Time to answer a Generate request",
            generate_seconds.clone(),
        );
        Metrics {
            registry,
            drafts,
            requests,
            findings,
            tokens,
            generate_seconds,
        }
    }

    pub fn observe_generate(&self, result: &Result<GenerateOutcome, EngineError>, took: Duration) {
        let outcome = match result {
            Ok(o) if o.replayed => "replayed",
            Ok(o) if o.suppressed.is_some() => "suppressed",
            Ok(_) => "ok",
            Err(EngineError::InvalidInput { .. }) => "invalid_input",
            Err(EngineError::DeadlineExceeded { .. }) => "deadline_exceeded",
            Err(_) => "error",
        };
        self.requests
            .get_or_create(&OutcomeLabels {
                outcome: outcome.into(),
            })
            .inc();
        self.generate_seconds.observe(took.as_secs_f64());
    }

    pub fn observe_draft(&self, d: &Draft) {
        self.drafts
            .get_or_create(&DraftLabels {
                channel: d.channel.as_str().into(),
                route: d.route.as_str().into(),
                generator: d.lineage.generator.kind.clone(),
            })
            .inc();
        for f in &d.findings {
            self.findings
                .get_or_create(&FindingLabels {
                    check: f.check.as_str().into(),
                    rule: f.rule_id.clone(),
                })
                .inc();
        }
        let u = &d.lineage.usage;
        for (kind, n) in [
            ("prompt", u.prompt_tokens),
            ("cached_prompt", u.cached_prompt_tokens),
            ("completion", u.completion_tokens),
        ] {
            if n > 0 {
                self.tokens
                    .get_or_create(&TokenLabels { kind: kind.into() })
                    .inc_by(n as u64);
            }
        }
    }

    /// The OpenMetrics text exposition, with the LLM client's counters when
    /// one is in use.
    pub fn encode(&self, llm: Option<&crate::llm::LlmStats>) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        let Some(s) = llm else { return out };
        let mut body = out.strip_suffix("# EOF\n").unwrap_or(&out).to_string();
        let mut counter = |name: &str, help: &str, samples: &[(&str, u64)]| {
            body.push_str(&format!(
                "# HELP proofline_{name} {help}\n# TYPE proofline_{name} counter\n"
            ));
            for (labels, v) in samples {
                body.push_str(&format!("proofline_{name}_total{labels} {v}\n"));
            }
        };
        counter(
            "llm_calls",
            "LLM chat calls by result",
            &[
                ("{result=\"ok\"}", s.successes),
                ("{result=\"error\"}", s.failures),
            ],
        );
        counter(
            "llm_http_requests",
            "HTTP requests sent to the LLM endpoint (attempts)",
            &[("", s.requests)],
        );
        counter(
            "llm_http_429",
            "429 responses from the LLM endpoint",
            &[("", s.http_429)],
        );
        counter(
            "llm_retries",
            "LLM retries by reason",
            &[
                ("{reason=\"rate_limited\"}", s.retries_rate_limited),
                ("{reason=\"server_error\"}", s.retries_server_error),
                ("{reason=\"timeout\"}", s.retries_timeout),
                ("{reason=\"connection\"}", s.retries_connection),
            ],
        );
        body.push_str("# EOF\n");
        body
    }
}

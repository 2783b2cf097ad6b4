//! The operators' batch: JSON lines of briefs (or requests) in, JSON lines of
//! results and a summary out. Used by `proofline generate-batch`, locally or
//! against a running server.

use crate::model::{AccountBrief, Channel, Draft, Route};
use serde::{Deserialize, Serialize};

/// One input line: a bare brief, or a request wrapping one.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLine {
    pub line: usize,
    pub request_id: String,
    pub idempotency_key: Option<String>,
    pub channels: Vec<Channel>,
    pub brief: AccountBrief,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestLine {
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    channels: Vec<Channel>,
    brief: AccountBrief,
}

/// Parse one line. Errors name the line and the field path.
pub fn parse_line(line_no: usize, text: &str) -> Result<BatchLine, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("line {line_no}: not JSON: {e}"))?;
    let is_request = value.get("brief").is_some();
    if is_request {
        let r: RequestLine = serde_path_to_error::deserialize(value)
            .map_err(|e| format!("line {line_no}: {}: {}", e.path(), e.inner()))?;
        Ok(BatchLine {
            line: line_no,
            request_id: if r.request_id.is_empty() {
                format!("line-{line_no}")
            } else {
                r.request_id
            },
            idempotency_key: (!r.idempotency_key.is_empty()).then_some(r.idempotency_key),
            channels: r.channels,
            brief: r.brief,
        })
    } else {
        let brief: AccountBrief = serde_path_to_error::deserialize(value)
            .map_err(|e| format!("line {line_no}: brief.{}: {}", e.path(), e.inner()))?;
        Ok(BatchLine {
            line: line_no,
            request_id: format!("line-{line_no}"),
            idempotency_key: None,
            channels: Vec::new(),
            brief,
        })
    }
}

/// One output line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BatchResult {
    pub request_id: String,
    /// "ok", "replayed", "refused", "suppressed" or "error".
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<DraftSummary>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DraftSummary {
    pub draft_id: String,
    pub channel: String,
    pub route: String,
    pub blocking_findings: usize,
}

impl DraftSummary {
    pub fn of(d: &Draft) -> DraftSummary {
        DraftSummary {
            draft_id: d.draft_id.clone(),
            channel: d.channel.as_str().to_string(),
            route: d.route.as_str().to_string(),
            blocking_findings: d.findings.iter().filter(|f| f.is_blocking()).count(),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub requests: usize,
    pub drafts_auto_sent: usize,
    pub drafts_in_review: usize,
    pub refused: usize,
    pub suppressed: usize,
    pub replayed: usize,
    pub errors: usize,
}

impl Summary {
    pub fn add(&mut self, r: &BatchResult) {
        self.requests += 1;
        match r.status.as_str() {
            "refused" => self.refused += 1,
            "suppressed" => self.suppressed += 1,
            "error" => self.errors += 1,
            "replayed" => self.replayed += 1,
            _ => {}
        }
        for d in &r.drafts {
            if d.route == Route::AutoSend.as_str() {
                self.drafts_auto_sent += 1;
            } else {
                self.drafts_in_review += 1;
            }
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests: {} drafts auto-sent, {} drafts in review, {} refused, {} suppressed, {} replayed, {} errors",
            self.requests,
            self.drafts_auto_sent,
            self.drafts_in_review,
            self.refused,
            self.suppressed,
            self.replayed,
            self.errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRIEF: &str = r#"{"account_name":"A","industry":"Retail","tier":2,"persona":"CISO","stage":"unaware","trigger":{"kind":"job_change","summary":"s","occurred_on":"2026-01-01"},"sender":{"name":"S","company":"V"}}"#;

    #[test]
    fn bare_brief_and_request_lines() {
        let a = parse_line(1, BRIEF).unwrap();
        assert_eq!(a.request_id, "line-1");
        let req = format!(
            r#"{{"request_id":"r1","idempotency_key":"k","channels":["email"],"brief":{BRIEF}}}"#
        );
        let b = parse_line(2, &req).unwrap();
        assert_eq!(
            (
                b.request_id.as_str(),
                b.idempotency_key.as_deref(),
                b.channels.as_slice()
            ),
            ("r1", Some("k"), &[Channel::Email][..])
        );
    }

    #[test]
    fn errors_name_line_and_field() {
        let bad = BRIEF.replace(r#""tier":2"#, r#""tier":"two""#);
        let e = parse_line(7, &bad).unwrap_err();
        assert!(e.starts_with("line 7: brief.tier"), "{e}");
        assert!(
            parse_line(3, "{nope")
                .unwrap_err()
                .starts_with("line 3: not JSON")
        );
    }
}

//! What a reviewer sees of one draft: the brief variables it was built from,
//! the sources it may cite, findings as highlight segments, the diff against
//! the last released draft of the same prompt version, and the history.
//! Pure: the desk gathers the inputs.

use super::diff::{self, Segment, TextDiff};
use super::{Claim, Decision, reasons::RejectReason};
use crate::model::{AccountBrief, Draft, ItemRef, ProofFact, TextPart};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// proof, initiative, trigger.
    pub kind: String,
    pub id: String,
    pub text: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    pub draft_id: String,
    pub released_at: String,
    pub account_id: String,
    pub diff: TextDiff,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonOption {
    pub code: &'static str,
    pub label: &'static str,
    pub check: &'static str,
}

pub fn reject_reasons() -> Vec<ReasonOption> {
    RejectReason::ALL
        .into_iter()
        .map(|r| ReasonOption {
            code: r.as_str(),
            label: r.label(),
            check: r.check().map(|c| c.as_str()).unwrap_or(""),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftView {
    pub draft: Draft,
    pub brief: Option<AccountBrief>,
    pub variables: Vec<Variable>,
    pub claims: Vec<Claim>,
    pub sources: Vec<Source>,
    pub items: Vec<ItemRef>,
    pub baseline: Option<Baseline>,
    pub history: Vec<Decision>,
    pub reject_reasons: Vec<ReasonOption>,
    /// The text split at finding spans, for highlighting.
    pub subject_segments: Vec<Segment>,
    pub body_segments: Vec<Segment>,
}

impl DraftView {
    pub fn build(
        draft: Draft,
        brief: Option<AccountBrief>,
        proofs: &[ProofFact],
        baseline: Option<(&Draft, &str)>,
        history: Vec<Decision>,
    ) -> DraftView {
        let subject = draft.text.subject.as_deref().unwrap_or("");
        DraftView {
            subject_segments: diff::segments(subject, TextPart::Subject, &draft.findings),
            body_segments: diff::segments(&draft.text.body, TextPart::Body, &draft.findings),
            variables: brief.as_ref().map(variables).unwrap_or_default(),
            sources: brief
                .as_ref()
                .map(|b| sources(b, proofs))
                .unwrap_or_default(),
            claims: claims(&draft, brief.as_ref(), proofs),
            items: draft.lineage.items.clone(),
            baseline: baseline.map(|(base, released_at)| Baseline {
                draft_id: base.draft_id.clone(),
                released_at: released_at.to_string(),
                account_id: base.account_id.clone(),
                diff: diff::text_diff(&base.text, &draft.text),
            }),
            history,
            reject_reasons: reject_reasons(),
            brief,
            draft,
        }
    }
}

/// The draft's claim log, each claim beside the text of the source it cites
/// (resolved against the brief and the proofs) and where it sits in the text.
pub fn claims(draft: &Draft, brief: Option<&AccountBrief>, proofs: &[ProofFact]) -> Vec<Claim> {
    draft
        .claims
        .iter()
        .map(|c| {
            let (kind, id, text, url) = resolve_source(&c.source, brief, proofs);
            let span = draft
                .text
                .body
                .find(c.text.as_str())
                .map(|start| crate::model::Span {
                    part: TextPart::Body,
                    start,
                    end: start + c.text.len(),
                });
            Claim {
                text: c.text.clone(),
                span,
                source_kind: kind,
                source_id: id,
                source_text: text,
                source_url: url,
                supported: c.verified,
            }
        })
        .collect()
}

/// `brief.trigger`, `brief.known_initiatives[1]`, `brief.intent_topics[0]`,
/// `proofs[pp-x]`, ... → (kind, id, text, url). Unknown sources resolve to
/// empty text, which the console shows as "source not found".
fn resolve_source(
    source: &str,
    brief: Option<&AccountBrief>,
    proofs: &[ProofFact],
) -> (String, String, String, String) {
    let indexed = |s: &str, prefix: &str| -> Option<usize> {
        s.strip_prefix(prefix)?.strip_suffix(']')?.parse().ok()
    };
    if let Some(id) = source
        .strip_prefix("proofs[")
        .and_then(|s| s.strip_suffix(']'))
    {
        let p = proofs.iter().find(|p| p.id == id);
        return (
            "proof".into(),
            id.into(),
            p.map(|p| p.text.clone()).unwrap_or_default(),
            p.map(|p| p.source.clone()).unwrap_or_default(),
        );
    }
    let Some(b) = brief else {
        return ("brief".into(), source.into(), String::new(), String::new());
    };
    let list = |l: &[String], prefix: &str| indexed(source, prefix).and_then(|i| l.get(i).cloned());
    let (kind, text, url) = if source.starts_with("brief.trigger") {
        ("trigger", Some(b.trigger.summary.clone()), String::new())
    } else if let Some(i) = indexed(source, "brief.known_initiatives[") {
        let init = b.known_initiatives.get(i);
        (
            "initiative",
            init.map(|x| x.text.clone()),
            init.map(|x| x.source_url.clone()).unwrap_or_default(),
        )
    } else if source.starts_with("brief.intent_topics[") {
        (
            "intent_topic",
            list(&b.intent_topics, "brief.intent_topics["),
            String::new(),
        )
    } else if source.starts_with("brief.recent_engagement[") {
        (
            "engagement",
            list(&b.recent_engagement, "brief.recent_engagement["),
            String::new(),
        )
    } else if source.starts_with("brief.cta_offers[") {
        (
            "cta_offer",
            list(&b.cta_offers, "brief.cta_offers["),
            String::new(),
        )
    } else if source.starts_with("brief.hypotheses[") {
        (
            "hypothesis",
            list(&b.hypotheses, "brief.hypotheses["),
            String::new(),
        )
    } else if source == "brief.account_name" {
        ("account", Some(b.account_name.clone()), String::new())
    } else {
        ("brief", None, String::new())
    };
    (kind.into(), source.into(), text.unwrap_or_default(), url)
}

/// The brief flattened into named variables, in brief order; empty values
/// are left out.
pub fn variables(b: &AccountBrief) -> Vec<Variable> {
    let mut out = Vec::new();
    let mut push = |name: String, value: &str| {
        if !value.trim().is_empty() {
            out.push(Variable {
                name,
                value: value.to_string(),
            });
        }
    };
    push("account_id".into(), &b.account_id);
    push("account_name".into(), &b.account_name);
    push("industry".into(), &b.industry);
    push("region".into(), &b.region);
    push("tier".into(), &b.tier.to_string());
    push("persona".into(), &b.persona);
    push("stage".into(), &b.stage);
    push("trigger.kind".into(), &b.trigger.kind);
    push("trigger.summary".into(), &b.trigger.summary);
    push("trigger.occurred_on".into(), &b.trigger.occurred_on);
    for (i, init) in b.known_initiatives.iter().enumerate() {
        push(format!("known_initiatives[{i}].text"), &init.text);
        push(
            format!("known_initiatives[{i}].source_url"),
            &init.source_url,
        );
    }
    for (name, list) in [
        ("intent_topics", &b.intent_topics),
        ("recent_engagement", &b.recent_engagement),
        ("hypotheses", &b.hypotheses),
        ("proof_point_ids", &b.proof_point_ids),
        ("cta_offers", &b.cta_offers),
    ] {
        for (i, v) in list.iter().enumerate() {
            push(format!("{name}[{i}]"), v);
        }
    }
    push("sender.name".into(), &b.sender.name);
    push("sender.title".into(), &b.sender.title);
    push("sender.company".into(), &b.sender.company);
    out
}

/// The facts a draft may state: the trigger, the brief's initiatives with
/// their sources, and the approved proofs in force.
pub fn sources(b: &AccountBrief, proofs: &[ProofFact]) -> Vec<Source> {
    let mut out = Vec::new();
    if !b.trigger.summary.is_empty() {
        out.push(Source {
            kind: "trigger".into(),
            id: b.trigger.kind.clone(),
            text: b.trigger.summary.clone(),
            url: String::new(),
        });
    }
    for (i, init) in b.known_initiatives.iter().enumerate() {
        out.push(Source {
            kind: "initiative".into(),
            id: format!("known_initiatives[{i}]"),
            text: init.text.clone(),
            url: init.source_url.clone(),
        });
    }
    for p in proofs {
        out.push(Source {
            kind: "proof".into(),
            id: p.id.clone(),
            text: p.text.clone(),
            url: p.source.clone(),
        });
    }
    out
}

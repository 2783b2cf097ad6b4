//! Conversions between protobuf messages and domain types: the one place the
//! two meet. Input conversions refuse bad values with the field path.

use super::pb;
use crate::brief::Violation;
use crate::engine::EngineError;
use crate::model::{
    AccountBrief, Channel, Draft, DraftStatus, DraftText, Finding, Initiative, Lineage, ProofFact,
    Route, RouteReason, Sender, Severity, TextPart, Trigger,
};

pub fn brief_from_pb(b: Option<pb::AccountBrief>) -> Result<AccountBrief, EngineError> {
    let b = b.ok_or_else(|| EngineError::invalid("brief", "required", "is required"))?;
    let trigger = b.trigger.unwrap_or_default();
    let sender = b.sender.unwrap_or_default();
    Ok(AccountBrief {
        account_id: b.account_id,
        account_name: b.account_name,
        industry: b.industry,
        region: b.region,
        tier: b.tier,
        persona: b.persona,
        stage: b.stage,
        trigger: Trigger {
            kind: trigger.kind,
            summary: trigger.summary,
            occurred_on: trigger.occurred_on,
        },
        known_initiatives: b
            .known_initiatives
            .into_iter()
            .map(|i| Initiative {
                text: i.text,
                source_url: i.source_url,
                observed_on: i.observed_on,
            })
            .collect(),
        intent_topics: b.intent_topics,
        recent_engagement: b.recent_engagement,
        hypotheses: b.hypotheses,
        proof_point_ids: b.proof_point_ids,
        cta_offers: b.cta_offers,
        sender: Sender {
            name: sender.name,
            title: sender.title,
            company: sender.company,
        },
    })
}

pub fn brief_to_pb(b: &AccountBrief) -> pb::AccountBrief {
    pb::AccountBrief {
        account_id: b.account_id.clone(),
        account_name: b.account_name.clone(),
        industry: b.industry.clone(),
        region: b.region.clone(),
        tier: b.tier,
        persona: b.persona.clone(),
        stage: b.stage.clone(),
        trigger: Some(pb::Trigger {
            kind: b.trigger.kind.clone(),
            summary: b.trigger.summary.clone(),
            occurred_on: b.trigger.occurred_on.clone(),
        }),
        known_initiatives: b
            .known_initiatives
            .iter()
            .map(|i| pb::Initiative {
                text: i.text.clone(),
                source_url: i.source_url.clone(),
                observed_on: i.observed_on.clone(),
            })
            .collect(),
        intent_topics: b.intent_topics.clone(),
        recent_engagement: b.recent_engagement.clone(),
        hypotheses: b.hypotheses.clone(),
        proof_point_ids: b.proof_point_ids.clone(),
        cta_offers: b.cta_offers.clone(),
        sender: Some(pb::Sender {
            name: b.sender.name.clone(),
            title: b.sender.title.clone(),
            company: b.sender.company.clone(),
        }),
    }
}

pub fn channel_from_pb(value: i32, field: &str) -> Result<Channel, EngineError> {
    match pb::Channel::try_from(value) {
        Ok(pb::Channel::Email) => Ok(Channel::Email),
        Ok(pb::Channel::LinkedinConnection) => Ok(Channel::LinkedinConnection),
        Ok(pb::Channel::LinkedinMessage) => Ok(Channel::LinkedinMessage),
        Ok(pb::Channel::LandingPage) => Ok(Channel::LandingPage),
        Ok(pb::Channel::CallScript) => Ok(Channel::CallScript),
        Ok(pb::Channel::Unspecified) | Err(_) => Err(EngineError::InvalidInput {
            violations: vec![Violation {
                field: field.to_string(),
                rule: "enum",
                message: format!(
                    "{value} is not a channel (EMAIL, LINKEDIN_CONNECTION, LINKEDIN_MESSAGE, LANDING_PAGE, CALL_SCRIPT)"
                ),
            }],
        }),
    }
}

pub fn channel_to_pb(c: Channel) -> pb::Channel {
    match c {
        Channel::Email => pb::Channel::Email,
        Channel::LinkedinConnection => pb::Channel::LinkedinConnection,
        Channel::LinkedinMessage => pb::Channel::LinkedinMessage,
        Channel::LandingPage => pb::Channel::LandingPage,
        Channel::CallScript => pb::Channel::CallScript,
    }
}

pub fn channels_from_pb(values: &[i32]) -> Result<Vec<Channel>, EngineError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| channel_from_pb(*v, &format!("channels[{i}]")))
        .collect()
}

pub fn draft_text_from_pb(t: Option<pb::DraftText>, channel: Channel) -> DraftText {
    let t = t.unwrap_or_default();
    DraftText {
        subject: (channel.has_subject() || !t.subject.is_empty()).then_some(t.subject),
        body: t.body,
    }
}

pub fn draft_text_to_pb(t: &DraftText) -> pb::DraftText {
    pb::DraftText {
        subject: t.subject.clone().unwrap_or_default(),
        body: t.body.clone(),
    }
}

pub fn proofs_from_pb(p: Vec<pb::Proof>) -> Vec<ProofFact> {
    p.into_iter()
        .map(|p| ProofFact {
            id: p.id,
            text: p.text,
            source: p.source,
        })
        .collect()
}

fn char_offset(text: &str, byte: usize) -> u32 {
    text.get(..byte).map(|s| s.chars().count()).unwrap_or(0) as u32
}

pub fn finding_to_pb(f: &Finding, text: &DraftText) -> pb::Finding {
    let part_text = text.part(f.span.part);
    pb::Finding {
        check: f.check.as_str().to_string(),
        rule_id: f.rule_id.clone(),
        rule_version: f.rule_version.clone(),
        severity: match f.severity {
            Severity::Warning => pb::Severity::Warning,
            Severity::Blocking => pb::Severity::Blocking,
        } as i32,
        span: Some(pb::Span {
            part: match f.span.part {
                TextPart::Subject => "subject",
                TextPart::Body => "body",
            }
            .to_string(),
            start: f.span.start as u32,
            end: f.span.end as u32,
            char_start: char_offset(part_text, f.span.start),
            char_end: char_offset(part_text, f.span.end),
        }),
        excerpt: f.excerpt.clone(),
        message: f.message.clone(),
        evidence: f.evidence.clone(),
        suggestion: f.suggestion.clone().unwrap_or_default(),
    }
}

pub fn route_to_pb(r: Route) -> pb::Route {
    match r {
        Route::AutoSend => pb::Route::AutoSend,
        Route::HumanReview => pb::Route::HumanReview,
    }
}

pub fn reasons_to_pb(r: &[RouteReason]) -> Vec<pb::RouteReason> {
    r.iter()
        .map(|r| pb::RouteReason {
            code: r.code.clone(),
            detail: r.detail.clone(),
        })
        .collect()
}

pub fn lineage_to_pb(l: &Lineage) -> pb::Lineage {
    pb::Lineage {
        brief_hash: l.brief_hash.clone(),
        library_commit: l.library_commit.clone(),
        items: l
            .items
            .iter()
            .map(|i| pb::ItemVersion {
                kind: i.kind.as_str().to_string(),
                id: i.id.clone(),
                version: i.version.clone(),
            })
            .collect(),
        generator: Some(pb::Generator {
            kind: l.generator.kind.clone(),
            model: l.generator.model.clone(),
            temperature: l.generator.temperature,
            attempts: l.generator.attempts,
        }),
        usage: Some(pb::TokenUsage {
            prompt_tokens: l.usage.prompt_tokens,
            cached_prompt_tokens: l.usage.cached_prompt_tokens,
            completion_tokens: l.usage.completion_tokens,
        }),
        experiment: l.experiment.clone(),
        arm: l.arm.clone(),
    }
}

pub fn status_to_pb(s: DraftStatus) -> pb::DraftStatus {
    match s {
        DraftStatus::AutoApproved => pb::DraftStatus::AutoApproved,
        DraftStatus::PendingReview => pb::DraftStatus::PendingReview,
        DraftStatus::Approved => pb::DraftStatus::Approved,
        DraftStatus::Rejected => pb::DraftStatus::Rejected,
        DraftStatus::Superseded => pb::DraftStatus::Superseded,
    }
}

pub fn draft_to_pb(d: &Draft) -> pb::Draft {
    pb::Draft {
        draft_id: d.draft_id.clone(),
        request_id: d.request_id.clone(),
        channel: channel_to_pb(d.channel) as i32,
        text: Some(draft_text_to_pb(&d.text)),
        findings: d
            .findings
            .iter()
            .map(|f| finding_to_pb(f, &d.text))
            .collect(),
        route: route_to_pb(d.route) as i32,
        reasons: reasons_to_pb(&d.reasons),
        lineage: Some(lineage_to_pb(&d.lineage)),
        status: status_to_pb(d.status) as i32,
        created_at: d.created_at.clone(),
        account_id: d.account_id.clone(),
        tenant: d.tenant.clone(),
        version: d.version,
        parent_draft_id: d.parent_draft_id.clone(),
        claims: d
            .claims
            .iter()
            .map(|c| pb::DraftClaim {
                text: c.text.clone(),
                source: c.source.clone(),
                verified: c.verified,
            })
            .collect(),
    }
}

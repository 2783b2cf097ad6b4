//! Domain types shared by every layer: the account brief, drafts, findings,
//! routes and lineage. Plain data with serde; no IO, no protobuf.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The five outreach channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    LinkedinConnection,
    LinkedinMessage,
    LandingPage,
    CallScript,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::LinkedinConnection,
        Channel::LinkedinMessage,
        Channel::LandingPage,
        Channel::CallScript,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::LinkedinConnection => "linkedin_connection",
            Channel::LinkedinMessage => "linkedin_message",
            Channel::LandingPage => "landing_page",
            Channel::CallScript => "call_script",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Only email carries a subject line.
    pub fn has_subject(self) -> bool {
        self == Channel::Email
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Buying stage of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Unaware,
    ProblemAware,
    Evaluating,
    Validating,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Unaware,
        Stage::ProblemAware,
        Stage::Evaluating,
        Stage::Validating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Unaware => "unaware",
            Stage::ProblemAware => "problem_aware",
            Stage::Evaluating => "evaluating",
            Stage::Validating => "validating",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The account brief (seed 5.2): the only account data that may reach a
/// prompt. Field names follow `shared/eval/README.md`. `stage` stays a string
/// here so that validation can name the field when the value is wrong.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountBrief {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account_id: String,
    pub account_name: String,
    pub industry: String,
    #[serde(default)]
    pub region: String,
    pub tier: u32,
    pub persona: String,
    pub stage: String,
    pub trigger: Trigger,
    #[serde(default)]
    pub known_initiatives: Vec<Initiative>,
    #[serde(default)]
    pub intent_topics: Vec<String>,
    #[serde(default)]
    pub recent_engagement: Vec<String>,
    #[serde(default)]
    pub hypotheses: Vec<String>,
    #[serde(default)]
    pub proof_point_ids: Vec<String>,
    #[serde(default)]
    pub cta_offers: Vec<String>,
    pub sender: Sender,
}

impl AccountBrief {
    /// The stable account key: the CRM id, or the account name when absent.
    pub fn account_key(&self) -> &str {
        if self.account_id.is_empty() {
            &self.account_name
        } else {
            &self.account_id
        }
    }

    /// The parsed stage; `None` until the brief is validated.
    pub fn stage(&self) -> Option<Stage> {
        Stage::parse(&self.stage)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub kind: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub occurred_on: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Initiative {
    pub text: String,
    #[serde(default)]
    pub source_url: String,
    #[serde(default)]
    pub observed_on: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub company: String,
}

/// An approved proof point as the checks see it: id, verbatim text, source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProofFact {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub source: String,
}

/// The text of a draft. `subject` is for email only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
}

impl DraftText {
    /// The parts of the draft, in order, with their names.
    pub fn parts(&self) -> impl Iterator<Item = (TextPart, &str)> {
        self.subject
            .as_deref()
            .map(|s| (TextPart::Subject, s))
            .into_iter()
            .chain(std::iter::once((TextPart::Body, self.body.as_str())))
    }

    pub fn part(&self, part: TextPart) -> &str {
        match part {
            TextPart::Subject => self.subject.as_deref().unwrap_or(""),
            TextPart::Body => &self.body,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextPart {
    Subject,
    Body,
}

impl TextPart {
    pub fn as_str(self) -> &'static str {
        match self {
            TextPart::Subject => "subject",
            TextPart::Body => "body",
        }
    }
}

/// Which check produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Grounding,
    RedLine,
    Tone,
}

impl CheckKind {
    pub const ALL: [CheckKind; 3] = [CheckKind::Grounding, CheckKind::RedLine, CheckKind::Tone];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Grounding => "grounding",
            CheckKind::RedLine => "red_line",
            CheckKind::Tone => "tone",
        }
    }

    pub fn parse(s: &str) -> Option<CheckKind> {
        CheckKind::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    /// Stops auto-send.
    Blocking,
}

/// A span of one part of the draft, in byte offsets on char boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub part: TextPart,
    pub start: usize,
    pub end: usize,
}

/// One problem a check found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub check: CheckKind,
    pub rule_id: String,
    pub rule_version: String,
    pub severity: Severity,
    pub span: Span,
    /// The spanned text.
    pub excerpt: String,
    pub message: String,
    /// The fact it was compared with, or a statement that none matched.
    pub evidence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl Finding {
    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Blocking
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    AutoSend,
    HumanReview,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::AutoSend => "auto_send",
            Route::HumanReview => "human_review",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteReason {
    pub code: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Prompt,
    Component,
    Proof,
    Policy,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Prompt => "prompt",
            ItemKind::Component => "component",
            ItemKind::Proof => "proof",
            ItemKind::Policy => "policy",
        }
    }
}

/// A library item and the exact version used.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub id: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub prompt_tokens: u32,
    pub cached_prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// Which generator wrote the draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorInfo {
    /// "offline" or "llm".
    pub kind: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub temperature: f32,
    /// Generation attempts, reasks included.
    #[serde(default)]
    pub attempts: u32,
}

impl GeneratorInfo {
    pub fn offline() -> Self {
        GeneratorInfo {
            kind: "offline".into(),
            model: String::new(),
            temperature: 0.0,
            attempts: 1,
        }
    }
}

/// Where a draft came from: enough to reproduce and audit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    pub brief_hash: String,
    pub library_commit: String,
    pub items: Vec<ItemRef>,
    pub generator: GeneratorInfo,
    #[serde(default)]
    pub usage: TokenUsage,
    #[serde(default)]
    pub experiment: String,
    #[serde(default)]
    pub arm: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    AutoApproved,
    PendingReview,
    Approved,
    Rejected,
    Superseded,
}

/// A generated, checked and routed draft, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub draft_id: String,
    pub request_id: String,
    pub tenant: String,
    pub account_id: String,
    pub channel: Channel,
    pub text: DraftText,
    pub findings: Vec<Finding>,
    pub route: Route,
    pub reasons: Vec<RouteReason>,
    pub lineage: Lineage,
    pub status: DraftStatus,
    /// RFC 3339.
    pub created_at: String,
    pub version: u32,
    #[serde(default)]
    pub parent_draft_id: String,
    /// The claim log: each specific fact the generator used, its source in
    /// the request, and whether verification found it there.
    #[serde(default)]
    pub claims: Vec<Claim>,
}

/// One entry of a draft's claim log (seed 5.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub text: String,
    /// e.g. `brief.trigger`, `brief.known_initiatives[0]`, `proofs[pp-x]`.
    pub source: String,
    /// The source exists in the request and holds the claim's numbers and
    /// names.
    pub verified: bool,
}

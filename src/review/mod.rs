//! Human review (seed 5.5): the queue of drafts routed to people, reviewer
//! decisions, the log of released drafts, and check quality measured from
//! those decisions.
//!
//! Owns the review domain. The submodules `reasons`, `queue`, `diff`, `view`
//! and `stats` are pure (no clock, no IO: the caller passes `now`); `auth`
//! names reviewers after authenticated clients; `desk` is the one place that orchestrates the
//! store and the engine for reviews, and the gRPC service and the console
//! both call it. Must never know protobuf or HTTP.

pub mod auth;
pub mod desk;
pub mod diff;
pub mod queue;
pub mod reasons;
pub mod stats;
pub mod view;

pub use auth::Reviewer;
pub use desk::{DecideCommand, DecideOutcome, Desk, ReviewError};
pub use diff::{DiffOp, DiffSegment, TextDiff};
pub use queue::{QueueEntry, QueueFilter, QueuePage};
pub use reasons::RejectReason;
pub use stats::ReviewStats;

use crate::model::{Draft, ItemKind};
use serde::{Deserialize, Serialize};

/// What a reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
    Regenerate,
    Edit,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
            DecisionKind::Regenerate => "regenerate",
            DecisionKind::Edit => "edit",
        }
    }
}

/// One recorded decision. Written once, with the state change it caused, and
/// never changed afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub decision_id: String,
    pub draft_id: String,
    pub kind: DecisionKind,
    pub reviewer: String,
    /// RFC 3339.
    pub decided_at: String,
    #[serde(default)]
    pub reason_code: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub instruction: String,
    /// The new version made by a regeneration or an edit.
    #[serde(default)]
    pub result_draft_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_diff: Option<TextDiff>,
}

/// Why a draft was released to calling tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseKind {
    AutoSent,
    Approved,
    /// The draft was erased (account erasure or retention) after its
    /// release: the event keeps its place in the log, the draft only its ids.
    Erased,
}

/// An entry of the append-only release log that `WatchDecisions` streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseEvent {
    /// Per tenant, gap-free and increasing: the resume cursor.
    pub seq: u64,
    pub kind: ReleaseKind,
    pub draft: Draft,
    #[serde(default)]
    pub reviewer: String,
    #[serde(default)]
    pub decision_id: String,
    pub released_at: String,
}

/// The key under which releases are compared for the "what changed since
/// the last approved draft" diff: the prompt id and version, and the channel.
pub fn prompt_key(draft: &Draft) -> String {
    let prompt = draft
        .lineage
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Prompt)
        .map(|i| format!("{}@{}", i.id, i.version))
        .unwrap_or_default();
    format!("{prompt}|{}", draft.channel)
}

/// A factual statement in a draft and its source. The claim log arrives with
/// the LLM generator; offline drafts have none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub text: String,
    pub span: Option<crate::model::Span>,
    pub source_kind: String,
    pub source_id: String,
    pub source_text: String,
    pub source_url: String,
    pub supported: bool,
}

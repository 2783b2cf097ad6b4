//! The guardrail checks (seed 5.4, 5.5): grounding, red lines and tone.
//!
//! Owns: the `Check` trait, the three checks, their policy data types and the
//! pipeline that runs them. Must never do IO, read a clock or touch the
//! network: a check is a pure function of the draft, the brief, the proofs and
//! the policies, so the same draft always gets the same findings.

pub mod facts;
pub mod grounding;
pub mod pipeline;
pub mod policy;
pub mod redline;
pub mod scan;
pub mod text;
pub mod tone;

pub use grounding::{GroundingCheck, GroundingFacts};
pub use pipeline::{ExampleFailure, Pipeline, Prepared, sort_findings};
pub use policy::{CheckPolicies, PolicyError, RuleInfo};
pub use redline::RedLineCheck;
pub use tone::ToneCheck;

use crate::model::{AccountBrief, Channel, CheckKind, DraftText, Finding, ProofFact};

/// Everything a check may look at.
#[derive(Debug, Clone, Copy)]
pub struct CheckInput<'a> {
    pub channel: Channel,
    pub brief: &'a AccountBrief,
    /// The approved proofs in force for this draft.
    pub proofs: &'a [ProofFact],
    /// Competitor names in force (request list merged with policy list).
    pub competitors: &'a [String],
    pub draft: &'a DraftText,
}

/// One check.
///
/// # Invariants
/// - Pure: no IO, no clock, no randomness.
/// - Every finding's span lies inside `input.draft.part(span.part)` on char
///   boundaries, and `excerpt` equals that slice.
/// - Never panics, whatever the text.
pub trait Check: Send + Sync {
    fn kind(&self) -> CheckKind;
    fn check(&self, input: &CheckInput<'_>, out: &mut Vec<Finding>);
}

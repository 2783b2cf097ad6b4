//! Outcomes and lift (seed 4.6, 5.6, 6.3): what each component and version
//! earns downstream, and whether GenAI drafts beat the baseline templates.
//!
//! Owns:
//! - `event` — outcome events and the sequence rules a draft's events obey;
//! - `aggregate` — per-draft outcomes, grouping (prompt version, channel,
//!   persona, stage, trigger kind, CTA, opener, proof, experiment arm), rates
//!   and lift;
//! - `stats` — Wilson and Newcombe intervals;
//! - `experiment` — deterministic holdout assignment;
//! - `svg`, `page`, `table` — the console chart and page, and the
//!   `proofline report` table;
//! - `ledger` — the one part that does IO: it reads drafts and briefs and
//!   appends events through `store` (never sled directly).
//!
//! Everything but `ledger` is pure: no clock, no disk, no network. Protobuf
//! stays in `grpc`.

pub mod aggregate;
pub mod event;
pub mod experiment;
pub mod ledger;
pub mod page;
pub mod stats;
pub mod svg;
pub mod table;

pub use aggregate::{GroupBy, Metric};
pub use event::{EventKind, OutcomeEvent};
pub use experiment::{Assignment, Experiment, Experiments, Variant};
pub use ledger::{Ledger, RecordCommand, Recorded};

use crate::brief::Violation;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OutcomeError {
    #[error("invalid input: {}", violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidInput { violations: Vec<Violation> },
    #[error("{what} not found")]
    NotFound { what: String },
    /// A sequence or state rule refused the request; `rule` names it.
    #[error("{message} (rule: {rule})")]
    Refused {
        rule: &'static str,
        subject: String,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OutcomeError {
    pub fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> OutcomeError {
        OutcomeError::InvalidInput {
            violations: vec![Violation {
                field: field.to_string(),
                rule,
                message: message.into(),
            }],
        }
    }
}

//! The fixed list of reasons a reviewer may reject a draft for, and the check
//! each one labels (for review-stats).

use crate::model::CheckKind;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    UnsupportedClaim,
    WrongAccountFact,
    RedLine,
    CompetitorMention,
    OffVoice,
    NotRelevant,
    BadTiming,
    Other,
}

impl RejectReason {
    pub const ALL: [RejectReason; 8] = [
        RejectReason::UnsupportedClaim,
        RejectReason::WrongAccountFact,
        RejectReason::RedLine,
        RejectReason::CompetitorMention,
        RejectReason::OffVoice,
        RejectReason::NotRelevant,
        RejectReason::BadTiming,
        RejectReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::UnsupportedClaim => "unsupported_claim",
            RejectReason::WrongAccountFact => "wrong_account_fact",
            RejectReason::RedLine => "red_line",
            RejectReason::CompetitorMention => "competitor_mention",
            RejectReason::OffVoice => "off_voice",
            RejectReason::NotRelevant => "not_relevant",
            RejectReason::BadTiming => "bad_timing",
            RejectReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RejectReason::UnsupportedClaim => "Claim not backed by the brief or proof library",
            RejectReason::WrongAccountFact => "Gets a fact about the account wrong",
            RejectReason::RedLine => "Crosses a compliance red line",
            RejectReason::CompetitorMention => "Mentions a competitor",
            RejectReason::OffVoice => "Off brand voice: hype, pushy or too long",
            RejectReason::NotRelevant => "Not relevant to this persona or stage",
            RejectReason::BadTiming => "Wrong moment to reach out",
            RejectReason::Other => "Other (say why in the comment)",
        }
    }

    /// The check that should have caught a draft rejected for this reason.
    pub fn check(self) -> Option<CheckKind> {
        match self {
            RejectReason::UnsupportedClaim | RejectReason::WrongAccountFact => {
                Some(CheckKind::Grounding)
            }
            RejectReason::RedLine | RejectReason::CompetitorMention => Some(CheckKind::RedLine),
            RejectReason::OffVoice => Some(CheckKind::Tone),
            RejectReason::NotRelevant | RejectReason::BadTiming | RejectReason::Other => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in RejectReason::ALL {
            assert_eq!(RejectReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(RejectReason::parse("nope"), None);
    }
}

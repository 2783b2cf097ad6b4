//! Outcome events and the rules a draft's event sequence must follow.
//!
//! A draft is one message to one recipient, so its events tell one story:
//! it is sent once, then delivered or bounced, then perhaps replied to (the
//! reply classified positive or negative), unsubscribed, a meeting booked, an
//! opportunity created. Events may arrive in any order from webhooks, but a
//! story that cannot have happened is refused, naming the rule, so bad
//! integrations show up at the door instead of as quietly wrong rates.
//!
//! Pure: the caller passes the history, the draft's state and the clock.

use crate::model::DraftStatus;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Sent,
    Delivered,
    Bounced,
    Replied,
    PositiveReply,
    NegativeReply,
    Unsubscribed,
    MeetingBooked,
    OpportunityCreated,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Sent,
        EventKind::Delivered,
        EventKind::Bounced,
        EventKind::Replied,
        EventKind::PositiveReply,
        EventKind::NegativeReply,
        EventKind::Unsubscribed,
        EventKind::MeetingBooked,
        EventKind::OpportunityCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Sent => "sent",
            EventKind::Delivered => "delivered",
            EventKind::Bounced => "bounced",
            EventKind::Replied => "replied",
            EventKind::PositiveReply => "positive_reply",
            EventKind::NegativeReply => "negative_reply",
            EventKind::Unsubscribed => "unsubscribed",
            EventKind::MeetingBooked => "meeting_booked",
            EventKind::OpportunityCreated => "opportunity_created",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Events that mean the recipient received and acted on the message.
    fn is_engagement(self) -> bool {
        !matches!(
            self,
            EventKind::Sent | EventKind::Delivered | EventKind::Bounced
        )
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded outcome, as stored and acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeEvent {
    /// The caller's id; recording the same id again changes nothing.
    pub event_id: String,
    pub draft_id: String,
    pub kind: EventKind,
    /// When it happened, as the sending tool reports it.
    pub occurred_at: DateTime<Utc>,
    /// When we acknowledged it.
    pub recorded_at: DateTime<Utc>,
}

impl OutcomeEvent {
    /// Whether `other` reports the same thing (a retry), ignoring when it was
    /// recorded.
    pub fn same_report(&self, other: &OutcomeEvent) -> bool {
        self.event_id == other.event_id
            && self.draft_id == other.draft_id
            && self.kind == other.kind
            && self.occurred_at == other.occurred_at
    }
}

/// How far a reported time may run ahead of our clock, or before the draft
/// was created, before we call it wrong: sending tools' clocks drift.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A broken sequence rule: the id names it in the status, the message says
/// what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    pub rule: &'static str,
    pub message: String,
}

fn broken(rule: &'static str, message: String) -> Result<(), RuleViolation> {
    Err(RuleViolation { rule, message })
}

/// Only released drafts (auto-approved or approved by a reviewer) can have
/// been sent; one pending review, rejected or superseded never left us.
pub fn check_released(draft_id: &str, status: DraftStatus) -> Result<(), RuleViolation> {
    match status {
        DraftStatus::AutoApproved | DraftStatus::Approved => Ok(()),
        other => broken(
            "draft_not_released",
            format!(
                "draft {draft_id} is {} and was never released for sending",
                match other {
                    DraftStatus::PendingReview => "pending review",
                    DraftStatus::Rejected => "rejected",
                    _ => "superseded",
                }
            ),
        ),
    }
}

/// Whether `new` may join `history` (the draft's events so far, any order).
///
/// Rules, by id:
/// - `not_in_future`: no event more than [`CLOCK_SKEW`] ahead of `now`;
/// - `not_before_draft`: no event before the draft existed (less skew);
/// - `sent_once`: a draft is sent once;
/// - `sent_first`: every other event needs a recorded `sent`…
/// - `not_before_sent`: …and cannot be timed before it;
/// - `once_per_draft`: every other kind is recorded at most once per draft
///   (rates count drafts, so a second `replied` would add nothing);
/// - `reply_classified_once`: a reply is positive or negative, not both;
/// - `bounce_excludes_delivery`: a bounced message was not delivered, and a
///   delivered one did not bounce;
/// - `no_engagement_after_bounce`: nobody replies to, unsubscribes from or
///   books a meeting from a message that bounced.
pub fn check_sequence(
    history: &[OutcomeEvent],
    new: &OutcomeEvent,
    draft_created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    let kind = new.kind;
    let at = new.occurred_at;
    if at > now + CLOCK_SKEW {
        return broken("not_in_future", format!("{kind} at {at} is in the future"));
    }
    if at < draft_created_at - CLOCK_SKEW {
        return broken(
            "not_before_draft",
            format!(
                "{kind} at {at} is before draft {} was created ({draft_created_at})",
                new.draft_id
            ),
        );
    }
    let find = |k: EventKind| history.iter().find(|e| e.kind == k);
    let sent = find(EventKind::Sent);
    if kind == EventKind::Sent {
        if let Some(prev) = sent {
            return broken(
                "sent_once",
                format!(
                    "draft {} was already sent (event {})",
                    new.draft_id, prev.event_id
                ),
            );
        }
    } else {
        let Some(sent) = sent else {
            return broken(
                "sent_first",
                format!(
                    "{kind} recorded for draft {} before any sent event",
                    new.draft_id
                ),
            );
        };
        if at < sent.occurred_at {
            return broken(
                "not_before_sent",
                format!(
                    "{kind} at {at} is before the draft was sent ({})",
                    sent.occurred_at
                ),
            );
        }
        if let Some(prev) = find(kind) {
            return broken(
                "once_per_draft",
                format!(
                    "{kind} was already recorded for draft {} (event {})",
                    new.draft_id, prev.event_id
                ),
            );
        }
    }
    let opposite = match kind {
        EventKind::PositiveReply => Some(EventKind::NegativeReply),
        EventKind::NegativeReply => Some(EventKind::PositiveReply),
        _ => None,
    };
    if let Some(prev) = opposite.and_then(find) {
        return broken(
            "reply_classified_once",
            format!(
                "the reply to draft {} was already classified {}",
                new.draft_id, prev.kind
            ),
        );
    }
    let bounced = find(EventKind::Bounced);
    match kind {
        EventKind::Delivered if bounced.is_some() => {
            return broken(
                "bounce_excludes_delivery",
                format!("draft {} bounced, so it was not delivered", new.draft_id),
            );
        }
        EventKind::Bounced if find(EventKind::Delivered).is_some() => {
            return broken(
                "bounce_excludes_delivery",
                format!("draft {} was delivered, so it did not bounce", new.draft_id),
            );
        }
        EventKind::Bounced => {
            if let Some(e) = history.iter().find(|e| e.kind.is_engagement()) {
                return broken(
                    "no_engagement_after_bounce",
                    format!(
                        "draft {} already has {}, so it did not bounce",
                        new.draft_id, e.kind
                    ),
                );
            }
        }
        k if k.is_engagement() && bounced.is_some() => {
            return broken(
                "no_engagement_after_bounce",
                format!("draft {} bounced; {k} cannot follow", new.draft_id),
            );
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn ev(id: &str, kind: EventKind, min: i64) -> OutcomeEvent {
        OutcomeEvent {
            event_id: id.into(),
            draft_id: "d1".into(),
            kind,
            occurred_at: t(min),
            recorded_at: t(min),
        }
    }

    /// Apply events in order; return the rule of the first refusal.
    fn run(events: &[(EventKind, i64)]) -> Result<(), &'static str> {
        let mut history = Vec::new();
        for (i, (k, m)) in events.iter().enumerate() {
            let e = ev(&format!("e{i}"), *k, *m);
            check_sequence(&history, &e, t(0), t(10_000)).map_err(|v| v.rule)?;
            history.push(e);
        }
        Ok(())
    }

    use EventKind::*;

    #[test]
    fn a_full_happy_story_passes() {
        assert_eq!(
            run(&[
                (Sent, 1),
                (Delivered, 2),
                (Replied, 60),
                (PositiveReply, 61),
                (MeetingBooked, 120),
                (OpportunityCreated, 900)
            ]),
            Ok(())
        );
        // Out-of-order arrival after the send is fine.
        assert_eq!(run(&[(Sent, 1), (Replied, 60), (Delivered, 2)]), Ok(()));
    }

    #[test]
    fn impossible_stories_name_their_rule() {
        assert_eq!(run(&[(Replied, 5)]), Err("sent_first"));
        assert_eq!(run(&[(Sent, 10), (Replied, 5)]), Err("not_before_sent"));
        assert_eq!(run(&[(Sent, 1), (Sent, 2)]), Err("sent_once"));
        assert_eq!(
            run(&[(Sent, 1), (Bounced, 2), (Delivered, 3)]),
            Err("bounce_excludes_delivery")
        );
        assert_eq!(
            run(&[(Sent, 1), (Delivered, 2), (Bounced, 3)]),
            Err("bounce_excludes_delivery")
        );
        assert_eq!(
            run(&[(Sent, 1), (Bounced, 2), (MeetingBooked, 3)]),
            Err("no_engagement_after_bounce")
        );
        assert_eq!(
            run(&[(Sent, 1), (Replied, 2), (Bounced, 3)]),
            Err("no_engagement_after_bounce")
        );
        assert_eq!(
            run(&[(Sent, 1), (PositiveReply, 2), (NegativeReply, 3)]),
            Err("reply_classified_once")
        );
        assert_eq!(
            run(&[(Sent, 1), (Replied, 2), (Replied, 3)]),
            Err("once_per_draft")
        );
        assert_eq!(run(&[(Sent, -60)]), Err("not_before_draft"));
        assert_eq!(run(&[(Sent, 20_000)]), Err("not_in_future"));
    }

    #[test]
    fn only_released_drafts_take_events() {
        assert!(check_released("d", DraftStatus::AutoApproved).is_ok());
        assert!(check_released("d", DraftStatus::Approved).is_ok());
        for s in [
            DraftStatus::PendingReview,
            DraftStatus::Rejected,
            DraftStatus::Superseded,
        ] {
            assert_eq!(
                check_released("d", s).unwrap_err().rule,
                "draft_not_released"
            );
        }
    }
}

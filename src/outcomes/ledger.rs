//! The outcome ledger: records events against stored drafts and reads them
//! back as performance and lift. The only IO in `outcomes`; it goes through
//! `store` and never sees sled.

use super::OutcomeError;
use super::aggregate::{self, DraftOutcome, Filter, GroupBy, Lift, Metric, Performance, Row};
use super::event::{self, EventKind, OutcomeEvent};
use super::experiment::Experiments;
use crate::brief::Violation;
use crate::model::{AccountBrief, Draft};
use crate::store::{Appended, Store};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Longest accepted event id.
pub const MAX_EVENT_ID: usize = 200;

/// A request to record one event, as it arrives (unvalidated).
#[derive(Debug, Clone, Default)]
pub struct RecordCommand {
    pub event_id: String,
    pub draft_id: String,
    pub kind: Option<EventKind>,
    /// RFC 3339.
    pub occurred_at: String,
}

/// The acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The event as first recorded.
    pub event: OutcomeEvent,
    /// True when the event id was recorded before and nothing changed.
    pub replayed: bool,
}

/// Parse an RFC 3339 time, naming `field` when it is not one.
pub fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, Violation> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Violation {
            field: field.to_string(),
            rule: "rfc3339",
            message: format!("'{raw}' is not an RFC 3339 time like 2026-03-01T09:30:00Z"),
        })
}

#[derive(Clone)]
pub struct Ledger {
    store: Store,
    experiments: Arc<Experiments>,
}

impl Ledger {
    pub fn new(store: Store, experiments: Arc<Experiments>) -> Ledger {
        Ledger { store, experiments }
    }

    pub fn experiments(&self) -> &Experiments {
        &self.experiments
    }

    /// Record one event. Returns only after it is flushed to disk. The same
    /// event id again returns the first acknowledgement and counts once.
    pub async fn record(
        &self,
        tenant: &str,
        cmd: RecordCommand,
        now: DateTime<Utc>,
    ) -> Result<Recorded, OutcomeError> {
        let mut violations = Vec::new();
        let mut required = |field: &str, value: &str| {
            if value.trim().is_empty() {
                violations.push(Violation {
                    field: field.to_string(),
                    rule: "required",
                    message: "is required".into(),
                });
            }
        };
        required("event_id", &cmd.event_id);
        required("draft_id", &cmd.draft_id);
        required("occurred_at", &cmd.occurred_at);
        if cmd.kind.is_none() {
            violations.push(Violation {
                field: "kind".into(),
                rule: "required",
                message: "is required (sent, delivered, bounced, replied, positive_reply, \
                          negative_reply, unsubscribed, meeting_booked, opportunity_created)"
                    .into(),
            });
        }
        if cmd.event_id.len() > MAX_EVENT_ID {
            violations.push(Violation {
                field: "event_id".into(),
                rule: "max_length",
                message: format!("is longer than {MAX_EVENT_ID} bytes"),
            });
        }
        let occurred_at = if cmd.occurred_at.trim().is_empty() {
            None
        } else {
            parse_time("occurred_at", &cmd.occurred_at)
                .map_err(|v| violations.push(v))
                .ok()
        };
        let (Some(kind), Some(occurred_at), true) = (cmd.kind, occurred_at, violations.is_empty())
        else {
            return Err(OutcomeError::InvalidInput { violations });
        };
        let new = OutcomeEvent {
            event_id: cmd.event_id.trim().to_string(),
            draft_id: cmd.draft_id.trim().to_string(),
            kind,
            occurred_at,
            recorded_at: now,
        };

        // A retry is answered before anything else, even if the draft has
        // changed state since: the first answer stands.
        if let Some(prior) = self.store.outcome_event(tenant, &new.event_id)? {
            return self.replay(prior, &new);
        }
        let draft = self
            .store
            .get_draft(tenant, &new.draft_id)?
            .ok_or_else(|| OutcomeError::NotFound {
                what: format!("draft {}", new.draft_id),
            })?;
        let refuse = |v: event::RuleViolation| OutcomeError::Refused {
            rule: v.rule,
            subject: new.draft_id.clone(),
            message: v.message,
        };
        event::check_released(&draft.draft_id, draft.status).map_err(refuse)?;
        let created = DateTime::parse_from_rfc3339(&draft.created_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        // The check runs inside the store's transaction, so two concurrent
        // `sent` events for one draft cannot both pass.
        let appended = self
            .store
            .append_outcome(tenant, &new, |history| {
                event::check_sequence(history, &new, created, now)
            })
            .await?;
        match appended {
            Appended::New => Ok(Recorded {
                event: new,
                replayed: false,
            }),
            Appended::Existing(prior) => self.replay(prior, &new),
            Appended::Refused(v) => Err(refuse(v)),
        }
    }

    fn replay(&self, prior: OutcomeEvent, new: &OutcomeEvent) -> Result<Recorded, OutcomeError> {
        if prior.same_report(new) {
            Ok(Recorded {
                event: prior,
                replayed: true,
            })
        } else {
            Err(OutcomeError::Refused {
                rule: "event_id_reused",
                subject: new.event_id.clone(),
                message: format!(
                    "event id {} was recorded earlier as {} of draft {} at {}; \
                     an event id names one event",
                    prior.event_id, prior.kind, prior.draft_id, prior.occurred_at
                ),
            })
        }
    }

    /// Every draft with events, its brief and its outcome.
    fn load(
        &self,
        tenant: &str,
    ) -> Result<Vec<(Draft, Option<AccountBrief>, DraftOutcome)>, OutcomeError> {
        let mut briefs: HashMap<String, Option<AccountBrief>> = HashMap::new();
        let mut out = Vec::new();
        for (draft_id, events) in self.store.outcome_histories(tenant)? {
            let Some(draft) = self.store.get_draft(tenant, &draft_id)? else {
                tracing::warn!(%draft_id, "outcome events for a draft that is not stored");
                continue;
            };
            let brief = match briefs.get(&draft.request_id) {
                Some(b) => b.clone(),
                None => {
                    let b = self.store.get_brief(tenant, &draft.request_id)?;
                    briefs.insert(draft.request_id.clone(), b.clone());
                    b
                }
            };
            out.push((draft, brief, DraftOutcome::from_events(&events)));
        }
        Ok(out)
    }

    pub fn performance(
        &self,
        tenant: &str,
        by: GroupBy,
        filter: &Filter,
    ) -> Result<Performance, OutcomeError> {
        let data = self.load(tenant)?;
        let rows = data.iter().map(|(d, b, o)| Row {
            draft: d,
            brief: b.as_ref(),
            outcome: *o,
        });
        Ok(aggregate::performance(by, filter, rows))
    }

    /// Lift of treatment over control. Arms default to the configured ones.
    pub fn lift(
        &self,
        tenant: &str,
        experiment: &str,
        control: Option<&str>,
        treatment: Option<&str>,
        metric: Option<Metric>,
        filter: &Filter,
    ) -> Result<Lift, OutcomeError> {
        let experiment = experiment.trim();
        if experiment.is_empty() {
            return Err(OutcomeError::invalid(
                "experiment",
                "required",
                "is required",
            ));
        }
        let configured = self.experiments.get(experiment);
        let arm = |given: Option<&str>, field: &str, from_config: Option<String>| {
            given
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_string())
                .or(from_config)
                .ok_or_else(|| Violation {
                    field: field.to_string(),
                    rule: "required",
                    message: format!(
                        "is required: experiment '{experiment}' is not in the configuration"
                    ),
                })
        };
        let c = arm(
            control,
            "control_arm",
            configured.map(|e| e.control.to_string()),
        );
        let t = arm(
            treatment,
            "treatment_arm",
            configured.map(|e| e.treatment.to_string()),
        );
        let (c, t) = match (c, t) {
            (Ok(c), Ok(t)) => (c, t),
            (c, t) => {
                return Err(OutcomeError::InvalidInput {
                    violations: [c.err(), t.err()].into_iter().flatten().collect(),
                });
            }
        };
        let metrics: Vec<Metric> = match metric {
            Some(m) => vec![m],
            None => Metric::ALL.to_vec(),
        };
        let data = self.load(tenant)?;
        let rows = data.iter().map(|(d, b, o)| Row {
            draft: d,
            brief: b.as_ref(),
            outcome: *o,
        });
        Ok(aggregate::lift(experiment, &c, &t, &metrics, filter, rows))
    }
}

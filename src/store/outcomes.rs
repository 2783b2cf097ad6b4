//! Outcome events.
//!
//! Trees:
//! - `outcome_events`: `tenant NUL draft_id` → the draft's events (JSON list),
//!   one value per draft so a sequence check and its append are one
//!   transaction (sled transactions cannot scan);
//! - `outcome_event_ids`: `tenant NUL event_id` → the event, for idempotent
//!   re-recording.

use super::{Store, StoreError, decode, encode, key};
use crate::outcomes::OutcomeEvent;
use crate::outcomes::event::RuleViolation;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

/// What `append_outcome` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    New,
    /// The event id was already recorded (a concurrent retry won the race).
    Existing(OutcomeEvent),
    /// The sequence check refused the event; nothing was written.
    Refused(RuleViolation),
}

pub(super) const EVENTS: &str = "outcome_events";
pub(super) const EVENT_IDS: &str = "outcome_event_ids";

impl Store {
    /// The event recorded under `event_id`, if any.
    pub fn outcome_event(
        &self,
        tenant: &str,
        event_id: &str,
    ) -> Result<Option<OutcomeEvent>, StoreError> {
        self.tree(EVENT_IDS)?
            .get(key(tenant, event_id))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Append `event` to its draft's history if `check(history)` allows it,
    /// atomically with its event-id record, then flush. Returns only once the
    /// event is on disk.
    pub async fn append_outcome(
        &self,
        tenant: &str,
        event: &OutcomeEvent,
        check: impl Fn(&[OutcomeEvent]) -> Result<(), RuleViolation>,
    ) -> Result<Appended, StoreError> {
        let _writing = self.writing().await;
        let events = self.tree(EVENTS)?;
        let ids = self.tree(EVENT_IDS)?;
        let draft_key = key(tenant, &event.draft_id);
        let id_key = key(tenant, &event.event_id);
        let result = (&events, &ids).transaction(|(e, i)| {
            if let Some(prior) = i.get(&id_key)? {
                let prior = decode(&prior).map_err(ConflictableTransactionError::Abort)?;
                return Ok(Appended::Existing(prior));
            }
            let mut history: Vec<OutcomeEvent> = match e.get(&draft_key)? {
                Some(v) => decode(&v).map_err(ConflictableTransactionError::Abort)?,
                None => Vec::new(),
            };
            if let Err(v) = check(&history) {
                return Ok(Appended::Refused(v));
            }
            history.push(event.clone());
            e.insert(draft_key.as_slice(), encode(&history))?;
            i.insert(id_key.as_slice(), encode(event))?;
            Ok(Appended::New)
        });
        let appended = match result {
            Ok(a) => a,
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(StoreError::Io(e)),
        };
        if appended == Appended::New {
            self.sync().await?;
        }
        Ok(appended)
    }

    /// Every draft of `tenant` with events: (draft id, events in arrival order).
    pub fn outcome_histories(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, Vec<OutcomeEvent>)>, StoreError> {
        let mut prefix = tenant.as_bytes().to_vec();
        prefix.push(0);
        let skip = prefix.len();
        self.tree(EVENTS)?
            .scan_prefix(prefix)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((String::from_utf8_lossy(&k[skip..]).to_string(), decode(&v)?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::EventKind;
    use chrono::DateTime;

    fn ev(id: &str, kind: EventKind) -> OutcomeEvent {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        OutcomeEvent {
            event_id: id.into(),
            draft_id: "d1".into(),
            kind,
            occurred_at: t,
            recorded_at: t,
        }
    }

    #[tokio::test]
    async fn append_checks_dedupes_and_separates_tenants() {
        let store = Store::temporary().unwrap();
        let ok = |_: &[OutcomeEvent]| Ok(());
        let sent = ev("e1", EventKind::Sent);
        assert_eq!(
            store.append_outcome("t", &sent, ok).await.unwrap(),
            Appended::New
        );
        assert_eq!(
            store.append_outcome("t", &sent, ok).await.unwrap(),
            Appended::Existing(sent.clone())
        );
        let refuse = |h: &[OutcomeEvent]| {
            assert_eq!(h.len(), 1);
            Err(RuleViolation {
                rule: "x",
                message: "no".into(),
            })
        };
        let r = store
            .append_outcome("t", &ev("e2", EventKind::Sent), refuse)
            .await
            .unwrap();
        assert!(matches!(r, Appended::Refused(_)));
        assert_eq!(store.outcome_event("t", "e2").unwrap(), None);
        assert_eq!(
            store.outcome_histories("t").unwrap(),
            vec![("d1".to_string(), vec![sent.clone()])]
        );
        assert!(store.outcome_histories("u").unwrap().is_empty());
        assert_eq!(store.outcome_event("u", "e1").unwrap(), None);
    }
}

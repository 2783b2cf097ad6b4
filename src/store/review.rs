//! Review data, in one sled tree (`review`), every key prefixed by tenant:
//!
//! - `n`                                   → last release seq (u64, big-endian)
//! - `e\0<seq be>`                         → `ReleaseEvent` (append-only log)
//! - `a\0<prompt key>\0<seq be>`           → draft id released from that prompt
//! - `q\0<created_at>\0<draft id>`         → `QueueEntry` (drafts pending review)
//! - `d\0<decision id>`                    → `Decision`
//! - `h\0<draft id>\0<decided_at>\0<decision id>` → decision id (per draft)
//!
//! The release log's sequence numbers come from the `n` counter, read and
//! written inside the same transaction as the event: sled transactions are
//! serializable, so numbers are gap-free and commit in order, and a reader
//! that stops at the first gap never skips an event.
//!
//! Drafts enter the queue or the log in the transaction that stores them
//! (`put_generation`, `put_version`, `apply_decision`), so the queue and the
//! log never disagree with the drafts.

use super::{Store, StoreError, decode, encode, key};
use crate::model::{AccountBrief, Draft, DraftStatus};
use crate::review::{Decision, QueueEntry, ReleaseEvent, ReleaseKind, prompt_key};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use std::time::Duration;

pub(crate) const TREE: &str = "review";

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn head_key(tenant: &str) -> Vec<u8> {
    key(tenant, "n")
}

pub(super) fn event_prefix(tenant: &str) -> Vec<u8> {
    key(tenant, "e\0")
}

pub(super) fn event_key(tenant: &str, seq: u64) -> Vec<u8> {
    let mut k = event_prefix(tenant);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub(super) fn release_index_prefix(tenant: &str, prompt_key: &str) -> Vec<u8> {
    key(tenant, &format!("a\0{prompt_key}\0"))
}

pub(super) fn queue_key(tenant: &str, draft: &Draft) -> Vec<u8> {
    key(
        tenant,
        &format!("q\0{}\0{}", draft.created_at, draft.draft_id),
    )
}

pub(super) fn decision_key(tenant: &str, decision_id: &str) -> Vec<u8> {
    key(tenant, &format!("d\0{decision_id}"))
}

pub(super) fn history_prefix(tenant: &str, draft_id: &str) -> Vec<u8> {
    key(tenant, &format!("h\0{draft_id}\0"))
}

fn u64_of(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = bytes.len().min(8);
    b[8 - n..].copy_from_slice(&bytes[bytes.len() - n..]);
    u64::from_be_bytes(b)
}

/// Append a release to the log (and the per-prompt index).
fn append_release(
    tx: &TransactionalTree,
    tenant: &str,
    kind: ReleaseKind,
    draft: &Draft,
    reviewer: &str,
    decision_id: &str,
    released_at: &str,
) -> TxResult<u64> {
    let seq = tx.get(head_key(tenant))?.map(|v| u64_of(&v)).unwrap_or(0) + 1;
    tx.insert(head_key(tenant), &seq.to_be_bytes())?;
    let event = ReleaseEvent {
        seq,
        kind,
        draft: draft.clone(),
        reviewer: reviewer.to_string(),
        decision_id: decision_id.to_string(),
        released_at: released_at.to_string(),
    };
    tx.insert(event_key(tenant, seq), encode(&event))?;
    let mut idx = release_index_prefix(tenant, &prompt_key(draft));
    idx.extend_from_slice(&seq.to_be_bytes());
    tx.insert(idx, draft.draft_id.as_bytes())?;
    Ok(seq)
}

/// A newly stored draft: auto-sent ones enter the release log, ones routed
/// to people enter the queue.
fn record_new_draft(
    tx: &TransactionalTree,
    tenant: &str,
    brief: Option<&AccountBrief>,
    draft: &Draft,
) -> TxResult<()> {
    match draft.status {
        DraftStatus::AutoApproved => {
            append_release(
                tx,
                tenant,
                ReleaseKind::AutoSent,
                draft,
                "",
                "",
                &draft.created_at,
            )?;
        }
        DraftStatus::PendingReview => {
            tx.insert(
                queue_key(tenant, draft),
                encode(&QueueEntry::from_draft(draft, brief)),
            )?;
        }
        DraftStatus::Approved | DraftStatus::Rejected | DraftStatus::Superseded => {}
    }
    Ok(())
}

/// Called inside `Store::put_generation`'s transaction.
pub(super) fn record_generation(
    tx: &TransactionalTree,
    tenant: &str,
    brief: &AccountBrief,
    drafts: &[Draft],
) -> TxResult<()> {
    for d in drafts {
        record_new_draft(tx, tenant, Some(brief), d)?;
    }
    Ok(())
}

/// Called inside `Store::put_version`'s transaction: the parent leaves the
/// queue, the child enters the queue or the log.
pub(super) fn record_version(
    tx: &TransactionalTree,
    tenant: &str,
    brief: Option<&AccountBrief>,
    parent: &Draft,
    child: &Draft,
) -> TxResult<()> {
    if parent.status != DraftStatus::PendingReview {
        tx.remove(queue_key(tenant, parent))?;
    }
    record_new_draft(tx, tenant, brief, child)
}

/// Waits for new releases of one tenant. Wakes on every write to the log; a
/// wake is a hint, the log is the truth.
pub struct ReleaseWatch {
    sub: sled::Subscriber,
}

impl ReleaseWatch {
    /// Wait until the log may have changed, or `max` passes.
    pub async fn changed(&mut self, max: Duration) {
        let _ = tokio::time::timeout(max, &mut self.sub).await;
    }
}

impl Store {
    fn review_tree(&self) -> Result<sled::Tree, StoreError> {
        self.tree(TREE)
    }

    /// Drafts pending review, oldest first.
    pub fn queue_entries(&self, tenant: &str) -> Result<Vec<QueueEntry>, StoreError> {
        self.review_tree()?
            .scan_prefix(key(tenant, "q\0"))
            .map(|kv| decode(&kv?.1))
            .collect()
    }

    pub fn get_decision(
        &self,
        tenant: &str,
        decision_id: &str,
    ) -> Result<Option<Decision>, StoreError> {
        self.review_tree()?
            .get(decision_key(tenant, decision_id))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Decisions made on one draft, oldest first.
    pub fn draft_decisions(
        &self,
        tenant: &str,
        draft_id: &str,
    ) -> Result<Vec<Decision>, StoreError> {
        let tree = self.review_tree()?;
        let mut out = Vec::new();
        for kv in tree.scan_prefix(history_prefix(tenant, draft_id)) {
            let id = String::from_utf8_lossy(&kv?.1).to_string();
            if let Some(d) = self.get_decision(tenant, &id)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Every decision of a tenant (review-stats).
    pub fn decisions(&self, tenant: &str) -> Result<Vec<Decision>, StoreError> {
        self.review_tree()?
            .scan_prefix(key(tenant, "d\0"))
            .map(|kv| decode(&kv?.1))
            .collect()
    }

    /// Record a decision together with what it changed, atomically, then
    /// flush. `decided` is the decided draft's new state (it leaves the
    /// queue; an approval enters the release log); `child` is a new version
    /// made by an edit. Returns `false`, writing nothing, when the decision
    /// id was recorded before.
    pub async fn apply_decision(
        &self,
        tenant: &str,
        decision: &Decision,
        decided: Option<&Draft>,
        child: Option<(&Draft, Option<&AccountBrief>)>,
    ) -> Result<bool, StoreError> {
        let _writing = self.writing().await;
        let review = self.review_tree()?;
        let mut chain = self.audit_chain()?;
        chain.push(super::audit::decision_record(tenant, decision));
        if let Some((child, _)) = child {
            chain.push(super::audit::route_record(
                tenant,
                &decision.reviewer,
                child,
            ));
        }
        let trees = (&self.drafts, &self.by_account, &review, &chain.tree);
        let applied = trees.transaction(|(d, a, r, au)| {
            let dk = decision_key(tenant, &decision.decision_id);
            if r.get(&dk)?.is_some() {
                return Ok(false);
            }
            chain.write(au)?;
            r.insert(dk, encode(decision))?;
            let mut hk = history_prefix(tenant, &decision.draft_id);
            hk.extend_from_slice(
                format!("{}\0{}", decision.decided_at, decision.decision_id).as_bytes(),
            );
            r.insert(hk, decision.decision_id.as_bytes())?;
            if let Some(draft) = decided {
                d.insert(key(tenant, &draft.draft_id), encode(draft))?;
                r.remove(queue_key(tenant, draft))?;
                if draft.status == DraftStatus::Approved {
                    append_release(
                        r,
                        tenant,
                        ReleaseKind::Approved,
                        draft,
                        &decision.reviewer,
                        &decision.decision_id,
                        &decision.decided_at,
                    )?;
                }
            }
            if let Some((child, brief)) = child {
                d.insert(key(tenant, &child.draft_id), encode(child))?;
                let account_key = format!(
                    "{}\0{}\0{}",
                    child.account_id, child.created_at, child.draft_id
                );
                a.insert(key(tenant, &account_key), child.channel.as_str().as_bytes())?;
                record_new_draft(r, tenant, brief, child)?;
            }
            Ok(true)
        })?;
        self.sync().await?;
        Ok(applied)
    }

    /// Up to `limit` releases with seq > `after`, in order, stopping at the
    /// first gap (a release not yet visible) so a reader never skips one.
    pub fn releases_after(
        &self,
        tenant: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<ReleaseEvent>, StoreError> {
        let tree = self.review_tree()?;
        let start = event_key(tenant, after.saturating_add(1));
        let end = event_key(tenant, u64::MAX);
        let mut out: Vec<ReleaseEvent> = Vec::new();
        for (expect, kv) in (after + 1..).zip(tree.range(start..=end)) {
            let ev: ReleaseEvent = decode(&kv?.1)?;
            if ev.seq != expect || out.len() >= limit {
                break;
            }
            out.push(ev);
        }
        Ok(out)
    }

    /// Subscribe to a tenant's release log. Subscribe before reading, so a
    /// release between the read and the wait still wakes the waiter.
    pub fn watch_releases(&self, tenant: &str) -> Result<ReleaseWatch, StoreError> {
        Ok(ReleaseWatch {
            sub: self.review_tree()?.watch_prefix(event_prefix(tenant)),
        })
    }

    /// The last draft released from `prompt_key`, other than `except`, with
    /// its release time.
    pub fn last_release(
        &self,
        tenant: &str,
        prompt_key: &str,
        except: &str,
    ) -> Result<Option<(Draft, String)>, StoreError> {
        let tree = self.review_tree()?;
        for kv in tree
            .scan_prefix(release_index_prefix(tenant, prompt_key))
            .rev()
        {
            let (k, v) = kv?;
            let id = String::from_utf8_lossy(&v).to_string();
            if id == except {
                continue;
            }
            let seq = u64_of(&k);
            let Some(ev) = tree.get(event_key(tenant, seq))? else {
                continue;
            };
            let ev: ReleaseEvent = decode(&ev)?;
            return Ok(Some((ev.draft, ev.released_at)));
        }
        Ok(None)
    }
}

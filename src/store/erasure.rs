//! Erasure and retention (issue 9): removing drafts and everything that
//! refers to them.
//!
//! What goes with a draft: the draft, its per-account and per-play index
//! entries, its review-queue entry, its decisions (and their per-draft
//! history), its outcome events, and, once no draft of a request is left,
//! the request's brief and idempotency record. Release-log entries are not
//! removed (the log is the `WatchDecisions` resume cursor and must stay
//! gap-free): they are *redacted* in place to `ReleaseKind::Erased`, keeping
//! only the draft's ids, channel and status; the per-prompt release index
//! entry goes, so the "changed since last release" diff no longer sees it.
//!
//! sled transactions cannot scan, so every removal is planned by scans made
//! while holding the store's write lock (every writer holds it, so nothing
//! changes between plan and commit) and then applied in one transaction per
//! chunk, together with its audit entry. The audit log itself is never
//! touched: its entries name accounts, drafts and requests but hold no draft
//! or brief text.

use super::audit::{AuditRecord, Chain};
use super::review::{decision_key, event_key, event_prefix, history_prefix, queue_key};
use super::{Store, StoreError, StoredRequest, decode, encode, key};
use crate::model::{Draft, DraftText};
use crate::outcomes::OutcomeEvent;
use crate::review::{ReleaseEvent, ReleaseKind, prompt_key};
use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;
use std::collections::{BTreeMap, BTreeSet};

/// Drafts per transaction when purging by age, so one sweep never builds a
/// transaction of unbounded size.
const CHUNK: usize = 256;

/// What an erasure or a purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Removed {
    pub drafts: u64,
    pub requests: u64,
    pub briefs: u64,
    pub queue_entries: u64,
    pub decisions: u64,
    pub outcome_events: u64,
    pub releases_redacted: u64,
}

impl Removed {
    fn add(&mut self, o: &Removed) {
        self.drafts += o.drafts;
        self.requests += o.requests;
        self.briefs += o.briefs;
        self.queue_entries += o.queue_entries;
        self.decisions += o.decisions;
        self.outcome_events += o.outcome_events;
        self.releases_redacted += o.releases_redacted;
    }
}

/// Keys to remove (and release events to rewrite) for one tenant, found by
/// scans under the write lock.
#[derive(Default)]
struct Plan {
    drafts: Vec<Vec<u8>>,
    by_account: Vec<Vec<u8>>,
    plays: Vec<Vec<u8>>,
    queue: Vec<Vec<u8>>,
    decisions: Vec<Vec<u8>>,
    history: Vec<Vec<u8>>,
    outcome_drafts: Vec<Vec<u8>>,
    outcome_ids: Vec<Vec<u8>>,
    release_index: Vec<Vec<u8>>,
    releases: Vec<(Vec<u8>, Vec<u8>)>,
    requests: Vec<Vec<u8>>,
    briefs: Vec<Vec<u8>>,
}

impl Plan {
    fn removed(&self) -> Removed {
        Removed {
            drafts: self.drafts.len() as u64,
            requests: self.requests.len() as u64,
            briefs: self.briefs.len() as u64,
            queue_entries: self.queue.len() as u64,
            decisions: self.decisions.len() as u64,
            outcome_events: self.outcome_ids.len() as u64,
            releases_redacted: self.releases.len() as u64,
        }
    }

    fn is_empty(&self) -> bool {
        self.drafts.is_empty() && self.requests.is_empty() && self.briefs.is_empty()
    }
}

/// A release event's draft with its content removed.
fn redacted(draft: &Draft) -> Draft {
    let mut d = draft.clone();
    d.text = DraftText::default();
    d.findings.clear();
    d.reasons.clear();
    d.claims.clear();
    d
}

impl Store {
    /// Remove every draft of `account_id` in `tenant` and what refers to
    /// them, atomically with an `erase_account` audit entry, then flush.
    /// Erasing an account with nothing stored succeeds and says so (and is
    /// audited too).
    pub async fn erase_account(
        &self,
        tenant: &str,
        account_id: &str,
        actor: &str,
    ) -> Result<Removed, StoreError> {
        let _writing = self.writing().await;
        let drafts = self.account_drafts(tenant, account_id)?;
        let ids: BTreeSet<String> = drafts.iter().map(|d| d.draft_id.clone()).collect();
        let mut plan = self.plan_drafts(tenant, &drafts)?;
        // Every request of these drafts goes, with its brief: no draft of an
        // erased account survives, so none needs them.
        let request_ids: BTreeSet<&str> = drafts.iter().map(|d| d.request_id.as_str()).collect();
        self.plan_requests(tenant, &mut plan, |r| {
            request_ids.contains(r.request_id.as_str())
                || r.draft_ids.iter().any(|id| ids.contains(id))
        })?;
        let removed = plan.removed();
        let mut chain = self.audit_chain()?;
        chain.push(AuditRecord::new(
            tenant,
            actor,
            "erase_account",
            account_id,
            serde_json::to_value(&removed).expect("serializes"),
        ));
        self.apply(&plan, &chain)?;
        self.sync().await?;
        Ok(removed)
    }

    /// Retention: remove drafts created before `cutoff` in every tenant, and
    /// requests (brief + idempotency record) created before it once none of
    /// their drafts is left. Works in chunks of [`CHUNK`] drafts, each one
    /// transaction with its `retention_purge` audit entry, flushed.
    pub async fn purge_older_than(
        &self,
        cutoff: DateTime<Utc>,
        actor: &str,
    ) -> Result<Removed, StoreError> {
        let _writing = self.writing().await;
        let mut old: BTreeMap<String, Vec<Draft>> = BTreeMap::new();
        let mut kept_requests: BTreeSet<(String, String)> = BTreeSet::new();
        for kv in self.drafts.iter() {
            let d: Draft = decode(&kv?.1)?;
            if created_before(&d.created_at, cutoff) {
                old.entry(d.tenant.clone()).or_default().push(d);
            } else {
                kept_requests.insert((d.tenant.clone(), d.request_id.clone()));
            }
        }
        let mut tenants: BTreeSet<String> = old.keys().cloned().collect();
        // Requests can outlive their drafts' purge only by a chunk boundary;
        // any tenant with an old request is swept too.
        for kv in self.requests.iter() {
            let (k, v) = kv?;
            let r: StoredRequest = decode(&v)?;
            if created_before(&r.created_at, cutoff) {
                tenants.insert(tenant_of_key(&k));
            }
        }
        let mut total = Removed::default();
        for tenant in tenants {
            let drafts = old.remove(&tenant).unwrap_or_default();
            let mut chunks: Vec<&[Draft]> = drafts.chunks(CHUNK).collect();
            if chunks.is_empty() {
                chunks.push(&[]);
            }
            let last = chunks.len() - 1;
            for (i, chunk) in chunks.into_iter().enumerate() {
                let mut plan = self.plan_drafts(&tenant, chunk)?;
                if i == last {
                    self.plan_requests(&tenant, &mut plan, |r| {
                        created_before(&r.created_at, cutoff)
                            && !kept_requests.contains(&(tenant.clone(), r.request_id.clone()))
                    })?;
                }
                if plan.is_empty() {
                    continue;
                }
                let removed = plan.removed();
                let mut chain = self.audit_chain()?;
                let mut details = serde_json::to_value(&removed).expect("serializes");
                details["cutoff"] = cutoff.to_rfc3339().into();
                chain.push(AuditRecord::new(
                    &tenant,
                    actor,
                    "retention_purge",
                    "drafts",
                    details,
                ));
                self.apply(&plan, &chain)?;
                self.sync().await?;
                total.add(&removed);
            }
        }
        Ok(total)
    }

    /// Keys that go with `drafts` (all of one tenant).
    fn plan_drafts(&self, tenant: &str, drafts: &[Draft]) -> Result<Plan, StoreError> {
        let mut plan = Plan::default();
        if drafts.is_empty() {
            return Ok(plan);
        }
        let review = self.tree(super::review::TREE)?;
        let events = self.tree(super::outcomes::EVENTS)?;
        let ids: BTreeSet<&str> = drafts.iter().map(|d| d.draft_id.as_str()).collect();
        let mut accounts = BTreeSet::new();
        for d in drafts {
            plan.drafts.push(key(tenant, &d.draft_id));
            plan.by_account.push(key(
                tenant,
                &format!("{}\0{}\0{}", d.account_id, d.created_at, d.draft_id),
            ));
            plan.queue.push(queue_key(tenant, d));
            accounts.insert(d.account_id.as_str());
            for kv in review.scan_prefix(history_prefix(tenant, &d.draft_id)) {
                let (hk, decision_id) = kv?;
                plan.history.push(hk.to_vec());
                plan.decisions
                    .push(decision_key(tenant, &String::from_utf8_lossy(&decision_id)));
            }
            let ek = key(tenant, &d.draft_id);
            if let Some(v) = events.get(&ek)? {
                let list: Vec<OutcomeEvent> = decode(&v)?;
                plan.outcome_ids
                    .extend(list.iter().map(|e| key(tenant, &e.event_id)));
                plan.outcome_drafts.push(ek);
            }
        }
        // Plays are keyed by account + trigger kind + draft id; the trigger
        // kind is not on the draft, so scan the accounts' plays.
        for account in accounts {
            for kv in self.plays.scan_prefix(key(tenant, &format!("{account}\0"))) {
                let (k, _) = kv?;
                let draft_id = k.rsplit(|b| *b == 0).next().unwrap_or_default();
                if ids.contains(String::from_utf8_lossy(draft_id).as_ref()) {
                    plan.plays.push(k.to_vec());
                }
            }
        }
        // The release log: redact this tenant's events of these drafts.
        for kv in review.scan_prefix(event_prefix(tenant)) {
            let (k, v) = kv?;
            let mut event: ReleaseEvent = decode(&v)?;
            if event.kind == ReleaseKind::Erased || !ids.contains(event.draft.draft_id.as_str()) {
                continue;
            }
            let mut idx = super::review::release_index_prefix(tenant, &prompt_key(&event.draft));
            idx.extend_from_slice(&event.seq.to_be_bytes());
            plan.release_index.push(idx);
            debug_assert_eq!(k.as_ref(), event_key(tenant, event.seq).as_slice());
            event.kind = ReleaseKind::Erased;
            event.draft = redacted(&event.draft);
            plan.releases.push((k.to_vec(), encode(&event)));
        }
        Ok(plan)
    }

    /// Add the tenant's requests `doomed` selects, with their briefs.
    fn plan_requests(
        &self,
        tenant: &str,
        plan: &mut Plan,
        doomed: impl Fn(&StoredRequest) -> bool,
    ) -> Result<(), StoreError> {
        let mut prefix = tenant.as_bytes().to_vec();
        prefix.push(0);
        for kv in self.requests.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let r: StoredRequest = decode(&v)?;
            if doomed(&r) {
                plan.requests.push(k.to_vec());
                plan.briefs.push(key(tenant, &r.request_id));
            }
        }
        Ok(())
    }

    /// Apply a plan and its audit entries in one transaction. The caller
    /// holds the write lock and flushes.
    fn apply(&self, plan: &Plan, chain: &Chain) -> Result<(), StoreError> {
        let review = self.tree(super::review::TREE)?;
        let events = self.tree(super::outcomes::EVENTS)?;
        let event_ids = self.tree(super::outcomes::EVENT_IDS)?;
        let trees = (
            &self.drafts,
            &self.by_account,
            &self.plays,
            &review,
            &events,
            &event_ids,
            &self.requests,
            &self.briefs,
            &chain.tree,
        );
        trees.transaction(|(d, a, p, rv, ev, ei, rq, b, au)| {
            let remove = |t: &sled::transaction::TransactionalTree, keys: &[Vec<u8>]| {
                for k in keys {
                    t.remove(k.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            };
            remove(d, &plan.drafts)?;
            remove(a, &plan.by_account)?;
            remove(p, &plan.plays)?;
            remove(rv, &plan.queue)?;
            remove(rv, &plan.decisions)?;
            remove(rv, &plan.history)?;
            remove(rv, &plan.release_index)?;
            for (k, v) in &plan.releases {
                rv.insert(k.as_slice(), v.as_slice())?;
            }
            remove(ev, &plan.outcome_drafts)?;
            remove(ei, &plan.outcome_ids)?;
            remove(rq, &plan.requests)?;
            remove(b, &plan.briefs)?;
            chain.write(au)?;
            Ok(())
        })?;
        Ok(())
    }
}

fn created_before(rfc3339: &str, cutoff: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(rfc3339).is_ok_and(|t| t.with_timezone(&Utc) < cutoff)
}

fn tenant_of_key(k: &[u8]) -> String {
    let end = k.iter().position(|b| *b == 0).unwrap_or(k.len());
    String::from_utf8_lossy(&k[..end]).into_owned()
}

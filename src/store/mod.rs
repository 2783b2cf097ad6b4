//! Persistence: the only module that knows sled.
//!
//! Owns: drafts, the idempotency index and the per-account index. Writes that
//! belong together go in one sled transaction, and every write a caller is
//! told about is flushed to disk before the call returns (sled buffers writes;
//! an acknowledged draft must survive a crash).
//!
//! Keys are prefixed with the tenant so tenants never see each other's data.

use crate::model::{AccountBrief, Draft};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use std::path::Path;

// Feature areas (issue 7: outcome events).
mod outcomes;
pub use outcomes::Appended;
// Review queue, decisions and the release log (issue 6).
mod review;
pub use review::ReleaseWatch;
// Erasure and retention (issue 9).
mod erasure;
pub use erasure::Removed;
// The hash-chained audit log (issue 9).
pub mod audit;
pub use audit::{AuditBroken, AuditEntry, AuditHead, AuditRecord, Verifier};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O: {0}")]
    Io(#[from] sled::Error),
    #[error("stored record is corrupt: {detail}")]
    Corrupt { detail: String },
}

impl From<TransactionError<StoreError>> for StoreError {
    fn from(e: TransactionError<StoreError>) -> Self {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::Io(e),
        }
    }
}

/// What an idempotency key points at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRequest {
    pub request_id: String,
    pub idempotency_key: String,
    pub brief_hash: String,
    pub draft_ids: Vec<String>,
    pub created_at: String,
}

/// The store. Feature areas add their trees and methods in submodules
/// (`impl Store` blocks in `store/<area>.rs`), opening trees through
/// `Store::tree`, so sled stays inside this module.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    drafts: sled::Tree,
    requests: sled::Tree,
    by_account: sled::Tree,
    briefs: sled::Tree,
    plays: sled::Tree,
    /// Serialises write transactions with their flush. sled 0.34 can
    /// deadlock when a transaction waits for log space while concurrent
    /// `flush_async` jobs wait for its concurrency-control lock (seen under
    /// a 16-way local batch); one writer at a time, flushed before the next,
    /// never lets the two overlap.
    write_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// `tenant NUL id`: tenants never share a key prefix.
pub(crate) fn key(tenant: &str, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(tenant.len() + 1 + id.len());
    k.extend_from_slice(tenant.as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

fn play_key(account_id: &str, trigger_kind: &str, draft_id: &str) -> String {
    format!("{account_id}\0{trigger_kind}\0{draft_id}")
}

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        detail: e.to_string(),
    })
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("domain types always serialize")
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        Self::over(db)
    }

    fn over(db: sled::Db) -> Result<Store, StoreError> {
        Ok(Store {
            drafts: db.open_tree("drafts")?,
            requests: db.open_tree("requests")?,
            by_account: db.open_tree("by_account")?,
            briefs: db.open_tree("briefs")?,
            plays: db.open_tree("plays")?,
            write_lock: Default::default(),
            db,
        })
    }

    /// Record one generation: its drafts, its brief and its idempotency key,
    /// atomically (with the review queue and release log entries the drafts
    /// cause), then flush. Returns only once the data is on disk.
    pub async fn put_generation(
        &self,
        tenant: &str,
        actor: &str,
        request: &StoredRequest,
        brief: &AccountBrief,
        drafts: &[Draft],
    ) -> Result<(), StoreError> {
        let _writing = self.writing().await;
        let review = self.tree(review::TREE)?;
        let mut chain = self.audit_chain()?;
        chain.push(audit::generation_record(tenant, actor, request, brief));
        for draft in drafts {
            chain.push(audit::route_record(tenant, actor, draft));
        }
        let trees = (
            &self.drafts,
            &self.requests,
            &self.by_account,
            &self.briefs,
            &review,
            &self.plays,
            &chain.tree,
        );
        trees.transaction(|(d, r, a, b, rv, p, au)| {
            chain.write(au)?;
            b.insert(key(tenant, &request.request_id), encode(brief))?;
            review::record_generation(rv, tenant, brief, drafts)?;
            for draft in drafts {
                d.insert(key(tenant, &draft.draft_id), encode(draft))?;
                let play = crate::cooldown::PlayDraft {
                    draft_id: draft.draft_id.clone(),
                    channel: draft.channel,
                    created_at: chrono::DateTime::parse_from_rfc3339(&draft.created_at)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .unwrap_or_else(|_| chrono::Utc::now()),
                };
                p.insert(
                    key(
                        tenant,
                        &play_key(&draft.account_id, &brief.trigger.kind, &draft.draft_id),
                    ),
                    encode(&play),
                )?;
                let account_key = format!(
                    "{}\0{}\0{}",
                    draft.account_id, draft.created_at, draft.draft_id
                );
                a.insert(key(tenant, &account_key), draft.channel.as_str().as_bytes())?;
            }
            r.insert(key(tenant, &request.idempotency_key), encode(request))?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        self.sync().await
    }

    /// Store one draft (a new version, or a status change), then flush.
    pub async fn put_draft(&self, tenant: &str, draft: &Draft) -> Result<(), StoreError> {
        let _writing = self.writing().await;
        self.drafts
            .insert(key(tenant, &draft.draft_id), encode(draft))?;
        self.sync().await
    }

    /// Open (or create) a named tree, for feature submodules.
    pub(crate) fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(name)?)
    }

    /// Flush everything written so far to disk.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _writing = self.write_lock.lock().await;
        self.sync().await
    }

    /// Held by every writer across its transaction and flush.
    pub(crate) async fn writing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().await
    }

    /// Flush; the caller holds the write lock.
    pub(crate) async fn sync(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }

    pub fn get_draft(&self, tenant: &str, draft_id: &str) -> Result<Option<Draft>, StoreError> {
        self.drafts
            .get(key(tenant, draft_id))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Earlier drafts of one play (account + trigger kind), for cooldowns.
    pub fn play_drafts(
        &self,
        tenant: &str,
        account_id: &str,
        trigger_kind: &str,
    ) -> Result<Vec<crate::cooldown::PlayDraft>, StoreError> {
        self.plays
            .scan_prefix(key(tenant, &play_key(account_id, trigger_kind, "")))
            .map(|kv| decode(&kv?.1))
            .collect()
    }

    /// The brief a request was generated from.
    pub fn get_brief(
        &self,
        tenant: &str,
        request_id: &str,
    ) -> Result<Option<AccountBrief>, StoreError> {
        self.briefs
            .get(key(tenant, request_id))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Store a new draft version and mark its parent superseded, atomically,
    /// then flush.
    pub async fn put_version(
        &self,
        tenant: &str,
        actor: &str,
        parent: &Draft,
        child: &Draft,
    ) -> Result<(), StoreError> {
        let _writing = self.writing().await;
        let review = self.tree(review::TREE)?;
        let brief = self.get_brief(tenant, &child.request_id)?;
        let mut chain = self.audit_chain()?;
        chain.push(audit::route_record(tenant, actor, child));
        let trees = (&self.drafts, &self.by_account, &review, &chain.tree);
        trees.transaction(|(d, a, rv, au)| {
            chain.write(au)?;
            review::record_version(rv, tenant, brief.as_ref(), parent, child)?;
            d.insert(key(tenant, &parent.draft_id), encode(parent))?;
            d.insert(key(tenant, &child.draft_id), encode(child))?;
            let account_key = format!(
                "{}\0{}\0{}",
                child.account_id, child.created_at, child.draft_id
            );
            a.insert(key(tenant, &account_key), child.channel.as_str().as_bytes())?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })?;
        self.sync().await
    }

    pub fn get_request(
        &self,
        tenant: &str,
        idempotency_key: &str,
    ) -> Result<Option<StoredRequest>, StoreError> {
        self.requests
            .get(key(tenant, idempotency_key))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Drafts of one account, oldest first.
    pub fn account_drafts(&self, tenant: &str, account_id: &str) -> Result<Vec<Draft>, StoreError> {
        let prefix = key(tenant, &format!("{account_id}\0"));
        let mut out = Vec::new();
        for kv in self.by_account.scan_prefix(prefix) {
            let (k, _) = kv?;
            let id = k.rsplit(|b| *b == 0).next().unwrap_or_default();
            let id = String::from_utf8_lossy(id);
            if let Some(d) = self.get_draft(tenant, &id)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Number of stored drafts across tenants (for metrics and tests).
    pub fn draft_count(&self) -> usize {
        self.drafts.len()
    }

    /// Every draft of a tenant (admin and tests; not for hot paths).
    pub fn all_drafts(&self, tenant: &str) -> Result<Vec<Draft>, StoreError> {
        let mut prefix = tenant.as_bytes().to_vec();
        prefix.push(0);
        self.drafts
            .scan_prefix(prefix)
            .map(|kv| decode(&kv?.1))
            .collect()
    }
}

impl Store {
    /// A throwaway store that lives until dropped (one-shot CLI runs).
    pub fn temporary() -> Result<Store, StoreError> {
        Self::over(sled::Config::new().temporary(true).open()?)
    }
}

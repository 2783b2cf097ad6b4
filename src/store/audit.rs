//! The audit log (issue 9): append-only and hash-chained, in its own tree.
//!
//! Each entry commits to the one before it: `hash = sha256(canonical entry
//! including prev_hash)`, where the canonical entry is the JSON object of
//! `seq, time, tenant, actor, action, subject, details, prev_hash` in that
//! order. Keys are the big-endian `seq`, starting at 1, gap-free. `verify`
//! recomputes the chain and names the first entry that does not fit, so an
//! edited, removed or reordered entry is found. (Removing entries from the end
//! leaves a shorter valid chain: compare the head `seq`/hash `verify` reports
//! with one kept elsewhere.)

use super::{Store, StoreError, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

pub(crate) const TREE: &str = "audit";
/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub time: String,
    pub tenant: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// What to record; the log adds seq, time and the hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub tenant: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: serde_json::Value,
}

impl AuditRecord {
    pub fn new(
        tenant: &str,
        actor: &str,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> AuditRecord {
        AuditRecord {
            tenant: tenant.to_string(),
            actor: actor.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            details,
        }
    }
}

/// The entry for one generation request (its drafts follow as `route`).
pub(crate) fn generation_record(
    tenant: &str,
    actor: &str,
    request: &super::StoredRequest,
    brief: &crate::model::AccountBrief,
) -> AuditRecord {
    AuditRecord::new(
        tenant,
        actor,
        "generate",
        &request.request_id,
        serde_json::json!({
            "account_id": brief.account_key(),
            "brief_hash": request.brief_hash,
            "draft_ids": request.draft_ids,
        }),
    )
}

/// The entry for one draft's route, with its reasons and library commit.
pub(crate) fn route_record(tenant: &str, actor: &str, draft: &crate::model::Draft) -> AuditRecord {
    AuditRecord::new(
        tenant,
        actor,
        "route",
        &draft.draft_id,
        serde_json::json!({
            "request_id": draft.request_id,
            "channel": draft.channel.as_str(),
            "version": draft.version,
            "route": draft.route.as_str(),
            "reasons": draft.reasons.iter().map(|r| &r.code).collect::<Vec<_>>(),
            "library_commit": draft.lineage.library_commit,
        }),
    )
}

/// The entry for one reviewer decision.
pub(crate) fn decision_record(tenant: &str, d: &crate::review::Decision) -> AuditRecord {
    AuditRecord::new(
        tenant,
        &d.reviewer,
        "decide",
        &d.draft_id,
        serde_json::json!({
            "decision_id": d.decision_id,
            "kind": d.kind.as_str(),
            "reason_code": d.reason_code,
            "result_draft_id": d.result_draft_id,
        }),
    )
}

#[derive(Serialize)]
struct Canonical<'a> {
    seq: u64,
    time: &'a str,
    tenant: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    details: &'a serde_json::Value,
    prev_hash: &'a str,
}

impl AuditEntry {
    /// sha256 hex of the canonical entry (everything but `hash`).
    pub fn compute_hash(&self) -> String {
        let c = Canonical {
            seq: self.seq,
            time: &self.time,
            tenant: &self.tenant,
            actor: &self.actor,
            action: &self.action,
            subject: &self.subject,
            details: &self.details,
            prev_hash: &self.prev_hash,
        };
        hex::encode(Sha256::digest(serde_json::to_vec(&c).expect("serializes")))
    }
}

/// The first entry that breaks the chain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("audit log broken at seq {seq}: {reason}")]
pub struct AuditBroken {
    pub seq: u64,
    pub reason: String,
}

/// A chain that verified: how many entries and the head's seq and hash.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditHead {
    pub entries: u64,
    pub head_hash: String,
}

/// The chain's next position, read while the caller holds the store's write
/// lock (every audit append holds it, so the chain never forks). Entries are
/// built before a transaction and written inside it, so an action and its
/// audit entries commit together or not at all.
pub(crate) struct Chain {
    pub(crate) tree: sled::Tree,
    next_seq: u64,
    prev_hash: String,
    time: String,
    pending: Vec<AuditEntry>,
}

impl Chain {
    /// Queue one entry, chained to the one before.
    pub(crate) fn push(&mut self, rec: AuditRecord) {
        let mut entry = AuditEntry {
            seq: self.next_seq,
            time: self.time.clone(),
            tenant: rec.tenant,
            actor: rec.actor,
            action: rec.action,
            subject: rec.subject,
            details: rec.details,
            prev_hash: std::mem::take(&mut self.prev_hash),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        self.prev_hash = entry.hash.clone();
        self.next_seq += 1;
        self.pending.push(entry);
    }

    /// Write the queued entries inside a transaction (idempotent, so a
    /// retried transaction writes the same entries again).
    pub(crate) fn write(
        &self,
        tx: &TransactionalTree,
    ) -> Result<(), ConflictableTransactionError<StoreError>> {
        for e in &self.pending {
            tx.insert(&e.seq.to_be_bytes(), encode(e))?;
        }
        Ok(())
    }
}

/// Checks a chain entry by entry, from the first: from the store, or from an
/// exported file (`proofline audit verify --file`).
#[derive(Debug)]
pub struct Verifier {
    expected_seq: u64,
    prev: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    /// The next stored entry; `key_seq` is the seq it is stored under, when
    /// the source has keys (the store; an export does not).
    pub fn next(&mut self, key_seq: Option<u64>, bytes: &[u8]) -> Result<(), AuditBroken> {
        let expected_seq = self.expected_seq;
        let broken = |reason: String| {
            Err(AuditBroken {
                seq: expected_seq,
                reason,
            })
        };
        if let Some(k) = key_seq
            && k != expected_seq
        {
            return broken(format!(
                "expected entry {expected_seq}, found key {k} (an entry is missing or out of order)"
            ));
        }
        let e: AuditEntry = match serde_json::from_slice(bytes) {
            Ok(e) => e,
            Err(err) => return broken(format!("entry does not parse: {err}")),
        };
        if e.seq != expected_seq {
            return broken(format!(
                "expected entry {expected_seq}, found entry {} (an entry is missing, moved or out of order)",
                e.seq
            ));
        }
        if e.prev_hash != self.prev {
            return broken("prev_hash does not match the previous entry's hash".into());
        }
        if e.compute_hash() != e.hash {
            return broken("hash does not match the entry's content (edited)".into());
        }
        self.prev = e.hash;
        self.expected_seq += 1;
        Ok(())
    }

    /// The chain so far.
    pub fn head(&self) -> AuditHead {
        AuditHead {
            entries: self.expected_seq - 1,
            head_hash: self.prev.clone(),
        }
    }
}

impl Store {
    /// The chain's next position. The caller holds [`Store::writing`].
    pub(crate) fn audit_chain(&self) -> Result<Chain, StoreError> {
        let tree = self.tree(TREE)?;
        let (next_seq, prev_hash) = match tree.last()? {
            Some((_, v)) => {
                let last: AuditEntry = decode(&v)?;
                (last.seq + 1, last.hash)
            }
            None => (1, GENESIS.to_string()),
        };
        Ok(Chain {
            tree,
            next_seq,
            prev_hash,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            pending: Vec::new(),
        })
    }

    /// Append one entry on its own and flush it before returning (library
    /// reloads, erasures: actions whose record a caller must not lose).
    pub async fn audit(&self, rec: AuditRecord) -> Result<AuditEntry, StoreError> {
        let _writing = self.writing().await;
        let entry = self.append_locked(rec)?;
        self.sync().await?;
        Ok(entry)
    }

    /// Append one entry without waiting for the disk (authentication
    /// failures: an anonymous caller must not be able to make us flush; sled
    /// writes it out with the next flush, within its flush interval).
    pub async fn audit_buffered(&self, rec: AuditRecord) -> Result<AuditEntry, StoreError> {
        let _writing = self.writing().await;
        self.append_locked(rec)
    }

    fn append_locked(&self, rec: AuditRecord) -> Result<AuditEntry, StoreError> {
        let mut chain = self.audit_chain()?;
        chain.push(rec);
        let entry = chain.pending.pop().expect("one entry was pushed");
        chain.tree.insert(entry.seq.to_be_bytes(), encode(&entry))?;
        Ok(entry)
    }

    /// Every entry in key order (export), with a tenant filter.
    pub fn audit_entries(&self, tenant: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree(TREE)?.iter() {
            let e: AuditEntry = decode(&kv?.1)?;
            if tenant.is_none_or(|t| t == e.tenant) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Recompute the chain from the first entry.
    pub fn audit_verify(&self) -> Result<Result<AuditHead, AuditBroken>, StoreError> {
        let mut v = Verifier::default();
        for kv in self.tree(TREE)?.iter() {
            let (k, bytes) = kv?;
            let key_seq = <[u8; 8]>::try_from(k.as_ref()).ok().map(u64::from_be_bytes);
            if let Err(broken) = v.next(key_seq, &bytes) {
                return Ok(Err(broken));
            }
        }
        Ok(Ok(v.head()))
    }

    /// Tests and tools: the raw tree, to show tampering is caught.
    #[doc(hidden)]
    pub fn audit_raw_put(&self, seq_key: u64, value: Option<&[u8]>) -> Result<(), StoreError> {
        let tree = self.tree(TREE)?;
        match value {
            Some(v) => tree.insert(seq_key.to_be_bytes(), v)?,
            None => tree.remove(seq_key.to_be_bytes())?,
        };
        Ok(())
    }

    #[doc(hidden)]
    pub fn audit_raw_get(&self, seq_key: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree(TREE)?
            .get(seq_key.to_be_bytes())?
            .map(|v| v.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn log(n: u64) -> Store {
        let s = Store::temporary().unwrap();
        for i in 0..n {
            s.audit(AuditRecord::new(
                "acme",
                "alice",
                "decide",
                &format!("draft-{i}"),
                json!({"i": i}),
            ))
            .await
            .unwrap();
        }
        s
    }

    #[tokio::test]
    async fn an_intact_chain_verifies() {
        let s = log(5).await;
        let head = s.audit_verify().unwrap().unwrap();
        assert_eq!(head.entries, 5);
        let all = s.audit_entries(None).unwrap();
        assert_eq!(all[0].prev_hash, GENESIS);
        assert_eq!(all[4].hash, head.head_hash);
        assert!(all.windows(2).all(|w| w[1].prev_hash == w[0].hash));
        assert!(s.audit_entries(Some("other")).unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_edited_entry_is_found() {
        let s = log(5).await;
        let mut e: AuditEntry =
            serde_json::from_slice(&s.audit_raw_get(3).unwrap().unwrap()).unwrap();
        e.actor = "mallory".into();
        s.audit_raw_put(3, Some(&serde_json::to_vec(&e).unwrap()))
            .unwrap();
        assert_eq!(s.audit_verify().unwrap().unwrap_err().seq, 3);
        // Re-hashing the edited entry moves the break to the next one.
        e.hash = e.compute_hash();
        s.audit_raw_put(3, Some(&serde_json::to_vec(&e).unwrap()))
            .unwrap();
        assert_eq!(s.audit_verify().unwrap().unwrap_err().seq, 4);
    }

    #[tokio::test]
    async fn a_removed_entry_is_found() {
        let s = log(5).await;
        s.audit_raw_put(2, None).unwrap();
        assert_eq!(s.audit_verify().unwrap().unwrap_err().seq, 2);
    }

    #[tokio::test]
    async fn swapped_entries_are_found() {
        let s = log(5).await;
        let (a, b) = (
            s.audit_raw_get(2).unwrap().unwrap(),
            s.audit_raw_get(4).unwrap().unwrap(),
        );
        s.audit_raw_put(2, Some(&b)).unwrap();
        s.audit_raw_put(4, Some(&a)).unwrap();
        assert_eq!(s.audit_verify().unwrap().unwrap_err().seq, 2);
    }
}

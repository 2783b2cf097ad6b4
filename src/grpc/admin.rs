//! `proofline.v1.Admin`: erasure and audit verification (admin scope).

use super::{authorize, pb};
use crate::auth::Scope;
use crate::engine::EngineError;
use crate::store::Store;
use tonic::{Request, Response, Status};

pub struct AdminService {
    pub store: Store,
}

#[tonic::async_trait]
impl pb::admin_server::Admin for AdminService {
    async fn erase_account(
        &self,
        req: Request<pb::EraseAccountRequest>,
    ) -> Result<Response<pb::EraseAccountResponse>, Status> {
        let who = authorize(&req, Scope::Admin)?;
        let account_id = req.into_inner().account_id;
        let account_id = account_id.trim();
        if account_id.is_empty() {
            return Err(EngineError::invalid("account_id", "required", "is required").into());
        }
        let r = self
            .store
            .erase_account(&who.tenant, account_id, &who.client)
            .await
            .map_err(EngineError::Store)?;
        tracing::info!(tenant = %who.tenant, client = %who.client, account_id, drafts = r.drafts, "account erased");
        Ok(Response::new(pb::EraseAccountResponse {
            drafts: r.drafts,
            requests: r.requests,
            briefs: r.briefs,
            queue_entries: r.queue_entries,
            decisions: r.decisions,
            outcome_events: r.outcome_events,
            releases_redacted: r.releases_redacted,
        }))
    }

    async fn verify_audit(
        &self,
        req: Request<pb::VerifyAuditRequest>,
    ) -> Result<Response<pb::VerifyAuditResponse>, Status> {
        authorize(&req, Scope::Admin)?;
        let store = self.store.clone();
        let result = tokio::task::spawn_blocking(move || store.audit_verify())
            .await
            .map_err(|e| Status::internal(format!("audit verification failed: {e}")))?
            .map_err(EngineError::Store)?;
        Ok(Response::new(match result {
            Ok(head) => pb::VerifyAuditResponse {
                ok: true,
                entries: head.entries,
                head_hash: head.head_hash,
                broken_at_seq: 0,
                reason: String::new(),
            },
            Err(broken) => pb::VerifyAuditResponse {
                ok: false,
                entries: 0,
                head_hash: String::new(),
                broken_at_seq: broken.seq,
                reason: broken.reason,
            },
        }))
    }
}

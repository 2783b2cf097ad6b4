//! The review desk: the one place that turns a reviewer's request into store
//! and engine calls. The gRPC service and the console are thin adapters over
//! it, so both enforce the same rules:
//! - only drafts pending review accept decisions; approved, rejected and
//!   superseded drafts are final (an approved draft is immutable);
//! - decisions on one draft are applied one at a time;
//! - a decision id is applied once; a retry returns the first outcome;
//! - every decision records the reviewer bound to the token and the time.

use super::auth::Reviewer;
use super::diff::text_diff;
use super::queue::{self, QueueFilter, QueuePage};
use super::reasons::RejectReason;
use super::stats::{self, ReviewStats};
use super::view::DraftView;
use super::{Decision, DecisionKind, ReleaseEvent, prompt_key};
use crate::auth::{AuthError, Authenticator, Principal, Scope};
use crate::engine::{Engine, EngineError};
use crate::model::{Draft, DraftStatus, DraftText, GeneratorInfo, RouteReason};
use crate::route::{self, RouteInput};
use crate::store::StoreError;
use chrono::{SecondsFormat, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    /// The draft is not pending review (approved drafts are immutable).
    #[error("{message}")]
    NotPending { message: String },
    #[error("decision id '{decision_id}' was already used for {used_for}")]
    DecisionIdReused {
        decision_id: String,
        used_for: String,
    },
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> ReviewError {
    ReviewError::Engine(EngineError::invalid(field, rule, message))
}

/// What the reviewer decided, with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum DecideAction {
    Approve {
        comment: String,
    },
    Reject {
        reason_code: String,
        comment: String,
    },
    Regenerate {
        instruction: String,
    },
    Edit {
        text: DraftText,
        comment: String,
    },
}

impl DecideAction {
    pub fn kind(&self) -> DecisionKind {
        match self {
            DecideAction::Approve { .. } => DecisionKind::Approve,
            DecideAction::Reject { .. } => DecisionKind::Reject,
            DecideAction::Regenerate { .. } => DecisionKind::Regenerate,
            DecideAction::Edit { .. } => DecisionKind::Edit,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecideCommand {
    pub draft_id: String,
    /// Empty: a fresh id is made (and a retry is a new decision).
    pub decision_id: String,
    pub action: DecideAction,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DecideOutcome {
    pub decision: Decision,
    pub draft: Draft,
    pub new_draft: Option<Draft>,
    pub replayed: bool,
}

const MAX_COMMENT_CHARS: usize = 2000;
const MAX_DECISION_ID_CHARS: usize = 128;
const MAX_EDIT_CHARS: usize = 20_000;
/// How long a watcher waits for a wake-up before looking at the log anyway.
const WATCH_POLL: Duration = Duration::from_secs(1);
const WATCH_BATCH: usize = 256;

pub struct Desk {
    engine: Arc<Engine>,
    auth: Arc<Authenticator>,
    /// The console's auth failures, audited at a bounded rate.
    failures: Arc<crate::grpc::FailureAudit>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    closing: watch::Sender<bool>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn status_word(s: DraftStatus) -> &'static str {
    match s {
        DraftStatus::AutoApproved => "auto-approved and already released",
        DraftStatus::PendingReview => "pending review",
        DraftStatus::Approved => "approved and immutable",
        DraftStatus::Rejected => "rejected",
        DraftStatus::Superseded => "superseded by a newer version",
    }
}

impl Desk {
    pub fn new(engine: Arc<Engine>, auth: Arc<Authenticator>) -> Desk {
        Desk {
            failures: Arc::new(crate::grpc::FailureAudit::new(engine.store().clone())),
            engine,
            auth,
            locks: Mutex::default(),
            closing: watch::Sender::new(false),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Record an HTTP-side auth failure (console, previews) in the audit
    /// log, at the bounded rate of `grpc::FailureAudit`.
    pub fn audit_auth_failure(&self, e: &crate::auth::AuthError, needed: &str) {
        crate::grpc::audit_auth_failure(Some(&self.failures), e, needed);
    }

    /// The reviewer (a client with the `review` scope) for an
    /// `authorization` header value; failures are audited.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, ReviewError> {
        self.auth
            .authorize(authorization, Some(Scope::Review))
            .map_err(|e| {
                crate::grpc::audit_auth_failure(Some(&self.failures), &e, "review");
                ReviewError::Unauthenticated(e)
            })
    }

    /// A caller holding any of `scopes` (the performance page); failures are
    /// audited.
    pub fn authorize_any(
        &self,
        authorization: Option<&str>,
        scopes: &[Scope],
    ) -> Result<Principal, AuthError> {
        self.auth
            .authorize_any(authorization, scopes)
            .inspect_err(|e| {
                crate::grpc::audit_auth_failure(Some(&self.failures), e, "performance");
            })
    }

    /// End every open watch stream (server shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    pub fn queue(
        &self,
        tenant: &str,
        filter: &QueueFilter,
        page_size: usize,
        page_token: &str,
    ) -> Result<QueuePage, ReviewError> {
        let entries = self.engine.store().queue_entries(tenant)?;
        Ok(queue::page(
            &entries,
            filter,
            page_size,
            page_token,
            Utc::now(),
        ))
    }

    pub fn draft_view(&self, tenant: &str, draft_id: &str) -> Result<DraftView, ReviewError> {
        let store = self.engine.store();
        let draft = self.engine.get_draft(tenant, draft_id)?;
        let brief = store.get_brief(tenant, &draft.request_id)?;
        let proofs = brief
            .as_ref()
            .map(|b| self.engine.snapshot().proof_facts(b))
            .unwrap_or_default();
        let baseline = store.last_release(tenant, &prompt_key(&draft), &draft.draft_id)?;
        // Decisions on this version and the ones it replaced.
        let mut history = Vec::new();
        let mut id = draft.draft_id.clone();
        for _ in 0..64 {
            history.extend(store.draft_decisions(tenant, &id)?);
            match store.get_draft(tenant, &id)? {
                Some(d) if !d.parent_draft_id.is_empty() => id = d.parent_draft_id,
                _ => break,
            }
        }
        history.sort_by(|a, b| a.decided_at.cmp(&b.decided_at));
        Ok(DraftView::build(
            draft,
            brief,
            &proofs,
            baseline.as_ref().map(|(d, at)| (d, at.as_str())),
            history,
        ))
    }

    fn lock(&self, draft_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().expect("lock map poisoned");
        if map.len() > 1024 {
            map.retain(|_, v| Arc::strong_count(v) > 1);
        }
        map.entry(draft_id.to_string()).or_default().clone()
    }

    fn validate(cmd: &DecideCommand) -> Result<(), ReviewError> {
        if cmd.draft_id.is_empty() {
            return Err(invalid("draft_id", "required", "is required"));
        }
        if cmd.decision_id.chars().count() > MAX_DECISION_ID_CHARS
            || cmd.decision_id.chars().any(|c| c.is_control())
        {
            return Err(invalid(
                "decision_id",
                "format",
                format!("must be at most {MAX_DECISION_ID_CHARS} printable characters"),
            ));
        }
        let comment = match &cmd.action {
            DecideAction::Approve { comment } | DecideAction::Edit { comment, .. } => comment,
            DecideAction::Reject {
                reason_code,
                comment,
            } => {
                if RejectReason::parse(reason_code).is_none() {
                    let codes: Vec<_> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
                    return Err(invalid(
                        "reject.reason_code",
                        "enum",
                        format!("'{reason_code}' is not one of {}", codes.join(", ")),
                    ));
                }
                comment
            }
            DecideAction::Regenerate { .. } => return Ok(()),
        };
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(invalid(
                "comment",
                "max_length",
                format!("is longer than {MAX_COMMENT_CHARS} characters"),
            ));
        }
        Ok(())
    }

    /// Apply one decision. See the module doc for the rules.
    pub async fn decide(
        &self,
        tenant: &str,
        reviewer: &Reviewer,
        mut cmd: DecideCommand,
    ) -> Result<DecideOutcome, ReviewError> {
        Self::validate(&cmd)?;
        if cmd.decision_id.is_empty() {
            cmd.decision_id = ulid::Ulid::new().to_string();
        }
        let lock = self.lock(&cmd.draft_id);
        let _guard = lock.lock().await;
        let store = self.engine.store();
        if let Some(prior) = store.get_decision(tenant, &cmd.decision_id)? {
            return self.replay(tenant, prior, &cmd);
        }
        let draft = self.engine.get_draft(tenant, &cmd.draft_id)?;
        if draft.status != DraftStatus::PendingReview {
            if let Some(out) = self
                .recover_regeneration(tenant, reviewer, &cmd, &draft)
                .await?
            {
                return Ok(out);
            }
            return Err(ReviewError::NotPending {
                message: format!(
                    "draft {} is {}; decisions apply only to drafts pending review",
                    draft.draft_id,
                    status_word(draft.status)
                ),
            });
        }
        let mut decision = Decision {
            decision_id: cmd.decision_id.clone(),
            draft_id: draft.draft_id.clone(),
            kind: cmd.action.kind(),
            reviewer: reviewer.name.clone(),
            decided_at: now(),
            reason_code: String::new(),
            comment: String::new(),
            instruction: String::new(),
            result_draft_id: String::new(),
            edit_diff: None,
        };
        let mut decided = draft.clone();
        let mut new_draft = None;
        match cmd.action {
            DecideAction::Approve { comment } => {
                decision.comment = comment;
                decided.status = DraftStatus::Approved;
                store
                    .apply_decision(tenant, &decision, Some(&decided), None)
                    .await?;
            }
            DecideAction::Reject {
                reason_code,
                comment,
            } => {
                decision.reason_code = reason_code;
                decision.comment = comment;
                decided.status = DraftStatus::Rejected;
                store
                    .apply_decision(tenant, &decision, Some(&decided), None)
                    .await?;
            }
            DecideAction::Regenerate { instruction } => {
                // The engine stores the new version and supersedes the parent
                // in one transaction; the decision follows it.
                let child = self
                    .engine
                    .regenerate(tenant, &reviewer.name, &draft.draft_id, &instruction)
                    .await?;
                decision.instruction = instruction.trim().to_string();
                decision.result_draft_id = child.draft_id.clone();
                store.apply_decision(tenant, &decision, None, None).await?;
                decided = self.engine.get_draft(tenant, &draft.draft_id)?;
                new_draft = Some(child);
            }
            DecideAction::Edit { text, comment } => {
                let child = self.edited_version(tenant, reviewer, &draft, text)?;
                decision.comment = comment;
                decision.result_draft_id = child.draft_id.clone();
                decision.edit_diff = Some(text_diff(&draft.text, &child.text));
                decided.status = DraftStatus::Superseded;
                let brief = store.get_brief(tenant, &draft.request_id)?;
                store
                    .apply_decision(
                        tenant,
                        &decision,
                        Some(&decided),
                        Some((&child, brief.as_ref())),
                    )
                    .await?;
                self.engine.metrics().observe_draft(&child);
                new_draft = Some(child);
            }
        }
        Ok(DecideOutcome {
            decision,
            draft: decided,
            new_draft,
            replayed: false,
        })
    }

    /// A decision id seen before: the same decision returns its outcome, a
    /// different one is refused.
    fn replay(
        &self,
        tenant: &str,
        prior: Decision,
        cmd: &DecideCommand,
    ) -> Result<DecideOutcome, ReviewError> {
        if prior.draft_id != cmd.draft_id || prior.kind != cmd.action.kind() {
            return Err(ReviewError::DecisionIdReused {
                decision_id: prior.decision_id.clone(),
                used_for: format!("{} of draft {}", prior.kind.as_str(), prior.draft_id),
            });
        }
        let draft = self.engine.get_draft(tenant, &prior.draft_id)?;
        let new_draft = if prior.result_draft_id.is_empty() {
            None
        } else {
            Some(self.engine.get_draft(tenant, &prior.result_draft_id)?)
        };
        Ok(DecideOutcome {
            decision: prior,
            draft,
            new_draft,
            replayed: true,
        })
    }

    /// A regeneration whose new version was stored but whose decision was
    /// not (a crash between the two writes): record it now.
    async fn recover_regeneration(
        &self,
        tenant: &str,
        reviewer: &Reviewer,
        cmd: &DecideCommand,
        draft: &Draft,
    ) -> Result<Option<DecideOutcome>, ReviewError> {
        let DecideAction::Regenerate { instruction } = &cmd.action else {
            return Ok(None);
        };
        if draft.status != DraftStatus::Superseded {
            return Ok(None);
        }
        let store = self.engine.store();
        if !store.draft_decisions(tenant, &draft.draft_id)?.is_empty() {
            return Ok(None);
        }
        let Some(child) = store
            .account_drafts(tenant, &draft.account_id)?
            .into_iter()
            .find(|d| d.parent_draft_id == draft.draft_id)
        else {
            return Ok(None);
        };
        let decision = Decision {
            decision_id: cmd.decision_id.clone(),
            draft_id: draft.draft_id.clone(),
            kind: DecisionKind::Regenerate,
            reviewer: reviewer.name.clone(),
            decided_at: now(),
            reason_code: String::new(),
            comment: String::new(),
            instruction: instruction.trim().to_string(),
            result_draft_id: child.draft_id.clone(),
            edit_diff: None,
        };
        store.apply_decision(tenant, &decision, None, None).await?;
        Ok(Some(DecideOutcome {
            decision,
            draft: draft.clone(),
            new_draft: Some(child),
            replayed: false,
        }))
    }

    /// A new version with the reviewer's text, checked again on the running
    /// library. It stays in review: a person wrote it, a person approves it.
    fn edited_version(
        &self,
        tenant: &str,
        reviewer: &Reviewer,
        parent: &Draft,
        mut text: DraftText,
    ) -> Result<Draft, ReviewError> {
        if text.body.trim().is_empty() {
            return Err(invalid("edit.text.body", "required", "is required"));
        }
        let chars =
            text.body.chars().count() + text.subject.as_deref().map_or(0, |s| s.chars().count());
        if chars > MAX_EDIT_CHARS {
            return Err(invalid(
                "edit.text",
                "max_length",
                format!("is longer than {MAX_EDIT_CHARS} characters"),
            ));
        }
        if parent.channel.has_subject() {
            text.subject.get_or_insert_with(String::new);
        } else if text.subject.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(invalid(
                "edit.text.subject",
                "subject_channel",
                format!("{} drafts have no subject", parent.channel),
            ));
        } else {
            text.subject = None;
        }
        let brief = self
            .engine
            .store()
            .get_brief(tenant, &parent.request_id)?
            .ok_or_else(|| EngineError::Internal {
                message: format!("brief of request {} is missing", parent.request_id),
            })?;
        let snap = self.engine.snapshot();
        let proofs = snap.proof_facts(&brief);
        let findings = snap.check(&brief, parent.channel, &proofs, &[], &text);
        let edited = [RouteReason {
            code: "reviewer_edit".into(),
            detail: format!("text edited by {}; needs approval", reviewer.name),
        }];
        let (route, reasons) = route::decide(
            snap.library.routing(),
            &RouteInput {
                brief: &brief,
                channel: parent.channel,
                findings: &findings,
                items: &[],
                checked: true,
                generation_issues: &edited,
            },
        );
        let mut lineage = parent.lineage.clone();
        lineage.generator = GeneratorInfo {
            kind: "reviewer_edit".into(),
            model: reviewer.name.clone(),
            temperature: 0.0,
            attempts: 1,
        };
        lineage.library_commit = snap.library.commit().to_string();
        Ok(Draft {
            draft_id: ulid::Ulid::new().to_string(),
            request_id: parent.request_id.clone(),
            tenant: tenant.to_string(),
            account_id: parent.account_id.clone(),
            channel: parent.channel,
            text,
            findings,
            claims: vec![],
            route,
            reasons,
            lineage,
            status: DraftStatus::PendingReview,
            created_at: now(),
            version: parent.version + 1,
            parent_draft_id: parent.draft_id.clone(),
        })
    }

    /// Releases after `after_seq`, then live, until the receiver is dropped
    /// or the desk closes. Every event sent is on disk first.
    pub fn watch(
        self: &Arc<Self>,
        tenant: &str,
        after_seq: u64,
    ) -> Result<mpsc::Receiver<Result<ReleaseEvent, ReviewError>>, ReviewError> {
        let store = self.engine.store().clone();
        let mut wake = store.watch_releases(tenant)?;
        let mut closing = self.closing.subscribe();
        let (tx, rx) = mpsc::channel(64);
        let tenant = tenant.to_string();
        tokio::spawn(async move {
            let mut cursor = after_seq;
            loop {
                if *closing.borrow() {
                    let _ = tx.send(Err(ReviewError::ShuttingDown)).await;
                    return;
                }
                let batch = match store.releases_after(&tenant, cursor, WATCH_BATCH) {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                if batch.is_empty() {
                    tokio::select! {
                        _ = wake.changed(WATCH_POLL) => {}
                        _ = closing.changed() => {}
                        _ = tx.closed() => return,
                    }
                    continue;
                }
                // A release is visible before its writer's flush completes;
                // never hand out one that a crash could still take back.
                if let Err(e) = store.flush().await {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
                for ev in batch {
                    cursor = ev.seq;
                    if tx.send(Ok(ev)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(rx)
    }

    pub fn stats(&self, tenant: &str) -> Result<ReviewStats, ReviewError> {
        review_stats(self.engine.store(), tenant)
    }
}

/// Check precision and recall from the reviews stored for `tenant`.
pub fn review_stats(store: &crate::store::Store, tenant: &str) -> Result<ReviewStats, ReviewError> {
    let decisions = store.decisions(tenant)?;
    let mut drafts: HashMap<String, Draft> = HashMap::new();
    for d in &decisions {
        if matches!(d.kind, DecisionKind::Approve | DecisionKind::Reject)
            && !drafts.contains_key(&d.draft_id)
            && let Some(draft) = store.get_draft(tenant, &d.draft_id)?
        {
            drafts.insert(d.draft_id.clone(), draft);
        }
    }
    Ok(stats::compute(&decisions, |id| drafts.get(id)))
}

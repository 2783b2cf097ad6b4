//! `proofline.v1.Review`: authenticate, convert, call the review desk,
//! convert back. The review message conversions live here too (review is the
//! only user of these messages).

use super::authorize;
use super::convert::{brief_to_pb, channel_from_pb, draft_text_from_pb, draft_to_pb};
use super::pb;
use super::pb::review_server::Review;
use crate::auth::Scope;
use crate::engine::EngineError;
use crate::model::{CheckKind, Span, TextPart};
use crate::review::desk::DecideAction;
use crate::review::diff::{DiffOp, DiffSegment, TextDiff};
use crate::review::queue::QueueFilter;
use crate::review::stats::ReviewStats;
use crate::review::view::DraftView;
use crate::review::{
    Claim, DecideCommand, Decision, DecisionKind, Desk, ReleaseEvent, ReleaseKind, ReviewError,
    Reviewer,
};
use std::pin::Pin;
use std::sync::Arc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

pub struct ReviewService {
    pub desk: Arc<Desk>,
}

impl From<ReviewError> for Status {
    fn from(e: ReviewError) -> Status {
        match e {
            ReviewError::Unauthenticated(a) => super::auth_status(&a),
            ReviewError::NotPending { message } => Status::failed_precondition(message),
            e @ ReviewError::DecisionIdReused { .. } => Status::already_exists(e.to_string()),
            ReviewError::ShuttingDown => Status::unavailable("the server is shutting down"),
            ReviewError::Engine(e) => e.into(),
            ReviewError::Store(e) => EngineError::Store(e).into(),
        }
    }
}

impl ReviewService {
    /// The reviewer (a client with the `review` scope) and its tenant.
    fn reviewer<T>(&self, req: &Request<T>) -> Result<(Reviewer, String), Status> {
        let p = authorize(req, Scope::Review)?;
        Ok((Reviewer::from(&p), p.tenant))
    }
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn nonzero<T: PartialEq + Default>(v: T) -> Option<T> {
    (v != T::default()).then_some(v)
}

fn filter_from_pb(r: &pb::ListQueueRequest) -> Result<QueueFilter, EngineError> {
    let check = match r.check.as_str() {
        "" => None,
        c => Some(CheckKind::parse(c).ok_or_else(|| {
            EngineError::invalid(
                "check",
                "enum",
                format!("'{c}' is not a check (grounding, red_line, tone)"),
            )
        })?),
    };
    let channel = match r.channel {
        0 => None,
        v => Some(channel_from_pb(v, "channel")?),
    };
    Ok(QueueFilter {
        reason_code: opt(r.reason_code.clone()),
        check,
        channel,
        tier: nonzero(r.tier),
        account_id: opt(r.account_id.clone()),
        min_age_seconds: nonzero(r.min_age_seconds),
        max_age_seconds: nonzero(r.max_age_seconds),
    })
}

fn decide_from_pb(
    r: pb::DecideRequest,
    channel_of: impl FnOnce() -> Result<crate::model::Channel, Status>,
) -> Result<DecideCommand, Status> {
    use pb::decide_request::Decision as D;
    let action = match r.decision {
        Some(D::Approve(a)) => DecideAction::Approve { comment: a.comment },
        Some(D::Reject(x)) => DecideAction::Reject {
            reason_code: x.reason_code,
            comment: x.comment,
        },
        Some(D::Regenerate(g)) => DecideAction::Regenerate {
            instruction: g.instruction,
        },
        Some(D::Edit(e)) => DecideAction::Edit {
            text: draft_text_from_pb(e.text, channel_of()?),
            comment: e.comment,
        },
        None => {
            return Err(EngineError::invalid(
                "decision",
                "required",
                "one of approve, reject, regenerate or edit is required",
            )
            .into());
        }
    };
    Ok(DecideCommand {
        draft_id: r.draft_id,
        decision_id: r.decision_id,
        action,
    })
}

fn diff_to_pb(segs: &[DiffSegment]) -> Vec<pb::DiffSegment> {
    segs.iter()
        .map(|s| pb::DiffSegment {
            op: match s.op {
                DiffOp::Equal => pb::DiffOp::Equal,
                DiffOp::Insert => pb::DiffOp::Insert,
                DiffOp::Delete => pb::DiffOp::Delete,
            } as i32,
            text: s.text.clone(),
        })
        .collect()
}

fn text_diff_to_pb(d: &TextDiff) -> pb::TextDiff {
    pb::TextDiff {
        subject: diff_to_pb(&d.subject),
        body: diff_to_pb(&d.body),
    }
}

fn decision_to_pb(d: &Decision) -> pb::Decision {
    pb::Decision {
        decision_id: d.decision_id.clone(),
        draft_id: d.draft_id.clone(),
        kind: match d.kind {
            DecisionKind::Approve => pb::DecisionKind::Approve,
            DecisionKind::Reject => pb::DecisionKind::Reject,
            DecisionKind::Regenerate => pb::DecisionKind::Regenerate,
            DecisionKind::Edit => pb::DecisionKind::Edit,
        } as i32,
        reviewer: d.reviewer.clone(),
        decided_at: d.decided_at.clone(),
        reason_code: d.reason_code.clone(),
        comment: d.comment.clone(),
        instruction: d.instruction.clone(),
        result_draft_id: d.result_draft_id.clone(),
        edit_diff: d.edit_diff.as_ref().map(text_diff_to_pb),
    }
}

fn span_to_pb(s: &Span, text: &crate::model::DraftText) -> pb::Span {
    let part = text.part(s.part);
    let chars = |b: usize| part.get(..b).map(|p| p.chars().count()).unwrap_or(0) as u32;
    pb::Span {
        part: match s.part {
            TextPart::Subject => "subject",
            TextPart::Body => "body",
        }
        .into(),
        start: s.start as u32,
        end: s.end as u32,
        char_start: chars(s.start),
        char_end: chars(s.end),
    }
}

fn claim_to_pb(c: &Claim, text: &crate::model::DraftText) -> pb::Claim {
    pb::Claim {
        text: c.text.clone(),
        span: c.span.as_ref().map(|s| span_to_pb(s, text)),
        source_kind: c.source_kind.clone(),
        source_id: c.source_id.clone(),
        source_text: c.source_text.clone(),
        source_url: c.source_url.clone(),
        supported: c.supported,
    }
}

fn view_to_pb(v: &DraftView) -> pb::ReviewDraft {
    pb::ReviewDraft {
        draft: Some(draft_to_pb(&v.draft)),
        brief: v.brief.as_ref().map(brief_to_pb),
        variables: v
            .variables
            .iter()
            .map(|x| pb::BriefVariable {
                name: x.name.clone(),
                value: x.value.clone(),
            })
            .collect(),
        claims: v
            .claims
            .iter()
            .map(|c| claim_to_pb(c, &v.draft.text))
            .collect(),
        sources: v
            .sources
            .iter()
            .map(|s| pb::Source {
                kind: s.kind.clone(),
                id: s.id.clone(),
                text: s.text.clone(),
                url: s.url.clone(),
            })
            .collect(),
        items: v
            .items
            .iter()
            .map(|i| pb::ItemVersion {
                kind: i.kind.as_str().into(),
                id: i.id.clone(),
                version: i.version.clone(),
            })
            .collect(),
        baseline: v.baseline.as_ref().map(|b| pb::Baseline {
            draft_id: b.draft_id.clone(),
            released_at: b.released_at.clone(),
            account_id: b.account_id.clone(),
            diff: Some(text_diff_to_pb(&b.diff)),
        }),
        history: v.history.iter().map(decision_to_pb).collect(),
        reject_reasons: v
            .reject_reasons
            .iter()
            .map(|r| pb::RejectReason {
                code: r.code.into(),
                label: r.label.into(),
                check: r.check.into(),
            })
            .collect(),
    }
}

fn event_to_pb(e: &ReleaseEvent) -> pb::ReleaseEvent {
    pb::ReleaseEvent {
        seq: e.seq,
        kind: match e.kind {
            ReleaseKind::AutoSent => pb::ReleaseKind::AutoSent,
            ReleaseKind::Approved => pb::ReleaseKind::Approved,
            ReleaseKind::Erased => pb::ReleaseKind::Erased,
        } as i32,
        draft: Some(draft_to_pb(&e.draft)),
        reviewer: e.reviewer.clone(),
        decision_id: e.decision_id.clone(),
        released_at: e.released_at.clone(),
    }
}

fn stats_to_pb(s: &ReviewStats) -> pb::ReviewStats {
    pb::ReviewStats {
        approved: s.approved,
        rejected: s.rejected,
        regenerated: s.regenerated,
        edited: s.edited,
        misses: s.misses,
        false_alarms: s.false_alarms,
        checks: s
            .checks
            .iter()
            .map(|c| pb::CheckStats {
                check: c.check.clone(),
                flagged: c.flagged,
                true_positives: c.true_positives,
                false_positives: c.false_positives,
                misses: c.misses,
                precision: c.precision,
                recall: c.recall,
            })
            .collect(),
        rules: s
            .rules
            .iter()
            .map(|r| pb::RuleStats {
                check: r.check.clone(),
                rule_id: r.rule_id.clone(),
                fired: r.fired,
                true_positives: r.true_positives,
                false_positives: r.false_positives,
                rejected_for_check: r.rejected_for_check,
                precision: r.precision,
                recall: r.recall,
            })
            .collect(),
    }
}

fn counts(v: &[(String, u32)]) -> Vec<pb::Count> {
    v.iter()
        .map(|(k, c)| pb::Count {
            key: k.clone(),
            count: *c,
        })
        .collect()
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::ReleaseEvent, Status>> + Send>>;

#[tonic::async_trait]
impl Review for ReviewService {
    async fn list_queue(
        &self,
        request: Request<pb::ListQueueRequest>,
    ) -> Result<Response<pb::ListQueueResponse>, Status> {
        let (_, tenant) = self.reviewer(&request)?;
        let req = request.into_inner();
        let filter = filter_from_pb(&req)?;
        let page = self
            .desk
            .queue(&tenant, &filter, req.page_size as usize, &req.page_token)?;
        Ok(Response::new(pb::ListQueueResponse {
            items: page
                .items
                .iter()
                .map(|i| pb::QueueItem {
                    draft_id: i.entry.draft_id.clone(),
                    account_id: i.entry.account_id.clone(),
                    account_name: i.entry.account_name.clone(),
                    channel: super::convert::channel_to_pb(i.entry.channel) as i32,
                    tier: i.entry.tier,
                    reasons: i.entry.reasons.clone(),
                    checks: i.entry.checks.iter().map(|c| c.as_str().into()).collect(),
                    finding_count: i.entry.finding_count,
                    blocking_count: i.entry.blocking_count,
                    created_at: i.entry.created_at.clone(),
                    age_seconds: i.age_seconds,
                    version: i.entry.version,
                    preview: i.entry.preview.clone(),
                })
                .collect(),
            next_page_token: page.next_page_token,
            total: page.total,
            reason_counts: counts(&page.reason_counts),
            check_counts: counts(&page.check_counts),
        }))
    }

    async fn get_draft(
        &self,
        request: Request<pb::GetReviewDraftRequest>,
    ) -> Result<Response<pb::ReviewDraft>, Status> {
        let (_, tenant) = self.reviewer(&request)?;
        let id = request.into_inner().draft_id;
        if id.is_empty() {
            return Err(EngineError::invalid("draft_id", "required", "is required").into());
        }
        let view = self.desk.draft_view(&tenant, &id)?;
        Ok(Response::new(view_to_pb(&view)))
    }

    async fn decide(
        &self,
        request: Request<pb::DecideRequest>,
    ) -> Result<Response<pb::DecideResponse>, Status> {
        let (reviewer, tenant) = self.reviewer(&request)?;
        let req = request.into_inner();
        let draft_id = req.draft_id.clone();
        let desk = self.desk.clone();
        let cmd = decide_from_pb(req, || {
            Ok(desk.engine().get_draft(&tenant, &draft_id)?.channel)
        })?;
        let out = self.desk.decide(&tenant, &reviewer, cmd).await?;
        Ok(Response::new(pb::DecideResponse {
            decision: Some(decision_to_pb(&out.decision)),
            draft: Some(draft_to_pb(&out.draft)),
            new_draft: out.new_draft.as_ref().map(draft_to_pb),
            replayed: out.replayed,
        }))
    }

    type WatchDecisionsStream = WatchStream;

    async fn watch_decisions(
        &self,
        request: Request<pb::WatchDecisionsRequest>,
    ) -> Result<Response<Self::WatchDecisionsStream>, Status> {
        let (_, tenant) = self.reviewer(&request)?;
        let after = request.into_inner().after_seq;
        let rx = self.desk.watch(&tenant, after)?;
        let stream = ReceiverStream::new(rx).map(|r| match r {
            Ok(ev) => Ok(event_to_pb(&ev)),
            Err(e) => Err(Status::from(e)),
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_review_stats(
        &self,
        request: Request<pb::GetReviewStatsRequest>,
    ) -> Result<Response<pb::ReviewStats>, Status> {
        let (_, tenant) = self.reviewer(&request)?;
        Ok(Response::new(stats_to_pb(&self.desk.stats(&tenant)?)))
    }
}

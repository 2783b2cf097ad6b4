//! `proofline.v1.Personalization`: handlers validate, call the engine, convert.

use super::convert::*;
use super::pb;
use super::pb::personalization_server::Personalization;
use super::{authorize, deadline_of};
use crate::auth::Scope;
use crate::engine::{Engine, EngineError, GenerateCommand, Selector};
use futures::StreamExt;
use std::pin::Pin;
use std::sync::Arc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

pub struct PersonalizationService {
    pub engine: Arc<Engine>,
    /// Batch items in flight at once per stream.
    pub batch_concurrency: usize,
}

fn command(
    who: &crate::auth::Principal,
    req: pb::GenerateRequest,
    deadline: Option<tokio::time::Instant>,
) -> Result<GenerateCommand, EngineError> {
    Ok(GenerateCommand {
        tenant: who.tenant.clone(),
        actor: who.client.clone(),
        request_id: if req.request_id.is_empty() {
            ulid::Ulid::new().to_string()
        } else {
            req.request_id
        },
        brief: brief_from_pb(req.brief)?,
        channels: channels_from_pb(&req.channels)?,
        idempotency_key: (!req.idempotency_key.is_empty()).then_some(req.idempotency_key),
        selector: Selector {
            version: (!req.prompt_version.is_empty()).then_some(req.prompt_version),
            label: (!req.prompt_label.is_empty()).then_some(req.prompt_label),
        },
        deadline,
    })
}

fn response(o: crate::engine::GenerateOutcome) -> pb::GenerateResponse {
    pb::GenerateResponse {
        request_id: o.request_id,
        drafts: o.drafts.iter().map(draft_to_pb).collect(),
        replayed: o.replayed,
        suppressed: o.suppressed.map(|s| pb::Suppression {
            reason: s.reason,
            earlier_draft_ids: s.earlier_draft_ids,
            until: s.until.to_rfc3339(),
        }),
    }
}

type BatchStream =
    Pin<Box<dyn futures::Stream<Item = Result<pb::GenerateBatchResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Personalization for PersonalizationService {
    async fn generate(
        &self,
        request: Request<pb::GenerateRequest>,
    ) -> Result<Response<pb::GenerateResponse>, Status> {
        let who = authorize(&request, Scope::Generate)?;
        let deadline = deadline_of(&request);
        // The generation's audit entries are written in its transaction.
        let cmd = command(&who, request.into_inner(), deadline)?;
        let outcome = self.engine.generate(cmd).await?;
        Ok(Response::new(response(outcome)))
    }

    type GenerateBatchStream = BatchStream;

    async fn generate_batch(
        &self,
        request: Request<Streaming<pb::GenerateRequest>>,
    ) -> Result<Response<Self::GenerateBatchStream>, Status> {
        let who = authorize(&request, Scope::Generate)?;
        let deadline = deadline_of(&request);
        let engine = self.engine.clone();
        let input = request.into_inner();
        // Ordered, bounded concurrency: at most `batch_concurrency` items run at
        // once, responses come back in request order, and the bounded output
        // channel pushes back on the input when the client reads slowly.
        let (tx, rx) = tokio::sync::mpsc::channel(self.batch_concurrency);
        let concurrency = self.batch_concurrency;
        tokio::spawn(async move {
            let mut results = input
                .map(move |item| {
                    let engine = engine.clone();
                    let who = who.clone();
                    async move {
                        let item = match item {
                            Ok(i) => i,
                            Err(status) => return Err(status),
                        };
                        let request_id = if item.request_id.is_empty() {
                            ulid::Ulid::new().to_string()
                        } else {
                            item.request_id.clone()
                        };
                        let mut item = item;
                        item.request_id = request_id.clone();
                        let result = match command(&who, item, deadline) {
                            Ok(cmd) => engine.generate(cmd).await,
                            Err(e) => Err(e),
                        };
                        Ok(match result {
                            Ok(o) => pb::GenerateBatchResponse {
                                request_id,
                                result: Some(pb::generate_batch_response::Result::Response(
                                    response(o),
                                )),
                            },
                            Err(e) => {
                                let field = match &e {
                                    EngineError::InvalidInput { violations } => violations
                                        .first()
                                        .map(|v| v.field.clone())
                                        .unwrap_or_default(),
                                    _ => String::new(),
                                };
                                let status = Status::from(e);
                                pb::GenerateBatchResponse {
                                    request_id,
                                    result: Some(pb::generate_batch_response::Result::Error(
                                        pb::BatchItemError {
                                            code: format!("{:?}", status.code()),
                                            message: status.message().to_string(),
                                            field,
                                        },
                                    )),
                                }
                            }
                        })
                    }
                })
                .buffered(concurrency);
            while let Some(r) = results.next().await {
                let stop = r.is_err();
                if tx.send(r).await.is_err() || stop {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn check_draft(
        &self,
        request: Request<pb::CheckDraftRequest>,
    ) -> Result<Response<pb::CheckDraftResponse>, Status> {
        authorize(&request, Scope::Generate)?;
        let req = request.into_inner();
        let channel = channel_from_pb(req.channel, "channel")?;
        let brief = brief_from_pb(req.brief)?;
        let text = draft_text_from_pb(req.draft, channel);
        let result = self.engine.check_draft(
            &brief,
            channel,
            &text,
            proofs_from_pb(req.proofs),
            &req.competitors,
        )?;
        let mut flagged: Vec<String> = result
            .findings
            .iter()
            .filter(|f| f.is_blocking())
            .map(|f| f.check.as_str().to_string())
            .collect();
        flagged.sort();
        flagged.dedup();
        Ok(Response::new(pb::CheckDraftResponse {
            findings: result
                .findings
                .iter()
                .map(|f| finding_to_pb(f, &text))
                .collect(),
            flagged_checks: flagged,
            route: route_to_pb(result.route) as i32,
            reasons: reasons_to_pb(&result.reasons),
        }))
    }

    async fn get_draft(
        &self,
        request: Request<pb::GetDraftRequest>,
    ) -> Result<Response<pb::Draft>, Status> {
        let who = authorize(&request, Scope::Generate)?;
        let id = request.into_inner().draft_id;
        if id.is_empty() {
            return Err(EngineError::invalid("draft_id", "required", "is required").into());
        }
        let draft = self.engine.get_draft(&who.tenant, &id)?;
        Ok(Response::new(draft_to_pb(&draft)))
    }
}

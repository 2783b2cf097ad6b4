//! `proofline.v1.Library`: what library is running, and reloading it.

use super::pb;
use crate::app::Reloader;
use crate::library::item::Risk;
use std::sync::Arc;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

pub struct LibraryService {
    pub reloader: Arc<Reloader>,
}

fn risk_str(r: Risk) -> &'static str {
    match r {
        Risk::Low => "low",
        Risk::Medium => "medium",
        Risk::High => "high",
    }
}

/// A failed reload: FAILED_PRECONDITION, every error on its own line of the
/// message and as one PreconditionFailure violation (type "library", subject
/// the `path:line:col` or file it names).
pub fn reload_failed(errors: &[String]) -> Status {
    let mut details = ErrorDetails::new();
    for e in errors {
        let subject = e.split(": ").next().unwrap_or_default().to_string();
        details.add_precondition_failure_violation("library", subject, e.clone());
    }
    Status::with_error_details(
        Code::FailedPrecondition,
        format!(
            "the library failed to load ({} error(s)); the running library is unchanged:\n{}",
            errors.len(),
            errors.join("\n")
        ),
        details,
    )
}

#[tonic::async_trait]
impl pb::library_server::Library for LibraryService {
    async fn get_library(
        &self,
        req: Request<pb::GetLibraryRequest>,
    ) -> Result<Response<pb::GetLibraryResponse>, Status> {
        super::authorize_any(&req, &[])?;
        let snap = self.reloader.engine().snapshot();
        let lib = &snap.library;
        let items = lib
            .items()
            .map(|(kind, m)| pb::LibraryItem {
                kind: kind.as_str().to_string(),
                id: m.id.clone(),
                version: m.version.clone(),
                labels: m.labels.clone(),
                owner: m.owner.clone(),
                risk: risk_str(m.risk).to_string(),
                expires: m.expires.map(|d| d.to_string()).unwrap_or_default(),
                last_reviewed: m.last_reviewed.to_string(),
            })
            .collect();
        Ok(Response::new(pb::GetLibraryResponse {
            commit: lib.commit().to_string(),
            loaded_at: lib.loaded_at().to_rfc3339(),
            fingerprint: lib.fingerprint().to_string(),
            items,
        }))
    }

    async fn reload_library(
        &self,
        req: Request<pb::ReloadLibraryRequest>,
    ) -> Result<Response<pb::ReloadLibraryResponse>, Status> {
        let who = super::authorize(&req, crate::auth::Scope::Admin)?;
        let result = self.reloader.reload_as(&who.client, &who.tenant).await;
        match result {
            Ok(r) => Ok(Response::new(pb::ReloadLibraryResponse {
                changed: r.changed(),
                commit: r.commit,
                fingerprint: r.fingerprint,
                loaded_at: r.loaded_at,
                previous_commit: r.previous_commit,
                previous_fingerprint: r.previous_fingerprint,
                items: u32::try_from(r.items).unwrap_or(u32::MAX),
            })),
            Err(errors) => Err(reload_failed(&errors)),
        }
    }
}

//! The reviewers' web console on the HTTP port: three embedded assets (no
//! CDN, no external fonts) and a small JSON API over the review desk.
//!
//! Access needs a reviewer token, sent by the page as
//! `authorization: Bearer <token>` on every API call; the page keeps it in
//! the tab's session storage. Text from briefs and models is never turned
//! into markup: the page renders it with `textContent` only, and the
//! Content-Security-Policy forbids inline script and every other origin.

use crate::engine::EngineError;
use crate::model::{Channel, CheckKind, DraftText};
use crate::review::desk::DecideAction;
use crate::review::queue::QueueFilter;
use crate::review::{DecideCommand, Desk, ReviewError};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

pub fn router(desk: Arc<Desk>) -> Router {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(index))
        .route("/console/app.js", get(app_js))
        .route("/console/app.css", get(app_css))
        .route("/console/api/me", get(me))
        .route("/console/api/queue", get(queue))
        .route("/console/api/stats", get(stats))
        .route("/console/api/drafts/{id}", get(draft))
        .route("/console/api/drafts/{id}/decide", post(decide))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(desk)
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// An API error as JSON: `{"error": "...", "code": "..."}`.
struct ApiError(ReviewError);

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        ApiError(e)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        ApiError(ReviewError::Engine(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self.0 {
            ReviewError::Unauthenticated(e) if e.is_forbidden() => {
                (StatusCode::FORBIDDEN, "permission_denied")
            }
            ReviewError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ReviewError::NotPending { .. } => (StatusCode::CONFLICT, "not_pending"),
            ReviewError::DecisionIdReused { .. } => (StatusCode::CONFLICT, "decision_id_reused"),
            ReviewError::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ReviewError::Engine(EngineError::InvalidInput { .. }) => {
                (StatusCode::BAD_REQUEST, "invalid_argument")
            }
            ReviewError::Engine(EngineError::NotFound { .. }) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            ReviewError::Engine(EngineError::Conflict { .. }) => {
                (StatusCode::CONFLICT, "failed_precondition")
            }
            ReviewError::Engine(EngineError::DeadlineExceeded { .. }) => {
                (StatusCode::GATEWAY_TIMEOUT, "deadline_exceeded")
            }
            ReviewError::Engine(EngineError::Generation { .. }) => {
                (StatusCode::BAD_GATEWAY, "generation_failed")
            }
            ReviewError::Engine(_) | ReviewError::Store(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let mut res = (
            status,
            Json(serde_json::json!({ "error": self.0.to_string(), "code": code })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"proofline-review\""),
            );
        }
        res
    }
}

/// The signed-in reviewer: a client with the `review` scope. The console acts
/// only for that client's tenant.
fn reviewer(desk: &Desk, headers: &HeaderMap) -> Result<crate::auth::Principal, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    Ok(desk.authenticate(value)?)
}

async fn me(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let r = reviewer(&desk, &headers)?;
    Ok(Json(serde_json::json!({
        "reviewer": r.client,
        "tenant": r.tenant,
        "reject_reasons": crate::review::view::reject_reasons(),
    }))
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct QueueParams {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    check: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    tier: Option<u32>,
    #[serde(default)]
    account: String,
    #[serde(default)]
    min_age: Option<u64>,
    #[serde(default)]
    max_age: Option<u64>,
    #[serde(default)]
    page_size: Option<usize>,
    #[serde(default)]
    page_token: String,
}

fn filter(p: &QueueParams) -> Result<QueueFilter, EngineError> {
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    Ok(QueueFilter {
        reason_code: non_empty(&p.reason),
        check: match p.check.as_str() {
            "" => None,
            c => Some(CheckKind::parse(c).ok_or_else(|| {
                EngineError::invalid("check", "enum", format!("'{c}' is not a check"))
            })?),
        },
        channel: match p.channel.as_str() {
            "" => None,
            c => Some(Channel::parse(c).ok_or_else(|| {
                EngineError::invalid("channel", "enum", format!("'{c}' is not a channel"))
            })?),
        },
        tier: p.tier.filter(|t| *t > 0),
        account_id: non_empty(&p.account),
        min_age_seconds: p.min_age.filter(|a| *a > 0),
        max_age_seconds: p.max_age.filter(|a| *a > 0),
    })
}

async fn queue(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Query(p): Query<QueueParams>,
) -> Result<Response, ApiError> {
    let who = reviewer(&desk, &headers)?;
    let f = filter(&p)?;
    let page = desk.queue(&who.tenant, &f, p.page_size.unwrap_or(0), &p.page_token)?;
    Ok(Json(page).into_response())
}

async fn draft(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let who = reviewer(&desk, &headers)?;
    Ok(Json(desk.draft_view(&who.tenant, &id)?).into_response())
}

async fn stats(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let who = reviewer(&desk, &headers)?;
    Ok(Json(desk.stats(&who.tenant)?).into_response())
}

#[derive(Debug, Deserialize)]
struct DecideBody {
    #[serde(default)]
    decision_id: String,
    /// approve, reject, regenerate or edit.
    action: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    instruction: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    body: String,
}

async fn decide(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(b): Json<DecideBody>,
) -> Result<Response, ApiError> {
    let who = reviewer(&desk, &headers)?;
    let action = match b.action.as_str() {
        "approve" => DecideAction::Approve { comment: b.comment },
        "reject" => DecideAction::Reject {
            reason_code: b.reason_code,
            comment: b.comment,
        },
        "regenerate" => DecideAction::Regenerate {
            instruction: b.instruction,
        },
        "edit" => DecideAction::Edit {
            text: DraftText {
                subject: b.subject,
                body: b.body,
            },
            comment: b.comment,
        },
        other => {
            return Err(EngineError::invalid(
                "action",
                "enum",
                format!("'{other}' is not one of approve, reject, regenerate, edit"),
            )
            .into());
        }
    };
    let out = desk
        .decide(
            &who.tenant,
            &crate::review::Reviewer::from(&who),
            DecideCommand {
                draft_id: id,
                decision_id: b.decision_id,
                action,
            },
        )
        .await?;
    Ok(Json(out).into_response())
}

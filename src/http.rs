//! The HTTP port: /healthz, Prometheus /metrics, the console, the
//! performance page and the landing-page preview; plaintext or TLS
//! (`[server.tls]`, see `tls`).

use crate::auth::{Authenticator, Scope};
use crate::engine::Engine;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub fn router(
    engine: Arc<Engine>,
    desk: Arc<crate::review::Desk>,
    auth: Arc<Authenticator>,
) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(engine)
        // Outcomes (issue 7): bearer token with the review or admin scope;
        // the caller's tenant only.
        .merge(
            Router::new()
                .route("/performance", get(performance_page))
                .route("/performance.svg", get(performance_svg))
                .with_state(desk.clone()),
        )
        // The landing-page preview: generate or review scope, own tenant.
        .merge(
            Router::new()
                .route("/drafts/{draft_id}/landing.html", get(landing_page))
                .with_state(LandingState {
                    desk: desk.clone(),
                    auth,
                }),
        )
        .merge(crate::console::router(desk))
}

async fn healthz(State(engine): State<Arc<Engine>>) -> impl IntoResponse {
    let snap = engine.snapshot();
    axum::Json(serde_json::json!({
        "status": "ok",
        "library_commit": snap.library.commit(),
        "library_loaded_at": snap.loaded_at,
    }))
}

async fn metrics(State(engine): State<Arc<Engine>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        engine.metrics().encode(engine.llm_stats().as_ref()),
    )
}

// --- Outcomes (issue 7): the performance page and its chart. ---

#[derive(serde::Deserialize)]
struct PerformanceQuery {
    /// A grouping (prompt_version, channel, persona, stage, trigger_kind, cta,
    /// opener, proof, experiment_arm). Default: prompt_version.
    by: Option<String>,
    experiment: Option<String>,
    channel: Option<String>,
    /// Comma-separated metrics for the SVG. Default: the page's four.
    metrics: Option<String>,
}

type Page = (
    axum::http::StatusCode,
    [(header::HeaderName, &'static str); 1],
    String,
);

fn plain(status: axum::http::StatusCode, msg: String) -> Page {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
}

/// The caller's tenant, for a token with the review or admin scope.
fn performance_tenant(desk: &crate::review::Desk, headers: &HeaderMap) -> Result<String, Page> {
    let value = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    desk.authorize_any(value, &[Scope::Review, Scope::Admin])
        .map(|p| p.tenant)
        .map_err(|e| {
            let status = if e.is_forbidden() {
                axum::http::StatusCode::FORBIDDEN
            } else {
                axum::http::StatusCode::UNAUTHORIZED
            };
            plain(status, e.to_string())
        })
}

fn performance_of(
    engine: &Engine,
    tenant: &str,
    q: &PerformanceQuery,
) -> Result<crate::outcomes::aggregate::Performance, Page> {
    use crate::outcomes::aggregate::{Filter, GroupBy};
    let bad = |m: String| plain(axum::http::StatusCode::BAD_REQUEST, m);
    let by = match q.by.as_deref().filter(|s| !s.is_empty()) {
        None => GroupBy::PromptVersion,
        Some(s) => GroupBy::parse(s).ok_or_else(|| bad(format!("by: unknown grouping '{s}'")))?,
    };
    let channel = match q.channel.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            crate::model::Channel::parse(s)
                .ok_or_else(|| bad(format!("channel: unknown channel '{s}'")))?,
        ),
    };
    let filter = Filter {
        experiment: q.experiment.clone().filter(|s| !s.is_empty()),
        channel,
        ..Filter::default()
    };
    crate::outcomes::Ledger::new(engine.store().clone(), engine.experiments())
        .performance(tenant, by, &filter)
        .map_err(|e| plain(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn performance_page(
    State(desk): State<Arc<crate::review::Desk>>,
    headers: HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    axum::extract::Query(q): axum::extract::Query<PerformanceQuery>,
) -> Page {
    let tenant = match performance_tenant(&desk, &headers) {
        Ok(t) => t,
        Err(page) => return page,
    };
    let engine = desk.engine();
    let perf = match performance_of(engine, &tenant, &q) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let ledger = crate::outcomes::Ledger::new(engine.store().clone(), engine.experiments());
    let lift = engine.experiments().active.as_ref().and_then(|e| {
        ledger
            .lift(&tenant, &e.name, None, None, None, &Default::default())
            .ok()
    });
    (
        axum::http::StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        crate::outcomes::page::render(&perf, lift.as_ref(), raw.as_deref().unwrap_or("")),
    )
}

async fn performance_svg(
    State(desk): State<Arc<crate::review::Desk>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PerformanceQuery>,
) -> Page {
    use crate::outcomes::aggregate::Metric;
    let tenant = match performance_tenant(&desk, &headers) {
        Ok(t) => t,
        Err(page) => return page,
    };
    let perf = match performance_of(desk.engine(), &tenant, &q) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let metrics = match q.metrics.as_deref().filter(|s| !s.is_empty()) {
        None => crate::outcomes::page::CHARTED.to_vec(),
        Some(list) => match list
            .split(',')
            .map(|m| Metric::parse(m.trim()).ok_or(m))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(v) => v,
            Err(m) => {
                return plain(
                    axum::http::StatusCode::BAD_REQUEST,
                    format!("metrics: unknown metric '{m}'"),
                );
            }
        },
    };
    (
        axum::http::StatusCode::OK,
        [(header::CONTENT_TYPE, "image/svg+xml")],
        crate::outcomes::svg::chart(&perf, &metrics),
    )
}

// --- The landing-page preview. ---

#[derive(Clone)]
struct LandingState {
    desk: Arc<crate::review::Desk>,
    auth: Arc<Authenticator>,
}

/// Headers on every landing-page response: no script, no other origin, no
/// framing, no sniffing, no caching.
const LANDING_HEADERS: [(header::HeaderName, &str); 6] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
];

fn landing_response(status: axum::http::StatusCode, html: bool, body: String) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    for (name, value) in LANDING_HEADERS {
        h.insert(name, HeaderValue::from_static(value));
    }
    if html {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    if status == axum::http::StatusCode::UNAUTHORIZED {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"proofline\""),
        );
    }
    res
}

/// `GET /drafts/{draft_id}/landing.html`: a landing_page draft of the
/// caller's tenant as a standalone page (`landing::render`, every text node
/// escaped). Bearer token with the generate or review scope; another
/// tenant's draft, an unknown id or a draft of another channel → 404.
async fn landing_page(
    State(s): State<LandingState>,
    headers: HeaderMap,
    Path(draft_id): Path<String>,
) -> Response {
    use axum::http::StatusCode;
    let value = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    let engine = s.desk.engine();
    let principal = match s
        .auth
        .authorize_any(value, &[Scope::Generate, Scope::Review])
    {
        Ok(p) => p,
        Err(e) => {
            s.desk.audit_auth_failure(&e, "generate or review");
            let status = if e.is_forbidden() {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            return landing_response(status, false, e.to_string());
        }
    };
    let draft = match engine.get_draft(&principal.tenant, &draft_id) {
        Ok(d) => d,
        Err(crate::engine::EngineError::NotFound { .. }) => {
            return landing_response(
                StatusCode::NOT_FOUND,
                false,
                "no such draft for your tenant".into(),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "landing page: reading the draft failed");
            return landing_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                false,
                "could not read the draft".into(),
            );
        }
    };
    if draft.channel != crate::model::Channel::LandingPage {
        return landing_response(
            StatusCode::NOT_FOUND,
            false,
            format!(
                "this is a {} draft; only landing_page drafts have a landing page",
                draft.channel
            ),
        );
    }
    match crate::landing::render(&draft.draft_id, &draft.text.body) {
        Ok(html) => landing_response(StatusCode::OK, true, html),
        Err(e) => {
            tracing::error!(error = %e, "landing page: rendering failed");
            landing_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                false,
                "could not render the landing page".into(),
            )
        }
    }
}

/// The HTTP port's listener: plaintext, or TLS (`[server.tls]`).
pub enum HttpListener {
    Plain(TcpListener),
    Tls(crate::tls::TlsListener),
}

/// Serve until `shutdown` resolves, then drain open connections.
pub async fn serve(
    listener: HttpListener,
    engine: Arc<Engine>,
    desk: Arc<crate::review::Desk>,
    auth: Arc<Authenticator>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(engine, desk, auth);
    match listener {
        HttpListener::Plain(l) => axum::serve(l, app).with_graceful_shutdown(shutdown).await,
        HttpListener::Tls(l) => {
            // Over TLS, tell browsers (the console) to stay on https.
            let app = app.layer(axum::middleware::map_response(
                |mut r: axum::response::Response| async move {
                    r.headers_mut().insert(
                        header::STRICT_TRANSPORT_SECURITY,
                        header::HeaderValue::from_static("max-age=31536000"),
                    );
                    r
                },
            ));
            axum::serve(l, app).with_graceful_shutdown(shutdown).await
        }
    }
}

//! The HTTP port: /healthz, Prometheus /metrics (and later the console).

use crate::engine::Engine;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub fn router(engine: Arc<Engine>, desk: Arc<crate::review::Desk>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(engine)
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
        engine.metrics().encode(),
    )
}

pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    desk: Arc<crate::review::Desk>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(engine, desk))
        .with_graceful_shutdown(shutdown)
        .await
}

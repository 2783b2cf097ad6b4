//! Wiring: build the engine from configuration and run both ports.

use crate::config::Config;
use crate::engine::{Engine, Generator, Snapshot};
use crate::library::Library;
use crate::metrics::Metrics;
use crate::store::Store;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Resolve the library setting: "" = `.` when it holds a library, else the
/// embedded one; "bundled" = the embedded one; anything else = that directory,
/// which must load cleanly.
pub fn load_library(spec: &str) -> Result<Library, Vec<String>> {
    let errors = |errs: Vec<crate::library::LoadError>| {
        errs.into_iter().map(|e| e.to_string()).collect::<Vec<_>>()
    };
    match spec {
        "bundled" => Ok(Library::bundled()),
        "" => {
            if Path::new("prompts").is_dir() && Path::new("policies").is_dir() {
                Library::load(Path::new(".")).map_err(errors)
            } else {
                tracing::info!("no library in the current directory; using the embedded library");
                Ok(Library::bundled())
            }
        }
        dir => Library::load(Path::new(dir)).map_err(errors),
    }
}

/// Build an engine over `store` with the configured library and generator.
pub fn build_engine(cfg: &Config, store: Store) -> Result<Engine, Vec<String>> {
    let library = load_library(&cfg.server.library)?;
    let snapshot = Snapshot::build(library)?;
    Ok(Engine::new(
        snapshot,
        store,
        Generator::Offline,
        Arc::new(Metrics::new()),
    ))
}

/// A running server's ports.
pub struct Listeners {
    pub grpc: TcpListener,
    pub http: TcpListener,
}

/// Run gRPC and HTTP until `shutdown` resolves, then drain both.
pub async fn run(
    engine: Arc<Engine>,
    listeners: Listeners,
    batch_concurrency: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let grpc = tokio::spawn(crate::grpc::serve(
        listeners.grpc,
        engine.clone(),
        batch_concurrency,
        wait(rx.clone()),
    ));
    let http = tokio::spawn(crate::http::serve(listeners.http, engine.clone(), wait(rx)));
    shutdown.await;
    tracing::info!("shutting down: draining in-flight requests");
    let _ = tx.send(true);
    grpc.await??;
    http.await??;
    engine.store().flush().await?;
    Ok(())
}

//! Wiring: build the engine from configuration and run both ports.

use crate::config::Config;
use crate::engine::{Engine, Generator, LlmGenerator, Snapshot};
use crate::library::Library;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::tls::Tls;
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
    let experiments = cfg.experiments()?;
    let generator = if cfg.llm.is_configured() {
        let g = LlmGenerator::new(cfg.llm.clone()).map_err(|e| match e {
            crate::llm::LlmError::Config { problems } => problems,
            other => vec![other.to_string()],
        })?;
        tracing::info!(
            model = %cfg.llm.model,
            base_url = %cfg.llm.resolved_base_url(),
            reasks = cfg.llm.reasks,
            "generator: llm"
        );
        Generator::Llm(Arc::new(g))
    } else {
        tracing::info!("generator: offline composer (no [llm] model configured)");
        Generator::Offline
    };
    Ok(
        Engine::new(snapshot, store, generator, Arc::new(Metrics::new()))
            .with_experiments(experiments),
    )
}

/// A running server's ports, and their TLS identity (`None`: plaintext).
pub struct Listeners {
    pub grpc: TcpListener,
    pub http: TcpListener,
    pub tls: Option<Tls>,
}

/// Load `[server.tls]` (`None`: plaintext), every problem naming its
/// setting and path, as one startup error.
pub fn load_tls(cfg: &Config) -> anyhow::Result<Option<Tls>> {
    Tls::load(&cfg.server.tls)
        .map_err(|e| anyhow::anyhow!("invalid TLS configuration:\n  {}", e.join("\n  ")))
}

/// Run gRPC and HTTP until `shutdown` resolves, then drain both; over TLS
/// on both ports when `listeners.tls` is set (see [`load_tls`]).
pub async fn run(
    engine: Arc<Engine>,
    reloader: Arc<Reloader>,
    listeners: Listeners,
    cfg: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let auth = crate::auth::Authenticator::from_config(&cfg.auth, &cfg.review);
    let tls = listeners.tls;
    if auth.is_dev() {
        let line = "!".repeat(78);
        tracing::warn!("{line}");
        tracing::warn!(
            "DEV MODE: no [auth.clients] (or [review.tokens]) configured. Every gRPC call and the \
             console accept the well-known token below, as tenant 'default' with every scope \
             (generate, review, admin). Never run like this with real data."
        );
        tracing::warn!("  authorization: Bearer {}", crate::auth::DEV_TOKEN);
        tracing::warn!("{line}");
        eprintln!(
            "WARNING: proofline DEV MODE, no clients configured: use 'authorization: Bearer {}' \
             (tenant 'default', every scope)",
            crate::auth::DEV_TOKEN
        );
    }
    let auth = Arc::new(auth);
    let desk = Arc::new(crate::review::Desk::new(engine.clone(), auth.clone()));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let (grpc_addr, http_addr) = (listeners.grpc.local_addr()?, listeners.http.local_addr()?);
    let http_listener = match &tls {
        Some(t) => crate::http::HttpListener::Tls(t.http_listener(listeners.http)?),
        None => crate::http::HttpListener::Plain(listeners.http),
    };
    let scheme = |secure: &str, plain: &str| {
        if tls.is_some() {
            secure.to_string()
        } else {
            plain.to_string()
        }
    };
    tracing::info!(
        addr = %grpc_addr,
        scheme = scheme("https (TLS)", "http (plaintext)"),
        "gRPC listening"
    );
    tracing::info!(
        addr = %http_addr,
        scheme = scheme("https (TLS)", "http (plaintext)"),
        "HTTP listening"
    );
    let grpc = tokio::spawn(crate::grpc::serve(
        listeners.grpc,
        engine.clone(),
        reloader.clone(),
        cfg.server.batch_concurrency,
        desk.clone(),
        auth.clone(),
        tls.as_ref().map(Tls::grpc),
        wait(rx.clone()),
    ));
    let sweeper = crate::retention::spawn(engine.store().clone(), &cfg.retention, wait(rx.clone()));
    let watcher = match (
        cfg.server.watch_library,
        crate::watch::library_dir(&cfg.server.library),
    ) {
        (false, _) => None,
        (true, None) => {
            tracing::warn!(
                "server.watch_library is set but the library is the embedded one; nothing to watch"
            );
            None
        }
        (true, Some(dir)) => Some(crate::watch::spawn(
            reloader,
            &dir,
            std::time::Duration::from_millis(500),
            wait(rx.clone()),
        )?),
    };
    let http = tokio::spawn(crate::http::serve(
        http_listener,
        engine.clone(),
        desk.clone(),
        auth,
        wait(rx),
    ));
    shutdown.await;
    tracing::info!("shutting down: draining in-flight requests");
    // Watch streams never end on their own; end them so draining can finish.
    desk.close();
    let _ = tx.send(true);
    grpc.await??;
    http.await??;
    for task in [sweeper, watcher].into_iter().flatten() {
        let _ = task.await;
    }
    engine.store().flush().await?;
    Ok(())
}

/// A server running inside this process (tests, benchmarks, embedding).
pub struct RunningServer {
    pub grpc: std::net::SocketAddr,
    pub http: std::net::SocketAddr,
    pub engine: Arc<Engine>,
    pub reloader: Arc<Reloader>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningServer {
    /// Build the engine from `cfg` and serve it on the configured addresses
    /// (port 0 picks a free port; read `grpc` and `http` for the real ones).
    pub async fn start(cfg: &Config) -> anyhow::Result<RunningServer> {
        let tls = load_tls(cfg)?;
        std::fs::create_dir_all(&cfg.server.data_dir)?;
        let store = Store::open(&cfg.server.data_dir)?;
        let engine = Arc::new(build_engine(cfg, store).map_err(|e| anyhow::anyhow!(e.join("\n")))?);
        let grpc = TcpListener::bind(&cfg.server.grpc_addr).await?;
        let http = TcpListener::bind(&cfg.server.http_addr).await?;
        let (grpc_addr, http_addr) = (grpc.local_addr()?, http.local_addr()?);
        let reloader = Arc::new(Reloader::new(engine.clone(), cfg.server.library.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(run(
            engine.clone(),
            reloader.clone(),
            Listeners { grpc, http, tls },
            cfg.clone(),
            async {
                let _ = rx.await;
            },
        ));
        Ok(RunningServer {
            grpc: grpc_addr,
            http: http_addr,
            engine,
            reloader,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// Stop, drain both ports and flush the store.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

/// What a successful reload swapped in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    pub commit: String,
    pub fingerprint: String,
    pub loaded_at: String,
    pub previous_commit: String,
    pub previous_fingerprint: String,
    pub items: usize,
}

impl Reloaded {
    pub fn changed(&self) -> bool {
        self.fingerprint != self.previous_fingerprint
    }
}

/// The one place the running library is replaced (SIGHUP, the
/// `Library.ReloadLibrary` RPC). Reloads are serialized.
pub struct Reloader {
    engine: Arc<Engine>,
    spec: String,
    lock: tokio::sync::Mutex<()>,
}

impl Reloader {
    /// Reloads `engine`'s library from `spec` (the `server.library` setting).
    pub fn new(engine: Arc<Engine>, spec: impl Into<String>) -> Reloader {
        Reloader {
            engine,
            spec: spec.into(),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Load the library again, build its snapshot (checks included) and swap
    /// it in. On any error nothing changes and every error is returned.
    pub async fn reload(&self) -> Result<Reloaded, Vec<String>> {
        self.reload_as("operator", "").await
    }

    /// [`Reloader::reload`] on behalf of `actor` (of `tenant`; the library
    /// is shared by all tenants), recorded in the audit log whether it
    /// succeeded or not. The entry is flushed before this returns.
    pub async fn reload_as(&self, actor: &str, tenant: &str) -> Result<Reloaded, Vec<String>> {
        let result = self.reload_inner().await;
        let details = match &result {
            Ok(r) => serde_json::json!({
                "ok": true, "commit": r.commit, "fingerprint": r.fingerprint,
                "previous_commit": r.previous_commit, "changed": r.changed(),
            }),
            Err(errors) => serde_json::json!({ "ok": false, "errors": errors }),
        };
        let rec =
            crate::store::AuditRecord::new(tenant, actor, "library_reload", "library", details);
        if let Err(e) = self.engine.store().audit(rec).await {
            // The swap (if any) has happened; say so loudly rather than
            // pretend it did not.
            tracing::error!(error = %e, "audit: could not record a library reload");
        }
        result
    }

    async fn reload_inner(&self) -> Result<Reloaded, Vec<String>> {
        let _one_at_a_time = self.lock.lock().await;
        let spec = self.spec.clone();
        let started = std::time::Instant::now();
        let built = tokio::task::spawn_blocking(move || {
            let library = load_library(&spec)?;
            Snapshot::build(library)
        })
        .await
        .map_err(|e| vec![format!("reload task failed: {e}")])?;
        let snapshot = match built {
            Ok(s) => s,
            Err(errors) => {
                tracing::warn!(
                    errors = errors.len(),
                    "library reload failed; keeping the running library:\n  {}",
                    errors.join("\n  ")
                );
                return Err(errors);
            }
        };
        let previous = self.engine.snapshot();
        let out = Reloaded {
            commit: snapshot.library.commit().to_string(),
            fingerprint: snapshot.library.fingerprint().to_string(),
            loaded_at: snapshot.library.loaded_at().to_rfc3339(),
            previous_commit: previous.library.commit().to_string(),
            previous_fingerprint: previous.library.fingerprint().to_string(),
            items: snapshot.library.items().count(),
        };
        self.engine.swap_snapshot(snapshot);
        tracing::info!(
            commit = %out.commit,
            previous = %out.previous_commit,
            changed = out.changed(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "library reloaded"
        );
        Ok(out)
    }
}

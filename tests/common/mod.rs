//! Test support: the real server, in process, on 127.0.0.1:0, with the real
//! tonic client.
#![allow(dead_code)]

use proofline::app::RunningServer;
use proofline::config::Config;
use proofline::engine::Engine;
use proofline::grpc::convert::brief_to_pb;
use proofline::grpc::pb;
use proofline::grpc::pb::personalization_client::PersonalizationClient;
use proofline::model::AccountBrief;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A channel that sends a bearer token on every call.
pub type AuthChannel = InterceptedService<Channel, proofline::grpc::Bearer>;

/// Loopback ports chosen by the OS, the repository's library, `data_dir`.
pub fn test_config(data_dir: &Path) -> Config {
    let mut cfg = Config::default();
    cfg.server.grpc_addr = "127.0.0.1:0".into();
    cfg.server.http_addr = "127.0.0.1:0".into();
    cfg.server.library = repo().display().to_string();
    cfg.server.data_dir = data_dir.to_path_buf();
    cfg.server.batch_concurrency = 4;
    cfg
}

/// Copy a directory tree (test fixtures, private copies of the library).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dst = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dst);
        } else {
            std::fs::copy(&p, &dst).unwrap();
        }
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct TestServer {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub engine: Arc<Engine>,
    /// The token `channel()` and `client()` send (the dev token by default).
    pub token: String,
    inner: RunningServer,
}

impl TestServer {
    /// Start on `data_dir` with the repository's library.
    pub async fn start(data_dir: &Path) -> TestServer {
        Self::start_with(test_config(data_dir)).await
    }

    pub async fn start_with(cfg: Config) -> TestServer {
        Self::start_with_token(cfg, proofline::auth::DEV_TOKEN).await
    }

    /// Start with `cfg`; `channel()` sends `token`.
    pub async fn start_with_token(cfg: Config, token: &str) -> TestServer {
        let inner = RunningServer::start(&cfg).await.expect("server starts");
        TestServer {
            grpc: inner.grpc,
            http: inner.http,
            engine: inner.engine.clone(),
            token: token.to_string(),
            inner,
        }
    }

    /// A channel that sends no token.
    pub async fn raw_channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .expect("connects")
    }

    /// A channel that sends this server's token.
    pub async fn channel(&self) -> AuthChannel {
        self.channel_as(&self.token).await
    }

    /// A channel that sends `token` ("" = none).
    pub async fn channel_as(&self, token: &str) -> AuthChannel {
        InterceptedService::new(
            self.raw_channel().await,
            proofline::grpc::Bearer::new(token),
        )
    }

    pub async fn client(&self) -> PersonalizationClient<AuthChannel> {
        PersonalizationClient::new(self.channel().await)
    }

    /// Stop and wait until both ports are drained and the store is flushed.
    pub async fn stop(self) {
        self.inner.stop().await.expect("clean shutdown");
    }

    /// A plain HTTP/1.1 GET with this server's token; returns (status, body).
    pub async fn http_get(&self, path: &str) -> (u16, String) {
        self.http_get_as(path, &self.token).await
    }

    /// A plain HTTP/1.1 GET sending `token` ("" = none).
    pub async fn http_get_as(&self, path: &str, token: &str) -> (u16, String) {
        let token = (!token.is_empty()).then_some(token);
        let (status, _, body) = self.http_request("GET", path, token, None).await;
        (status, body)
    }

    /// One HTTP/1.1 request (a JSON `body` when given): (status, lower-cased
    /// head, body).
    pub async fn http_request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(self.http).await.unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.http
        );
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body.unwrap_or(""));
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8_lossy(&buf).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (
            head[9..12].parse().unwrap(),
            head.to_lowercase(),
            body.to_string(),
        )
    }
}

/// Every example brief: (file name, brief).
pub fn example_briefs() -> Vec<(String, AccountBrief)> {
    let mut v: Vec<_> = std::fs::read_dir(repo().join("examples/briefs"))
        .expect("examples/briefs exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v.into_iter()
        .map(|p| {
            let brief: AccountBrief = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().to_string(), brief)
        })
        .collect()
}

pub fn pb_brief(b: &AccountBrief) -> pb::AccountBrief {
    brief_to_pb(b)
}

/// The field paths named by an INVALID_ARGUMENT status's BadRequest details.
pub fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Configure a bearer-token client (`token` stored as its sha256).
pub fn add_client(cfg: &mut Config, name: &str, token: &str, tenant: &str, scopes: &[&str]) {
    cfg.auth.clients.insert(
        name.into(),
        proofline::config::ClientConfig {
            token_sha256: proofline::auth::sha256_hex(token),
            tenant: tenant.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        },
    );
}

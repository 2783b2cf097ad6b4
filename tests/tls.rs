//! `[server.tls]`: the real server on 127.0.0.1:0 with a self-signed
//! certificate made here (rcgen), a tonic client trusting it, reqwest over
//! https, and plaintext clients refused.

mod common;

use common::*;
use proofline::app::RunningServer;
use proofline::config::{Config, TlsConfig};
use proofline::grpc::pb;
use proofline::grpc::pb::personalization_client::PersonalizationClient;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A self-signed certificate for localhost and 127.0.0.1: (cert path, key
/// path, certificate PEM).
fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("rcgen makes a certificate");
    let (cert, key) = (
        dir.join(format!("{name}-cert.pem")),
        dir.join(format!("{name}-key.pem")),
    );
    let pem = ck.cert.pem();
    std::fs::write(&cert, &pem).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (cert, key, pem)
}

fn tls_config(data: &Path, cert: &Path, key: &Path) -> Config {
    let mut cfg = test_config(data);
    cfg.server.tls = TlsConfig {
        cert_path: cert.to_path_buf(),
        key_path: key.to_path_buf(),
    };
    cfg
}

async fn tls_channel(addr: std::net::SocketAddr, ca_pem: &str) -> Channel {
    Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(ca_pem))
                .domain_name("localhost"),
        )
        .unwrap()
        .connect()
        .await
        .expect("a TLS channel trusting the certificate connects")
}

fn fennick_request() -> pb::GenerateRequest {
    let brief = example_briefs()
        .into_iter()
        .find(|(n, _)| n == "fennick-it-director.json")
        .expect("example brief")
        .1;
    pb::GenerateRequest {
        brief: Some(pb_brief(&brief)),
        channels: vec![pb::Channel::Email as i32],
        idempotency_key: "tls-1".into(),
        ..Default::default()
    }
}

/// reqwest with rustls/ring trusting only `ca_pem`.
fn https_client(ca_pem: &str, http: std::net::SocketAddr) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .resolve("localhost", http)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn both_ports_serve_tls_and_refuse_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = self_signed(dir.path(), "server");
    let server = TestServer::start_with(tls_config(&dir.path().join("data"), &cert, &key)).await;

    // gRPC over TLS: Generate (with the dev token) and health.
    let channel = tls_channel(server.grpc, &ca).await;
    let mut client = PersonalizationClient::new(InterceptedService::new(
        channel.clone(),
        proofline::grpc::Bearer::new(proofline::auth::DEV_TOKEN),
    ));
    let resp = client
        .generate(fennick_request())
        .await
        .expect("Generate over TLS")
        .into_inner();
    assert_eq!(resp.drafts.len(), 1);
    assert!(
        !resp.drafts[0].text.as_ref().unwrap().body.is_empty(),
        "{resp:?}"
    );
    let health = HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health over TLS")
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);

    // HTTP over TLS.
    let https = https_client(&ca, server.http);
    let url = format!("https://localhost:{}/healthz", server.http.port());
    let res = https
        .get(&url)
        .send()
        .await
        .expect("GET /healthz over https");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000",
        "browsers are told to stay on https"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    // A client that does not trust the certificate is refused.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let untrusting = reqwest::Client::builder()
        .tls_certs_only(Vec::<reqwest::Certificate>::new())
        .resolve("localhost", server.http)
        .build()
        .unwrap();
    assert!(untrusting.get(&url).send().await.is_err());

    // Plaintext against the TLS ports fails: gRPC...
    let plain = async {
        let ch = Channel::from_shared(format!("http://{}", server.grpc))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(5))
            .connect()
            .await?;
        let mut c = PersonalizationClient::new(InterceptedService::new(
            ch,
            proofline::grpc::Bearer::new(proofline::auth::DEV_TOKEN),
        ));
        c.generate(fennick_request())
            .await
            .map(|_| ())
            .map_err(anyhow::Error::from)
    };
    assert!(
        plain.await.is_err(),
        "a plaintext gRPC call to the TLS port must fail"
    );
    // ...and HTTP: no HTTP response comes back to a plaintext request.
    let plain_http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("http://{}/healthz", server.http))
        .send()
        .await;
    assert!(plain_http.is_err(), "{plain_http:?}");
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(server.http).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
        assert!(
            !buf.starts_with(b"HTTP/"),
            "{:?}",
            String::from_utf8_lossy(&buf)
        );
    }

    // Graceful shutdown drains both TLS ports.
    let (grpc, http) = (server.grpc, server.http);
    tokio::time::timeout(Duration::from_secs(20), server.stop())
        .await
        .expect("stops within 20 s");
    assert!(tokio::net::TcpStream::connect(grpc).await.is_err());
    assert!(tokio::net::TcpStream::connect(http).await.is_err());
}

async fn start_error(cfg: &Config) -> String {
    match RunningServer::start(cfg).await {
        Ok(s) => {
            s.stop().await.unwrap();
            panic!("the server started");
        }
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn a_bad_certificate_or_key_stops_startup_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = self_signed(dir.path(), "a");
    let data = dir.path().join("data");

    let missing = dir.path().join("no-such-cert.pem");
    let msg = start_error(&tls_config(&data, &missing, &key)).await;
    assert!(msg.contains("server.tls.cert_path"), "{msg}");
    assert!(msg.contains(&missing.display().to_string()), "{msg}");
    assert!(!data.exists(), "nothing is opened before TLS loads");

    let missing_key = dir.path().join("no-such-key.pem");
    let msg = start_error(&tls_config(&data, &cert, &missing_key)).await;
    assert!(msg.contains("server.tls.key_path"), "{msg}");
    assert!(msg.contains("no-such-key.pem"), "{msg}");

    // A key file that holds a certificate, and a certificate with the key of
    // another one.
    let msg = start_error(&tls_config(&data, &cert, &cert)).await;
    assert!(msg.contains("server.tls.key_path"), "{msg}");
    let (_, other_key, _) = self_signed(dir.path(), "b");
    let msg = start_error(&tls_config(&data, &cert, &other_key)).await;
    assert!(msg.contains("does not fit the certificate"), "{msg}");

    // Half a pair is a configuration error, never plaintext.
    let mut cfg = tls_config(&data, &cert, &key);
    cfg.server.tls.key_path = PathBuf::new();
    let errs = cfg.validate().unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.starts_with("server.tls.key_path: required")),
        "{errs:?}"
    );
    let msg = start_error(&cfg).await;
    assert!(msg.contains("server.tls.key_path"), "{msg}");
}

/// The CLI's `--server https://…` commands trust `$PROOFLINE_CA_CERT`; without
/// it a self-signed server is refused.
#[tokio::test]
async fn the_cli_talks_to_a_tls_server_with_proofline_ca_cert() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = self_signed(dir.path(), "server");
    let server = TestServer::start_with(tls_config(&dir.path().join("data"), &cert, &key)).await;
    let brief = example_briefs().remove(0).1;
    let file = dir.path().join("briefs.jsonl");
    std::fs::write(&file, serde_json::to_string(&brief).unwrap()).unwrap();
    let url = format!("https://localhost:{}", server.grpc.port());
    let run = move |ca: Option<PathBuf>| {
        let (file, url) = (file.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_proofline"));
            cmd.args(["generate-batch", file.to_str().unwrap(), "--server", &url])
                .env_remove("PROOFLINE_CA_CERT");
            if let Some(ca) = ca {
                cmd.env("PROOFLINE_CA_CERT", ca);
            }
            cmd.output().unwrap()
        })
    };
    let ok = run(Some(cert.clone())).await.unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&ok.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["status"], "ok", "{line}");
    let refused = run(None).await.unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("connecting to https://localhost"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.stop().await;
}

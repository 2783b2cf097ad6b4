//! The Library service, hot reload and prompt pinning, against the real
//! server on loopback.

mod common;

use common::copy_dir;

use common::{TestServer, example_briefs, pb_brief, repo, test_config, violation_fields};
use proofline::grpc::pb;
use proofline::grpc::pb::library_client::LibraryClient;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tonic::Code;

/// A server over a private copy of the repository's library, which the test
/// may edit; returns (server, library dir, data dir).
async fn server_on_copy() -> (TestServer, tempfile::TempDir, tempfile::TempDir) {
    server_on_copy_with(|_| {}).await
}

/// As [`server_on_copy`], with `tweak` applied to the config first.
async fn server_on_copy_with(
    tweak: impl FnOnce(&mut proofline::config::Config),
) -> (TestServer, tempfile::TempDir, tempfile::TempDir) {
    let lib = tempfile::tempdir().unwrap();
    for d in ["prompts", "proof-library", "policies"] {
        copy_dir(&repo().join(d), &lib.path().join(d));
    }
    let data = tempfile::tempdir().unwrap();
    let mut cfg = test_config(data.path());
    cfg.server.library = lib.path().display().to_string();
    tweak(&mut cfg);
    (TestServer::start_with(cfg).await, lib, data)
}

fn email_request(version: &str, key: &str) -> pb::GenerateRequest {
    let (_, mut brief) = example_briefs().into_iter().next().unwrap();
    // One account per key: repeats of one account's play would be (rightly)
    // suppressed by its cooldown.
    brief.account_id = format!("acct-{key}");
    pb::GenerateRequest {
        brief: Some(pb_brief(&brief)),
        channels: vec![pb::Channel::Email as i32],
        prompt_version: version.into(),
        idempotency_key: key.into(),
        ..Default::default()
    }
}

fn email_prompt_version(resp: &pb::GenerateResponse) -> String {
    let d = &resp.drafts[0];
    d.lineage
        .as_ref()
        .unwrap()
        .items
        .iter()
        .find(|i| i.id == "channel.email")
        .map(|i| i.version.clone())
        .expect("lineage names the email prompt")
}

#[tokio::test]
async fn get_library_lists_items_with_versions_and_labels() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let mut lib = LibraryClient::new(server.channel().await);
    let got = lib
        .get_library(pb::GetLibraryRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(!got.commit.is_empty());
    assert!(!got.loaded_at.is_empty());
    assert_eq!(got.fingerprint.len(), 64);
    let email: Vec<_> = got
        .items
        .iter()
        .filter(|i| i.id == "channel.email")
        .collect();
    assert_eq!(email.len(), 2);
    assert_eq!(email[0].version, "1.0.0");
    assert!(email[0].labels.contains(&"production".to_string()));
    assert_eq!(email[1].version, "1.1.0");
    assert!(email[1].labels.contains(&"candidate".to_string()));
    assert_eq!(email[0].kind, "prompt");
    assert!(!email[0].owner.is_empty());
    let proof = got.items.iter().find(|i| i.kind == "proof").unwrap();
    assert!(!proof.expires.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn pinned_request_gets_the_pinned_version_also_after_a_reload() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let mut client = server.client().await;
    let mut lib = LibraryClient::new(server.channel().await);

    let prod = client
        .generate(email_request("", "prod-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(email_prompt_version(&prod), "1.0.0");
    let pinned = client
        .generate(email_request("1.1.0", "pin-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(email_prompt_version(&pinned), "1.1.0");

    lib.reload_library(pb::ReloadLibraryRequest {})
        .await
        .unwrap();

    let pinned = client
        .generate(email_request("1.1.0", "pin-2"))
        .await
        .unwrap()
        .into_inner();
    assert!(!pinned.replayed);
    assert_eq!(email_prompt_version(&pinned), "1.1.0");
    let pinned_old = client
        .generate(email_request("1.0.0", "pin-3"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(email_prompt_version(&pinned_old), "1.0.0");

    let unknown = client
        .generate(email_request("9.9.9", "pin-4"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert_eq!(violation_fields(&unknown), vec!["prompt_version"]);
    server.stop().await;
}

#[tokio::test]
async fn a_broken_reload_keeps_the_running_library_and_says_why() {
    let (server, dir, _data) = server_on_copy().await;
    let mut client = server.client().await;
    let mut lib = LibraryClient::new(server.channel().await);
    let before = lib
        .get_library(pb::GetLibraryRequest {})
        .await
        .unwrap()
        .into_inner();

    // Two defects: both are reported.
    let soft = dir.path().join("prompts/blocks/ctas/soft.toml");
    let text = std::fs::read_to_string(&soft).unwrap();
    std::fs::write(&soft, text.replace("risk = \"low\"", "risk = \"low")).unwrap();
    let email = dir.path().join("prompts/channels/email/1.1.0.toml");
    let text = std::fs::read_to_string(&email).unwrap();
    std::fs::write(
        &email,
        text.replace("version = \"1.1.0\"", "version = \"1.1\""),
    )
    .unwrap();

    let err = lib
        .reload_library(pb::ReloadLibraryRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let msg = err.message();
    assert!(msg.contains("soft.toml:7:12: toml.syntax"), "{msg}");
    assert!(msg.contains("email/1.1.0.toml"), "{msg}");
    assert!(msg.contains("the running library is unchanged"), "{msg}");

    let after = lib
        .get_library(pb::GetLibraryRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.fingerprint, before.fingerprint);
    assert_eq!(after.loaded_at, before.loaded_at);
    let still = client
        .generate(email_request("1.1.0", "after-broken"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(email_prompt_version(&still), "1.1.0");

    // soft.toml fixed, email 1.1.0 removed: the reload takes and says it
    // changed; 1.1.0 is no longer there to pin.
    std::fs::write(
        &soft,
        std::fs::read_to_string(repo().join("prompts/blocks/ctas/soft.toml")).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("prompts/channels/email/1.1.0.toml")).unwrap();
    let ok = lib
        .reload_library(pb::ReloadLibraryRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(ok.changed);
    assert_eq!(ok.previous_fingerprint, before.fingerprint);
    let gone = client
        .generate(email_request("1.1.0", "after-fixed"))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reload_under_concurrent_generate_load_fails_no_request() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let ok = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let mut client = server.client().await;
        let (ok, stop) = (ok.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let version = if n % 2 == 0 { "1.0.0" } else { "1.1.0" };
                let resp = client
                    .generate(email_request(version, &format!("load-{w}-{n}")))
                    .await
                    .unwrap_or_else(|e| panic!("request failed during reload: {e:?}"))
                    .into_inner();
                assert_eq!(email_prompt_version(&resp), version);
                ok.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    let mut lib = LibraryClient::new(server.channel().await);
    for _ in 0..5 {
        lib.reload_library(pb::ReloadLibraryRequest {})
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.expect("no worker saw a failed request");
    }
    assert!(ok.load(Ordering::Relaxed) > 0);
    server.stop().await;
}

/// `proofline serve` reloads on SIGHUP: the load time moves, and a broken
/// library sent by SIGHUP is refused the same way.
#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_library() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let lib = tempfile::tempdir().unwrap();
    for d in ["prompts", "proof-library", "policies"] {
        copy_dir(&repo().join(d), &lib.path().join(d));
    }
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proofline"))
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .arg("--library")
        .arg(lib.path())
        .current_dir(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let grpc = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("grpc="))
        .unwrap_or_else(|| panic!("no listening line: {line}"))
        .to_string();
    let mut client = LibraryClient::with_interceptor(
        tonic::transport::Channel::from_shared(format!("http://{grpc}"))
            .unwrap()
            .connect()
            .await
            .unwrap(),
        proofline::grpc::Bearer::new(proofline::auth::DEV_TOKEN),
    );
    let get = |mut c: LibraryClient<common::AuthChannel>| async move {
        let r = c
            .get_library(pb::GetLibraryRequest {})
            .await
            .unwrap()
            .into_inner();
        (c, r)
    };
    let (c, before) = get(client.clone()).await;
    client = c;

    std::fs::remove_file(lib.path().join("prompts/channels/email/1.1.0.toml")).unwrap();
    let pid = child.id() as libc::pid_t;
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    let mut after = before.clone();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (c, r) = get(client.clone()).await;
        client = c;
        after = r;
        if after.fingerprint != before.fingerprint {
            break;
        }
    }
    assert_ne!(
        after.fingerprint, before.fingerprint,
        "SIGHUP did not reload"
    );
    assert!(
        !after
            .items
            .iter()
            .any(|i| i.id == "channel.email" && i.version == "1.1.0")
    );

    // A broken library on SIGHUP: the running one stays.
    let soft = lib.path().join("prompts/blocks/ctas/soft.toml");
    let text = std::fs::read_to_string(&soft).unwrap();
    std::fs::write(&soft, text.replace("risk = \"low\"", "risk = \"low")).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, still) = get(client).await;
    assert_eq!(still.fingerprint, after.fingerprint);
    assert_eq!(still.loaded_at, after.loaded_at);

    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    for _ in 0..100 {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    panic!("proofline serve did not stop on SIGTERM");
}

/// `[server] watch_library`: editing a library file reloads it; a broken
/// edit is refused (the running library stays) and recorded in the audit log.
#[tokio::test]
async fn file_changes_reload_the_library_when_watching() {
    let (server, lib, _data) = server_on_copy_with(|c| c.server.watch_library = true).await;
    let mut client = LibraryClient::new(server.channel().await);
    let fingerprint = |c: &mut LibraryClient<_>| {
        let mut c = c.clone();
        async move {
            c.get_library(pb::GetLibraryRequest {})
                .await
                .unwrap()
                .into_inner()
                .fingerprint
        }
    };
    let before = fingerprint(&mut client).await;

    // A valid edit: the CTA's text changes.
    let soft = lib.path().join("prompts/blocks/ctas/soft.toml");
    let text = std::fs::read_to_string(&soft).unwrap();
    std::fs::write(&soft, format!("{text}\n# edited by marketing ops\n")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let after = loop {
        let f = fingerprint(&mut client).await;
        if f != before {
            break f;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no reload after a file change"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };

    // A broken edit: refused, the running library stays, and it is audited.
    std::fs::write(&soft, text.replace("risk = \"low\"", "risk = \"low")).unwrap();
    let store = server.engine.store().clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let failed = store.audit_entries(None).unwrap().into_iter().any(|e| {
            e.action == "library_reload" && e.actor == "watcher" && e.details["ok"] == false
        });
        if failed {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the broken edit was not tried"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(fingerprint(&mut client).await, after);
    server.stop().await;
}

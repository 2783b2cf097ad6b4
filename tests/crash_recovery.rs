//! Crash safety with the real binary: a batch of 1,000 over gRPC, SIGKILL
//! mid-batch, restart on the same data folder, re-send with the same keys.
//! Every draft acknowledged before the kill is present exactly once, and every
//! brief ends with exactly one draft.

mod common;

use common::{example_briefs, pb_brief, repo};
use proofline::grpc::pb;
use proofline::grpc::pb::personalization_client::PersonalizationClient;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use tokio_stream::StreamExt;

const N: usize = 1000;

fn spawn(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proofline"))
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--library",
        ])
        .arg(repo())
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("grpc="))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, format!("http://{addr}"))
}

fn requests() -> Vec<pb::GenerateRequest> {
    let briefs = example_briefs();
    (0..N)
        .map(|i| {
            let mut b = briefs[i % briefs.len()].1.clone();
            b.account_id = format!("crash-acct-{i}");
            pb::GenerateRequest {
                request_id: format!("req-{i}"),
                brief: Some(pb_brief(&b)),
                channels: vec![pb::Channel::Email as i32],
                idempotency_key: format!("crash-key-{i}"),
                ..Default::default()
            }
        })
        .collect()
}

fn drafts_of(r: &pb::GenerateBatchResponse) -> Vec<String> {
    match r.result.as_ref().expect("result") {
        pb::generate_batch_response::Result::Response(resp) => {
            resp.drafts.iter().map(|d| d.draft_id.clone()).collect()
        }
        pb::generate_batch_response::Result::Error(e) => {
            panic!("{}: {} {}", r.request_id, e.code, e.message)
        }
    }
}

/// A Personalization client with the dev token.
async fn connect_dev(
    url: String,
) -> PersonalizationClient<
    tonic::service::interceptor::InterceptedService<
        tonic::transport::Channel,
        proofline::grpc::Bearer,
    >,
> {
    let channel = tonic::transport::Channel::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    PersonalizationClient::with_interceptor(
        channel,
        proofline::grpc::Bearer::new(proofline::auth::DEV_TOKEN),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_batch_loses_and_duplicates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn(data.path());
    let mut client = connect_dev(url).await;
    let mut acked: HashMap<String, Vec<String>> = HashMap::new();
    let mut stream = client
        .generate_batch(tokio_stream::iter(requests()))
        .await
        .unwrap()
        .into_inner();
    while let Some(r) = stream.next().await {
        let Ok(r) = r else { break };
        acked.insert(r.request_id.clone(), drafts_of(&r));
        if acked.len() == N / 3 {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
    }
    assert!(
        acked.len() >= N / 3 && acked.len() < N,
        "killed mid-batch after {} acks",
        acked.len()
    );

    let (mut child, url) = spawn(data.path());
    let mut client = connect_dev(url).await;
    let stream = client
        .generate_batch(tokio_stream::iter(requests()))
        .await
        .unwrap()
        .into_inner();
    let after: Vec<pb::GenerateBatchResponse> = stream.map(|r| r.unwrap()).collect().await;
    assert_eq!(after.len(), N);
    let mut all_ids = std::collections::HashSet::new();
    for r in &after {
        let ids = drafts_of(r);
        assert_eq!(ids.len(), 1, "{}", r.request_id);
        if let Some(before) = acked.get(&r.request_id) {
            assert_eq!(
                &ids, before,
                "{}: acknowledged draft changed after restart",
                r.request_id
            );
            let pb::generate_batch_response::Result::Response(resp) = r.result.as_ref().unwrap()
            else {
                unreachable!()
            };
            assert!(resp.replayed, "{} was generated twice", r.request_id);
        }
        assert!(all_ids.insert(ids[0].clone()), "draft id repeated");
    }
    // Stop the server cleanly, then count what is on disk: one draft per brief.
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    child.wait().unwrap();
    let store = proofline::store::Store::open(data.path()).unwrap();
    let stored = store.all_drafts("default").unwrap();
    assert_eq!(stored.len(), N, "exactly one draft per brief on disk");
}

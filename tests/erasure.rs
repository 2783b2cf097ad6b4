//! Issue 9: `Admin.EraseAccount`, the retention sweeper, and the audit log's
//! verification (over gRPC and by `proofline audit verify`, including a
//! tampered export and a tampered store), against the real server.

mod common;

use common::*;
use futures::StreamExt;
use proofline::grpc::pb;
use proofline::grpc::pb::admin_client::AdminClient;
use proofline::grpc::pb::outcomes_client::OutcomesClient;
use proofline::grpc::pb::review_client::ReviewClient;
use proofline::store::StoredRequest;
use std::process::Command;
use std::time::Duration;
use tonic::Code;

/// Every example brief, as a request for every channel.
fn requests() -> Vec<(String, pb::GenerateRequest)> {
    example_briefs()
        .into_iter()
        .map(|(_, b)| {
            let account = b.account_id.clone();
            (
                account.clone(),
                pb::GenerateRequest {
                    brief: Some(pb_brief(&b)),
                    idempotency_key: format!("erase-{account}"),
                    ..Default::default()
                },
            )
        })
        .collect()
}

async fn all_events(server: &TestServer) -> Vec<pb::ReleaseEvent> {
    let mut stream = ReviewClient::new(server.channel().await)
        .watch_decisions(pb::WatchDecisionsRequest { after_seq: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(400), stream.next()).await {
        out.push(ev.unwrap());
    }
    out
}

#[tokio::test]
async fn erase_account_removes_one_accounts_data_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&dir.path().join("data")).await;
    let mut client = server.client().await;
    let mut review = ReviewClient::new(server.channel().await);
    let mut admin = AdminClient::new(server.channel().await);

    // Two accounts with drafts both auto-sent and waiting for review.
    let reqs = requests();
    let mut by_account: std::collections::BTreeMap<String, Vec<pb::Draft>> = Default::default();
    for (account, req) in &reqs {
        let r = client.generate(req.clone()).await.unwrap().into_inner();
        by_account.insert(account.clone(), r.drafts);
    }
    // The victim: an account with at least one draft pending review.
    let (victim, drafts) = by_account
        .iter()
        .find(|(_, ds)| ds.iter().any(|d| d.route == pb::Route::HumanReview as i32))
        .map(|(a, d)| (a.clone(), d.clone()))
        .expect("some example routes to review");
    let pending = drafts
        .iter()
        .find(|d| d.route == pb::Route::HumanReview as i32)
        .unwrap();
    // Approve one (a release event) and record an outcome on it.
    review
        .decide(pb::DecideRequest {
            draft_id: pending.draft_id.clone(),
            decision_id: "erase-approve-1".into(),
            decision: Some(pb::decide_request::Decision::Approve(pb::Approve {
                comment: "fine".into(),
            })),
        })
        .await
        .unwrap();
    OutcomesClient::new(server.channel().await)
        .record_outcome(pb::RecordOutcomeRequest {
            event_id: "erase-ev-1".into(),
            draft_id: pending.draft_id.clone(),
            kind: pb::OutcomeKind::Sent as i32,
            occurred_at: chrono::Utc::now().to_rfc3339(),
        })
        .await
        .unwrap();
    let before = all_events(&server).await;
    assert!(
        before
            .iter()
            .any(|e| e.draft.as_ref().unwrap().account_id == victim)
    );
    let others: Vec<&pb::Draft> = by_account
        .iter()
        .filter(|(a, _)| **a != victim)
        .flat_map(|(_, d)| d)
        .collect();
    assert!(!others.is_empty());

    // Validation and scope first: nothing is erased by a bad call.
    let err = admin
        .erase_account(pb::EraseAccountRequest {
            account_id: " ".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("account_id"), "{}", err.message());

    let r = admin
        .erase_account(pb::EraseAccountRequest {
            account_id: victim.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.drafts, drafts.len() as u64);
    assert_eq!(r.requests, 1);
    assert_eq!(r.briefs, 1);
    assert_eq!(r.decisions, 1);
    assert_eq!(r.outcome_events, 1);
    assert!(r.releases_redacted >= 1);

    // The victim's drafts are gone; everyone else's are untouched.
    for d in &drafts {
        let err = client
            .get_draft(pb::GetDraftRequest {
                draft_id: d.draft_id.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{}", d.draft_id);
    }
    for d in &others {
        let got = client
            .get_draft(pb::GetDraftRequest {
                draft_id: d.draft_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.text, d.text);
    }
    let queue = review
        .list_queue(pb::ListQueueRequest {
            account_id: victim.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(queue.total, 0);
    assert!(
        server
            .engine
            .store()
            .account_drafts("default", &victim)
            .unwrap()
            .is_empty()
    );

    // The release log keeps its seqs; the victim's entries are redacted.
    let after = all_events(&server).await;
    assert_eq!(
        after.iter().map(|e| e.seq).collect::<Vec<_>>(),
        before.iter().map(|e| e.seq).collect::<Vec<_>>()
    );
    for (b, a) in before.iter().zip(&after) {
        let d = a.draft.as_ref().unwrap();
        if d.account_id == victim {
            assert_eq!(a.kind, pb::ReleaseKind::Erased as i32);
            assert!(d.text.as_ref().is_none_or(|t| t.body.is_empty()), "{d:?}");
        } else {
            assert_eq!(a, b, "other accounts' releases are untouched");
        }
    }

    // The idempotency record went too: the same request generates anew.
    let (_, req) = reqs.iter().find(|(a, _)| *a == victim).unwrap();
    let again = client.generate(req.clone()).await.unwrap().into_inner();
    assert!(!again.replayed);

    // Erasure is audited (and the chain holds).
    let audit = server
        .engine
        .store()
        .audit_entries(Some("default"))
        .unwrap();
    let erase = audit
        .iter()
        .find(|e| e.action == "erase_account")
        .expect("an erase_account entry");
    assert_eq!(erase.subject, victim);
    assert_eq!(erase.actor, "dev");
    assert_eq!(erase.details["drafts"], drafts.len() as u64);
    let v = admin
        .verify_audit(pb::VerifyAuditRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(v.ok, "{v:?}");
    assert_eq!(
        v.entries,
        server.engine.store().audit_entries(None).unwrap().len() as u64
    );

    // Erasing again finds nothing and says so.
    let r = admin
        .erase_account(pb::EraseAccountRequest {
            account_id: "acct-nobody".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.drafts, 0);
    server.stop().await;
}

#[tokio::test]
async fn erasure_is_per_tenant_and_needs_the_admin_scope() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    add_client(
        &mut cfg,
        "acme-crm",
        "acme-gen-token-000001",
        "acme",
        &["generate"],
    );
    add_client(
        &mut cfg,
        "acme-ops",
        "acme-admin-token-00002",
        "acme",
        &["admin"],
    );
    add_client(
        &mut cfg,
        "globex-crm",
        "globex-gen-token-0003",
        "globex",
        &["generate"],
    );
    add_client(
        &mut cfg,
        "globex-ops",
        "globex-admin-token-004",
        "globex",
        &["admin"],
    );
    let server = TestServer::start_with_token(cfg, "acme-gen-token-000001").await;
    let (account, req) = requests().remove(0);
    let acme = server
        .client()
        .await
        .generate(req.clone())
        .await
        .unwrap()
        .into_inner();
    let mut globex_gen = pb::personalization_client::PersonalizationClient::new(
        server.channel_as("globex-gen-token-0003").await,
    );
    let globex = globex_gen.generate(req).await.unwrap().into_inner();

    // A generate-scoped client may not erase.
    let err = AdminClient::new(server.channel_as("acme-gen-token-000001").await)
        .erase_account(pb::EraseAccountRequest {
            account_id: account.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Globex's admin erases the account id in globex only.
    let r = AdminClient::new(server.channel_as("globex-admin-token-004").await)
        .erase_account(pb::EraseAccountRequest {
            account_id: account.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.drafts, globex.drafts.len() as u64);
    let store = server.engine.store();
    assert!(store.account_drafts("globex", &account).unwrap().is_empty());
    assert_eq!(
        store.account_drafts("acme", &account).unwrap().len(),
        acme.drafts.len()
    );
    let entry = store
        .audit_entries(Some("globex"))
        .unwrap()
        .into_iter()
        .find(|e| e.action == "erase_account")
        .unwrap();
    assert_eq!(entry.actor, "globex-ops");
    server.stop().await;
}

/// A stored draft created `days_ago`, written the way the engine writes one.
async fn seed_old_generation(server: &TestServer, account: &str, days_ago: i64) -> String {
    let (_, mut brief) = example_briefs().remove(0);
    brief.account_id = account.into();
    let created = (chrono::Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339();
    // Generate for real, then age the copy we store under new ids.
    let out = server
        .client()
        .await
        .generate(pb::GenerateRequest {
            brief: Some(pb_brief(&brief)),
            channels: vec![pb::Channel::Email as i32],
            idempotency_key: format!("seed-{account}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let store = server.engine.store();
    let mut draft = store
        .get_draft("default", &out.drafts[0].draft_id)
        .unwrap()
        .unwrap();
    draft.draft_id = format!("old-{account}");
    draft.request_id = format!("old-req-{account}");
    draft.created_at = created.clone();
    let req = StoredRequest {
        request_id: draft.request_id.clone(),
        idempotency_key: format!("k:old-{account}"),
        brief_hash: draft.lineage.brief_hash.clone(),
        draft_ids: vec![draft.draft_id.clone()],
        created_at: created,
    };
    store
        .put_generation(
            "default",
            "seed",
            &req,
            &brief,
            std::slice::from_ref(&draft),
        )
        .await
        .unwrap();
    draft.draft_id
}

#[tokio::test]
async fn the_retention_sweeper_purges_old_drafts_and_briefs_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir.path().join("data"));
    cfg.retention.max_age_days = 30;
    cfg.retention.sweep_interval_secs = 1;
    let server = TestServer::start_with(cfg).await;
    let old = seed_old_generation(&server, "acct-old", 45).await;
    let young = seed_old_generation(&server, "acct-young", 10).await;
    let store = server.engine.store();

    // The sweeper runs every second: wait for it to take the old draft.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while store.get_draft("default", &old).unwrap().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        store
            .get_brief("default", "old-req-acct-old")
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_request("default", "k:old-acct-old")
            .unwrap()
            .is_none()
    );
    // Younger than the limit: kept, with its brief and idempotency record.
    assert!(store.get_draft("default", &young).unwrap().is_some());
    assert!(
        store
            .get_brief("default", "old-req-acct-young")
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .get_request("default", "k:old-acct-young")
            .unwrap()
            .is_some()
    );
    // Today's drafts (the real generations used to seed) are kept.
    assert_eq!(
        store.account_drafts("default", "acct-old").unwrap().len(),
        1
    );
    let purge = store
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "retention_purge")
        .expect("a retention_purge entry");
    assert_eq!(purge.actor, "retention");
    assert_eq!(purge.details["drafts"], 1);
    assert_eq!(
        store.audit_verify().unwrap().unwrap().entries as usize,
        store.audit_entries(None).unwrap().len()
    );
    server.stop().await;
}

fn proofline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_proofline"))
        .args(args)
        .output()
        .expect("proofline runs")
}

#[tokio::test]
async fn audit_verify_detects_a_tampered_export_and_a_tampered_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start(&data).await;
    let mut client = server.client().await;
    for (_, req) in requests().into_iter().take(3) {
        client.generate(req).await.unwrap();
    }
    server.stop().await;
    let data_arg = data.to_str().unwrap();

    let ok = proofline(&["audit", "verify", "--data-dir", data_arg]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("audit log ok: "));

    // Export, verify the file, then edit one entry of it.
    let export = proofline(&["audit", "export", "--data-dir", data_arg]);
    assert!(export.status.success());
    let text = String::from_utf8(export.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 6, "3 generations audit at least 6 entries");
    let file = dir.path().join("audit.jsonl");
    std::fs::write(&file, &text).unwrap();
    let out = proofline(&["audit", "verify", "--file", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut entry: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    entry["details"]["route"] = "auto_send".into();
    let mut tampered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    tampered[2] = entry.to_string();
    std::fs::write(&file, tampered.join("\n")).unwrap();
    let out = proofline(&["audit", "verify", "--file", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("seq 3") && err.contains("edited"), "{err}");

    // A removed line.
    let mut removed: Vec<&str> = lines.clone();
    removed.remove(1);
    std::fs::write(&file, removed.join("\n")).unwrap();
    let out = proofline(&["audit", "verify", "--file", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("seq 2"));

    // Two lines swapped.
    let mut swapped: Vec<&str> = lines.clone();
    swapped.swap(3, 4);
    std::fs::write(&file, swapped.join("\n")).unwrap();
    let out = proofline(&["audit", "verify", "--file", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("seq 4"));

    // The store itself: an entry edited in place is found by `verify`.
    {
        let store = proofline::store::Store::open(&data).unwrap();
        let mut e: serde_json::Value =
            serde_json::from_slice(&store.audit_raw_get(2).unwrap().unwrap()).unwrap();
        e["actor"] = "mallory".into();
        store
            .audit_raw_put(2, Some(e.to_string().as_bytes()))
            .unwrap();
        store.flush().await.unwrap();
    }
    let out = proofline(&["audit", "verify", "--data-dir", data_arg]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("seq 2") && err.contains("edited"), "{err}");
}

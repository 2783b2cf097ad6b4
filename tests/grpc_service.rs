//! The Personalization service end to end: real server on 127.0.0.1:0, real
//! tonic client, real sled store in a temp folder.

mod common;

use common::*;
use proofline::grpc::pb;
use proofline::library::Library;
use proofline::model::AccountBrief;
use tonic::Code;

const ALL: [pb::Channel; 5] = [
    pb::Channel::Email,
    pb::Channel::LinkedinConnection,
    pb::Channel::LinkedinMessage,
    pb::Channel::LandingPage,
    pb::Channel::CallScript,
];

fn request(brief: &AccountBrief) -> pb::GenerateRequest {
    pb::GenerateRequest {
        brief: Some(pb_brief(brief)),
        ..Default::default()
    }
}

/// A brief that routes to auto-send: tier 2 or 3, not regulated.
fn auto_brief() -> AccountBrief {
    example_briefs()
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| {
            b.tier >= 2
                && ![
                    "healthcare",
                    "banking",
                    "insurance",
                    "public sector",
                    "financial services",
                ]
                .contains(&b.industry.to_lowercase().as_str())
        })
        .expect("an example brief for a low-risk account")
}

fn review_brief() -> AccountBrief {
    example_briefs()
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.tier == 1)
        .expect("a tier-1 example brief")
}

#[tokio::test]
async fn every_channel_for_every_example() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    for (name, brief) in example_briefs() {
        let resp = client.generate(request(&brief)).await.unwrap().into_inner();
        let mut got: Vec<i32> = resp.drafts.iter().map(|d| d.channel).collect();
        got.sort();
        assert_eq!(got, ALL.map(|c| c as i32).to_vec(), "{name}");
        for d in &resp.drafts {
            let text = d.text.as_ref().unwrap();
            assert!(!text.body.is_empty(), "{name}");
            assert_eq!(
                !text.subject.is_empty(),
                d.channel == pb::Channel::Email as i32,
                "{name}: subject only on email"
            );
            let lineage = d.lineage.as_ref().unwrap();
            assert_eq!(lineage.brief_hash.len(), 64);
            assert!(!lineage.library_commit.is_empty());
            assert_eq!(lineage.generator.as_ref().unwrap().kind, "offline");
            for kind in ["prompt", "proof", "policy", "component"] {
                assert!(
                    lineage.items.iter().any(|i| i.kind == kind),
                    "{name}: lineage lacks a {kind}"
                );
            }
            assert!(
                !d.reasons.is_empty(),
                "{name}: a route always carries reasons"
            );
            let blocking: Vec<_> = d
                .findings
                .iter()
                .filter(|f| f.severity == pb::Severity::Blocking as i32)
                .collect();
            assert!(
                blocking.is_empty(),
                "{name} {:?}: offline draft has blocking findings {blocking:?}\n{}",
                d.channel,
                text.body
            );
            // Approved proof text goes in verbatim.
            if d.channel == pb::Channel::Email as i32 {
                let lib = Library::load(&repo()).unwrap();
                let proof = lineage.items.iter().find(|i| i.kind == "proof").unwrap();
                let proof = lib.proof(&proof.id).unwrap();
                assert!(
                    text.body.contains(proof.text.trim()),
                    "{name}: proof text not verbatim"
                );
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn both_routes_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;

    let auto = client
        .generate(request(&auto_brief()))
        .await
        .unwrap()
        .into_inner();
    for d in &auto.drafts {
        assert_eq!(
            d.route,
            pb::Route::AutoSend as i32,
            "{:?}: {:?}",
            d.channel,
            d.reasons
        );
        assert_eq!(d.status, pb::DraftStatus::AutoApproved as i32);
        assert_eq!(d.reasons[0].code, "all_checks_passed");
    }
    let review = client
        .generate(request(&review_brief()))
        .await
        .unwrap()
        .into_inner();
    for d in &review.drafts {
        assert_eq!(d.route, pb::Route::HumanReview as i32);
        assert_eq!(d.status, pb::DraftStatus::PendingReview as i32);
        assert!(
            d.reasons.iter().any(|r| r.code == "tier_1_account"),
            "{:?}",
            d.reasons
        );
    }
    server.stop().await;
}

/// Each input rule is refused with INVALID_ARGUMENT naming the field path, and
/// nothing is stored.
#[tokio::test]
async fn input_rules_refused_with_field_paths() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let base = auto_brief();
    type Mutate = fn(&mut AccountBrief);
    let cases: Vec<(&str, Mutate)> = vec![
        ("brief.account_name", |b| b.account_name.clear()),
        ("brief.industry", |b| b.industry = " ".into()),
        ("brief.tier", |b| b.tier = 9),
        ("brief.persona", |b| b.persona.clear()),
        ("brief.stage", |b| b.stage = "closing".into()),
        ("brief.trigger.kind", |b| {
            b.trigger.kind = "billboard".into()
        }),
        ("brief.trigger.summary", |b| {
            b.trigger.summary = "x".repeat(5000)
        }),
        ("brief.trigger.occurred_on", |b| {
            b.trigger.occurred_on = "last tuesday".into()
        }),
        ("brief.known_initiatives[0].source_url", |b| {
            b.known_initiatives.insert(
                0,
                proofline::model::Initiative {
                    text: "x".into(),
                    source_url: "".into(),
                    observed_on: "".into(),
                },
            );
        }),
        ("brief.intent_topics", |b| {
            b.intent_topics = (0..40).map(|i| format!("topic {i}")).collect()
        }),
        ("brief.hypotheses[0]", |b| b.hypotheses = vec!["".into()]),
        ("brief.cta_offers", |b| b.cta_offers.clear()),
        ("brief.sender.name", |b| b.sender.name.clear()),
        ("brief.proof_point_ids[0]", |b| {
            b.proof_point_ids = vec!["pp-does-not-exist".into()]
        }),
        ("brief.recent_engagement[0]", |b| {
            b.recent_engagement = vec!["Auto-reply says she is on maternity leave".into()]
        }),
        ("brief.trigger.summary", |b| {
            b.trigger.summary = "Call him on +1 415 555 0134".into()
        }),
        ("brief.trigger.summary", |b| {
            b.trigger.summary = "Posted that he is recovering from surgery".into()
        }),
    ];
    for (field, mutate) in cases {
        let mut b = base.clone();
        mutate(&mut b);
        let err = client.generate(request(&b)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}: {err:?}");
        assert!(
            err.message().contains(field),
            "{field} not named in '{}'",
            err.message()
        );
        assert!(
            violation_fields(&err).iter().any(|f| f == field),
            "{field} not in BadRequest details"
        );
    }
    let unspecified = pb::GenerateRequest {
        brief: Some(pb_brief(&base)),
        channels: vec![pb::Channel::Email as i32, 0],
        ..Default::default()
    };
    let err = client.generate(unspecified).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("channels[1]"), "{}", err.message());
    let err = client
        .generate(pb::GenerateRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("brief"));
    assert_eq!(
        server.engine.store().draft_count(),
        0,
        "a refused request stores nothing"
    );
    server.stop().await;
}

#[tokio::test]
async fn expired_and_disallowed_proofs_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let lib = Library::load(&repo()).unwrap();
    let today = chrono::Utc::now().date_naive();
    let expired = lib
        .items()
        .find(|(k, m)| *k == proofline::model::ItemKind::Proof && m.is_expired(today))
        .map(|(_, m)| m.id.clone())
        .expect("the bundled library carries an expired proof for this test");
    let mut b = auto_brief();
    b.proof_point_ids.push(expired.clone());
    let idx = b.proof_point_ids.len() - 1;
    let err = client.generate(request(&b)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message()
            .contains(&format!("brief.proof_point_ids[{idx}]")),
        "{}",
        err.message()
    );
    assert!(err.message().contains("expired_proof"), "{}", err.message());

    // A proof restricted to other industries is refused for this account.
    let restricted = lib
        .items()
        .find(|(k, m)| {
            *k == proofline::model::ItemKind::Proof
                && !m.is_expired(today)
                && m.allowed.allows(&b.industry, b.tier, &b.region).is_err()
        })
        .map(|(_, m)| m.id.clone())
        .expect("a proof not allowed for the auto brief's industry");
    let mut b = auto_brief();
    b.proof_point_ids = vec![restricted];
    let err = client.generate(request(&b)).await.unwrap_err();
    assert!(
        err.message().contains("proof_not_allowed"),
        "{}",
        err.message()
    );
    assert_eq!(server.engine.store().draft_count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn batch_keeps_order_and_reports_item_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let briefs = example_briefs();
    let mut reqs = Vec::new();
    for i in 0..24 {
        let mut b = briefs[i % briefs.len()].1.clone();
        b.account_id = format!("acct-{i}");
        if i == 7 {
            b.stage = "bogus".into();
        }
        reqs.push(pb::GenerateRequest {
            request_id: format!("req-{i}"),
            brief: Some(pb_brief(&b)),
            channels: vec![
                pb::Channel::Email as i32,
                pb::Channel::LinkedinMessage as i32,
            ],
            ..Default::default()
        });
    }
    let stream = client
        .generate_batch(tokio_stream::iter(reqs))
        .await
        .unwrap()
        .into_inner();
    let out: Vec<pb::GenerateBatchResponse> =
        tokio_stream::StreamExt::collect::<Vec<_>>(tokio_stream::StreamExt::map(stream, |r| {
            r.unwrap()
        }))
        .await;
    assert_eq!(out.len(), 24);
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r.request_id, format!("req-{i}"));
        match r.result.as_ref().unwrap() {
            pb::generate_batch_response::Result::Response(resp) => {
                assert_ne!(i, 7);
                assert_eq!(resp.drafts.len(), 2);
            }
            pb::generate_batch_response::Result::Error(e) => {
                assert_eq!(i, 7);
                assert_eq!(e.code, "InvalidArgument");
                assert_eq!(e.field, "brief.stage");
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn drafts_survive_a_restart_and_keys_replay() {
    let dir = tempfile::tempdir().unwrap();
    let brief = auto_brief();
    let first = {
        let server = TestServer::start(dir.path()).await;
        let mut client = server.client().await;
        let mut req = request(&brief);
        req.idempotency_key = "restart-key".into();
        let resp = client.generate(req).await.unwrap().into_inner();
        server.stop().await;
        resp
    };
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    for d in &first.drafts {
        let got = client
            .get_draft(pb::GetDraftRequest {
                draft_id: d.draft_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&got, d);
    }
    let mut req = request(&brief);
    req.idempotency_key = "restart-key".into();
    let again = client.generate(req).await.unwrap().into_inner();
    assert!(again.replayed);
    assert_eq!(again.request_id, first.request_id);
    assert_eq!(
        again.drafts.iter().map(|d| &d.draft_id).collect::<Vec<_>>(),
        first.drafts.iter().map(|d| &d.draft_id).collect::<Vec<_>>()
    );
    // The same key with a different brief is a conflict, not a silent replay.
    let mut other = brief.clone();
    other
        .intent_topics
        .push("a topic the first request did not have".into());
    let mut req = request(&other);
    req.idempotency_key = "restart-key".into();
    assert_eq!(
        client.generate(req).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    let err = client
        .get_draft(pb::GetDraftRequest {
            draft_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn health_reflection_and_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let channel = server.channel().await;

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "proofline.v1.Personalization".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // Reflection v1 and v1alpha both list every service.
    {
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        let mut c = ServerReflectionClient::new(channel.clone());
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut s = c
            .server_reflection_info(tokio_stream::iter([req]))
            .await
            .unwrap()
            .into_inner();
        let msg = s.message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(l)) = msg.message_response else {
            panic!("{msg:?}")
        };
        let names: Vec<_> = l.service.into_iter().map(|s| s.name).collect();
        for want in [
            "proofline.v1.Personalization",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "v1 lacks {want}: {names:?}"
            );
        }
    }
    {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let mut c = ServerReflectionClient::new(channel.clone());
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "grpc.health.v1.Health".into(),
            )),
        };
        let mut s = c
            .server_reflection_info(tokio_stream::iter([req]))
            .await
            .unwrap()
            .into_inner();
        let msg = s.message().await.unwrap().unwrap();
        assert!(
            matches!(msg.message_response, Some(MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty()),
            "{msg:?}"
        );
    }

    let mut client = server.client().await;
    client.generate(request(&auto_brief())).await.unwrap();
    let (code, body) = server.http_get("/healthz").await;
    assert_eq!(code, 200);
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    let (code, body) = server.http_get("/metrics").await;
    assert_eq!(code, 200);
    assert!(body.contains("proofline_drafts_total{"), "{body}");
    assert!(body.contains("route=\"auto_send\""), "{body}");
    server.stop().await;
}

//! Review test support: a server with reviewer tokens, an authenticated
//! Review client, and drafts seeded straight into the store (so a test can
//! have a flagged draft with a known finding whatever the checks do).
#![allow(dead_code)]

use super::common::{TestServer, copy_dir, example_briefs, repo, test_config};
use proofline::engine::brief_hash;
use proofline::grpc::pb;
use proofline::grpc::pb::review_client::ReviewClient;
use proofline::model::{
    AccountBrief, Channel, CheckKind, Draft, DraftStatus, DraftText, Finding, GeneratorInfo,
    ItemKind, ItemRef, Lineage, Route, RouteReason, Severity, Span, TextPart, TokenUsage,
};
use proofline::store::StoredRequest;
use std::path::Path;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel as GrpcChannel;

pub const ALICE: &str = "alice-token-0123456789";
pub const BOB: &str = "bob-token-0123456789";
pub const TENANT: &str = "default";
/// Generates and administers in the review tests' tenant.
pub const OPS: &str = "ops-token-0123456789";

/// The repository's library, copied under `dir`, with placeholder check
/// policies where the repository has none yet: review tests need a server
/// that starts, whatever state the checks' policy files are in.
pub fn library(dir: &Path) -> std::path::PathBuf {
    let lib = dir.join("library");
    if lib.exists() {
        return lib;
    }
    for sub in ["prompts", "proof-library", "policies"] {
        copy_dir(&repo().join(sub), &lib.join(sub));
    }
    for stem in ["red_lines", "voice", "channel_limits"] {
        let path = lib.join("policies").join(format!("{stem}.toml"));
        if !path.exists() {
            std::fs::write(
                path,
                format!(
                    "[meta]\nid = \"policy.review-test.{stem}\"\nversion = \"1.0.0\"\n\
                     owner = \"review-tests@proofline\"\nlast_reviewed = 2026-11-02\n\
                     risk = \"low\"\nlabels = [\"production\"]\n"
                ),
            )
            .unwrap();
        }
    }
    lib
}

pub async fn start(dir: &Path) -> TestServer {
    let mut cfg = test_config(&dir.join("data"));
    cfg.server.library = library(dir).display().to_string();
    cfg.review.tokens.insert("alice".into(), ALICE.into());
    cfg.review.tokens.insert("bob".into(), BOB.into());
    cfg.auth.clients.insert(
        "ops".into(),
        proofline::config::ClientConfig {
            token_sha256: proofline::auth::sha256_hex(OPS),
            tenant: TENANT.into(),
            scopes: vec!["generate".into(), "admin".into()],
        },
    );
    TestServer::start_with_token(cfg, OPS).await
}

type Auth = Box<dyn FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Send>;

pub type Client = ReviewClient<InterceptedService<GrpcChannel, Auth>>;

/// A Review client that sends `token` (or nothing).
pub async fn client(server: &TestServer, token: Option<&str>) -> Client {
    let header: Option<MetadataValue<_>> =
        token.map(|t| format!("Bearer {t}").parse().expect("ascii token"));
    let auth: Auth = Box::new(move |mut req: tonic::Request<()>| {
        if let Some(h) = &header {
            req.metadata_mut().insert("authorization", h.clone());
        }
        Ok(req)
    });
    ReviewClient::with_interceptor(server.raw_channel().await, auth)
}

pub fn brief(account_id: &str) -> AccountBrief {
    example_briefs()
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.account_id == account_id)
        .unwrap_or_else(|| panic!("example brief {account_id}"))
}

/// What to seed.
pub struct Seed<'a> {
    pub brief: &'a AccountBrief,
    pub channel: Channel,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    /// (excerpt in body, check, rule id, severity)
    pub findings: Vec<(&'a str, CheckKind, &'a str, Severity)>,
    pub created_at: Option<&'a str>,
    pub prompt: (&'a str, &'a str),
    pub status: DraftStatus,
}

impl<'a> Seed<'a> {
    pub fn new(brief: &'a AccountBrief, body: &'a str) -> Seed<'a> {
        Seed {
            brief,
            channel: Channel::Email,
            subject: Some("A question about audit prep"),
            body,
            findings: Vec::new(),
            created_at: None,
            prompt: ("prompt.test.email", "1.0.0"),
            status: DraftStatus::PendingReview,
        }
    }

    pub fn finding(mut self, excerpt: &'a str, check: CheckKind, rule: &'a str) -> Self {
        self.findings
            .push((excerpt, check, rule, Severity::Blocking));
        self
    }
}

/// Store a draft pending review with the given findings, as the engine
/// would (one put_generation, brief included).
pub async fn seed(server: &TestServer, s: Seed<'_>) -> Draft {
    let request_id = ulid::Ulid::new().to_string();
    let findings: Vec<Finding> = s
        .findings
        .iter()
        .map(|(excerpt, check, rule, severity)| {
            let start = s.body.find(excerpt).expect("excerpt in body");
            Finding {
                check: *check,
                rule_id: rule.to_string(),
                rule_version: "1.0.0".into(),
                severity: *severity,
                span: Span {
                    part: TextPart::Body,
                    start,
                    end: start + excerpt.len(),
                },
                excerpt: excerpt.to_string(),
                message: format!("{rule} tripped"),
                evidence: "no approved proof states this".into(),
                suggestion: Some("say what the proof says".into()),
            }
        })
        .collect();
    let mut reasons = Vec::new();
    if s.brief.tier == 1 {
        reasons.push(RouteReason {
            code: "tier_1_account".into(),
            detail: "tier 1 accounts need human approval".into(),
        });
    }
    for f in findings.iter().filter(|f| f.is_blocking()) {
        let code = format!("blocking_finding_{}", f.check.as_str());
        if !reasons.iter().any(|r| r.code == code) {
            reasons.push(RouteReason {
                code,
                detail: f.message.clone(),
            });
        }
    }
    let draft = Draft {
        draft_id: ulid::Ulid::new().to_string(),
        request_id: request_id.clone(),
        tenant: TENANT.into(),
        account_id: s.brief.account_key().to_string(),
        channel: s.channel,
        text: DraftText {
            subject: s.subject.map(str::to_string),
            body: s.body.to_string(),
        },
        findings,
        claims: vec![],
        route: if s.status == DraftStatus::AutoApproved {
            Route::AutoSend
        } else {
            Route::HumanReview
        },
        reasons,
        lineage: Lineage {
            brief_hash: brief_hash(s.brief),
            library_commit: "test".into(),
            items: vec![ItemRef {
                kind: ItemKind::Prompt,
                id: s.prompt.0.into(),
                version: s.prompt.1.into(),
            }],
            generator: GeneratorInfo::offline(),
            usage: TokenUsage::default(),
            experiment: String::new(),
            arm: String::new(),
        },
        status: s.status,
        created_at: s
            .created_at
            .map(str::to_string)
            .unwrap_or_else(|| chrono::Utc::now().to_rfc3339()),
        version: 1,
        parent_draft_id: String::new(),
    };
    let request = StoredRequest {
        request_id,
        idempotency_key: format!("k:seed-{}", draft.draft_id),
        brief_hash: brief_hash(s.brief),
        draft_ids: vec![draft.draft_id.clone()],
        created_at: draft.created_at.clone(),
    };
    server
        .engine
        .store()
        .put_generation(
            TENANT,
            "seed",
            &request,
            s.brief,
            std::slice::from_ref(&draft),
        )
        .await
        .expect("seeded");
    draft
}

pub fn approve(draft_id: &str, decision_id: &str) -> pb::DecideRequest {
    pb::DecideRequest {
        draft_id: draft_id.into(),
        decision_id: decision_id.into(),
        decision: Some(pb::decide_request::Decision::Approve(pb::Approve {
            comment: String::new(),
        })),
    }
}

pub fn reject(draft_id: &str, reason: &str) -> pb::DecideRequest {
    pb::DecideRequest {
        draft_id: draft_id.into(),
        decision_id: ulid::Ulid::new().to_string(),
        decision: Some(pb::decide_request::Decision::Reject(pb::Reject {
            reason_code: reason.into(),
            comment: "not for this account".into(),
        })),
    }
}

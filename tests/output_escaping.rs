//! Output handling (issue 9): HTML or script from a model never reaches a
//! page as markup. The real server with `[llm]` pointing at the fake
//! OpenAI-compatible server, which answers a landing page carrying
//! `<script>` and an `onerror=` handler: the draft goes to human review with
//! a blocking `red_line.markup` finding, the landing-page preview escapes it,
//! and the console's JSON API returns it as data.

mod common;
mod support;

use common::*;
use proofline::auth::sha256_hex;
use proofline::config::{ClientConfig, Config};
use proofline::grpc::pb;
use proofline::llm::LlmConfig;
use proofline::model::AccountBrief;
use serde_json::json;
use support::fake_openai::{FakeOpenAi, Scripted};

const ACME_GEN: &str = "acme-generate-token-0001";
const ACME_REV: &str = "acme-review-token-0002";
const ACME_ADMIN: &str = "acme-admin-token-00003";
const GLOBEX_REV: &str = "globex-review-token-004";

fn clients(cfg: &mut Config) {
    for (name, token, tenant, scope) in [
        ("acme-crm", ACME_GEN, "acme", "generate"),
        ("alice", ACME_REV, "acme", "review"),
        ("acme-ops", ACME_ADMIN, "acme", "admin"),
        ("gina", GLOBEX_REV, "globex", "review"),
    ] {
        cfg.auth.clients.insert(
            name.into(),
            ClientConfig {
                token_sha256: sha256_hex(token),
                tenant: tenant.into(),
                scopes: vec![scope.into()],
            },
        );
    }
}

fn llm_config(fake: &FakeOpenAi) -> LlmConfig {
    LlmConfig {
        base_url: fake.base_url(),
        api_key: "sk-test-123".into(),
        model: "test-model".into(),
        temperature: 0.2,
        max_tokens: 600,
        request_timeout_ms: 3_000,
        max_concurrent_requests: 4,
        requests_per_minute: 0,
        tokens_per_minute: 0,
        max_retries: 1,
        backoff_base_ms: 5,
        backoff_max_ms: 20,
        reasks: 1,
    }
}

/// Tier 3, logistics: auto-sends when every check passes.
fn fennick() -> AccountBrief {
    example_briefs()
        .into_iter()
        .find(|(n, _)| n == "fennick-it-director.json")
        .expect("example brief")
        .1
}

fn request(b: &AccountBrief, channel: pb::Channel, key: &str) -> pb::GenerateRequest {
    pb::GenerateRequest {
        brief: Some(pb_brief(b)),
        channels: vec![channel as i32],
        idempotency_key: key.into(),
        ..Default::default()
    }
}

/// A landing page whose model-written slots carry markup.
fn hostile_landing(b: &AccountBrief) -> String {
    json!({
        "headline": format!("Plans at {} <script>alert(1)</script>", b.account_name),
        "subheadline": "Prepared for the IT team",
        "opener": "<img src=x onerror=alert(2)> Thanks for reading.",
        "sections": [{
            "heading": "For the IT team",
            "body": "We help IT teams plan changes like this one."
        }],
        "proof_intro": "What similar teams have done",
        "assets": {"heading": "Resources", "body": "A checklist for planning the work."},
        "cta": "Would a short call be useful?",
        "claims": []
    })
    .to_string()
}

/// (status, lower-cased head, body) of one HTTP/1.1 GET.
async fn get(server: &TestServer, path: &str, token: Option<&str>) -> (u16, String, String) {
    server.http_request("GET", path, token, None).await
}

/// Every tag in `html` (all of them the template's own: a `<` from the text
/// would open a tag not on this list).
fn assert_only_template_tags(html: &str) {
    const ALLOWED: [&str; 13] = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "div", "main", "h1", "h2",
        "p", "ul",
    ];
    let handler = regex::Regex::new(r"(?i)\son[a-z]+\s*=").unwrap();
    for piece in html.split('<').skip(1) {
        let tag = piece.split('>').next().unwrap_or_default();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            ALLOWED.contains(&name.as_str()) || name == "li",
            "unexpected tag <{tag}> in:\n{html}"
        );
        assert!(!handler.is_match(tag), "event handler in <{tag}>");
    }
}

fn landing_headers_ok(head: &str) {
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        head.contains("content-security-policy: default-src 'none'; style-src 'unsafe-inline'"),
        "{head}"
    );
    assert!(!head.contains("script-src"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
}

#[tokio::test]
async fn model_markup_is_flagged_escaped_on_the_page_and_data_in_the_api() {
    let fake = FakeOpenAi::start().await;
    let b = fennick();
    // Every attempt (the first and the re-ask) answers the same.
    fake.set_default(Scripted::completion(&hostile_landing(&b)));
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.llm = llm_config(&fake);
    clients(&mut cfg);
    let server = TestServer::start_with_token(cfg, ACME_GEN).await;

    let resp = server
        .client()
        .await
        .generate(request(&b, pb::Channel::LandingPage, "landing-1"))
        .await
        .expect("generate")
        .into_inner();
    let d = &resp.drafts[0];
    let body = &d.text.as_ref().unwrap().body;
    assert!(body.contains("<script>alert(1)</script>"), "{body}");
    assert!(body.contains("<img src=x onerror=alert(2)>"), "{body}");
    assert_eq!(d.route, pb::Route::HumanReview as i32, "{:?}", d.reasons);
    let markup: Vec<&pb::Finding> = d
        .findings
        .iter()
        .filter(|f| f.rule_id == "red_line.markup")
        .collect();
    assert!(!markup.is_empty(), "{:?}", d.findings);
    assert!(
        markup
            .iter()
            .all(|f| f.severity == pb::Severity::Blocking as i32)
    );
    let excerpts: Vec<&str> = markup.iter().map(|f| f.excerpt.as_str()).collect();
    assert!(
        excerpts.iter().any(|e| e.contains("<script")),
        "{excerpts:?}"
    );
    assert!(
        excerpts
            .iter()
            .any(|e| e.contains("onerror=") || e.contains("<img")),
        "{excerpts:?}"
    );
    let codes: Vec<&str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(codes.contains(&"blocking_finding_red_line"), "{codes:?}");

    // The preview: escaped text, template tags only, locked-down headers.
    let path = format!("/drafts/{}/landing.html", d.draft_id);
    let (status, head, html) = get(&server, &path, Some(ACME_GEN)).await;
    assert_eq!(status, 200, "{html}");
    landing_headers_ok(&head);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(2)&gt;"),
        "{html}"
    );
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(!html.to_lowercase().contains("<img"), "{html}");
    assert_only_template_tags(&html);
    // onerror= occurs only inside escaped text (a text node after "&lt;img").
    for (i, _) in html.match_indices("onerror=") {
        let before = &html[..i];
        let open = before.rfind("&lt;img").expect("inside escaped text");
        assert!(!before[open..].contains('<') && !before[open..].contains('>'));
    }

    // A reviewer of the same tenant may see it; admin-only may not; another
    // tenant and no token get nothing.
    assert_eq!(get(&server, &path, Some(ACME_REV)).await.0, 200);
    let (status, head, _) = get(&server, &path, Some(ACME_ADMIN)).await;
    assert_eq!(status, 403);
    assert!(head.contains("x-content-type-options: nosniff"));
    let (status, _, msg) = get(&server, &path, Some(GLOBEX_REV)).await;
    assert_eq!(status, 404, "another tenant's draft: {msg}");
    let (status, head, _) = get(&server, &path, None).await;
    assert_eq!(status, 401);
    assert!(head.contains("www-authenticate: bearer"), "{head}");
    assert_eq!(
        get(
            &server,
            "/drafts/01NOSUCHDRAFT/landing.html",
            Some(ACME_GEN)
        )
        .await
        .0,
        404
    );

    // The console's draft API returns the text as JSON data.
    let (status, head, json_body) = get(
        &server,
        &format!("/console/api/drafts/{}", d.draft_id),
        Some(ACME_REV),
    )
    .await;
    assert_eq!(status, 200, "{json_body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    let v: serde_json::Value = serde_json::from_str(&json_body).unwrap();
    assert_eq!(v["draft"]["text"]["body"].as_str(), Some(body.as_str()));
    // Highlight segments point at the draft's findings by index.
    let findings = v["draft"]["findings"].as_array().unwrap();
    let marked: Vec<&str> = v["body_segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| findings[i.as_u64().unwrap() as usize]["rule_id"] == "red_line.markup")
        })
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(
        marked.iter().any(|t| t.contains("<script")),
        "{marked:?} in {}",
        v["body_segments"]
    );

    server.stop().await;
}

#[tokio::test]
async fn an_offline_landing_page_renders_its_structure() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let b = fennick();
    let mut client = server.client().await;
    let d = client
        .generate(request(&b, pb::Channel::LandingPage, "offline-landing"))
        .await
        .expect("generate")
        .into_inner()
        .drafts
        .remove(0);
    assert!(
        d.findings.iter().all(|f| f.rule_id != "red_line.markup"),
        "{:?}",
        d.findings
    );
    let body = d.text.as_ref().unwrap().body.clone();
    let headline = body.lines().find(|l| !l.trim().is_empty()).unwrap().trim();

    let path = format!("/drafts/{}/landing.html", d.draft_id);
    let (status, head, html) = get(&server, &path, Some(&server.token)).await;
    assert_eq!(status, 200, "{html}");
    landing_headers_ok(&head);
    assert_only_template_tags(&html);
    let escaped = headline
        .replace('&', "&amp;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;");
    assert!(
        html.contains(&format!("<h1>{escaped}</h1>")),
        "{headline}\n{html}"
    );
    assert!(
        html.contains(&format!("<title>{escaped}</title>")),
        "{html}"
    );
    assert!(html.matches("<h2>").count() >= 2, "{body}\n{html}");
    assert!(html.matches("<p>").count() >= 2, "{body}\n{html}");
    assert!(html.contains("<p>Contact: "), "{html}");
    assert!(
        !html.contains("<p></p>") && !html.contains("<h2></h2>"),
        "{html}"
    );

    // Only landing_page drafts have a landing page.
    let email = client
        .generate(request(&b, pb::Channel::Email, "offline-email"))
        .await
        .expect("generate")
        .into_inner()
        .drafts
        .remove(0);
    let (status, head, msg) = get(
        &server,
        &format!("/drafts/{}/landing.html", email.draft_id),
        Some(&server.token),
    )
    .await;
    assert_eq!(status, 404);
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert!(msg.contains("only landing_page drafts"), "{msg}");

    server.stop().await;
}

//! The console's HTTP surface without a browser: embedded assets with a
//! strict Content-Security-Policy, and a JSON API that needs a reviewer token.

mod common;
mod review_support;

use proofline::model::CheckKind;
use review_support::*;

/// (status, headers, body) of one HTTP/1.1 request.
async fn http(
    server: &common::TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String, String) {
    server.http_request(method, path, token, body).await
}

#[tokio::test]
async fn assets_are_embedded_and_locked_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    for (path, kind) in [
        ("/console/", "text/html"),
        ("/console/app.js", "text/javascript"),
        ("/console/app.css", "text/css"),
    ] {
        let (status, head, body) = http(&server, "GET", path, None, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(head.contains(kind), "{path}: {head}");
        assert!(head.contains("content-security-policy: default-src 'none'; script-src 'self'"));
        assert!(head.contains("x-content-type-options: nosniff"));
        // Nothing loads from another origin.
        assert!(
            !body.contains("https://"),
            "{path} references another origin"
        );
    }
    // The page script never turns text into markup.
    let (_, _, js) = http(&server, "GET", "/console/app.js", None, None).await;
    assert!(!js.contains("innerHTML") && !js.contains("insertAdjacentHTML"));
    let (status, head, _) = http(&server, "GET", "/console", None, None).await;
    assert_eq!(status, 308);
    assert!(head.contains("location: /console/"));
    server.stop().await;
}

#[tokio::test]
async fn api_needs_a_token_and_decides_like_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let d = seed(
        &server,
        Seed::new(&brief("acct-ashgrove"), "We guarantee results.").finding(
            "guarantee",
            CheckKind::RedLine,
            "roi_guarantee",
        ),
    )
    .await;
    for token in [None, Some("wrong-token-wrong-token")] {
        let (status, head, body) = http(&server, "GET", "/console/api/queue", token, None).await;
        assert_eq!(status, 401, "{body}");
        assert!(head.contains("www-authenticate: bearer"));
    }
    let (status, _, body) = http(&server, "GET", "/console/api/me", Some(BOB), None).await;
    assert_eq!(status, 200);
    let me: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["reviewer"], "bob");

    let (_, _, body) = http(&server, "GET", "/console/api/queue", Some(BOB), None).await;
    let q: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(q["total"], 1);
    assert_eq!(q["items"][0]["draft_id"], d.draft_id.as_str());

    let path = format!("/console/api/drafts/{}", d.draft_id);
    let (_, _, body) = http(&server, "GET", &path, Some(BOB), None).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let marked: Vec<&str> = v["body_segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["findings"].as_array().unwrap().is_empty())
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, vec!["guarantee"]);

    let decide = format!("{path}/decide");
    let (status, _, body) = http(
        &server,
        "POST",
        &decide,
        Some(BOB),
        Some(r#"{"decision_id":"c-1","action":"reject","reason_code":"nope"}"#),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = http(
        &server,
        "POST",
        &decide,
        Some(BOB),
        Some(r#"{"decision_id":"c-1","action":"approve"}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let out: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(out["decision"]["reviewer"], "bob");
    assert_eq!(out["draft"]["status"], "approved");
    let (status, _, body) = http(
        &server,
        "POST",
        &decide,
        Some(BOB),
        Some(r#"{"decision_id":"c-2","action":"approve"}"#),
    )
    .await;
    assert_eq!(status, 409, "an approved draft is immutable: {body}");
    server.stop().await;
}

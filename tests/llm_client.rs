//! `LlmClient` against a real OpenAI-compatible HTTP server (the fake in
//! `tests/support/fake_openai.rs`): wire format, retry policy, deadlines,
//! error classification and the limiter.

mod support;

use std::time::Duration;

use proofline::llm::{ChatMessage, ChatRequest, LlmClient, LlmConfig, LlmError};
use proofline::model::TokenUsage;
use serde_json::json;
use support::fake_openai::{FakeOpenAi, Scripted, http_date_in};
use tokio::time::Instant;

fn cfg(fake: &FakeOpenAi) -> LlmConfig {
    LlmConfig {
        base_url: fake.base_url(),
        api_key: "sk-test-123".into(),
        model: "test-model".into(),
        temperature: 0.2,
        max_tokens: 300,
        request_timeout_ms: 5_000,
        max_concurrent_requests: 4,
        requests_per_minute: 0,
        tokens_per_minute: 0,
        max_retries: 3,
        backoff_base_ms: 10,
        backoff_max_ms: 40,
        reasks: 2,
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage::system("You write outreach."),
            ChatMessage::user("Write an email."),
            ChatMessage::assistant("{\"subject\":\"\"}"),
            ChatMessage::user("Subject must not be empty."),
        ],
        schema_name: "email_draft".into(),
        json_schema: json!({
            "type": "object",
            "properties": {"subject": {"type": "string"}, "body": {"type": "string"}},
            "required": ["subject", "body"],
            "additionalProperties": false
        }),
        estimated_tokens: 200,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test]
async fn structured_output_request_and_response() {
    let fake = FakeOpenAi::start().await;
    let content = r#"{"subject":"Hi","body":"Hello"}"#;
    fake.push(Scripted::completion_with_usage(content, 120, 64, 30));
    let client = LlmClient::new(cfg(&fake)).unwrap();

    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.content, content);
    assert_eq!(
        out.usage,
        TokenUsage {
            prompt_tokens: 120,
            cached_prompt_tokens: 64,
            completion_tokens: 30
        }
    );
    assert_eq!(out.attempts, 1);
    assert_eq!(out.model, "fake-model-2024");
    assert_eq!(out.finish_reason, "stop");

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.headers["authorization"], "Bearer sk-test-123");
    assert_eq!(r.headers["content-type"], "application/json");
    let b = &r.body;
    assert_eq!(b["model"], "test-model");
    assert!((b["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(b["max_completion_tokens"], 300);
    let roles: Vec<_> = b["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("system", "You write outreach."),
            ("user", "Write an email."),
            ("assistant", "{\"subject\":\"\"}"),
            ("user", "Subject must not be empty."),
        ]
    );
    let rf = &b["response_format"];
    assert_eq!(rf["type"], "json_schema");
    assert_eq!(rf["json_schema"]["name"], "email_draft");
    assert_eq!(rf["json_schema"]["strict"], true);
    assert_eq!(rf["json_schema"]["schema"], request().json_schema);

    let s = client.stats();
    assert_eq!((s.calls, s.requests, s.successes, s.failures), (1, 1, 1, 0));
    assert_eq!(
        (s.prompt_tokens, s.cached_prompt_tokens, s.completion_tokens),
        (120, 64, 30)
    );
    assert_eq!(s.retries(), 0);
}

#[tokio::test]
async fn serves_base_urls_without_v1_and_minimal_compatible_bodies() {
    let fake = FakeOpenAi::start().await;
    // A compatible server that omits id/object/created/role.
    fake.push(Scripted::json(
        200,
        json!({"choices":[{"message":{"content":"{\"a\":1}"}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}),
    ));
    let client = LlmClient::new(LlmConfig {
        base_url: format!("{}/", fake.root_url()),
        ..cfg(&fake)
    })
    .unwrap();
    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.content, "{\"a\":1}");
    assert_eq!(
        out.model, "test-model",
        "falls back to the configured model"
    );
    assert_eq!(out.usage.completion_tokens, 4);
    assert_eq!(fake.requests()[0].path, "/chat/completions");
}

#[tokio::test]
async fn openai_shaped_429_then_success() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::openai_error(
        429,
        "Rate limit reached for gpt-4o-mini",
        "requests",
        Some("rate_limit_exceeded"),
    ));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.attempts, 2);
    assert_eq!(fake.request_count(), 2);
    let s = client.stats();
    assert_eq!((s.http_429, s.retries_rate_limited, s.requests), (1, 1, 2));
}

#[tokio::test]
async fn plain_text_429_honours_retry_after_seconds() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::raw(429, "text/plain", "Too Many Requests").header("retry-after", "1"));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let t = Instant::now();
    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.attempts, 2);
    assert!(fake.gap(0) >= ms(1000), "waited {:?}", fake.gap(0));
    assert!(t.elapsed() < ms(2500), "took {:?}", t.elapsed());
    assert_eq!(client.stats().retries_rate_limited, 1);
}

#[tokio::test]
async fn html_429_honours_retry_after_http_date() {
    let fake = FakeOpenAi::start().await;
    // The date has one-second resolution: the wait is in (1 s, 2 s].
    fake.push(
        Scripted::raw(429, "text/html", "<html><body>slow down</body></html>")
            .header("retry-after", http_date_in(2)),
    );
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.attempts, 2);
    let gap = fake.gap(0);
    assert!(gap >= ms(990) && gap < ms(3000), "waited {gap:?}");
}

#[tokio::test]
async fn empty_body_429_retry_after_zero_retries_at_once() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::raw(429, "text/plain", "").header("retry-after", "0"));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.attempts, 2);
    assert!(fake.gap(0) < ms(500));
}

#[tokio::test]
async fn server_errors_500_502_then_success() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::raw(500, "text/plain", "Internal Server Error"));
    fake.push(Scripted::raw(502, "text/html", "<html>Bad Gateway</html>"));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.attempts, 3);
    assert_eq!(client.stats().retries_server_error, 2);
}

#[tokio::test]
async fn server_errors_exhaust_retries() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Scripted::raw(503, "text/plain", "overloaded"));
    let client = LlmClient::new(LlmConfig {
        max_retries: 2,
        ..cfg(&fake)
    })
    .unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::Unavailable {
            status: Some(503),
            retries: 2
        }
    );
    assert!(err.is_retryable());
    assert_eq!(fake.request_count(), 3);
    assert_eq!(client.stats().failures, 1);
}

#[tokio::test]
async fn rate_limits_exhaust_retries() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Scripted::raw(429, "text/plain", "busy"));
    let client = LlmClient::new(LlmConfig {
        max_retries: 1,
        ..cfg(&fake)
    })
    .unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert_eq!(err, LlmError::RateLimited { retries: 1 });
    assert_eq!(fake.request_count(), 2);
    assert_eq!(client.stats().http_429, 2);
}

#[tokio::test]
async fn request_timeout_then_success() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::completion("{\"late\":true}").delay(ms(1500)));
    fake.push(Scripted::completion("{\"late\":false}"));
    let client = LlmClient::new(LlmConfig {
        request_timeout_ms: 300,
        ..cfg(&fake)
    })
    .unwrap();
    let t = Instant::now();
    let out = client.chat_json(request(), None).await.unwrap();
    assert_eq!(out.content, "{\"late\":false}");
    assert_eq!(out.attempts, 2);
    assert!(t.elapsed() < ms(1200), "took {:?}", t.elapsed());
    assert_eq!(client.stats().retries_timeout, 1);
}

#[tokio::test]
async fn timeouts_exhaust_retries() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Scripted::completion("{}").delay(ms(1500)));
    let client = LlmClient::new(LlmConfig {
        request_timeout_ms: 150,
        max_retries: 2,
        ..cfg(&fake)
    })
    .unwrap();
    let t = Instant::now();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert_eq!(err, LlmError::Timeout { retries: 2 });
    assert_eq!(fake.request_count(), 3);
    assert!(t.elapsed() < ms(1200), "took {:?}", t.elapsed());
}

#[tokio::test]
async fn deadline_shorter_than_retry_after_fails_fast() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::raw(429, "text/plain", "slow down").header("retry-after", "30"));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let t = Instant::now();
    let err = client
        .chat_json(request(), Some(Instant::now() + ms(800)))
        .await
        .unwrap_err();
    assert_eq!(err, LlmError::DeadlineExceeded { attempts: 1 });
    assert!(!err.is_retryable());
    assert!(t.elapsed() < ms(400), "slept {:?}", t.elapsed());
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn retry_after_of_minutes_is_not_slept_without_a_deadline() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::raw(429, "text/plain", "come back later").header("retry-after", "600"));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let t = Instant::now();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert_eq!(err, LlmError::RateLimited { retries: 0 });
    assert!(t.elapsed() < ms(500), "slept {:?}", t.elapsed());
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn deadline_cuts_a_slow_attempt() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Scripted::completion("{}").delay(ms(3000)));
    let client = LlmClient::new(cfg(&fake)).unwrap(); // 5 s request timeout
    let t = Instant::now();
    let err = client
        .chat_json(request(), Some(Instant::now() + ms(300)))
        .await
        .unwrap_err();
    assert_eq!(err, LlmError::DeadlineExceeded { attempts: 1 });
    assert!(
        t.elapsed() >= ms(290) && t.elapsed() < ms(1000),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn past_deadline_sends_nothing() {
    let fake = FakeOpenAi::start().await;
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let err = client
        .chat_json(request(), Some(Instant::now()))
        .await
        .unwrap_err();
    assert_eq!(err, LlmError::DeadlineExceeded { attempts: 0 });
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn malformed_success_body_is_not_retried() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::raw(
        200,
        "application/json",
        "{\"choices\": [ {\"mess",
    ));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert!(matches!(err, LlmError::Malformed { .. }), "{err:?}");
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn unauthorized_is_not_retried() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Scripted::openai_error(
        401,
        "Incorrect API key provided",
        "invalid_request_error",
        Some("invalid_api_key"),
    ));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::Auth {
            status: 401,
            message: "Incorrect API key provided".into()
        }
    );
    assert_eq!(fake.request_count(), 1);
    assert_eq!(client.stats().retries(), 0);
}

#[tokio::test]
async fn insufficient_quota_is_not_retried() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Scripted::openai_error(
        429,
        "You exceeded your current quota",
        "insufficient_quota",
        Some("insufficient_quota"),
    ));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::QuotaExhausted {
            message: "You exceeded your current quota".into()
        }
    );
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn bad_request_carries_the_server_message() {
    let fake = FakeOpenAi::start().await;
    // vLLM's shape: top-level message, integer code.
    fake.set_default(Scripted::json(
        400,
        json!({"object":"error","message":"response_format schema is invalid","type":"BadRequestError","param":null,"code":400}),
    ));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    match &err {
        LlmError::BadRequest { message } => {
            assert!(
                message.contains("response_format schema is invalid"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn unknown_model_is_not_retried() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Scripted::openai_error(
        404,
        "The model `test-model` does not exist",
        "invalid_request_error",
        Some("model_not_found"),
    ));
    let client = LlmClient::new(cfg(&fake)).unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::ModelNotFound { model, .. } if model == "test-model"),
        "{err:?}"
    );
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_unavailable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = LlmClient::new(LlmConfig {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        api_key: "k".into(),
        model: "m".into(),
        max_retries: 2,
        backoff_base_ms: 5,
        backoff_max_ms: 20,
        ..Default::default()
    })
    .unwrap();
    let err = client.chat_json(request(), None).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::Unavailable {
            status: None,
            retries: 2
        }
    );
    assert_eq!(client.stats().retries_connection, 2);
}

#[tokio::test]
async fn concurrency_limit_is_respected() {
    let fake = FakeOpenAi::start().await;
    fake.set_latency(ms(150));
    let client = LlmClient::new(LlmConfig {
        max_concurrent_requests: 3,
        ..cfg(&fake)
    })
    .unwrap();
    let calls = (0..12).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.chat_json(request(), None).await })
    });
    for h in calls.collect::<Vec<_>>() {
        h.await.unwrap().unwrap();
    }
    assert_eq!(fake.request_count(), 12);
    assert_eq!(fake.max_in_flight(), 3);
}

#[tokio::test]
async fn rpm_budget_paces_requests_under_the_server_cap() {
    let fake = FakeOpenAi::start().await;
    fake.set_rpm_cap(600);
    let client = LlmClient::new(LlmConfig {
        requests_per_minute: 600, // 10/s, burst of 5
        max_concurrent_requests: 16,
        ..cfg(&fake)
    })
    .unwrap();
    let t = Instant::now();
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.chat_json(request(), None).await })
        })
        .collect();
    for h in calls {
        h.await.unwrap().unwrap();
    }
    // 5 at once, then 7 more at 100 ms intervals.
    assert!(t.elapsed() >= ms(650), "took {:?}", t.elapsed());
    assert_eq!(fake.rpm_cap_429s(), 0);
    assert_eq!(client.stats().http_429, 0);
}

#[tokio::test]
async fn retry_after_cools_down_other_callers() {
    let fake = FakeOpenAi::start().await;
    fake.push(Scripted::raw(429, "text/plain", "busy").header("retry-after", "1"));
    let client = LlmClient::new(LlmConfig {
        max_concurrent_requests: 1,
        ..cfg(&fake)
    })
    .unwrap();
    let first = {
        let c = client.clone();
        tokio::spawn(async move { c.chat_json(request(), None).await })
    };
    // The second caller queues behind the first, then must respect the
    // cool-down the first one's 429 set.
    tokio::time::sleep(ms(50)).await;
    let second = client.chat_json(request(), None).await.unwrap();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.attempts + second.attempts, 3);
    assert!(fake.gap(0) >= ms(1000), "{:?}", fake.gap(0));
    assert_eq!(fake.request_count(), 3);
}

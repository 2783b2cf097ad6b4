//! Throughput of `LlmClient` against a rate-capped endpoint.
//!
//! The fake OpenAI server (tests/support/fake_openai.rs) answers after
//! 300 ms and caps requests at 600 RPM (429 + `Retry-After` beyond it). We
//! measure sustained completions per second as a fraction of the cap and
//! how many requests drew a 429:
//!
//! - `limited`: the client's `requests_per_minute` set to the cap;
//! - `unlimited`: no client-side RPM budget (retry policy only), for contrast.
//!
//! Run: `cargo bench --bench llm` (about 30 s). Plain harness: prints figures.

#[path = "../tests/support/fake_openai.rs"]
mod fake_openai;

use std::time::Duration;

use fake_openai::FakeOpenAi;
use proofline::llm::{ChatMessage, ChatRequest, LlmClient, LlmConfig};
use serde_json::json;
use tokio::time::Instant;

const CAP_RPM: u32 = 600;
const LATENCY: Duration = Duration::from_millis(300);

struct Figures {
    name: &'static str,
    calls: usize,
    ok: usize,
    wall: Duration,
    sustained_per_s: f64,
    server_429: usize,
    client_429: u64,
    requests: u64,
    p50: Duration,
    p95: Duration,
    max_in_flight: usize,
}

async fn scenario(name: &'static str, client_rpm: u32, calls: usize) -> Figures {
    let fake = FakeOpenAi::start().await;
    fake.set_latency(LATENCY);
    fake.set_rpm_cap(CAP_RPM);
    let client = LlmClient::new(LlmConfig {
        base_url: fake.base_url(),
        api_key: "sk-bench".into(),
        model: "bench-model".into(),
        request_timeout_ms: 10_000,
        max_concurrent_requests: 16,
        requests_per_minute: client_rpm,
        tokens_per_minute: 0,
        max_retries: 20,
        backoff_base_ms: 100,
        backoff_max_ms: 2_000,
        ..Default::default()
    })
    .expect("client");
    let req = ChatRequest {
        messages: vec![ChatMessage::system("s"), ChatMessage::user("u")],
        schema_name: "bench".into(),
        json_schema: json!({"type": "object"}),
        estimated_tokens: 50,
    };

    let start = Instant::now();
    let handles: Vec<_> = (0..calls)
        .map(|_| {
            let c = client.clone();
            let r = req.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let res = c.chat_json(r, None).await;
                (res.is_ok(), t.elapsed(), Instant::now())
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut done_at = Vec::new();
    let mut ok = 0;
    for h in handles {
        let (success, lat, at) = h.await.expect("task");
        if success {
            ok += 1;
            latencies.push(lat);
            done_at.push(at);
        }
    }
    let wall = start.elapsed();
    latencies.sort();
    done_at.sort();
    // Sustained rate: completions after the first tenth, over the time they
    // took (excludes the start-up burst).
    let skip = calls / 10;
    let sustained_per_s = if done_at.len() > skip + 1 {
        let span = done_at[done_at.len() - 1].duration_since(done_at[skip]);
        (done_at.len() - 1 - skip) as f64 / span.as_secs_f64()
    } else {
        0.0
    };
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    let stats = client.stats();
    Figures {
        name,
        calls,
        ok,
        wall,
        sustained_per_s,
        server_429: fake.rpm_cap_429s(),
        client_429: stats.http_429,
        requests: stats.requests,
        p50: pct(0.5),
        p95: pct(0.95),
        max_in_flight: fake.max_in_flight(),
    }
}

fn print(f: &Figures) {
    let cap_per_s = f64::from(CAP_RPM) / 60.0;
    let overall = f.ok as f64 / f.wall.as_secs_f64();
    println!(
        "{:<9} calls={} ok={} wall={:.1}s overall={:.2}/s ({:.0}% of cap) sustained={:.2}/s ({:.0}% of cap) \
         http_requests={} 429s(server)={} 429s(client)={} ({:.1}% of requests) p50={:.2}s p95={:.2}s max_in_flight={}",
        f.name,
        f.calls,
        f.ok,
        f.wall.as_secs_f64(),
        overall,
        100.0 * overall / cap_per_s,
        f.sustained_per_s,
        100.0 * f.sustained_per_s / cap_per_s,
        f.requests,
        f.server_429,
        f.client_429,
        100.0 * f.client_429 as f64 / f.requests.max(1) as f64,
        f.p50.as_secs_f64(),
        f.p95.as_secs_f64(),
        f.max_in_flight,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this
    // binary without it: skip the 30 s run there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("llm bench: skipped (run `cargo bench --bench llm`)");
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "llm bench: fake endpoint latency {} ms, cap {CAP_RPM} RPM ({:.0}/s), 16 concurrent",
        LATENCY.as_millis(),
        f64::from(CAP_RPM) / 60.0
    );
    rt.block_on(async {
        print(&scenario("limited", CAP_RPM, 200).await);
        print(&scenario("unlimited", 0, 100).await);
    });
}

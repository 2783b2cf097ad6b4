//! The labelled eval on `shared/eval/dev.jsonl`: precision and recall of each
//! check and of "any flag" must reach the acceptance bar.

use proofline::checks::Pipeline;
use proofline::eval::{load_cases, render_plain, run_eval};
use std::path::PathBuf;

const MIN_PRECISION: f64 = 0.95;
const MIN_RECALL: f64 = 0.95;

/// `../shared/eval/dev.jsonl` from the crate root (CI layout); a git
/// worktree one level deeper (`wt/<name>`) falls back to `../../shared`.
fn dev_path() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let primary = root.join("../shared/eval/dev.jsonl");
    if primary.exists() {
        return primary;
    }
    let worktree = root.join("../../shared/eval/dev.jsonl");
    if worktree.exists() {
        return worktree;
    }
    primary
}

#[test]
fn dev_set_meets_targets() {
    let path = dev_path();
    assert!(
        path.exists(),
        "eval file missing: {} (expected shared/eval/dev.jsonl next to the crate root)",
        path.display()
    );
    let cases = load_cases(&path).unwrap_or_else(|e| panic!("cannot load cases: {e}"));
    assert!(
        cases.len() >= 50,
        "expected the full dev set, got {}",
        cases.len()
    );
    let pipeline = Pipeline::bundled();
    let report = run_eval(&pipeline, &cases);
    let plain = render_plain(&report);
    println!("{plain}");
    println!("{}", serde_json::to_string(&report).unwrap());
    assert!(
        report.meets(MIN_PRECISION, MIN_RECALL),
        "below target (precision >= {MIN_PRECISION}, recall >= {MIN_RECALL}):\n{plain}"
    );
}

#[test]
fn report_json_has_exact_shape() {
    let cases = load_cases(dev_path()).expect("dev set loads");
    let report = run_eval(&Pipeline::bundled(), &cases[..5]);
    let v: serde_json::Value = serde_json::to_value(&report).unwrap();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["any", "cases", "checks", "elapsed_ms"]);
    let checks = obj["checks"].as_object().unwrap();
    let mut ck: Vec<&str> = checks.keys().map(String::as_str).collect();
    ck.sort();
    assert_eq!(ck, ["grounding", "red_line", "tone"]);
    for s in checks.values().chain(std::iter::once(&obj["any"])) {
        let mut sk: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        sk.sort();
        assert_eq!(sk, ["fn", "fp", "precision", "recall", "tp"]);
    }
    assert_eq!(obj["cases"], 5);
}

/// `cargo test --test checks_eval dump -- --ignored --nocapture` prints every
/// finding on every case, for error analysis.
#[test]
#[ignore]
fn dump_all_findings() {
    let cases = load_cases(dev_path()).expect("dev set loads");
    let pipeline = Pipeline::bundled();
    for c in &cases {
        let f = proofline::eval::check_case(&pipeline, c);
        println!("== {} expect {:?}", c.id, c.expect.flags);
        for x in f {
            println!(
                "   {:?} {} {:?} | {} | {:?}",
                x.severity, x.rule_id, x.excerpt, x.evidence, x.suggestion
            );
        }
    }
}

/// A fixed workload for profilers (`valgrind --tool=callgrind`), ignored by
/// default: every dev case, 20 times.
#[test]
#[ignore]
fn perf_loop() {
    let cases = load_cases(dev_path()).expect("dev set loads");
    let pipeline = Pipeline::bundled();
    let mut n = 0usize;
    let t0 = std::time::Instant::now();
    for _ in 0..20 {
        for c in &cases {
            n += proofline::eval::check_case(&pipeline, c).len();
        }
    }
    let per = t0.elapsed().as_secs_f64() * 1e6 / (20.0 * cases.len() as f64);
    println!("{n} findings; {per:.1} µs per case");
}

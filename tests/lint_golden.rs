//! Golden `proofline lint` output: the repository's library copied into a
//! fresh git repository (committed, so `--base HEAD` is the bundled library),
//! then `tests/fixtures/lint_<case>/overlay/` copied over it: one defect per
//! case. `expected.txt` holds the exact lines, paths relative to the copy.

mod common;

use chrono::NaiveDate;
use common::copy_dir;
use proofline::lint::{Options, lint};
use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The copied library with the case's overlay applied, in a git repository.
fn fixture(case: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for d in ["prompts", "proof-library", "policies", "examples/briefs"] {
        copy_dir(&repo().join(d), &tmp.path().join(d));
    }
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-q", "-m", "base"]);
    let overlay = repo().join("tests/fixtures").join(case).join("overlay");
    if overlay.is_dir() {
        copy_dir(&overlay, tmp.path());
    }
    tmp
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn lines(case: &str) -> (Vec<String>, bool) {
    let tmp = fixture(case);
    let report = lint(&Options {
        dir: tmp.path().to_path_buf(),
        base: Some("HEAD".into()),
        today: today(),
    });
    let prefix = format!("{}/", tmp.path().display());
    let all = report
        .errors
        .iter()
        .chain(&report.warnings)
        .map(|p| {
            // Golden lines stop at the rule id: messages may be reworded.
            let s = p.to_string();
            let s = s.strip_prefix(&prefix).unwrap_or(&s).to_string();
            let head = format!("{}:{}:{}: {}", p.path, p.line, p.col, p.rule);
            let head = head.strip_prefix(&prefix).unwrap_or(&head).to_string();
            assert!(s.starts_with(&head));
            head
        })
        .collect();
    (all, report.fails(false))
}

fn expected(case: &str) -> Vec<String> {
    std::fs::read_to_string(
        repo()
            .join("tests/fixtures")
            .join(case)
            .join("expected.txt"),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.trim().is_empty())
    .map(str::to_string)
    .collect()
}

fn check(case: &str, fails: bool) {
    let (got, failed) = lines(case);
    if std::env::var_os("PROOFLINE_BLESS").is_some() {
        let path = repo()
            .join("tests/fixtures")
            .join(case)
            .join("expected.txt");
        std::fs::write(path, got.join("\n") + "\n").unwrap();
    }
    assert_eq!(got, expected(case), "{case}:\n{}", got.join("\n"));
    assert_eq!(failed, fails, "{case}");
}

#[test]
fn clean_library_only_warns_about_its_expired_proof() {
    check("lint_clean", false);
}

#[test]
fn syntax_error() {
    check("lint_syntax", true);
}

#[test]
fn duplicate_id() {
    check("lint_duplicate", true);
}

#[test]
fn template_that_does_not_render() {
    check("lint_render", true);
}

#[test]
fn expired_proof_warns() {
    check("lint_expired", false);
}

#[test]
fn content_changed_without_version_bump() {
    check("lint_not_bumped", true);
}

#[test]
fn version_bump_without_changelog() {
    check("lint_changelog", true);
}

#[test]
fn cli_exit_codes_and_json() {
    let bin = env!("CARGO_BIN_EXE_proofline");
    let ok = Command::new(bin)
        .args(["lint", "--json", "--today", "2026-12-01"])
        .arg(repo())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert!(!v["warnings"].as_array().unwrap().is_empty());
    let strict = Command::new(bin)
        .args(["lint", "--strict", "--today", "2026-12-01"])
        .arg(repo())
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
    let tmp = fixture("lint_syntax");
    let bad = Command::new(bin)
        .arg("lint")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains(": toml.syntax: "));
}

#[test]
fn policy_rule_example_that_does_not_hold() {
    check("lint_policy_example", true);
}

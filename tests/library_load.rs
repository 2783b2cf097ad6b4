//! The loader: the bundled library loads cleanly and equals the repository's
//! files; a broken library reports every problem at once, with positions.

use proofline::library::{self, Library};
use proofline::model::{ItemKind, ItemRef};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn bundled_library_loads_with_no_errors() {
    let lib = Library::bundled();
    assert_eq!(lib.commit(), library::EMBEDDED);
    let kinds: Vec<ItemKind> = lib.items().map(|(k, _)| k).collect();
    for k in [
        ItemKind::Prompt,
        ItemKind::Component,
        ItemKind::Proof,
        ItemKind::Policy,
    ] {
        assert!(kinds.contains(&k), "no {k:?} items");
    }
    assert!(lib.proofs().len() >= 12);
    let industries: std::collections::BTreeSet<&String> = lib
        .proofs()
        .iter()
        .flat_map(|p| &p.meta.allowed.industries)
        .collect();
    assert!(industries.len() >= 4, "{industries:?}");
    assert!(lib.routing().is_some() && lib.routing_meta().is_some());
    let routing = lib.policy("routing").unwrap();
    assert!(routing.raw.contains("[rules]"));
    assert_eq!(routing.path, "policies/routing.toml");
}

#[test]
fn directory_and_embedded_libraries_are_identical() {
    let dir = Library::load(&repo()).unwrap_or_else(|errs| {
        panic!(
            "{}",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let emb = Library::bundled();
    // A mismatch usually means a file was added after the last build: the
    // embedded copy is refreshed when this crate recompiles.
    assert_eq!(
        dir.fingerprint(),
        emb.fingerprint(),
        "embedded library is stale"
    );
    let a: Vec<_> = dir.items().map(|(k, m)| (k, m.clone())).collect();
    let b: Vec<_> = emb.items().map(|(k, m)| (k, m.clone())).collect();
    assert_eq!(a, b);
    for p in dir.proofs() {
        assert_eq!(Some(p), emb.proof(&p.meta.id));
    }
    for p in dir.policies() {
        assert_eq!(
            Some(p),
            emb.policy(Path::new(&p.path).file_stem().unwrap().to_str().unwrap())
        );
    }
}

#[test]
fn broken_library_reports_every_problem() {
    let dir = repo().join("tests/fixtures/library_broken");
    let errs = Library::load(&dir).expect_err("the fixture is broken");
    let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
    let joined = text.join("\n");
    for rule in [
        "toml.syntax",
        "toml.schema",
        "meta.version",
        "meta.version-mismatch",
        "meta.duplicate",
        "ref.unresolved",
        "template.syntax",
        "proof.missing-expiry",
        "proof.fact-not-in-text",
    ] {
        assert!(
            errs.iter().any(|e| e.rule == rule),
            "no {rule} in:\n{joined}"
        );
    }
    // Format: path:line:col: rule-id: message
    for (e, line) in errs.iter().zip(&text) {
        assert!(
            line.starts_with(&format!("{}:{}:{}: {}: ", e.path, e.line, e.col, e.rule)),
            "{line}"
        );
        assert!(e.line >= 1 && e.col >= 1);
    }
    // Positions point at the problem.
    let syntax = errs.iter().find(|e| e.rule == "toml.syntax").unwrap();
    assert!(
        syntax.path.ends_with("broken_syntax.toml") && syntax.line == 3,
        "{syntax}"
    );
    let tmpl = errs
        .iter()
        .find(|e| e.rule == "template.syntax" && e.path.ends_with("1.0.0.toml"))
        .unwrap();
    assert_eq!((tmpl.line, tmpl.col), (19, 14), "{tmpl}");
    let version = errs.iter().find(|e| e.rule == "meta.version").unwrap();
    assert!(
        version.path.ends_with("no_label.toml") && version.line == 3,
        "{version}"
    );
    let routing = errs
        .iter()
        .find(|e| e.path.ends_with("routing.toml"))
        .unwrap();
    assert_eq!(
        (routing.rule, routing.line),
        ("toml.schema", 9),
        "{routing}"
    );
    // Unresolved references name both ends.
    assert!(joined.contains("persona.nope"), "{joined}");
    assert!(joined.contains("pp-missing"), "{joined}");
    // A policy without [meta] is reported too.
    assert!(
        errs.iter().any(|e| e.path.ends_with("voice.toml")),
        "{joined}"
    );
    assert!(errs.len() >= 12, "{joined}");
}

fn copy_library(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &dest);
            } else {
                std::fs::copy(&p, &dest).unwrap();
            }
        }
    }
    for d in ["prompts", "proof-library", "policies"] {
        copy(&repo().join(d), &to.join(d));
    }
}

fn git(dir: &Path, args: &[&str]) -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn commit_marker_follows_git_state() {
    let tmp = tempfile::tempdir().unwrap();
    copy_library(tmp.path());
    let lib = Library::load(tmp.path()).unwrap();
    assert_eq!(lib.commit(), library::NOT_A_GIT_REPO);
    assert_eq!(lib.fingerprint(), Library::bundled().fingerprint());

    if !git(tmp.path(), &["init", "-q"]) {
        eprintln!("git not available; skipping the git half");
        return;
    }
    assert!(git(tmp.path(), &["add", "-A"]));
    assert!(git(tmp.path(), &["commit", "-qm", "library"]));
    let clean = Library::load(tmp.path()).unwrap();
    let sha = clean.commit().to_string();
    assert_eq!(sha.len(), 40, "{sha}");
    assert!(sha.chars().all(|c| c.is_ascii_hexdigit()));

    let p = tmp.path().join("prompts/blocks/ctas/soft.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("No meeting needed.", "No call needed.")).unwrap();
    let dirty = Library::load(tmp.path()).unwrap();
    assert_eq!(dirty.commit(), format!("{sha}+dirty"));
    assert_ne!(dirty.fingerprint(), clean.fingerprint());
}

#[test]
fn versions_coexist_and_are_selected_by_label_or_pin() {
    use library::VersionReq;
    use proofline::model::Channel;
    let lib = Library::bundled();
    let versions: Vec<&str> = lib
        .channel_prompt_versions(Channel::Email)
        .iter()
        .map(|p| p.meta.version.as_str())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0"]);
    let prod = lib
        .channel_prompt(Channel::Email, &VersionReq::production())
        .unwrap();
    assert_eq!(prod.meta.version, "1.0.0");
    let cand = lib
        .channel_prompt(Channel::Email, &VersionReq::parse("candidate"))
        .unwrap();
    assert_eq!(cand.meta.version, "1.1.0");
    let pinned = lib
        .channel_prompt(Channel::Email, &VersionReq::parse("1.1.0"))
        .unwrap();
    assert_eq!(pinned.meta.version, "1.1.0");
    assert!(
        lib.channel_prompt(Channel::Email, &VersionReq::parse("9.9.9"))
            .is_none()
    );
    // Routing trusts only production.
    let r = ItemRef {
        kind: ItemKind::Prompt,
        id: "channel.email".into(),
        version: "1.1.0".into(),
    };
    assert!(!lib.used_item(&r).unwrap().trusted);
}

#[test]
fn lint_reports_expired_proofs() {
    let lib = Library::bundled();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let warnings = lib.lint(today);
    assert!(
        warnings
            .iter()
            .any(|w| w.item.id == "pp-caldera-audit-2024" && w.message.contains("expired")),
        "{warnings:?}"
    );
}

#[test]
#[ignore = "prints the broken fixture's errors"]
fn show_broken_errors() {
    let dir = repo().join("tests/fixtures/library_broken");
    for e in Library::load(&dir).unwrap_err() {
        println!("{e}");
    }
}

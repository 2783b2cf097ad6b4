//! Every bundled example brief × every channel renders through the offline
//! composer: deterministic, within the channel limits, approved proofs
//! verbatim, subject for email only, and the voice rules of
//! `shared/eval/README.md` respected.
//!
//! Run with `PRINT_DRAFTS=1 cargo test --test compose_examples -- --nocapture`
//! to read every draft.

use chrono::NaiveDate;
use proofline::compose::{self, Selection};
use proofline::library::Library;
use proofline::model::{AccountBrief, Channel, DraftText};
use std::path::Path;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn briefs() -> Vec<(String, AccountBrief)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/briefs");
    let mut out: Vec<(String, AccountBrief)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let brief: AccountBrief =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_stem().unwrap().to_string_lossy().into_owned(), brief)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 5, "need at least 5 example briefs");
    out
}

fn draft(
    lib: &Library,
    brief: &AccountBrief,
    channel: Channel,
) -> (compose::Plan, compose::Slots, DraftText) {
    let plan = compose::plan(lib, brief, channel, &Selection::production(today())).unwrap();
    let slots = compose::offline_slots(lib, &plan, brief).unwrap();
    let text = compose::render(lib, &plan, brief, &slots).unwrap();
    (plan, slots, text)
}

const HYPE: &[&str] = &[
    "game-changing",
    "game changing",
    "revolutionary",
    "cutting-edge",
    "cutting edge",
    "best-in-class",
    "best in class",
    "world-class",
    "world class",
    "synergy",
    "disruptive",
    "unparalleled",
    "skyrocket",
    "guarantee",
    "100%",
    "risk-free",
    "zero risk",
    "never fails",
];
const URGENCY: &[&str] = &[
    "act now",
    "last chance",
    "don't miss",
    "do not miss",
    "spots left",
    "before it's too late",
    "limited time",
    "hurry",
    "asap",
    "urgent",
];
const TRACKED: &[&str] = &[
    "visited",
    "pricing page",
    "intent",
    "third-party",
    "third party",
    "opened",
    "web analytics",
    "tracking",
    "research on",
    "researching",
    "review site",
    "review-site",
    "clicked",
];
const SENSITIVE: &[&str] = &[
    "maternity",
    "pregnan",
    "child",
    "medical",
    "health condition",
];

fn sentences(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines() {
        let mut cur = String::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            cur.push(*c);
            let end =
                matches!(c, '.' | '?' | '!') && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            if end {
                out.push(std::mem::take(&mut cur));
            }
        }
        if !cur.trim().is_empty() {
            out.push(cur);
        }
    }
    out
}

fn limit(channel: Channel) -> (usize, bool) {
    match channel {
        Channel::Email => (150, true),
        Channel::LinkedinConnection => (300, false),
        Channel::LinkedinMessage => (120, true),
        Channel::CallScript => (250, true),
        Channel::LandingPage => (400, true),
    }
}

fn check_voice(name: &str, brief: &AccountBrief, lib: &Library, channel: Channel, d: &DraftText) {
    let ctx = format!(
        "{name}/{channel}:\n{}\n{}",
        d.subject.clone().unwrap_or_default(),
        d.body
    );
    let all = format!("{}\n{}", d.subject.clone().unwrap_or_default(), d.body);
    let lower = all.to_lowercase();
    assert!(!all.contains('!'), "exclamation mark in {ctx}");
    for w in HYPE.iter().chain(URGENCY) {
        assert!(!lower.contains(w), "{w:?} in {ctx}");
    }
    for w in TRACKED.iter().chain(SENSITIVE) {
        assert!(!lower.contains(w), "tracked or sensitive {w:?} in {ctx}");
    }
    for residue in [
        "{{",
        "}}",
        "{%",
        "[",
        "]",
        "<",
        ">",
        "as an ai",
        "undefined",
        "none.",
    ] {
        assert!(!lower.contains(residue), "residue {residue:?} in {ctx}");
    }
    // Capitals only for acronyms that the brief or a proof contains.
    let mut facts = serde_json::to_string(brief).unwrap();
    for id in &brief.proof_point_ids {
        facts.push_str(&lib.proof(id).unwrap().text);
    }
    for w in all.split(|c: char| !c.is_alphanumeric() && c != '&') {
        let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) {
            assert!(
                facts.contains(w) || w == "IT",
                "capitals {w:?} not an acronym from the brief in {ctx}"
            );
        }
    }
    // Every number comes from the brief or a proof.
    for w in all.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')') {
        let w = w.trim_end_matches(['.', '?', ':', ';', '\'']);
        if w.chars().any(|c| c.is_ascii_digit()) {
            assert!(
                facts.contains(w),
                "number {w:?} not in the brief or proofs in {ctx}"
            );
        }
    }
    for s in sentences(&d.body) {
        assert!(
            s.split_whitespace().count() <= 40,
            "sentence over 40 words in {ctx}: {s}"
        );
    }
    let (max, words) = limit(channel);
    let n = if words {
        d.body.split_whitespace().count()
    } else {
        d.body.chars().count()
    };
    assert!(n <= max, "{n} over {max} in {ctx}");
}

#[test]
fn every_example_brief_renders_on_every_channel() {
    let lib = Library::bundled();
    let print = std::env::var_os("PRINT_DRAFTS").is_some();
    for (name, brief) in briefs() {
        for channel in Channel::ALL {
            let (plan, slots, d) = draft(&lib, &brief, channel);
            if print {
                println!(
                    "===== {name} / {channel} ({} words, {} chars)",
                    d.body.split_whitespace().count(),
                    d.body.chars().count()
                );
                if let Some(s) = &d.subject {
                    println!("Subject: {s}");
                }
                println!("{}\n", d.body);
            }
            // Subject for email only.
            assert_eq!(
                d.subject.is_some(),
                channel == Channel::Email,
                "{name}/{channel}"
            );
            if let Some(s) = &d.subject {
                assert!(
                    !s.trim().is_empty() && s.split_whitespace().count() <= 10,
                    "{name}: subject {s:?}"
                );
            }
            // Email uses exactly one proof.
            if channel == Channel::Email {
                assert_eq!(plan.proofs.len(), 1, "{name}");
            }
            // Proofs appear verbatim (connection notes may leave theirs out
            // to stay under 300 characters).
            for p in &plan.proofs {
                let text = &lib.proof(&p.id).unwrap().text;
                if channel == Channel::LinkedinConnection && slots.proof_intro.is_empty() {
                    continue;
                }
                assert!(
                    d.body.contains(text.as_str()),
                    "{name}/{channel}: proof {} not verbatim",
                    p.id
                );
            }
            // Every item used is listed with its version.
            for r in &plan.items {
                assert!(
                    lib.item_meta(r).is_some(),
                    "{name}/{channel}: {r:?} not in the library"
                );
            }
            assert!(plan.items.contains(&plan.system) && plan.items.contains(&plan.prompt));
            check_voice(&name, &brief, &lib, channel, &d);
            // Claims name their sources.
            for c in &slots.claims {
                assert!(
                    c.source.starts_with("brief.") || c.source.starts_with("proofs["),
                    "{c:?}"
                );
            }
        }
    }
}

#[test]
fn drafts_are_deterministic() {
    let lib = Library::bundled();
    let again = Library::bundled();
    for (_, brief) in briefs() {
        for channel in Channel::ALL {
            let a = draft(&lib, &brief, channel);
            let b = draft(&again, &brief, channel);
            assert_eq!(a.1, b.1);
            assert_eq!(a.2, b.2);
        }
    }
}

#[test]
fn channel_shapes() {
    let lib = Library::bundled();
    for (name, brief) in briefs() {
        let (_, _, call) = draft(&lib, &brief, Channel::CallScript);
        for part in [
            "Opener:",
            "Why I'm calling:",
            "Questions:\n- ",
            "Permission to proceed:",
            "Close:",
        ] {
            assert!(
                call.body.contains(part),
                "{name}: call script lacks {part:?}"
            );
        }
        let (_, slots, page) = draft(&lib, &brief, Channel::LandingPage);
        assert!(page.body.starts_with(&slots.headline), "{name}");
        assert!(page.body.contains(&brief.account_name), "{name}");
        assert!(page.body.contains("Next step\n"), "{name}");
        let assets = slots.assets.unwrap();
        assert!(page.body.contains(&assets.heading), "{name}: stage assets");
        let (_, _, email) = draft(&lib, &brief, Channel::Email);
        assert!(email.body.starts_with("Hello,"), "{name}");
        assert!(
            email.body.ends_with(&brief.sender.company),
            "{name}: signature"
        );
    }
}

#[test]
fn third_party_signals_and_personal_details_never_reach_the_text() {
    let lib = Library::bundled();
    for (name, brief) in briefs() {
        for channel in Channel::ALL {
            let (plan, _, d) = draft(&lib, &brief, channel);
            if plan.third_party_trigger {
                assert!(!d.body.contains(&brief.trigger.summary), "{name}/{channel}");
            }
            for e in &brief.recent_engagement {
                let l = e.to_lowercase();
                if l.contains("analytics") || l.contains("tracking") {
                    assert!(
                        !d.body.contains(e.as_str()),
                        "{name}/{channel}: tracked engagement quoted"
                    );
                }
            }
        }
    }
}

#[test]
fn hypotheses_are_only_asked() {
    let lib = Library::bundled();
    for (name, brief) in briefs() {
        for channel in Channel::ALL {
            let (_, _, d) = draft(&lib, &brief, channel);
            for h in &brief.hypotheses {
                let key: String = h
                    .split_whitespace()
                    .skip(1)
                    .take(4)
                    .collect::<Vec<_>>()
                    .join(" ");
                for s in sentences(&d.body) {
                    if s.contains(&key) {
                        assert!(
                            s.trim_end().ends_with('?'),
                            "{name}/{channel}: hypothesis stated: {s}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn example_briefs_cover_both_routes() {
    let lib = Library::bundled();
    let routing = lib.routing().expect("routing policy");
    let regulated = |b: &AccountBrief| {
        routing.review_tiers.contains(&b.tier)
            || routing
                .regulated_industries
                .iter()
                .any(|i| i.eq_ignore_ascii_case(&b.industry))
    };
    let all = briefs();
    assert!(
        all.iter().any(|(_, b)| regulated(b)),
        "no review-route brief"
    );
    assert!(
        all.iter().any(|(_, b)| !regulated(b) && b.tier >= 2),
        "no auto-send brief"
    );
    // Every trigger kind the examples use has its own block, and proofs resolve.
    for (name, b) in &all {
        for id in &b.proof_point_ids {
            let p = lib
                .proof(id)
                .unwrap_or_else(|| panic!("{name}: proof {id}"));
            assert!(p.meta.is_trusted(), "{name}: {id} is not production");
            assert!(!p.meta.is_expired(today()), "{name}: {id} expired");
        }
    }
}

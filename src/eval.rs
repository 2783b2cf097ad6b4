//! The labelled-eval harness: load `shared/eval/*.jsonl` cases, run the
//! checks, score precision and recall per check and for "any flag" at draft
//! level, and list misses and false alarms.
//!
//! A case counts as flagged by a check when that check reports at least one
//! blocking finding.

use crate::checks::{CheckInput, Pipeline};
use crate::model::{AccountBrief, Channel, CheckKind, DraftText, Finding, ProofFact};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// One line of an eval file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalCase {
    pub id: String,
    pub channel: Channel,
    pub brief: AccountBrief,
    #[serde(default)]
    pub proofs: Vec<ProofFact>,
    #[serde(default)]
    pub competitors: Vec<String>,
    pub draft: DraftText,
    pub expect: Expect,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub flags: Vec<CheckKind>,
    #[serde(default)]
    pub why: String,
}

/// Confusion counts and scores for one check (or "any").
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub tp: u32,
    pub fp: u32,
    #[serde(rename = "fn")]
    pub fn_: u32,
    pub precision: f64,
    pub recall: f64,
}

impl Score {
    fn add(&mut self, expected: bool, flagged: bool) {
        match (expected, flagged) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => {}
        }
    }

    fn finish(&mut self) {
        let (tp, fp, fn_) = (self.tp as f64, self.fp as f64, self.fn_ as f64);
        self.precision = if tp + fp == 0.0 { 1.0 } else { tp / (tp + fp) };
        self.recall = if tp + fn_ == 0.0 {
            1.0
        } else {
            tp / (tp + fn_)
        };
    }
}

/// What happened on one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOutcome {
    pub id: String,
    pub expected: Vec<CheckKind>,
    pub flagged: Vec<CheckKind>,
    pub why: String,
    pub findings: Vec<Finding>,
}

impl CaseOutcome {
    /// Checks that should have flagged and did not.
    pub fn misses(&self) -> Vec<CheckKind> {
        self.expected
            .iter()
            .copied()
            .filter(|k| !self.flagged.contains(k))
            .collect()
    }

    /// Checks that flagged but should not have.
    pub fn false_alarms(&self) -> Vec<CheckKind> {
        self.flagged
            .iter()
            .copied()
            .filter(|k| !self.expected.contains(k))
            .collect()
    }
}

/// The eval result. Serializes to exactly
/// `{"cases", "elapsed_ms", "checks": {"grounding", "red_line", "tone"}, "any"}`;
/// per-case outcomes are kept for [`render_plain`] but not serialized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub cases: usize,
    pub elapsed_ms: f64,
    pub checks: BTreeMap<String, Score>,
    pub any: Score,
    #[serde(skip)]
    pub outcomes: Vec<CaseOutcome>,
}

impl EvalReport {
    pub fn score(&self, kind: CheckKind) -> Score {
        self.checks.get(kind.as_str()).copied().unwrap_or_default()
    }

    /// Whether every check and "any" reach both `min_precision` and `min_recall`.
    pub fn meets(&self, min_precision: f64, min_recall: f64) -> bool {
        self.checks
            .values()
            .chain(std::iter::once(&self.any))
            .all(|s| s.precision >= min_precision && s.recall >= min_recall)
    }
}

/// Run the checks on one case (competitors merged with the policy list).
pub fn check_case(pipeline: &Pipeline, case: &EvalCase) -> Vec<Finding> {
    let input = CheckInput {
        channel: case.channel,
        brief: &case.brief,
        proofs: &case.proofs,
        competitors: &case.competitors,
        draft: &case.draft,
    };
    pipeline.run(&input)
}

/// Checks with at least one blocking finding.
pub fn flagged_checks(findings: &[Finding]) -> Vec<CheckKind> {
    CheckKind::ALL
        .into_iter()
        .filter(|k| findings.iter().any(|f| f.check == *k && f.is_blocking()))
        .collect()
}

/// Run and score every case.
pub fn run_eval(pipeline: &Pipeline, cases: &[EvalCase]) -> EvalReport {
    let t0 = Instant::now();
    let mut outcomes = Vec::with_capacity(cases.len());
    for c in cases {
        let findings = check_case(pipeline, c);
        let flagged = flagged_checks(&findings);
        outcomes.push(CaseOutcome {
            id: c.id.clone(),
            expected: c.expect.flags.clone(),
            flagged,
            why: c.expect.why.clone(),
            findings,
        });
    }
    let elapsed_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mut checks = BTreeMap::new();
    for k in CheckKind::ALL {
        let mut s = Score::default();
        for o in &outcomes {
            s.add(o.expected.contains(&k), o.flagged.contains(&k));
        }
        s.finish();
        checks.insert(k.as_str().to_string(), s);
    }
    let mut any = Score::default();
    for o in &outcomes {
        any.add(!o.expected.is_empty(), !o.flagged.is_empty());
    }
    any.finish();
    EvalReport {
        cases: cases.len(),
        elapsed_ms: (elapsed_ms * 1000.0).round() / 1000.0,
        checks,
        any,
        outcomes,
    }
}

/// Load a JSONL file of cases. Blank lines are skipped; errors name the line.
pub fn load_cases(path: impl AsRef<Path>) -> Result<Vec<EvalCase>, String> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse_cases(&text).map_err(|e| format!("{}:{e}", path.display()))
}

/// Parse JSONL text of cases; errors are `LINE: message`.
pub fn parse_cases(text: &str) -> Result<Vec<EvalCase>, String> {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let de = &mut serde_json::Deserializer::from_str(line);
        match serde_path_to_error::deserialize::<_, EvalCase>(de) {
            Ok(c) => out.push(c),
            Err(e) => errs.push(format!("{}: at {}: {}", i + 1, e.path(), e.inner())),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs.join("\n"))
    }
}

fn pct(x: f64) -> String {
    format!("{:.3}", x)
}

/// A human-readable report: scores, then each miss and false alarm with the
/// case id and its findings.
pub fn render_plain(r: &EvalReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "{} cases in {:.1} ms", r.cases, r.elapsed_ms);
    let _ = writeln!(
        s,
        "{:<10} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "check", "tp", "fp", "fn", "precision", "recall"
    );
    let rows = CheckKind::ALL
        .into_iter()
        .map(|k| (k.as_str().to_string(), r.score(k)))
        .chain(std::iter::once(("any".to_string(), r.any)));
    for (name, sc) in rows {
        let _ = writeln!(
            s,
            "{:<10} {:>4} {:>4} {:>4} {:>9} {:>7}",
            name,
            sc.tp,
            sc.fp,
            sc.fn_,
            pct(sc.precision),
            pct(sc.recall)
        );
    }
    for o in &r.outcomes {
        let misses = o.misses();
        let fas = o.false_alarms();
        if misses.is_empty() && fas.is_empty() {
            continue;
        }
        let _ = writeln!(s);
        let list = |v: &[CheckKind]| v.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        if !misses.is_empty() {
            let _ = writeln!(s, "MISS        {} [{}]: {}", o.id, list(&misses), o.why);
        }
        if !fas.is_empty() {
            let _ = writeln!(s, "FALSE ALARM {} [{}]: {}", o.id, list(&fas), o.why);
        }
        for f in &o.findings {
            let _ = writeln!(
                s,
                "    {:?} {} {} {}@{}..{} {:?}: {} | {}",
                f.severity,
                f.check,
                f.rule_id,
                f.span.part.as_str(),
                f.span.start,
                f.span.end,
                f.excerpt,
                f.message,
                f.evidence
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_the_line() {
        let e = parse_cases("\n{\"id\": 1}\n").unwrap_err();
        assert!(e.starts_with("2: "), "{e}");
    }

    #[test]
    fn score_handles_empty() {
        let mut s = Score::default();
        s.finish();
        assert_eq!((s.precision, s.recall), (1.0, 1.0));
        s.add(true, false);
        s.add(false, true);
        s.add(true, true);
        s.finish();
        assert_eq!((s.tp, s.fp, s.fn_), (1, 1, 1));
        assert!((s.precision - 0.5).abs() < 1e-9);
    }
}

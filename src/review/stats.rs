//! Reviewer decisions as labels for the checks. Pure.
//!
//! A reviewed draft is one that was approved or rejected. A rule (or check)
//! "fired" on it when it reported a finding. Then:
//! - fired on a rejected draft: a true positive;
//! - fired on an approved draft: a false alarm (a reviewer overrode it);
//! - a draft rejected for a reason that belongs to a check (e.g.
//!   `unsupported_claim` → grounding) that the check did not flag: a miss.
//!
//! precision = TP / fired; recall = TP / drafts rejected for the check's
//! reasons. Regenerations and edits are counted but are not labels: a
//! reviewer asking for a softer CTA is not saying a check was wrong.

use super::reasons::RejectReason;
use super::{Decision, DecisionKind};
use crate::model::{CheckKind, Draft};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleStats {
    pub check: String,
    pub rule_id: String,
    pub fired: u32,
    pub true_positives: u32,
    pub false_positives: u32,
    pub rejected_for_check: u32,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckStats {
    pub check: String,
    pub flagged: u32,
    pub true_positives: u32,
    pub false_positives: u32,
    pub misses: u32,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReviewStats {
    pub approved: u32,
    pub rejected: u32,
    pub regenerated: u32,
    pub edited: u32,
    /// Rejected drafts with no finding at all.
    pub misses: u32,
    /// Approved drafts with a blocking finding.
    pub false_alarms: u32,
    pub checks: Vec<CheckStats>,
    pub rules: Vec<RuleStats>,
}

fn ratio(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| f64::from(n) / f64::from(d))
}

/// Compute the stats from decisions and the drafts they were made on
/// (`draft_of` returns `None` for a draft that is gone; its decision is
/// skipped).
pub fn compute<'a>(
    decisions: &[Decision],
    draft_of: impl Fn(&str) -> Option<&'a Draft>,
) -> ReviewStats {
    let mut s = ReviewStats::default();
    let mut rules: BTreeMap<(CheckKind, String), RuleStats> = BTreeMap::new();
    let mut checks: BTreeMap<CheckKind, CheckStats> = CheckKind::ALL
        .into_iter()
        .map(|c| {
            (
                c,
                CheckStats {
                    check: c.as_str().into(),
                    ..Default::default()
                },
            )
        })
        .collect();
    // Drafts rejected for each check's reasons, to compute rule recall.
    let mut rejected_for: BTreeMap<CheckKind, Vec<BTreeSet<String>>> = BTreeMap::new();
    for d in decisions {
        match d.kind {
            DecisionKind::Regenerate => {
                s.regenerated += 1;
                continue;
            }
            DecisionKind::Edit => {
                s.edited += 1;
                continue;
            }
            DecisionKind::Approve | DecisionKind::Reject => {}
        }
        let Some(draft) = draft_of(&d.draft_id) else {
            continue;
        };
        let rejected = d.kind == DecisionKind::Reject;
        if rejected {
            s.rejected += 1;
            if draft.findings.is_empty() {
                s.misses += 1;
            }
        } else {
            s.approved += 1;
            if draft.findings.iter().any(|f| f.is_blocking()) {
                s.false_alarms += 1;
            }
        }
        let fired_rules: BTreeSet<(CheckKind, String)> = draft
            .findings
            .iter()
            .map(|f| (f.check, f.rule_id.clone()))
            .collect();
        let fired_checks: BTreeSet<CheckKind> = fired_rules.iter().map(|(c, _)| *c).collect();
        for (check, rule) in &fired_rules {
            let r = rules
                .entry((*check, rule.clone()))
                .or_insert_with(|| RuleStats {
                    check: check.as_str().into(),
                    rule_id: rule.clone(),
                    ..Default::default()
                });
            r.fired += 1;
            if rejected {
                r.true_positives += 1;
            } else {
                r.false_positives += 1;
            }
        }
        for c in &fired_checks {
            let cs = checks.get_mut(c).expect("every check has an entry");
            cs.flagged += 1;
            if rejected {
                cs.true_positives += 1;
            } else {
                cs.false_positives += 1;
            }
        }
        let labelled = RejectReason::parse(&d.reason_code).and_then(|r| r.check());
        if let (true, Some(c)) = (rejected, labelled) {
            if !fired_checks.contains(&c) {
                checks.get_mut(&c).expect("every check has an entry").misses += 1;
            }
            rejected_for.entry(c).or_default().push(
                fired_rules
                    .iter()
                    .filter(|(fc, _)| *fc == c)
                    .map(|(_, r)| r.clone())
                    .collect(),
            );
        }
    }
    for ((check, rule), r) in rules.iter_mut() {
        let rejected = rejected_for.get(check).map(Vec::as_slice).unwrap_or(&[]);
        r.rejected_for_check = rejected.len() as u32;
        let caught = rejected.iter().filter(|set| set.contains(rule)).count() as u32;
        r.precision = ratio(r.true_positives, r.fired);
        r.recall = ratio(caught, r.rejected_for_check);
    }
    for c in checks.values_mut() {
        c.precision = ratio(c.true_positives, c.flagged);
        let labelled = rejected_for.get(&CheckKind::parse(&c.check).expect("known check"));
        let caught = labelled.map(|v| v.iter().filter(|s| !s.is_empty()).count() as u32);
        c.recall = ratio(
            caught.unwrap_or(0),
            labelled.map(|v| v.len() as u32).unwrap_or(0),
        );
    }
    s.checks = checks.into_values().collect();
    s.rules = rules.into_values().collect();
    s
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The stats as plain-text tables (the `review-stats` command).
pub fn render(s: &ReviewStats) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "reviews: {} approved, {} rejected, {} regenerated, {} edited",
        s.approved, s.rejected, s.regenerated, s.edited
    );
    let _ = writeln!(
        out,
        "misses (rejected, no finding): {}; false alarms (approved over a blocking finding): {}\n",
        s.misses, s.false_alarms
    );
    let _ = writeln!(
        out,
        "{:<12} {:>7} {:>5} {:>5} {:>6} {:>9} {:>7}",
        "check", "flagged", "tp", "fp", "missed", "precision", "recall"
    );
    for c in &s.checks {
        let _ = writeln!(
            out,
            "{:<12} {:>7} {:>5} {:>5} {:>6} {:>9} {:>7}",
            c.check,
            c.flagged,
            c.true_positives,
            c.false_positives,
            c.misses,
            pct(c.precision),
            pct(c.recall)
        );
    }
    if s.rules.is_empty() {
        let _ = writeln!(out, "\nno rule fired on a reviewed draft yet");
        return out;
    }
    let width = s
        .rules
        .iter()
        .map(|r| r.check.len() + 1 + r.rule_id.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "\n{:<width$} {:>5} {:>5} {:>5} {:>9} {:>7}",
        "rule", "fired", "tp", "fp", "precision", "recall"
    );
    for r in &s.rules {
        let _ = writeln!(
            out,
            "{:<width$} {:>5} {:>5} {:>5} {:>9} {:>7}",
            format!("{}/{}", r.check, r.rule_id),
            r.fired,
            r.true_positives,
            r.false_positives,
            pct(r.precision),
            pct(r.recall)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn draft(id: &str, findings: &[(CheckKind, &str, Severity)]) -> Draft {
        Draft {
            draft_id: id.into(),
            request_id: "r".into(),
            tenant: "t".into(),
            account_id: "a".into(),
            channel: Channel::Email,
            text: DraftText {
                subject: Some("s".into()),
                body: "body".into(),
            },
            findings: findings
                .iter()
                .map(|(c, r, sev)| Finding {
                    check: *c,
                    rule_id: r.to_string(),
                    rule_version: "1".into(),
                    severity: *sev,
                    span: Span {
                        part: TextPart::Body,
                        start: 0,
                        end: 4,
                    },
                    excerpt: "body".into(),
                    message: String::new(),
                    evidence: String::new(),
                    suggestion: None,
                })
                .collect(),
            claims: vec![],
            route: Route::HumanReview,
            reasons: vec![],
            lineage: Lineage {
                brief_hash: String::new(),
                library_commit: String::new(),
                items: vec![],
                generator: GeneratorInfo::offline(),
                usage: TokenUsage::default(),
                experiment: String::new(),
                arm: String::new(),
            },
            status: DraftStatus::PendingReview,
            created_at: String::new(),
            version: 1,
            parent_draft_id: String::new(),
        }
    }

    fn decision(draft: &str, kind: DecisionKind, reason: &str) -> Decision {
        Decision {
            decision_id: format!("{draft}-{}", kind.as_str()),
            draft_id: draft.into(),
            kind,
            reviewer: "alice".into(),
            decided_at: String::new(),
            reason_code: reason.into(),
            comment: String::new(),
            instruction: String::new(),
            result_draft_id: String::new(),
            edit_diff: None,
        }
    }

    #[test]
    fn labels_from_decisions() {
        use CheckKind::*;
        use Severity::*;
        let drafts = [
            // Rejected for a red line that red_line.roi caught: true positive.
            draft("d1", &[(RedLine, "roi_guarantee", Blocking)]),
            // Approved over a blocking finding: false alarm.
            draft("d2", &[(RedLine, "roi_guarantee", Blocking)]),
            // Rejected for an unsupported claim, nothing fired: a miss.
            draft("d3", &[]),
            // Approved, clean.
            draft("d4", &[]),
            // Rejected as off-voice; the tone rule fired.
            draft("d5", &[(Tone, "hype", Warning)]),
        ];
        let decisions = vec![
            decision("d1", DecisionKind::Reject, "red_line"),
            decision("d2", DecisionKind::Approve, ""),
            decision("d3", DecisionKind::Reject, "unsupported_claim"),
            decision("d4", DecisionKind::Approve, ""),
            decision("d5", DecisionKind::Reject, "off_voice"),
            decision("d6", DecisionKind::Regenerate, ""),
        ];
        let s = compute(&decisions, |id| drafts.iter().find(|d| d.draft_id == id));
        assert_eq!((s.approved, s.rejected, s.regenerated), (2, 3, 1));
        assert_eq!((s.misses, s.false_alarms), (1, 1));
        let roi = s
            .rules
            .iter()
            .find(|r| r.rule_id == "roi_guarantee")
            .unwrap();
        assert_eq!(
            (roi.fired, roi.true_positives, roi.false_positives),
            (2, 1, 1)
        );
        assert_eq!(roi.precision, Some(0.5));
        assert_eq!(roi.recall, Some(1.0));
        let grounding = s.checks.iter().find(|c| c.check == "grounding").unwrap();
        assert_eq!(grounding.misses, 1);
        assert_eq!(grounding.recall, Some(0.0));
        assert_eq!(grounding.precision, None);
        let tone = s.checks.iter().find(|c| c.check == "tone").unwrap();
        assert_eq!((tone.precision, tone.recall), (Some(1.0), Some(1.0)));
        let table = render(&s);
        assert!(
            table.contains("red_line/roi_guarantee     2     1     1       50%    100%"),
            "{table}"
        );
    }
}

//! Word-level diffs between two draft texts, and highlight segments that
//! split a text at finding spans so a UI never has to do offset arithmetic.

use crate::model::{DraftText, Finding, TextPart};
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff as SimilarDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Equal,
    Insert,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSegment {
    pub op: DiffOp,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    pub subject: Vec<DiffSegment>,
    pub body: Vec<DiffSegment>,
}

impl TextDiff {
    pub fn is_unchanged(&self) -> bool {
        self.subject
            .iter()
            .chain(&self.body)
            .all(|s| s.op == DiffOp::Equal)
    }
}

/// Word-level diff from `old` to `new`; adjacent segments of the same kind
/// are merged.
pub fn words(old: &str, new: &str) -> Vec<DiffSegment> {
    let diff = SimilarDiff::from_words(old, new);
    let mut out: Vec<DiffSegment> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => DiffOp::Equal,
            ChangeTag::Insert => DiffOp::Insert,
            ChangeTag::Delete => DiffOp::Delete,
        };
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => out.push(DiffSegment {
                op,
                text: change.value().to_string(),
            }),
        }
    }
    out
}

pub fn text_diff(old: &DraftText, new: &DraftText) -> TextDiff {
    TextDiff {
        subject: words(
            old.subject.as_deref().unwrap_or(""),
            new.subject.as_deref().unwrap_or(""),
        ),
        body: words(&old.body, &new.body),
    }
}

/// A run of text and the findings (indexes into the draft's findings) that
/// cover it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub findings: Vec<usize>,
}

/// Split one part of the text at every finding boundary. Spans are byte
/// offsets; ones that are out of range or not on char boundaries are
/// ignored rather than trusted.
pub fn segments(text: &str, part: TextPart, findings: &[Finding]) -> Vec<Segment> {
    let spans: Vec<(usize, usize, usize)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.span.part == part)
        .map(|(i, f)| (i, f.span.start, f.span.end))
        .filter(|&(_, s, e)| s < e && text.get(s..e).is_some())
        .collect();
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for &(_, s, e) in &spans {
        cuts.push(s);
        cuts.push(e);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .filter(|w| w[0] < w[1])
        .map(|w| Segment {
            text: text[w[0]..w[1]].to_string(),
            findings: spans
                .iter()
                .filter(|&&(_, s, e)| s <= w[0] && w[1] <= e)
                .map(|&(i, _, _)| i)
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckKind, Severity, Span};

    fn finding(start: usize, end: usize) -> Finding {
        Finding {
            check: CheckKind::RedLine,
            rule_id: "r".into(),
            rule_version: "1".into(),
            severity: Severity::Blocking,
            span: Span {
                part: TextPart::Body,
                start,
                end,
            },
            excerpt: String::new(),
            message: String::new(),
            evidence: String::new(),
            suggestion: None,
        }
    }

    #[test]
    fn word_diff_marks_changed_words_only() {
        let d = words("we guarantee a 40% cut", "we expect a 40% cut");
        let ops: Vec<_> = d.iter().map(|s| (s.op, s.text.as_str())).collect();
        assert_eq!(
            ops,
            vec![
                (DiffOp::Equal, "we "),
                (DiffOp::Delete, "guarantee"),
                (DiffOp::Insert, "expect"),
                (DiffOp::Equal, " a 40% cut"),
            ]
        );
    }

    #[test]
    fn segments_cover_text_and_overlaps() {
        let text = "Café owners: we guarantee ROI.";
        let g = text.find("guarantee").unwrap();
        let f = vec![finding(g, g + 9), finding(g, text.len() - 1), finding(4, 5)];
        let segs = segments(text, TextPart::Body, &f);
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text);
        let hit = segs.iter().find(|s| s.text == "guarantee").unwrap();
        assert_eq!(hit.findings, vec![0, 1]);
        // (4, 5) is inside "é" and is ignored.
        assert!(segs.iter().all(|s| !s.findings.contains(&2)));
    }
}

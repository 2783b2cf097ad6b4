//! The shared pattern engine for red-line and tone rules.
//!
//! Each draft part is prepared once: sentence spans and a *masked* copy of the
//! bytes in which competitor names become `\x01` runs and the account's own
//! name and the sender's company become `\x02` runs. Masking keeps byte
//! offsets, so a match in the masked copy is a span of the original text.

use super::policy::{CompetitorScope, PatternRule};
use super::text::{sentences, snap};
use crate::model::{AccountBrief, CheckKind, DraftText, Finding, Span, TextPart};

/// One part of the draft, ready for pattern rules.
#[derive(Debug, Clone)]
pub struct PartView<'a> {
    pub part: TextPart,
    pub text: &'a str,
    pub masked: Vec<u8>,
    pub sents: Vec<(usize, usize)>,
}

impl<'a> PartView<'a> {
    pub fn new(part: TextPart, text: &'a str, competitors: &[&str], own_names: &[&str]) -> Self {
        let mut masked = text.as_bytes().to_vec();
        let lc = text.as_bytes().to_ascii_lowercase();
        for c in competitors {
            mask(text, &lc, &mut masked, c, 0x01);
        }
        for n in own_names {
            mask(text, &lc, &mut masked, n, 0x02);
        }
        PartView {
            part,
            text,
            masked,
            sents: sentences(text),
        }
    }

    /// Index of the sentence holding byte `pos`, if any.
    pub fn sentence_at(&self, pos: usize) -> Option<usize> {
        let i = self.sents.partition_point(|&(a, _)| a <= pos);
        if i == 0 {
            return None;
        }
        let (a, e) = self.sents[i - 1];
        (pos >= a && pos < e.max(a + 1)).then_some(i - 1)
    }
}

/// Replace ASCII-case-insensitive whole-word occurrences of `name` in `text`
/// with `fill` bytes in `masked`. `lc` is the ASCII-lowercased text.
fn mask(text: &str, lc: &[u8], masked: &mut [u8], name: &str, fill: u8) {
    let name = name.trim();
    if name.len() < 2 || name.len() > lc.len() {
        return;
    }
    let nl: Vec<u8> = name.bytes().map(|b| b.to_ascii_lowercase()).collect();
    let first = nl[0];
    let mut i = 0;
    while i + nl.len() <= lc.len() {
        let Some(p) = lc[i..=lc.len() - nl.len()].iter().position(|&b| b == first) else {
            break;
        };
        let at = i + p;
        let end = at + nl.len();
        if lc[at..end] == nl[..] && text.is_char_boundary(at) && text.is_char_boundary(end) {
            let before_ok = at == 0
                || !text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
            let after_ok = end == lc.len()
                || !text[end..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric);
            if before_ok && after_ok {
                masked[at..end].fill(fill);
                i = end;
                continue;
            }
        }
        i = at + 1;
    }
}

fn is_question(text: &str) -> bool {
    text.trim_end_matches(['"', ')', '\u{201d}', ' ', '\n'])
        .ends_with('?')
}

/// Run one pattern rule over one part, pushing findings.
pub fn run_rule(
    rule: &PatternRule,
    view: &PartView<'_>,
    evidence_file: &str,
    out: &mut Vec<Finding>,
) {
    let m = &view.masked;
    let mut last_end = 0usize;
    for hit in rule.re.find_iter(m) {
        let (hs, he) = (hit.start(), hit.end());
        if he == hs {
            continue;
        }
        let si = view.sentence_at(hs);
        let (sa, se) = si.map_or((0, view.text.len()), |i| view.sents[i]);
        let sent = &m[sa..se.max(sa)];
        if rule.skip_questions && is_question(&view.text[sa..se.max(sa)]) {
            continue;
        }
        match rule.competitor {
            CompetitorScope::None => {}
            CompetitorScope::Sentence => {
                if !sent.contains(&0x01) {
                    continue;
                }
            }
            CompetitorScope::Nearby => {
                let prev_has = si.and_then(|i| i.checked_sub(1)).is_some_and(|p| {
                    let (pa, pe) = view.sents[p];
                    m[pa..pe].contains(&0x01)
                });
                if !sent.contains(&0x01) && !prev_has {
                    continue;
                }
            }
        }
        if let Some(u) = &rule.unless_sentence
            && u.is_match(sent)
        {
            continue;
        }
        if let Some(u) = &rule.unless_before {
            let b0 = sa.min(hs);
            if u.is_match(&m[b0..hs]) {
                continue;
            }
        }
        if let Some(u) = &rule.unless_after {
            let a1 = se.max(he).min(m.len());
            if u.is_match(&m[he..a1]) {
                continue;
            }
        }
        let (a, e) = snap(view.text, hs, he);
        if a >= e || a < last_end {
            continue;
        }
        last_end = e;
        let excerpt = view.text[a..e].to_string();
        let sent_txt: String = view.text[sa..se.max(sa)].chars().take(200).collect();
        out.push(Finding {
            check: rule.info.check,
            rule_id: rule.info.id.clone(),
            rule_version: rule.info.version.clone(),
            severity: rule.info.severity,
            span: Span {
                part: view.part,
                start: a,
                end: e,
            },
            excerpt,
            message: rule.info.message.clone(),
            evidence: format!(
                "{evidence_file} rule {} v{} matched in: \"{sent_txt}\"",
                rule.info.id, rule.info.version
            ),
            suggestion: rule.info.suggestion.clone(),
        });
    }
}

/// Build the part views for a draft.
pub fn views<'a>(input: &'a super::CheckInput<'a>, competitors: &[&str]) -> Vec<PartView<'a>> {
    let own = own_names(input.brief);
    draft_views(input.draft, competitors, &own)
}

/// The account's and the sender's own names, masked as `\x02`.
pub fn own_names(b: &AccountBrief) -> Vec<&str> {
    [
        b.account_name.as_str(),
        b.sender.company.as_str(),
        b.sender.name.as_str(),
    ]
    .into_iter()
    .filter(|s| s.trim().len() >= 2)
    .collect()
}

/// Build the part views for `draft` with the given competitor and own names.
pub fn draft_views<'a>(
    draft: &'a DraftText,
    competitors: &[&str],
    own: &[&str],
) -> Vec<PartView<'a>> {
    draft
        .parts()
        .map(|(p, t)| PartView::new(p, t, competitors, own))
        .collect()
}

/// Competitor names in force: the request's list merged with the policy's.
pub fn competitor_names<'a>(
    input: &'a super::CheckInput<'a>,
    policy: &'a [String],
) -> Vec<&'a str> {
    merge_competitors(input.competitors, policy)
}

/// `request` merged with `policy`: trimmed, at least two bytes, longest
/// first, without ASCII-case-insensitive duplicates.
pub fn merge_competitors<'a>(request: &'a [String], policy: &'a [String]) -> Vec<&'a str> {
    let mut v: Vec<&str> = request
        .iter()
        .chain(policy)
        .map(|s| s.trim())
        .filter(|s| s.len() >= 2)
        .collect();
    // longest first so "Osprey Security" masks before "Osprey"
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    v
}

#[allow(dead_code)]
pub(crate) fn kind_of(rule: &PatternRule) -> CheckKind {
    rule.info.check
}

//! The shared pattern engine for red-line and tone rules.
//!
//! Each draft part is prepared once: sentence spans and a *masked* copy of the
//! bytes in which competitor names become `\x01` runs and the account's own
//! name and the sender's company become `\x02` runs. Masking keeps byte
//! offsets, so a match in the masked copy is a span of the original text.

use super::policy::{CompetitorScope, PatternRule};
use super::text::{Tok, sentences, snap, tokenize};
use crate::model::{AccountBrief, CheckKind, DraftText, Finding, Span, TextPart};
use regex::bytes::{RegexSet, RegexSetBuilder, SetMatches};
use std::cell::OnceCell;

/// One part of the draft, ready for pattern rules.
#[derive(Debug, Clone)]
pub struct PartView<'a> {
    pub part: TextPart,
    pub text: &'a str,
    pub masked: Vec<u8>,
    pub sents: Vec<(usize, usize)>,
    /// `tokenize(text)`, computed on first use and shared by the checks.
    toks: OnceCell<Vec<Tok>>,
}

impl<'a> PartView<'a> {
    pub fn new(part: TextPart, text: &'a str, competitors: &[&str], own_names: &[&str]) -> Self {
        Self::with_masker(part, text, &NameMasker::new(competitors, own_names))
    }

    /// As `new`, with the names to mask prepared once.
    pub fn with_masker(part: TextPart, text: &'a str, masker: &NameMasker) -> Self {
        let mut masked = text.as_bytes().to_vec();
        masker.mask(text, &mut masked);
        PartView {
            part,
            text,
            masked,
            sents: sentences(text),
            toks: OnceCell::new(),
        }
    }

    /// The tokens of `text`.
    pub fn toks(&self) -> &[Tok] {
        self.toks.get_or_init(|| tokenize(self.text))
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

/// Competitor names (masked as `\x01`) and own names (masked as `\x02`),
/// prepared for one left-to-right pass over a text.
#[derive(Debug, Clone)]
pub struct NameMasker {
    /// ASCII-lowercased, trimmed names of at least two bytes, with their
    /// fill, ordered by first byte.
    names: Vec<(Vec<u8>, u8)>,
    /// `names[start[b]..start[b + 1]]` are the names starting with byte `b`.
    start: Box<[usize; 257]>,
}

impl NameMasker {
    pub fn new(competitors: &[&str], own_names: &[&str]) -> Self {
        let mut names = Vec::with_capacity(competitors.len() + own_names.len());
        let all = competitors
            .iter()
            .map(|c| (c, 0x01))
            .chain(own_names.iter().map(|n| (n, 0x02)));
        for (name, fill) in all {
            let name = name.trim();
            if name.len() < 2 {
                continue;
            }
            names.push((name.as_bytes().to_ascii_lowercase(), fill));
        }
        names.sort_by_key(|(nl, _)| nl[0]);
        let mut start = Box::new([0usize; 257]);
        for (nl, _) in &names {
            start[usize::from(nl[0]) + 1] += 1;
        }
        for b in 0..256 {
            start[b + 1] += start[b];
        }
        NameMasker { names, start }
    }

    /// Replace ASCII-case-insensitive whole-word occurrences of every name in
    /// `text` with its fill byte in `masked`: competitor names first, then
    /// own names over them. For each name, occurrences are taken left to
    /// right without overlapping one another (as one scan per name would).
    pub fn mask(&self, text: &str, masked: &mut [u8]) {
        if self.names.is_empty() {
            return;
        }
        let tb = text.as_bytes();
        let n = tb.len();
        // per name: where its next occurrence may start
        let mut next_ok = vec![0usize; self.names.len()];
        let mut fills: Vec<(usize, usize, u8)> = Vec::new();
        for at in 0..n {
            let b = usize::from(tb[at].to_ascii_lowercase());
            let (s, e) = (self.start[b], self.start[b + 1]);
            for ((nl, fill), next) in self.names[s..e].iter().zip(&mut next_ok[s..e]) {
                let end = at + nl.len();
                if at < *next
                    || end > n
                    || !tb[at..end].eq_ignore_ascii_case(nl)
                    || !text.is_char_boundary(at)
                    || !text.is_char_boundary(end)
                {
                    continue;
                }
                let before_ok = at == 0
                    || !text[..at]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                let after_ok = end == n
                    || !text[end..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric);
                if before_ok && after_ok {
                    fills.push((at, end, *fill));
                    *next = end;
                }
            }
        }
        for want in [0x01, 0x02] {
            for &(a, e, f) in fills.iter().filter(|x| x.2 == want) {
                masked[a..e].fill(f);
            }
        }
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
    draft_views_masked(draft, &NameMasker::new(competitors, own))
}

/// Build the part views for `draft` with the names to mask prepared once.
pub fn draft_views_masked<'a>(draft: &'a DraftText, masker: &NameMasker) -> Vec<PartView<'a>> {
    draft
        .parts()
        .map(|(p, t)| PartView::with_masker(p, t, masker))
        .collect()
}

/// Every pattern of a list of pattern rules in one `RegexSet`, so that one
/// pass over a part tells which rules can match at all; only those run
/// (`run_rule`). A rule the set rules out has no match, so its findings are
/// the same as without the filter.
#[derive(Debug, Clone)]
pub struct RuleFilter {
    /// `None` when the set does not compile within its limits: every rule
    /// then runs.
    set: Option<RegexSet>,
}

impl RuleFilter {
    pub fn new<'r>(rules: impl IntoIterator<Item = &'r PatternRule>) -> Self {
        // Same syntax and flags as `policy::build`, so pattern i of the set
        // matches exactly where rule i's own regex does.
        let set = RegexSetBuilder::new(rules.into_iter().map(|r| r.re.as_str()))
            .unicode(false)
            .case_insensitive(true)
            .size_limit(1 << 26)
            .dfa_size_limit(1 << 26)
            .build()
            .ok();
        RuleFilter { set }
    }

    /// The rules (by index) that may match `masked`.
    pub fn candidates(&self, masked: &[u8]) -> Candidates {
        Candidates(self.set.as_ref().map(|s| s.matches(masked)))
    }
}

/// Which rules of a `RuleFilter` may match one part.
#[derive(Debug, Clone)]
pub struct Candidates(Option<SetMatches>);

impl Candidates {
    /// Every rule may match (no filter).
    pub fn all() -> Self {
        Candidates(None)
    }

    /// Whether rule `i` may match.
    pub fn may_match(&self, i: usize) -> bool {
        self.0.as_ref().is_none_or(|m| m.matched(i))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The masking as it was: one scan per name, competitors then own names.
    fn mask_per_name(text: &str, competitors: &[&str], own: &[&str]) -> Vec<u8> {
        let lc = text.as_bytes().to_ascii_lowercase();
        let mut masked = text.as_bytes().to_vec();
        let names = competitors.iter().map(|c| (c, 1u8));
        for (name, fill) in names.chain(own.iter().map(|n| (n, 2u8))) {
            let name = name.trim();
            if name.len() < 2 || name.len() > lc.len() {
                continue;
            }
            let nl = name.as_bytes().to_ascii_lowercase();
            let mut i = 0;
            while i + nl.len() <= lc.len() {
                let Some(p) = lc[i..=lc.len() - nl.len()].iter().position(|&b| b == nl[0]) else {
                    break;
                };
                let (at, end) = (i + p, i + p + nl.len());
                if lc[at..end] == nl[..] && text.is_char_boundary(at) && text.is_char_boundary(end)
                {
                    let before_ok = !text[..at]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                    let after_ok = !text[end..]
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
        masked
    }

    #[test]
    fn one_pass_masking_matches_per_name_scans() {
        let texts = [
            "Osprey Security and Osprey; osprey-security, OSPREY. Ospreys",
            "x y x y x, Acme Acme Shield's team at Acme Shield Vault",
            "Brightwater Health System vs Brightwater: the Brightwater Health team",
            "Café Rivalsoft\u{2019}s Rivalsoft\u{a0}Rivalsoftware é Rivalsoft",
            "",
            "a",
            "aaaa aa aaa a aa",
        ];
        let comps: [&[&str]; 4] = [
            &["Osprey Security", "Osprey", "Rivalsoft"],
            &["x y x", "Acme"],
            &["  Brightwater ", "b"],
            &[],
        ];
        let owns: [&[&str]; 3] = [
            &["Acme Shield", "Brightwater Health System", "Maya Chen"],
            &["aa", "Osprey"],
            &[],
        ];
        for t in texts {
            for c in comps {
                for o in owns {
                    let mut m = t.as_bytes().to_vec();
                    NameMasker::new(c, o).mask(t, &mut m);
                    assert_eq!(m, mask_per_name(t, c, o), "{t:?} {c:?} {o:?}");
                }
            }
        }
    }
}

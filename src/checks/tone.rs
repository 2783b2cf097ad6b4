//! Tone: the brand voice card (seed 5.5) and channel length limits.
//! Pattern rules (exclamation marks, hype, pressure) come from
//! `policies/voice.toml`; shouting, sentence length and reading level are
//! computed here with parameters from the same file; limits come from
//! `policies/channel_limits.toml`.

use super::policy::{
    CHANNEL_LIMITS_FILE, ChannelLimit, CheckPolicies, LimitUnit, PatternRule, ReadingLevelRule,
    RuleInfo, SentenceLengthRule, ShoutingRule, VOICE_FILE,
};
use super::scan::{Candidates, PartView, RuleFilter, competitor_names, run_rule, views};
use super::text::{TokKind, snap};
use super::{Check, CheckInput};
use crate::model::{Channel, CheckKind, Finding, Span};

#[derive(Debug, Clone)]
pub struct ToneCheck {
    patterns: Vec<PatternRule>,
    filter: RuleFilter,
    shouting: ShoutingRule,
    sentence_length: SentenceLengthRule,
    reading_level: ReadingLevelRule,
    limits: Vec<ChannelLimit>,
    policy_competitors: Vec<String>,
}

fn finding(
    info: &RuleInfo,
    view: &PartView<'_>,
    a: usize,
    e: usize,
    evidence: String,
    suggestion: Option<String>,
) -> Option<Finding> {
    let (a, e) = snap(view.text, a, e);
    (a < e).then(|| Finding {
        check: CheckKind::Tone,
        rule_id: info.id.clone(),
        rule_version: info.version.clone(),
        severity: info.severity,
        span: Span {
            part: view.part,
            start: a,
            end: e,
        },
        excerpt: view.text[a..e].to_string(),
        message: info.message.clone(),
        evidence,
        suggestion: suggestion.or_else(|| info.suggestion.clone()),
    })
}

/// Rough syllable count for the reading-level grade (ASCII case-insensitive,
/// no allocation).
fn syllables(w: &str) -> usize {
    let mut n = 0;
    let mut prev_vowel = false;
    for c in w.chars() {
        let v = matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if v && !prev_vowel {
            n += 1;
        }
        prev_vowel = v;
    }
    let b = w.as_bytes();
    let ends_e = b.last().is_some_and(|c| c.eq_ignore_ascii_case(&b'e'));
    let ends_le = b.len() >= 2 && b[b.len() - 2..].eq_ignore_ascii_case(b"le");
    if ends_e && !ends_le && n > 1 {
        n -= 1;
    }
    n.max(1)
}

impl ToneCheck {
    pub fn new(p: &CheckPolicies) -> Self {
        ToneCheck {
            patterns: p.tone_patterns.clone(),
            filter: RuleFilter::new(&p.tone_patterns),
            shouting: p.shouting.clone(),
            sentence_length: p.sentence_length.clone(),
            reading_level: p.reading_level.clone(),
            limits: p.channel_limits.clone(),
            policy_competitors: p.competitors.clone(),
        }
    }

    pub(crate) fn run_views(
        &self,
        channel: Channel,
        views: &[PartView<'_>],
        only: Option<&str>,
        out: &mut Vec<Finding>,
    ) {
        for v in views {
            let c = self.filter.candidates(&v.masked);
            self.run_view(channel, v, only, &c, 0, out);
        }
    }

    /// The pattern rules, in order (for a combined `RuleFilter`).
    pub(crate) fn patterns(&self) -> &[PatternRule] {
        &self.patterns
    }

    /// Run on one view; pattern rule `i` runs when `cands` allows candidate
    /// `offset + i`.
    pub(crate) fn run_view(
        &self,
        channel: Channel,
        v: &PartView<'_>,
        only: Option<&str>,
        cands: &Candidates,
        offset: usize,
        out: &mut Vec<Finding>,
    ) {
        let want = |id: &str| only.is_none_or(|o| o == id);
        for (i, r) in self.patterns.iter().enumerate() {
            if want(&r.info.id) && cands.may_match(offset + i) {
                run_rule(r, v, VOICE_FILE, out);
            }
        }
        let toks = v.toks();
        if want(&self.shouting.info.id) {
            self.shout(v, toks, out);
        }
        // sentence length and reading level
        let mut total_words = 0usize;
        let mut total_syll = 0usize;
        let mut n_sent = 0usize;
        let mut ti = 0usize;
        for &(sa, se) in &v.sents {
            let mut words = 0usize;
            while ti < toks.len() && toks[ti].start < sa {
                ti += 1;
            }
            let mut k = ti;
            while k < toks.len() && toks[k].start < se {
                if toks[k].kind == TokKind::Word {
                    words += 1;
                    total_syll += syllables(toks[k].text(v.text));
                }
                k += 1;
            }
            if words > 0 {
                n_sent += 1;
                total_words += words;
            }
            if words > self.sentence_length.max_words && want(&self.sentence_length.info.id) {
                out.extend(finding(
                    &self.sentence_length.info,
                    v,
                    sa,
                    se,
                    format!(
                        "{VOICE_FILE}: sentence has {words} words; the limit is {}",
                        self.sentence_length.max_words
                    ),
                    None,
                ));
            }
        }
        if total_words >= self.reading_level.min_words
            && n_sent > 0
            && want(&self.reading_level.info.id)
        {
            let grade = 0.39 * (total_words as f64 / n_sent as f64)
                + 11.8 * (total_syll as f64 / total_words as f64)
                - 15.59;
            if grade > self.reading_level.max_grade {
                let end = v.text.trim_end().len();
                let start = v.text.len() - v.text.trim_start().len();
                out.extend(finding(
                    &self.reading_level.info,
                    v,
                    start,
                    end,
                    format!(
                        "{VOICE_FILE}: Flesch-Kincaid grade {grade:.1}; the target is at most {:.1}",
                        self.reading_level.max_grade
                    ),
                    None,
                ));
            }
        }
        // channel limits
        for l in &self.limits {
            if l.channel != channel || l.part != v.part || !want(&l.info.id) {
                continue;
            }
            let trimmed_start = v.text.len() - v.text.trim_start().len();
            let (count, over_at) = match l.unit {
                LimitUnit::Words => {
                    let words: Vec<_> = toks.iter().filter(|t| t.kind == TokKind::Word).collect();
                    (words.len(), words.get(l.max).map(|t| t.start))
                }
                LimitUnit::Chars => {
                    let t = v.text.trim();
                    let n = t.chars().count();
                    (
                        n,
                        t.char_indices().nth(l.max).map(|(i, _)| trimmed_start + i),
                    )
                }
            };
            if count > l.max
                && let Some(at) = over_at
            {
                let unit = match l.unit {
                    LimitUnit::Words => "words",
                    LimitUnit::Chars => "characters",
                };
                out.extend(finding(
                    &l.info,
                    v,
                    at,
                    v.text.trim_end().len(),
                    format!(
                        "{CHANNEL_LIMITS_FILE}: {} {} is {count} {unit}; the limit is {} (the span is the overflow)",
                        channel,
                        v.part.as_str(),
                        l.max
                    ),
                    Some(format!("Cut it to at most {} {unit}.", l.max)),
                ));
            }
        }
    }

    fn shout(&self, v: &PartView<'_>, toks: &[super::text::Tok], out: &mut Vec<Finding>) {
        let s = &self.shouting;
        // all-caps, non-acronym words; runs of two or more also count
        let mut flags: Vec<(usize, usize, bool)> = Vec::new(); // (start, end, definite)
        for t in toks {
            if t.kind != TokKind::Word {
                continue;
            }
            if v.masked
                .get(t.start)
                .is_some_and(|&b| b == 0x01 || b == 0x02)
            {
                continue;
            }
            let w = t.text(v.text);
            let w = w
                .strip_suffix("'S")
                .or_else(|| w.strip_suffix("\u{2019}S"))
                .unwrap_or(w);
            let mut letters = 0usize;
            let mut all_upper = true;
            let mut digit = false;
            for c in w.chars() {
                if c.is_alphabetic() {
                    letters += 1;
                    if !c.is_uppercase() {
                        all_upper = false;
                        break;
                    }
                } else if c.is_ascii_digit() {
                    digit = true;
                }
            }
            if !all_upper || letters < 2 || digit {
                continue;
            }
            let up = w.to_uppercase().replace('\u{2019}', "'");
            let is_acr = s.acronyms.binary_search(&up).is_ok()
                || up
                    .split(['-', '&', '\''])
                    .all(|p| p.is_empty() || s.acronyms.binary_search(&p.to_string()).is_ok());
            if is_acr {
                continue;
            }
            let definite = letters >= s.min_len || s.emphasis_words.contains(&up);
            flags.push((t.start, t.end, definite));
        }
        // a run of two or more capitalised non-acronyms is shouting too
        let mut i = 0;
        while i < flags.len() {
            let (a, e, d) = flags[i];
            let mut run_end = e;
            let mut j = i + 1;
            while j < flags.len()
                && v.text[run_end..flags[j].0].trim().is_empty()
                && !v.text[run_end..flags[j].0].contains('\n')
            {
                run_end = flags[j].1;
                j += 1;
            }
            let run_len = j - i;
            if d || run_len >= 2 {
                out.extend(finding(
                    &s.info,
                    v,
                    a,
                    if run_len >= 2 { run_end } else { e },
                    format!(
                        "{VOICE_FILE}: \"{}\" is in capitals and is not a known acronym",
                        &v.text[a..if run_len >= 2 { run_end } else { e }]
                    ),
                    None,
                ));
            }
            i = j;
        }
    }
}

impl Check for ToneCheck {
    fn kind(&self) -> CheckKind {
        CheckKind::Tone
    }

    fn check(&self, input: &CheckInput<'_>, out: &mut Vec<Finding>) {
        let comps = competitor_names(input, &self.policy_competitors);
        let vs = views(input, &comps);
        self.run_views(input.channel, &vs, None, out);
    }
}

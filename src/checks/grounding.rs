//! Grounding: every specific factual statement must trace to the brief or to
//! an approved proof (seed 5.4). Deterministic, no model.
//!
//! The check builds a facts table from every brief field and every proof,
//! then extracts claim-bearing spans from the draft (figures, dates, named
//! organisations, certifications, awards, hypotheses stated as fact) and
//! verifies each one:
//! - figures and dates are normalised by type and compared by value;
//! - a figure is bound to its subject (the nearest name before it, or the
//!   previous sentence's name for "They"/"It") and to its metric words
//!   ("audit preparation time"), so a proof's figure told about another
//!   customer or another outcome does not verify;
//! - names must occur in the facts (the sender's own company and products,
//!   the account and competitors need no source);
//! - a certification or award needs a fact that states it for that subject;
//! - a hypothesis repeated as a plain statement is flagged.

use super::facts::{DateMention, QKind, Quantity, extract, is_sentence_initial, iso_date};
use super::scan::PartView;
use super::text::WordSet;
use super::text::{
    Tok, TokKind, find_from, is_stopword, is_weekday, lower, lower_small, month_of, sentences,
    starts_with_bytes, stem, stems_match, strip_possessive, tokenize,
};
use super::{Check, CheckInput};
use crate::model::{
    AccountBrief, CheckKind, DraftText, Finding, ProofFact, Severity, Span, TextPart,
};
use regex::bytes::{Regex, RegexBuilder};
use std::sync::LazyLock;

static LEAD_SKIP_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(LEAD_SKIP));
static GREETINGS_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(GREETINGS));
static GENERIC_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(GENERIC_NAMES));
static CLAIM_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(CLAIM_VERBS));
static SKIP_BACK_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(SKIP_BACK));
static STOP_PREP_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(STOP_PREP));
static FRAMING_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(FRAMING));
static HEDGES_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(HEDGES));
static GENERIC_TAIL_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(GENERIC_TAIL));
static ROLE_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(ROLE));

pub const RULE_FIGURE: &str = "grounding.figure";
pub const RULE_FIGURE_BINDING: &str = "grounding.figure_binding";
pub const RULE_DATE: &str = "grounding.date";
pub const RULE_ENTITY: &str = "grounding.entity";
pub const RULE_CERTIFICATION: &str = "grounding.certification";
pub const RULE_AWARD: &str = "grounding.award";
pub const RULE_HYPOTHESIS: &str = "grounding.hypothesis";
pub const RULE_VERSION: &str = "1.0.0";

/// All grounding rule ids.
pub const RULES: [&str; 7] = [
    RULE_FIGURE,
    RULE_FIGURE_BINDING,
    RULE_DATE,
    RULE_ENTITY,
    RULE_CERTIFICATION,
    RULE_AWARD,
    RULE_HYPOTHESIS,
];

fn ci(p: &str) -> Regex {
    RegexBuilder::new(p)
        .unicode(false)
        .case_insensitive(true)
        .dfa_size_limit(1 << 24)
        .build()
        .expect("built-in grounding pattern compiles")
}

/// The grounding check. Build once; patterns are compiled here.
#[derive(Debug, Clone)]
pub struct GroundingCheck {
    cert: Regex,
    status: Regex,
    aspiration: Regex,
    award: Regex,
    hedge: Regex,
}

impl Default for GroundingCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl GroundingCheck {
    pub fn new() -> Self {
        GroundingCheck {
            cert: ci(
                r"\b(soc ?[123]( type (1|2|i|ii))?|soc ?ii|soc for cybersecurity|iso(/iec)? ?\d{4,5}(-\d+)?|pci[- ]dss( level [1-4])?|pci[- ]p2pe|hitrust( r2| i1| e1| csf)?|fedramp( (high|moderate|low|li-saas|tailored))?|stateramp|tx-ramp|hipaa|hitech|gdpr|ccpa|cmmc( level [1-3])?|tisax|cyber essentials( plus)?|irap|bsi c5|c5|csa star( level [1-3])?|fips ?140-[23]|common criteria|nist (sp )?(800-53|800-171|csf)|ens (high|medium|alta)|k-isms|mtcs|dora|nis ?2|sox|pipeda|apra cps ?234|hds|ismap|iso 42001|ncsc caf|caf)\b",
            ),
            status: ci(
                r"\b(certified|certification|certificate|certifications|attestation|attested|attests|authori[sz]ed|authori[sz]ation|accredited|accreditation|compliant|audited|validated|approved|registered|level [1-4] service provider|ato|report|seal|assessed|qualified)\b",
            ),
            aspiration: ci(
                r"\b(help(s|ing|ed)? (you|your|teams|customers|companies|organi[sz]ations|them|banks|insurers)( to)? (get|become|achieve|stay|reach|prepare|pass|maintain|prove)|pursu(e|es|ing)|prepar(e|es|ing) for|work(ing)? towards?|on (the|your) (way|path|road) to|path to|road to|ready for|readiness|become|get to|aim(s|ing)? (for|to)|plan(s|ning)? (for|to)|need(s)? to (be|get|become|show|prove)|require(s|d)?|ask(s|ed|ing)? for|asking about|questions about|evidence for|mapping to|maps? (them )?to)\b",
            ),
            award: ci(
                r"\b(named (a |an |the )?(leader|visionary|challenger|strong performer|top \w+|winner|finalist)|award(s|ed)?|award-winning|magic quadrant|forrester wave|\w+ wave|ranked (#|no\. ?|number )?\d+|top[- ]rated|recogni[sz]ed (as|by|in)|winner of|finalist|number one|leader in the|gold (medal|award)|(gartner|forrester|idc) (report|research|recogni[sz]ed|named))\b",
            ),
            hedge: ci(
                r"\b(may|might|could|perhaps|maybe|possibly|probably|likely|unlikely|wonder|wondering|guess|imagine|suspect|expect|assume|if|whether|unless|seems?|sounds|curious|assuming|presumably|not sure|in case|depending)\b",
            ),
        }
    }

    /// Run on every part of the draft, building the facts table first.
    pub(crate) fn run(
        &self,
        input: &CheckInput<'_>,
        extra_competitors: &[String],
        out: &mut Vec<Finding>,
    ) {
        let facts = GroundingFacts::build(
            input.brief,
            input.proofs,
            input.competitors,
            extra_competitors,
        );
        self.run_with(&facts, input.draft, out);
    }

    /// Run on every part of `draft` against a facts table built once for
    /// the brief and proofs.
    pub(crate) fn run_with(
        &self,
        facts: &GroundingFacts,
        draft: &DraftText,
        out: &mut Vec<Finding>,
    ) {
        let table = Table {
            base: &facts.0,
            draft_products: facts.0.draft_products(draft),
        };
        for (part, text) in draft.parts() {
            if text.trim().is_empty() {
                continue;
            }
            self.check_part(&table, part, text, &tokenize(text), &sentences(text), out);
        }
    }

    /// As `run_with`, reusing the tokens and sentences of `views` (the parts
    /// of `draft`, in order).
    pub(crate) fn run_views(
        &self,
        facts: &GroundingFacts,
        draft: &DraftText,
        views: &[PartView<'_>],
        out: &mut Vec<Finding>,
    ) {
        let table = Table {
            base: &facts.0,
            draft_products: facts.0.draft_products(draft),
        };
        for v in views {
            if v.text.trim().is_empty() {
                continue;
            }
            self.check_part(&table, v.part, v.text, v.toks(), &v.sents, out);
        }
    }

    fn check_part(
        &self,
        table: &Table<'_>,
        part: TextPart,
        text: &str,
        toks: &[Tok],
        sents: &[(usize, usize)],
        out: &mut Vec<Finding>,
    ) {
        let sent_of_tok: Vec<usize> = {
            let mut v = Vec::with_capacity(toks.len());
            let mut si = 0usize;
            for t in toks {
                while si + 1 < sents.len() && t.start >= sents[si].1 {
                    si += 1;
                }
                v.push(si);
            }
            v
        };
        let is_q: Vec<bool> = sents
            .iter()
            .map(|&(a, e)| {
                text[a..e]
                    .trim_end_matches(['"', ')', '\u{201d}', ' '])
                    .ends_with('?')
            })
            .collect();
        let names = find_names(text, toks, sents, &sent_of_tok);
        // per name: lowercase form, class, whether a fact supports it
        let name_info: Vec<NameInfo> = names
            .iter()
            .map(|n| {
                let l = lower(strip_possessive(&text[n.start..n.end]));
                let c = table.classify(&l);
                let sup = table.name_supported(&l);
                (l, c, sup)
            })
            .collect();
        let mut name_tok = vec![false; toks.len()];
        for n in &names {
            for f in &mut name_tok[n.tok_i..n.tok_j] {
                *f = true;
            }
        }
        let (qs, ds) = extract(text, toks);
        let mut qtok = vec![false; toks.len()];
        for q in &qs {
            for f in &mut qtok[q.tok_start..q.tok_end.min(toks.len())] {
                *f = true;
            }
        }
        for d in &ds {
            for f in &mut qtok[d.tok_start..d.tok_end.min(toks.len())] {
                *f = true;
            }
        }

        // 1. Figures.
        for q in &qs {
            if q.courtesy {
                continue;
            }
            // "100% secure" is an absolute (a red line), not a statistic
            if q.kind == QKind::Percent
                && q.value == 100.0
                && !toks
                    .get(q.tok_end)
                    .is_some_and(|t| t.kind == TokKind::Word && lower(t.text(text)) == "of")
            {
                continue;
            }
            if q.word_form
                && q.kind == QKind::Count
                && !q.noun.as_deref().is_some_and(|n| {
                    table
                        .quantified_nouns
                        .iter()
                        .any(|x| stems_match(x, stem(n)))
                })
            {
                continue;
            }
            self.check_figure(
                table,
                text,
                part,
                toks,
                sents,
                &sent_of_tok,
                &names,
                &name_info,
                &name_tok,
                &qtok,
                q,
                out,
            );
        }

        // 2. Dates.
        for d in &ds {
            if !d.has_anything() {
                continue;
            }
            let ok = table
                .facts
                .iter()
                .any(|f| f.dates.iter().any(|fd| d.supported_by(fd)));
            if ok {
                continue;
            }
            let excerpt_txt = &text[d.start..d.end];
            // closest: same year, else same month
            let close = table
                .facts
                .iter()
                .flat_map(|f| f.dates.iter().map(move |fd| (f, fd)))
                .max_by_key(|(_, fd)| {
                    (d.year.is_some() && fd.year == d.year) as u8 * 2
                        + (d.month.is_some() && fd.month == d.month) as u8
                        + (d.day.is_some() && fd.day == d.day) as u8
                });
            let (evidence, suggestion) = match close {
                Some((f, _)) => (
                    format!(
                        "no fact gives the date \"{excerpt_txt}\"; closest: {}",
                        f.cite()
                    ),
                    format!(
                        "Use the date as the source gives it ({}), or drop it.",
                        f.cite()
                    ),
                ),
                None => (
                    format!("no fact in the brief or proofs gives a date like \"{excerpt_txt}\""),
                    "Remove the date or add it to the brief with a source.".to_string(),
                ),
            };
            push(
                out,
                text,
                part,
                d.start,
                d.end,
                RULE_DATE,
                "Date not supported by the brief or the approved proofs.",
                evidence,
                Some(suggestion),
            );
        }

        // 3. Names of organisations, customers, tools and people.
        for (n, (_, _, sup)) in names.iter().zip(&name_info) {
            if is_q[sent_of_tok[n.tok_i]] || *sup {
                continue;
            }
            let raw = &text[n.start..n.end];
            push(
                out,
                text,
                part,
                n.start,
                n.end,
                RULE_ENTITY,
                "Names an organisation, customer, product or person that no fact mentions.",
                format!(
                    "no fact in the brief or proofs mentions \"{}\"",
                    strip_possessive(raw)
                ),
                Some(format!(
                    "Remove \"{}\" or use an approved proof that names it.",
                    strip_possessive(raw)
                )),
            );
        }

        // 4-6. Sentence-level claims (each pattern runs once over the part).
        let tb = text.as_bytes();
        let cert_hits: Vec<(usize, usize)> = self
            .cert
            .find_iter(tb)
            .map(|m| (m.start(), m.end()))
            .collect();
        let award_hits: Vec<(usize, usize)> = self
            .award
            .find_iter(tb)
            .map(|m| (m.start(), m.end()))
            .collect();
        let hedge_hits: Vec<usize> = if table.hypotheses.is_empty() {
            Vec::new()
        } else {
            self.hedge.find_iter(tb).map(|m| m.start()).collect()
        };
        for (si, &(sa, se)) in sents.iter().enumerate() {
            if is_q[si] {
                continue;
            }
            let sent = &text[sa..se];
            let sb = sent.as_bytes();
            // certifications / compliance status
            for &(ga, ge) in cert_hits.iter().filter(|&&(a, e)| a >= sa && e <= se) {
                let (ma, me) = (ga - sa, ge - sa);
                let w0 = floor_cb(sent, ma.saturating_sub(45));
                let w1 = ceil_cb(sent, (me + 45).min(sent.len()));
                let window = &sent[w0..w1];
                let Some(st) = self.status.find(window.as_bytes()) else {
                    continue;
                };
                let (span_a, span_b) = ((w0 + st.start()).min(ma), (w0 + st.end()).max(me));
                if self
                    .aspiration
                    .is_match(&sb[floor_cb(sent, ma.saturating_sub(60))..ma])
                {
                    continue;
                }
                let cert_norm = norm_cert(&sent[ma..me]);
                let subj = subject_before(&names, &name_info, sa + ma, sa);
                let norms = table.cert_norms();
                let ok = table.facts.iter().zip(norms).any(|(f, fnorm)| {
                    fnorm.contains(&cert_norm)
                        && self.status.is_match(f.lower.as_bytes())
                        && match &subj {
                            Subject::Third(n) => f.lower.contains(n.as_str()),
                            Subject::Sender | Subject::None => f.subject_is_sender || !f.is_proof,
                            Subject::Account => !f.is_proof,
                            Subject::Competitor => true,
                        }
                });
                if !ok {
                    let cert_txt = &sent[ma..me];
                    push(
                        out,
                        text,
                        part,
                        sa + span_a,
                        sa + span_b,
                        RULE_CERTIFICATION,
                        "States a certification or compliance status that no fact supports.",
                        format!(
                            "no proof or brief field states \"{cert_txt}\" status for this subject"
                        ),
                        Some(format!(
                            "Remove the {cert_txt} claim or use an approved proof that states it."
                        )),
                    );
                }
            }
            // awards and analyst recognition
            for &(ga, ge) in award_hits.iter().filter(|&&(a, e)| a >= sa && e <= se) {
                let m = (ga - sa)..(ge - sa);
                let mt = lower(&sent[m.start..m.end]);
                let key = award_key(&mt);
                if table.facts.iter().any(|f| f.lower.contains(&key)) {
                    continue;
                }
                push(
                    out,
                    text,
                    part,
                    sa + m.start,
                    sa + m.end,
                    RULE_AWARD,
                    "Claims an award or analyst recognition that no proof supports.",
                    format!("no proof mentions \"{}\"", &sent[m.start..m.end]),
                    Some("Remove the award claim or use an approved proof that states it.".into()),
                );
            }
            // hypotheses stated as fact
            if !table.hypotheses.is_empty() && !hedge_hits.iter().any(|&p| p >= sa && p < se) {
                let has_third = names.iter().zip(&name_info).any(|(n, (_, c, sup))| {
                    sent_of_tok[n.tok_i] == si && matches!(c, Subject::Third(_)) && *sup
                });
                let pronoun_third = first_word_pronoun(sent) && si > 0 && {
                    // "It kept EU customer data ..." about the previous customer
                    names.iter().zip(&name_info).any(|(n, (_, c, _))| {
                        sent_of_tok[n.tok_i] + 1 == si && matches!(c, Subject::Third(_))
                    })
                };
                // A hypothesis is only "stated as fact" when the sentence is
                // about the prospect: it addresses them or names the account.
                // "Finance leaders often tell me costs are spread across
                // tools" is a general statement, not a claim about them.
                let about_prospect = {
                    let l = lower(sent);
                    l.split(|c: char| !c.is_alphanumeric() && c != '\'')
                        .any(|w| {
                            matches!(w, "you" | "your" | "yours" | "you're" | "you've" | "you'll")
                        })
                        || (!table.account.is_empty() && l.contains(table.account.as_str()))
                        || (table.account_first.len() > 3
                            && l.contains(table.account_first.as_str()))
                };
                if !has_third && !pronoun_third && about_prospect {
                    let sstems = content_stems(sent);
                    for (hi, (htext, hstems)) in table.hypotheses.iter().enumerate() {
                        if hstems.len() < 2 {
                            continue;
                        }
                        let hit = hstems
                            .iter()
                            .filter(|h| sstems.iter().any(|s| stems_match(s, h)))
                            .count();
                        let need = (hstems.len() * 7).div_ceil(10).max(2);
                        if hit >= need {
                            push(out, text, part, sa, se, RULE_HYPOTHESIS,
                                "States a hypothesis from the brief as if it were known.",
                                format!("brief.hypotheses[{hi}]: \"{htext}\" (a suspicion, not a fact)"),
                                Some("Ask it as a question instead (\"Are you ...?\") or leave it out.".into()));
                            break;
                        }
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_figure(
        &self,
        table: &Table<'_>,
        text: &str,
        part: TextPart,
        toks: &[Tok],
        sents: &[(usize, usize)],
        sent_of_tok: &[usize],
        names: &[NameSpan],
        name_info: &[NameInfo],
        name_tok: &[bool],
        qtok: &[bool],
        q: &Quantity,
        out: &mut Vec<Finding>,
    ) {
        let si = sent_of_tok.get(q.tok_start).copied().unwrap_or(0);
        let (sa, _se) = sents.get(si).copied().unwrap_or((0, text.len()));
        let fig = &text[q.start..q.end];
        let kind_eq = |fq: &Quantity| {
            fq.kind.compatible(q.kind)
                && (fq.value - q.value).abs() <= 1e-9 * q.value.abs().max(1.0)
        };
        let cands: Vec<&Fact> = table
            .facts
            .iter()
            .filter(|f| f.quantities.iter().any(kind_eq))
            .collect();
        if cands.is_empty() {
            // nearest same-kind figure
            let near = table
                .facts
                .iter()
                .flat_map(|f| f.quantities.iter().map(move |fq| (f, fq)))
                .filter(|(_, fq)| fq.kind.compatible(q.kind))
                .min_by(|a, b| {
                    let da = (a.1.value - q.value).abs();
                    let db = (b.1.value - q.value).abs();
                    da.total_cmp(&db)
                });
            let (evidence, suggestion) = match near {
                Some((f, fq)) => {
                    let ftxt = &f.text[fq.start..fq.end];
                    (
                        format!(
                            "no fact gives \"{fig}\"; closest figure: \"{ftxt}\" in {}",
                            f.cite()
                        ),
                        format!(
                            "Use the sourced figure \"{ftxt}\" as {} states it, or remove \"{fig}\".",
                            f.path
                        ),
                    )
                }
                None => (
                    format!("no fact in the brief or proofs gives \"{fig}\""),
                    format!("Remove \"{fig}\" or add an approved proof that states it."),
                ),
            };
            push(
                out,
                text,
                part,
                q.start,
                q.end,
                RULE_FIGURE,
                "Figure not supported by the brief or the approved proofs.",
                evidence,
                Some(suggestion),
            );
            return;
        }
        // Subject binding
        let subj = {
            let s = subject_before(names, name_info, q.start, sa);
            let you = toks[..q.tok_start]
                .iter()
                .enumerate()
                .rev()
                .take_while(|(k, _)| sent_of_tok[*k] == si)
                .find(|(_, t)| {
                    t.kind == TokKind::Word
                        && [
                            "you",
                            "your",
                            "you're",
                            "you've",
                            "yours",
                            "you\u{2019}re",
                            "you\u{2019}ve",
                        ]
                        .iter()
                        .any(|y| t.text(text).eq_ignore_ascii_case(y))
                })
                .map(|(k, _)| toks[k].start);
            let last_name_end = names
                .iter()
                .filter(|n| n.end <= q.start && n.start >= sa)
                .map(|n| n.end)
                .max();
            match (you, last_name_end) {
                (Some(y), Some(e)) if y > e => Subject::Account,
                (Some(_), None) => Subject::Account,
                _ => {
                    if matches!(s, Subject::None) && first_word_pronoun(&text[sa..]) {
                        // "They cut ... by 40%": the previous sentence's subject
                        prev_third(names, name_info, sent_of_tok, si).unwrap_or(Subject::None)
                    } else {
                        s
                    }
                }
            }
        };
        let window = window_stems(text, toks, q, name_tok, qtok, sent_of_tok);
        let mut best: Option<&Fact> = None;
        for f in &cands {
            let subj_ok = match &subj {
                Subject::Third(n) => f.lower.contains(n.as_str()),
                Subject::Account => !f.is_proof || f.lower.contains(&table.account_first),
                _ => true,
            };
            if best.is_none() {
                best = Some(f);
            }
            if !subj_ok {
                continue;
            }
            let misses = window
                .iter()
                .filter(|w| {
                    !f.stems(&table.sender_company)
                        .iter()
                        .any(|s| stems_match(s, w) || synonyms(s, w))
                })
                .count();
            if misses <= window.len() / 3 {
                return;
            }
            best = Some(f);
        }
        let f = best.expect("candidates non-empty");
        let who = match &subj {
            Subject::Third(n) => format!(" for \"{n}\""),
            Subject::Account => " for the prospect".to_string(),
            _ => String::new(),
        };
        push(
            out,
            text,
            part,
            q.start,
            q.end,
            RULE_FIGURE_BINDING,
            "Figure taken from a source but attached to a different subject or outcome.",
            format!(
                "\"{fig}\" appears in {} but not{who} with this outcome",
                f.cite()
            ),
            Some(format!(
                "Quote the figure with its own subject and outcome: \"{}\"",
                f.text
            )),
        );
    }
}

impl Check for GroundingCheck {
    fn kind(&self) -> CheckKind {
        CheckKind::Grounding
    }

    fn check(&self, input: &CheckInput<'_>, out: &mut Vec<Finding>) {
        self.run(input, &[], out);
    }
}

#[allow(clippy::too_many_arguments)]
fn push(
    out: &mut Vec<Finding>,
    text: &str,
    part: TextPart,
    a: usize,
    e: usize,
    rule: &str,
    message: &str,
    evidence: String,
    suggestion: Option<String>,
) {
    let (a, e) = super::text::snap(text, a, e);
    if a >= e {
        return;
    }
    if out.iter().any(|f| {
        f.check == CheckKind::Grounding
            && f.span.part == part
            && f.span.start == a
            && f.span.end == e
    }) {
        return;
    }
    out.push(Finding {
        check: CheckKind::Grounding,
        rule_id: rule.to_string(),
        rule_version: RULE_VERSION.to_string(),
        severity: Severity::Blocking,
        span: Span {
            part,
            start: a,
            end: e,
        },
        excerpt: text[a..e].to_string(),
        message: message.to_string(),
        evidence,
        suggestion,
    });
}

fn floor_cb(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_cb(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn norm_cert(s: &str) -> String {
    let l = s.to_ascii_lowercase().replace("/iec", "");
    let mut o: String = l.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    o = o
        .replace("typeii", "type2")
        .replace("typei", "type1")
        .replace("socii", "soc2");
    o
}

fn award_key(m: &str) -> String {
    for k in [
        "leader",
        "visionary",
        "challenger",
        "performer",
        "quadrant",
        "wave",
        "award",
        "winner",
        "finalist",
        "ranked",
        "rated",
        "recogni",
        "number one",
        "gold",
        "gartner",
        "forrester",
        "idc",
    ] {
        if m.contains(k) {
            return k.to_string();
        }
    }
    m.to_string()
}

fn first_word_pronoun(sent: &str) -> bool {
    let w = sent
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    matches!(
        w.to_ascii_lowercase().as_str(),
        "they" | "it" | "their" | "its" | "she" | "he"
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Subject {
    None,
    Sender,
    Account,
    Competitor,
    Third(String),
}

fn subject_before(names: &[NameSpan], info: &[NameInfo], pos: usize, sent_start: usize) -> Subject {
    names
        .iter()
        .zip(info)
        .filter(|(n, _)| n.end <= pos && n.start >= sent_start)
        .max_by_key(|(n, _)| n.end)
        .map_or(Subject::None, |(_, i)| i.1.clone())
}

fn prev_third(
    names: &[NameSpan],
    info: &[NameInfo],
    sent_of_tok: &[usize],
    si: usize,
) -> Option<Subject> {
    for back in (si.saturating_sub(2)..si).rev() {
        if let Some(n) = names
            .iter()
            .zip(info)
            .filter(|(n, _)| sent_of_tok[n.tok_i] == back)
            .find_map(|(_, i)| match &i.1 {
                s @ Subject::Third(_) => Some(s.clone()),
                _ => None,
            })
        {
            return Some(n);
        }
    }
    None
}

/// Words allowed to stand for one another in metric binding.
fn synonyms(a: &str, b: &str) -> bool {
    const G: &[&[&str]] = &[
        &["effort", "workload", "work", "labour", "labor"],
        &["spend", "spending", "cost", "budget", "expens"],
        &["customer", "client"],
        &["certif", "recertif", "attest"],
        &["turnaround", "respons"],
        &["review", "audit"],
        &["plant", "site", "factory", "facilit"],
        &["store", "location", "shop", "branch"],
        &["clinic", "site", "location", "facilit"],
        &["key", "secret"],
        &["record", "file"],
    ];
    G.iter().any(|g| {
        g.iter().any(|x| starts_with_bytes(a, x)) && g.iter().any(|x| starts_with_bytes(b, x))
    })
}

const CHANGE_VERBS: &[&str] = &[
    "cut",
    "reduc",
    "lower",
    "sav",
    "saved",
    "drop",
    "decreas",
    "increas",
    "grew",
    "grow",
    "improv",
    "boost",
    "rais",
    "went",
    "moved",
    "mov",
    "achiev",
    "shrank",
    "shrunk",
    "slash",
    "halv",
    "doubl",
    "tripl",
    "lift",
    "trim",
    "rotat",
    "answer",
    "complet",
    "pass",
    "kept",
    "keep",
    "consolidat",
    "migrat",
    "process",
    "handl",
    "clos",
    "avoid",
    "deliver",
];

const SKIP_BACK: &[&str] = &[
    "by",
    "from",
    "to",
    "of",
    "about",
    "roughly",
    "around",
    "nearly",
    "over",
    "almost",
    "approximately",
    "up",
    "than",
    "the",
    "a",
    "an",
    "its",
    "their",
    "his",
    "her",
    "our",
    "your",
    "just",
    "only",
    "some",
    "more",
    "less",
    "average",
    "an",
    "down",
    "at",
    "least",
];

/// Framing words that carry no metric ("Congratulations on the $45M ...",
/// "Start a 30-day pilot").
const FRAMING: &[&str] = &[
    "congratulations",
    "congrats",
    "thanks",
    "thank",
    "news",
    "announcement",
    "announced",
    "latest",
    "recent",
    "recently",
    "nice",
    "great",
    "big",
    "impressive",
    "huge",
    "total",
    "start",
    "book",
    "get",
    "try",
    "run",
    "join",
    "schedule",
    "set",
    "take",
    "offer",
    "send",
    "share",
    "see",
    "give",
    "free",
    "planned",
    "plan",
    "plans",
    "new",
    "upcoming",
    "whole",
    "entire",
    "full",
    "first",
    "initial",
    "short",
    "quick",
    "simple",
    "typical",
    "usual",
    "like",
    "nearly",
    "almost",
    "roughly",
    "exactly",
    "full",
    "strong",
    "solid",
];

const STOP_PREP: &[&str] = &[
    "in", "with", "for", "across", "within", "after", "before", "during", "into", "using", "via",
    "under", "per", "and", "or", "while", "on", "at", "since", "when", "as", "that", "which",
    "who", "is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could",
];

fn window_stems(
    text: &str,
    toks: &[Tok],
    q: &Quantity,
    name_tok: &[bool],
    qtok: &[bool],
    sent_of_tok: &[usize],
) -> Vec<String> {
    let mut out = Vec::new();
    let si = sent_of_tok.get(q.tok_start).copied();
    // backwards
    let mut k = q.tok_start;
    let mut taken = 0;
    while k > 0 && taken < 6 {
        k -= 1;
        let t = toks[k];
        if Some(sent_of_tok[k]) != si || t.kind != TokKind::Word || name_tok[k] || qtok[k] {
            break;
        }
        let l = lower(t.text(text));
        if SKIP_BACK_SET.has(&l) {
            continue;
        }
        if STOP_PREP_SET.has(&l) {
            break;
        }
        let st = stem(&l).to_string();
        if CHANGE_VERBS
            .iter()
            .any(|v| starts_with_bytes(&st, v) || starts_with_bytes(&l, v))
        {
            break;
        }
        if is_stopword(&l) || l.len() < 3 || FRAMING_SET.has(&l) {
            continue;
        }
        for p in st.split('-') {
            if p.len() >= 3 && !is_stopword(p) {
                out.push(stem(p).to_string());
            }
        }
        taken += 1;
    }
    // forwards (nouns right after a count: "120 customer security questionnaires")
    if q.kind == QKind::Count {
        let mut k = q.tok_end;
        let mut taken = 0;
        while k < toks.len() && taken < 3 {
            let t = toks[k];
            if Some(sent_of_tok[k]) != si || t.kind != TokKind::Word || name_tok[k] || qtok[k] {
                break;
            }
            let l = lower(t.text(text));
            if STOP_PREP_SET.has(&l) || is_stopword(&l) {
                break;
            }
            for p in l.split('-') {
                if p.len() >= 3 && !is_stopword(p) {
                    out.push(stem(p).to_string());
                }
            }
            taken += 1;
            k += 1;
        }
    }
    out
}

fn content_stems(s: &str) -> Vec<String> {
    let mut v = Vec::new();
    for w in s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}')) {
        if w.len() < 3 {
            continue;
        }
        let l = lower(strip_possessive(w));
        if is_stopword(&l) || HEDGES_SET.has(&l) {
            continue;
        }
        v.push(stem(&l).to_string());
    }
    v
}

const HEDGES: &[&str] = &[
    "may", "might", "could", "perhaps", "maybe", "possibly", "probably", "likely", "seems", "seem",
    "appears", "suspect", "still",
];

/// Call `f` with the lowercase form of `w` (as `lower` gives it), on the
/// stack when `w` is short ASCII.
fn with_lower<R>(w: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 32];
    match lower_small(w, &mut buf) {
        Some(l) => f(l),
        None => f(&lower(w)),
    }
}

/// Per name in the draft: its lowercase form (possessive stripped), its
/// class, and whether a fact supports it.
type NameInfo = (String, Subject, bool);

/// A capitalised name in the draft.
#[derive(Debug, Clone, Copy)]
struct NameSpan {
    start: usize,
    end: usize,
    tok_i: usize,
    tok_j: usize,
}

fn is_name_tok(w: &str) -> bool {
    let mut ch = w.chars();
    let Some(f) = ch.next() else { return false };
    f.is_uppercase()
        && w.chars().any(char::is_lowercase)
        && !w.starts_with("I'")
        && !w.starts_with("I\u{2019}")
}

const LEAD_SKIP: &[&str] = &[
    "a",
    "about",
    "after",
    "all",
    "also",
    "although",
    "an",
    "and",
    "any",
    "are",
    "as",
    "ask",
    "at",
    "because",
    "before",
    "best",
    "both",
    "but",
    "by",
    "can",
    "close",
    "comparing",
    "congrats",
    "congratulations",
    "context",
    "could",
    "dear",
    "did",
    "do",
    "does",
    "each",
    "every",
    "fit",
    "following",
    "for",
    "from",
    "given",
    "glad",
    "good",
    "great",
    "happy",
    "has",
    "have",
    "he",
    "hello",
    "her",
    "here",
    "hey",
    "hi",
    "his",
    "hope",
    "hoping",
    "how",
    "i",
    "if",
    "in",
    "is",
    "it",
    "its",
    "just",
    "key",
    "kind",
    "let",
    "looking",
    "many",
    "most",
    "my",
    "next",
    "no",
    "not",
    "note",
    "noticed",
    "of",
    "on",
    "once",
    "one",
    "opener",
    "or",
    "our",
    "please",
    "prepared",
    "proof",
    "ps",
    "push",
    "question",
    "questions",
    "quick",
    "re",
    "read",
    "recap",
    "regarding",
    "results",
    "saw",
    "send",
    "share",
    "she",
    "should",
    "since",
    "so",
    "some",
    "start",
    "step",
    "steps",
    "subject",
    "sure",
    "talk",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "three",
    "to",
    "two",
    "was",
    "we",
    "welcome",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "without",
    "would",
    "yes",
    "you",
    "your",
    "book",
    "heard",
    "warm",
    "hallo",
    "hej",
    "hola",
    "bonjour",
    "ciao",
    "morning",
    "afternoon",
    "evening",
    "cheers",
    "regards",
    "sincerely",
    "together",
    "unlike",
    "even",
    "only",
    "again",
    "then",
    "now",
    "today",
    "tomorrow",
    "yesterday",
    "please",
    "ok",
    "okay",
    "sorry",
    "apologies",
    "welcome",
    "introducing",
    "meet",
    "imagine",
    "consider",
    "picture",
    "learn",
    "see",
    "get",
    "try",
    "join",
    "discover",
    "explore",
    "find",
    "take",
    "make",
    "keep",
    "bring",
    "run",
    "use",
    "contact",
    "call",
    "email",
    "visit",
    "reach",
    "download",
    "watch",
    "register",
    "sign",
    "schedule",
    "reply",
    "follow",
    "connect",
    "grab",
    "claim",
    "request",
    "review",
    "compare",
    "check",
    "meet",
    "speak",
    "chat",
    "write",
    "ring",
    "text",
    "message",
];

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "dear",
    "hallo",
    "hej",
    "hola",
    "bonjour",
    "ciao",
    "morning",
    "afternoon",
    "evening",
    "thanks",
    "thank",
    "congratulations",
    "congrats",
    "welcome",
    "moin",
    "salut",
    "olá",
    "ola",
    "namaste",
];

const GENERIC_NAMES: &[&str] = &[
    "linkedin",
    "internet",
    "mr",
    "ms",
    "mrs",
    "dr",
    "prof",
    "ok",
    "okay",
    "web",
    "email",
    "zoom",
    "teams",
    "google",
    "slack",
    "excel",
    "covid",
    "christmas",
    "new year",
    "q&a",
    "ai",
    "genai",
    "saas",
    "revops",
    "devops",
    "secops",
    "finops",
    "mlops",
    "fintech",
    "insurtech",
    "healthtech",
    "regtech",
    "proptech",
    "edtech",
    "wi-fi",
    "wifi",
    "youtube",
    // continents and broad regions: general statements, not specific claims
    "europe",
    "european",
    "asia",
    "africa",
    "america",
    "americas",
    "north",
    "south",
    "latin",
    "middle",
    "east",
    "west",
    "western",
    "eastern",
    "nordics",
    "nordic",
    "scandinavia",
    "oceania",
    "pacific",
    "atlantic",
    "emea",
    "apac",
    "dach",
    "benelux",
    "iberia",
    "balkans",
    "baltics",
    "caribbean",
    "gulf",
    "southeast",
    "central",
    "northern",
    "southern",
];

const CLAIM_VERBS: &[&str] = &[
    "cut",
    "saved",
    "reduced",
    "lowered",
    "achieved",
    "moved",
    "went",
    "answered",
    "passed",
    "completed",
    "rotated",
    "kept",
    "consolidated",
    "uses",
    "used",
    "chose",
    "selected",
    "switched",
    "runs",
    "ran",
    "deployed",
    "replaced",
    "built",
    "grew",
    "increased",
    "improved",
    "migrated",
    "eliminated",
    "halved",
    "doubled",
    "tripled",
    "cleared",
    "closed",
    "automated",
    "standardised",
    "standardized",
    "rolled",
    "adopted",
    "partnered",
    "trusts",
    "trusted",
    "relies",
    "relied",
    "signed",
    "picked",
    "mapped",
    "shipped",
    "launched",
    "onboarded",
    "earned",
    "won",
    "avoided",
    "recovered",
    "processed",
    "handled",
    "slashed",
    "decreased",
    "works",
    "worked",
    "needed",
    "had",
    "saw",
    "got",
    "reached",
    "hit",
    "delivered",
    "secured",
    "protects",
    "protected",
    "runs",
    "manages",
    "managed",
];

fn find_names(
    text: &str,
    toks: &[Tok],
    sents: &[(usize, usize)],
    sent_of_tok: &[usize],
) -> Vec<NameSpan> {
    let mut out = Vec::new();
    // sentences to skip: short greeting / sign-off lines, title-case headings
    let skip_sent: Vec<bool> = sents
        .iter()
        .map(|&(a, e)| {
            let s = &text[a..e];
            let n_words = s.split_whitespace().count();
            if n_words <= 4 && s.ends_with(',') {
                return true;
            }
            let terminal = s.ends_with(['.', '!', '?', ':', ',']);
            if !terminal && n_words >= 3 {
                let (mut long, mut caps) = (0usize, 0usize);
                for w in s.split_whitespace() {
                    if w.chars().filter(|c| c.is_alphabetic()).count() >= 4 {
                        long += 1;
                        if w.chars().next().is_some_and(char::is_uppercase) {
                            caps += 1;
                        }
                    }
                }
                if long > 0 && caps * 10 >= long * 6 && caps >= 3 {
                    return true;
                }
            }
            false
        })
        .collect();
    let n = toks.len();
    let mut i = 0;
    while i < n {
        let t = toks[i];
        if t.kind != TokKind::Word
            || !is_name_tok(t.text(text))
            || skip_sent.get(sent_of_tok[i]).copied().unwrap_or(false)
        {
            i += 1;
            continue;
        }
        // collect the run
        let mut run = vec![i];
        let mut j = i + 1;
        let mut stop_after_poss = strip_possessive(t.text(text)).len() != t.text(text).len();
        while j < n && !stop_after_poss {
            let tj = toks[j];
            if tj.kind == TokKind::Word
                && is_name_tok(tj.text(text))
                && sent_of_tok[j] == sent_of_tok[i]
            {
                run.push(j);
                stop_after_poss = strip_possessive(tj.text(text)).len() != tj.text(text).len();
                j += 1;
                continue;
            }
            let conn = (tj.kind == TokKind::Word
                && matches!(
                    tj.text(text),
                    "of" | "de" | "van" | "von" | "der" | "den" | "du" | "la" | "le" | "da" | "di"
                ))
                || (tj.kind == TokKind::Punct && tj.text(text) == "&");
            if conn
                && j + 1 < n
                && toks[j + 1].kind == TokKind::Word
                && is_name_tok(toks[j + 1].text(text))
            {
                run.push(j + 1);
                j += 2;
                continue;
            }
            break;
        }
        let next_i = j;
        let initial = is_sentence_initial(text, toks, i);
        // drop leading function words / greetings
        let mut greeted = i > 0
            && toks[i - 1].kind == TokKind::Word
            && with_lower(toks[i - 1].text(text), |p| GREETINGS_SET.has(p));
        let mut k = 0;
        while k < run.len() {
            let (lead, greeting) = with_lower(toks[run[k]].text(text), |l| {
                (LEAD_SKIP_SET.has(l), GREETINGS_SET.has(l))
            });
            if k == 0 && lead {
                if greeting {
                    greeted = true;
                }
                run.remove(0);
                continue;
            }
            k += 1;
        }
        // split at months, weekdays and generic words
        let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
        for &r in &run {
            let w = strip_possessive(toks[r].text(text));
            if month_of(w).is_some() || is_weekday(w) || with_lower(w, |l| GENERIC_SET.has(l)) {
                groups.push(Vec::new());
            } else if let Some(g) = groups.last_mut() {
                g.push(r);
            }
        }
        for (gi, g) in groups.into_iter().enumerate() {
            if g.is_empty() {
                continue;
            }
            if greeted && gi == 0 {
                continue;
            }
            let first = g[0];
            let last = *g.last().unwrap_or(&first);
            // vocative: ", Dev."
            if g.len() == 1
                && first > 0
                && toks[first - 1].kind == TokKind::Punct
                && toks[first - 1].text(text) == ","
                && (last + 1 >= n
                    || toks[last + 1].kind == TokKind::Newline
                    || (toks[last + 1].kind == TokKind::Punct
                        && matches!(toks[last + 1].text(text), "." | "!" | "?")))
            {
                continue;
            }
            // a lone capitalised first word needs a claim verb after it
            if g.len() == 1 && (initial && first == i || is_sentence_initial(text, toks, first)) {
                let claim = toks
                    .get(last + 1)
                    .filter(|t| t.kind == TokKind::Word)
                    .is_some_and(|t| with_lower(t.text(text), |v| CLAIM_SET.has(v)));
                if !claim {
                    continue;
                }
            }
            out.push(NameSpan {
                start: toks[first].start,
                end: toks[last].end,
                tok_i: first,
                tok_j: last + 1,
            });
        }
        i = next_i.max(i + 1);
    }
    out
}

/// Where a fact comes from: "brief.trigger.summary", "proofs[pp-x]", ...
/// (rendered only when a finding cites it).
#[derive(Debug, Clone)]
enum FactPath {
    /// "brief.industry"
    Field(&'static str),
    /// "brief.intent_topics[2]", "brief.known_initiatives[0].text"
    Item(&'static str, usize, &'static str),
    /// "proofs[pp-x]", "proofs[pp-x].source"
    Proof(String, &'static str),
}

impl std::fmt::Display for FactPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactPath::Field(p) => f.write_str(p),
            FactPath::Item(p, i, rest) => write!(f, "{p}[{i}]{rest}"),
            FactPath::Proof(id, rest) => write!(f, "proofs[{id}]{rest}"),
        }
    }
}

/// One row of the facts table.
#[derive(Debug, Clone)]
struct Fact {
    path: FactPath,
    text: String,
    lower: String,
    /// Word stems without the sender's own company/product words; computed
    /// on first use (only figure binding needs them).
    stems: std::sync::OnceLock<Vec<String>>,
    quantities: Vec<Quantity>,
    dates: Vec<DateMention>,
    is_proof: bool,
    subject_is_sender: bool,
}

impl Fact {
    fn stems(&self, sender_company: &str) -> &[String] {
        self.stems.get_or_init(|| {
            let text = self.text.as_str();
            let toks = tokenize(text);
            let mut stems = Vec::with_capacity(toks.len());
            let sc_words: Vec<&str> = sender_company.split_whitespace().collect();
            let mut skip_caps = false;
            for tk in &toks {
                if tk.kind != TokKind::Word {
                    skip_caps = false;
                    continue;
                }
                let w = tk.text(text);
                let wl = lower(w);
                if sc_words.contains(&wl.as_str()) {
                    skip_caps = true;
                    continue;
                }
                if skip_caps && w.chars().next().is_some_and(char::is_uppercase) {
                    continue;
                }
                skip_caps = false;
                for p in wl.split('-') {
                    if !p.is_empty() {
                        stems.push(stem(p).to_string());
                    }
                }
                if wl.contains('-') {
                    stems.push(stem(&wl).to_string());
                }
            }
            stems.sort();
            stems.dedup();
            stems
        })
    }

    fn cite(&self) -> String {
        let t: String = self.text.chars().take(160).collect();
        format!("{}: \"{}\"", self.path, t)
    }
}

#[derive(Debug)]
struct FactTable {
    facts: Vec<Fact>,
    /// Lowercase text of everything that may name things, '\n'-joined.
    corpus: String,
    quantified_nouns: Vec<String>,
    sender_company: String,
    sender_name: String,
    account: String,
    account_first: String,
    competitors: Vec<String>,
    products: Vec<String>,
    hypotheses: Vec<(String, Vec<String>)>,
    /// `norm_cert` of every fact's lowercase text; computed on first use.
    cert_norms: std::sync::OnceLock<Vec<String>>,
}

impl FactTable {
    fn build(
        b: &AccountBrief,
        proofs: &[ProofFact],
        competitors: &[String],
        extra_competitors: &[String],
    ) -> FactTable {
        let sender_company = lower(b.sender.company.trim());
        let mut t = FactTable {
            facts: Vec::with_capacity(16),
            corpus: String::with_capacity(1024),
            quantified_nouns: Vec::new(),
            sender_company: sender_company.clone(),
            sender_name: lower(b.sender.name.trim()),
            account: lower(b.account_name.trim()),
            account_first: lower(b.account_name.split_whitespace().next().unwrap_or("")),
            competitors: competitors
                .iter()
                .chain(extra_competitors)
                .map(|c| lower(c.trim()))
                .filter(|c| !c.is_empty())
                .collect(),
            products: Vec::new(),
            hypotheses: b
                .hypotheses
                .iter()
                .map(|h| (h.clone(), content_stems(h)))
                .collect(),
            cert_norms: std::sync::OnceLock::new(),
        };
        let add = |t: &mut FactTable, path: FactPath, text: &str, is_proof: bool| {
            if text.trim().is_empty() {
                return;
            }
            t.add_fact(path, text, is_proof);
        };
        add(
            &mut t,
            FactPath::Field("brief.account_name"),
            &b.account_name,
            false,
        );
        add(
            &mut t,
            FactPath::Field("brief.industry"),
            &b.industry,
            false,
        );
        add(&mut t, FactPath::Field("brief.region"), &b.region, false);
        add(&mut t, FactPath::Field("brief.persona"), &b.persona, false);
        add(
            &mut t,
            FactPath::Field("brief.trigger.kind"),
            &b.trigger.kind.replace('_', " "),
            false,
        );
        add(
            &mut t,
            FactPath::Field("brief.trigger.summary"),
            &b.trigger.summary,
            false,
        );
        add(
            &mut t,
            FactPath::Field("brief.trigger.occurred_on"),
            &b.trigger.occurred_on,
            false,
        );
        for (i, x) in b.known_initiatives.iter().enumerate() {
            add(
                &mut t,
                FactPath::Item("brief.known_initiatives", i, ".text"),
                &x.text,
                false,
            );
            add(
                &mut t,
                FactPath::Item("brief.known_initiatives", i, ".observed_on"),
                &x.observed_on,
                false,
            );
        }
        for (i, x) in b.intent_topics.iter().enumerate() {
            add(
                &mut t,
                FactPath::Item("brief.intent_topics", i, ""),
                x,
                false,
            );
        }
        for (i, x) in b.recent_engagement.iter().enumerate() {
            add(
                &mut t,
                FactPath::Item("brief.recent_engagement", i, ""),
                x,
                false,
            );
        }
        for (i, x) in b.cta_offers.iter().enumerate() {
            add(&mut t, FactPath::Item("brief.cta_offers", i, ""), x, false);
        }
        add(
            &mut t,
            FactPath::Field("brief.sender.name"),
            &b.sender.name,
            false,
        );
        add(
            &mut t,
            FactPath::Field("brief.sender.title"),
            &b.sender.title,
            false,
        );
        add(
            &mut t,
            FactPath::Field("brief.sender.company"),
            &b.sender.company,
            false,
        );
        for p in proofs {
            add(&mut t, FactPath::Proof(p.id.clone(), ""), &p.text, true);
            add(
                &mut t,
                FactPath::Proof(p.id.clone(), ".source"),
                &p.source,
                true,
            );
        }
        // products: capitalised words right after the sender company
        let products = t.products_in(t.facts.iter().map(|f| (f.lower.as_str(), f.text.as_str())));
        t.products = products;
        t
    }

    /// Products named in the draft (see `products_in`) that the facts do not
    /// already name.
    fn draft_products(&self, draft: &DraftText) -> Vec<String> {
        if self.sender_company.is_empty() {
            return Vec::new();
        }
        let parts: Vec<(String, &str)> = draft.parts().map(|(_, s)| (lower(s), s)).collect();
        let mut v = self.products_in(parts.iter().map(|(l, s)| (l.as_str(), *s)));
        v.retain(|p| !self.products.contains(p));
        v
    }

    /// Capitalised words right after the sender company in `(lowercase,
    /// original)` text pairs, lowercased, without duplicates.
    fn products_in<'s>(&self, pairs: impl Iterator<Item = (&'s str, &'s str)>) -> Vec<String> {
        let mut products: Vec<String> = Vec::new();
        if self.sender_company.is_empty() {
            return products;
        }
        let sc = self.sender_company.as_str();
        for (l, ft) in pairs {
            if l.len() != ft.len() {
                continue; // offsets differ after lowercasing
            }
            let mut from = 0;
            while let Some(at) = find_from(l, sc, from) {
                let after = at + sc.len();
                if let Some(rest) = ft.get(after..) {
                    let w: String = rest
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_alphanumeric())
                        .collect();
                    if w.chars().next().is_some_and(char::is_uppercase) {
                        let wl = lower(&w);
                        if !products.contains(&wl) {
                            products.push(wl);
                        }
                    }
                }
                from = after;
                if from >= l.len() {
                    break;
                }
            }
        }
        products
    }

    fn cert_norms(&self) -> &[String] {
        self.cert_norms
            .get_or_init(|| self.facts.iter().map(|f| norm_cert(&f.lower)).collect())
    }

    fn add_fact(&mut self, path: FactPath, text: &str, is_proof: bool) {
        let toks = tokenize(text);
        let (quantities, mut dates) = extract(text, &toks);
        if let Some(d) = iso_date(text) {
            dates.push(d);
        }
        for q in &quantities {
            if let Some(n) = &q.noun {
                self.quantified_nouns.push(stem(n).to_string());
            }
        }
        let l = lower(text);
        let subject_is_sender =
            !self.sender_company.is_empty() && l.trim_start().starts_with(&self.sender_company);
        self.corpus.push_str(&l);
        self.corpus.push('\n');
        self.facts.push(Fact {
            path,
            text: text.to_string(),
            lower: l,
            stems: std::sync::OnceLock::new(),
            quantities,
            dates,
            is_proof,
            subject_is_sender,
        });
    }
}

/// The facts table for one brief and set of proofs, built once and shared by
/// every draft checked against them.
#[derive(Debug)]
pub struct GroundingFacts(FactTable);

impl GroundingFacts {
    pub(crate) fn build(
        brief: &AccountBrief,
        proofs: &[ProofFact],
        competitors: &[String],
        extra_competitors: &[String],
    ) -> Self {
        GroundingFacts(FactTable::build(
            brief,
            proofs,
            competitors,
            extra_competitors,
        ))
    }
}

/// The facts table as one draft sees it: plus the sender's products the
/// draft itself names.
struct Table<'t> {
    base: &'t FactTable,
    draft_products: Vec<String>,
}

impl std::ops::Deref for Table<'_> {
    type Target = FactTable;
    fn deref(&self) -> &FactTable {
        self.base
    }
}

impl Table<'_> {
    fn classify(&self, n: &str) -> Subject {
        if n.is_empty() {
            return Subject::None;
        }
        if self
            .competitors
            .iter()
            .any(|c| c == n || contains_word(n, c) || contains_word(c, n))
        {
            return Subject::Competitor;
        }
        if !self.account.is_empty()
            && (contains_word(&self.account, n)
                || (self.account_first.len() >= 3 && n.starts_with(&self.account_first)))
        {
            return Subject::Account;
        }
        if !self.sender_company.is_empty()
            && (n.starts_with(&self.sender_company) || contains_word(&self.sender_company, n))
            || (!self.sender_name.is_empty() && contains_word(&self.sender_name, n))
            || self.products.iter().any(|p| p == n)
            || self.draft_products.iter().any(|p| p == n)
        {
            return Subject::Sender;
        }
        Subject::Third(n.to_string())
    }

    fn name_supported(&self, n: &str) -> bool {
        if n.is_empty() {
            return true;
        }
        match self.classify(n) {
            Subject::Competitor | Subject::Sender | Subject::Account => return true,
            _ => {}
        }
        if contains_word(&self.corpus, n) {
            return true;
        }
        // "Wingtip County's team" style: drop trailing generic words
        let words: Vec<&str> = n.split_whitespace().collect();
        if words.len() > 1 {
            let mut k = words.len();
            while k > 1 && GENERIC_TAIL_SET.has(words[k - 1]) {
                k -= 1;
            }
            if k < words.len() && contains_word(&self.corpus, &words[..k].join(" ")) {
                return true;
            }
        }
        // job titles and departments
        words.iter().all(|w| ROLE_SET.has(w))
    }
}

/// Trailing words that do not make a name ("Wingtip County's team").
const GENERIC_TAIL: &[&str] = &[
    "inc", "ltd", "llc", "gmbh", "ag", "plc", "corp", "co", "group", "sa", "bv", "nv", "team",
    "teams", "customer", "story", "case", "study",
];

/// Words of job titles and departments.
const ROLE: &[&str] = &[
    "head",
    "director",
    "chief",
    "officer",
    "manager",
    "vp",
    "president",
    "engineer",
    "analyst",
    "lead",
    "executive",
    "team",
    "council",
    "board",
    "department",
    "security",
    "data",
    "engineering",
    "compliance",
    "risk",
    "finance",
    "procurement",
    "operations",
    "office",
    "information",
    "technology",
    "privacy",
    "governance",
    "it",
    "grc",
    "product",
    "sales",
    "marketing",
    "legal",
    "audit",
    "internal",
    "global",
    "regional",
    "senior",
    "principal",
    "of",
    "and",
    "&",
    "cyber",
    "infrastructure",
    "platform",
    "cloud",
    "architect",
    "architecture",
    "consultant",
    "specialist",
    "partner",
    "account",
    "solutions",
    "customer",
    "success",
    "support",
    "services",
    "service",
    "administrator",
    "admin",
    "controller",
    "treasurer",
    "general",
    "counsel",
];

/// `hay` contains `needle` at word boundaries (both lowercase).
fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let hb = hay.as_bytes();
    let mut from = 0;
    while let Some(a) = find_from(hay, needle, from) {
        let e = a + needle.len();
        let before_ok = a == 0
            || !hay[..a]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
        let after_ok = e >= hb.len() || !hay[e..].chars().next().is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return true;
        }
        from = a + needle.chars().next().map_or(1, char::len_utf8);
        if from >= hay.len() {
            break;
        }
    }
    false
}

//! Claim-log verification (seed 5.4): every fact a generator logs must cite a
//! source that exists in the request it was given, and the claim's numbers
//! and capitalised names must appear in that source. Also: a figure written
//! in a slot must appear somewhere in the request.
//!
//! Pure and deliberately simple: token containment, not semantics. It catches
//! invented figures, invented names and made-up sources; whether a claim is
//! *phrased* faithfully is the grounding check's job on the final text.

use crate::compose::{self, Plan, text};
use crate::library::Library;
use crate::model::{AccountBrief, CheckKind, Claim, DraftText, Finding, Severity, Span, TextPart};
use regex::Regex;
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

/// Rule id of every claim-log finding.
pub const RULE_UNSUPPORTED: &str = "claim-log.unsupported";
const RULE_VERSION: &str = "1.0.0";

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+(?:[.,]\d+)*").expect("number regex"));
static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").expect("date regex"));

const NUMBER_WORDS: [(&str, &str); 23] = [
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("thirteen", "13"),
    ("fourteen", "14"),
    ("fifteen", "15"),
    ("sixteen", "16"),
    ("seventeen", "17"),
    ("eighteen", "18"),
    ("nineteen", "19"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
    ("hundred", "100"),
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Capitalised words that are not names (sentence openers, pronouns, …).
const NOT_NAMES: &[&str] = &[
    "i", "we", "our", "us", "you", "your", "the", "a", "an", "this", "that", "these", "those",
    "it", "its", "they", "their", "he", "she", "his", "her", "as", "at", "in", "on", "for", "with",
    "and", "but", "or", "to", "of", "by", "from", "after", "before", "during", "since", "last",
    "next", "recently", "is", "are", "was", "were", "has", "have", "had", "will", "mr", "ms",
    "mrs", "dr",
];

/// What a claim's numbers and names are compared with.
#[derive(Debug, Default, Clone)]
struct Facts {
    numbers: HashSet<String>,
    words: HashSet<String>,
    text: String,
}

impl Facts {
    fn of(text: &str) -> Facts {
        let mut f = Facts {
            text: text.to_string(),
            ..Facts::default()
        };
        for m in NUMBER.find_iter(text) {
            f.numbers.insert(norm_number(m.as_str()));
        }
        for c in ISO_DATE.captures_iter(text) {
            if let Ok(m) = c[2].parse::<usize>()
                && (1..=12).contains(&m)
            {
                f.words.insert(MONTHS[m - 1].to_string());
            }
        }
        for w in words(text) {
            let lw = w.to_lowercase();
            if let Some((_, d)) = NUMBER_WORDS.iter().find(|(n, _)| *n == lw) {
                f.numbers.insert((*d).to_string());
            }
            f.words.insert(lw);
        }
        f
    }

    fn has_word(&self, w: &str) -> bool {
        let w = w.to_lowercase();
        self.words.contains(&w)
            || w.strip_suffix('s').is_some_and(|s| self.words.contains(s))
            || self.words.contains(&format!("{w}s"))
    }
}

/// "1,200" → "1200", "07" → "7", "4.0" stays.
fn norm_number(s: &str) -> String {
    let s: String = s.chars().filter(|c| *c != ',').collect();
    let t = s.trim_start_matches('0');
    if t.is_empty() || t.starts_with('.') {
        format!("0{t}")
    } else {
        t.to_string()
    }
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The claim's numbers (digits and number words two and up).
fn claim_numbers(s: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = NUMBER
        .find_iter(s)
        .map(|m| (m.as_str().to_string(), norm_number(m.as_str())))
        .collect();
    for w in words(s) {
        let lw = w.to_lowercase();
        if let Some((_, d)) = NUMBER_WORDS.iter().find(|(n, _)| *n == lw) {
            out.push((w.to_string(), (*d).to_string()));
        }
    }
    out
}

/// Capitalised words that do not open a sentence and are not pronouns etc.
fn claim_names(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    let mut rest = s;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| c.is_alphanumeric())
            .unwrap_or(rest.len());
        let gap = &rest[..start];
        if gap.contains(['.', '!', '?', ':', '\n']) {
            sentence_start = true;
        }
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        let w = &rest[..end];
        rest = &rest[end..];
        if w.is_empty() {
            continue;
        }
        let capital = w.chars().next().is_some_and(char::is_uppercase);
        let lw = w.to_lowercase();
        if capital
            && !sentence_start
            && !NOT_NAMES.contains(&lw.as_str())
            && !w.chars().any(|c| c.is_ascii_digit())
        {
            out.push(w.to_string());
        }
        sentence_start = false;
    }
    out
}

/// Every source a generator was shown for one draft, by the id a claim uses.
#[derive(Debug, Default, Clone)]
pub struct RequestSources {
    by_id: BTreeMap<String, Facts>,
    /// Names always allowed: the account's and the sender's.
    identity: Facts,
    /// Everything, for figures written outside the claim log.
    all: Facts,
}

impl RequestSources {
    /// The sources of `brief` as the prompt data block shows them (see
    /// `compose::prompt_spec`): a third-party trigger's summary and
    /// tracked engagement were withheld, so they cannot be cited.
    pub fn new(lib: &Library, plan: &Plan, brief: &AccountBrief) -> RequestSources {
        let mut by_id: BTreeMap<String, String> = BTreeMap::new();
        by_id.insert("brief.account_name".into(), brief.account_name.clone());
        by_id.insert("brief.industry".into(), brief.industry.clone());
        by_id.insert("brief.region".into(), brief.region.clone());
        by_id.insert("brief.persona".into(), brief.persona.clone());
        by_id.insert(
            "brief.sender".into(),
            format!(
                "{} {} {}",
                brief.sender.name, brief.sender.title, brief.sender.company
            ),
        );
        let trigger_kind = brief.trigger.kind.replace('_', " ");
        let trigger = if plan.third_party_trigger {
            trigger_kind
        } else {
            format!(
                "{trigger_kind} {} {}",
                brief.trigger.summary, brief.trigger.occurred_on
            )
        };
        by_id.insert("brief.trigger".into(), trigger);
        for (i, k) in brief.known_initiatives.iter().enumerate() {
            by_id.insert(
                format!("brief.known_initiatives[{i}]"),
                format!("{} {}", k.text, k.observed_on),
            );
        }
        // Topics and engagement are shown filtered: accept the brief's index
        // and the index in the list the model saw.
        let topics: Vec<(usize, &String)> = brief
            .intent_topics
            .iter()
            .enumerate()
            .filter(|(_, t)| text::safe_topic(t).is_some())
            .collect();
        let engagement: Vec<(usize, &String)> = brief
            .recent_engagement
            .iter()
            .enumerate()
            .filter(|(i, e)| text::engagement(*i, e).is_some())
            .collect();
        for (field, shown) in [
            ("brief.intent_topics", &topics),
            ("brief.recent_engagement", &engagement),
        ] {
            for (i, t) in shown.iter() {
                by_id.insert(format!("{field}[{i}]"), t.to_string());
            }
            for (j, (_, t)) in shown.iter().enumerate() {
                by_id
                    .entry(format!("{field}[{j}]"))
                    .or_insert_with(|| t.to_string());
            }
        }
        for (i, h) in brief.hypotheses.iter().enumerate() {
            by_id.insert(format!("brief.hypotheses[{i}]"), h.clone());
        }
        for (i, o) in brief.cta_offers.iter().enumerate() {
            by_id.insert(format!("brief.cta_offers[{i}]"), o.clone());
        }
        for r in &plan.proofs {
            if let Some(p) = lib.proof(&r.id) {
                by_id.insert(
                    format!("proofs[{}]", r.id),
                    format!("{} {}", p.text, p.source),
                );
            }
        }
        let identity = Facts::of(&format!(
            "{} {} {} {} {} {}",
            brief.account_name,
            brief.sender.name,
            brief.sender.company,
            brief.industry,
            brief.region,
            brief.persona
        ));
        let all = Facts::of(&by_id.values().cloned().collect::<Vec<_>>().join("\n"));
        RequestSources {
            by_id: by_id.into_iter().map(|(k, v)| (k, Facts::of(&v))).collect(),
            identity,
            all,
        }
    }

    /// The source ids a claim may cite.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }
}

/// The outcome of verifying one answer.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    pub claims: Vec<Claim>,
    /// Blocking `grounding` findings, rule [`RULE_UNSUPPORTED`].
    pub findings: Vec<Finding>,
}

/// Verifies `claims` against `sources`, and the figures in `slot_texts`
/// against everything in the request. Findings point into `draft` (the
/// rendered text) where the offending token can be found there.
pub fn verify(
    sources: &RequestSources,
    claims: &[compose::Claim],
    slot_texts: &[String],
    draft: &DraftText,
) -> Verified {
    let mut out = Verified::default();
    for c in claims {
        let source = c.source.trim();
        let problem = match sources.by_id.get(source) {
            None => Some((
                None,
                format!("cites {source:?}, which is not in the request"),
                "no such source in the request".to_string(),
            )),
            Some(facts) => {
                let missing_num = claim_numbers(&c.text)
                    .into_iter()
                    .find(|(_, n)| !facts.numbers.contains(n));
                let missing_name = claim_names(&c.text)
                    .into_iter()
                    .find(|w| !facts.has_word(w) && !sources.identity.has_word(w));
                match (missing_num, missing_name) {
                    (Some((raw, _)), _) => Some((
                        Some(raw.clone()),
                        format!("states {raw:?}, which {source} does not contain"),
                        format!("{source}: {}", facts.text.trim()),
                    )),
                    (None, Some(w)) => Some((
                        Some(w.clone()),
                        format!("names {w:?}, which {source} does not contain"),
                        format!("{source}: {}", facts.text.trim()),
                    )),
                    (None, None) => None,
                }
            }
        };
        out.claims.push(Claim {
            text: c.text.clone(),
            source: c.source.clone(),
            verified: problem.is_none(),
        });
        if let Some((token, what, evidence)) = problem {
            let needle = token.as_deref().unwrap_or(c.text.as_str());
            out.findings.push(finding(
                draft,
                needle,
                format!("unsupported claim {:?}: {what}", c.text),
                evidence,
            ));
        }
    }
    // Figures written in a slot but found nowhere in the request.
    let mut seen = HashSet::new();
    for t in slot_texts {
        for m in NUMBER.find_iter(t) {
            let n = norm_number(m.as_str());
            if !sources.all.numbers.contains(&n) && seen.insert(n) {
                out.findings.push(finding(
                    draft,
                    m.as_str(),
                    format!(
                        "the figure {:?} appears in no source of the request",
                        m.as_str()
                    ),
                    "no brief field or approved proof contains this figure".into(),
                ));
            }
        }
    }
    out
}

fn finding(draft: &DraftText, needle: &str, message: String, evidence: String) -> Finding {
    let (part, start, end) = draft
        .parts()
        .find_map(|(part, text)| {
            text.find(needle)
                .filter(|_| !needle.is_empty())
                .map(|s| (part, s, s + needle.len()))
        })
        .unwrap_or((TextPart::Body, 0, 0));
    Finding {
        check: CheckKind::Grounding,
        rule_id: RULE_UNSUPPORTED.into(),
        rule_version: RULE_VERSION.into(),
        severity: Severity::Blocking,
        span: Span { part, start, end },
        excerpt: draft.part(part)[start..end].to_string(),
        message,
        evidence,
        suggestion: Some(
            "State only what the cited source says, cite the source that says it, or drop the claim."
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(texts: &[(&str, &str)]) -> RequestSources {
        let by_id: BTreeMap<String, Facts> = texts
            .iter()
            .map(|(k, v)| (k.to_string(), Facts::of(v)))
            .collect();
        let all = Facts::of(&texts.iter().map(|(_, v)| *v).collect::<Vec<_>>().join("\n"));
        RequestSources {
            by_id,
            identity: Facts::of("Ashgrove Health Partners Dana Whitfield Larchmont Security"),
            all,
        }
    }

    fn claim(text: &str, source: &str) -> compose::Claim {
        compose::Claim {
            text: text.into(),
            source: source.into(),
        }
    }

    fn draft(body: &str) -> DraftText {
        DraftText {
            subject: None,
            body: body.into(),
        }
    }

    #[test]
    fn supported_claims_pass() {
        let s = sources(&[
            (
                "brief.known_initiatives[0]",
                "Opening four outpatient clinics in Ohio in 2027 2026-09-30",
            ),
            (
                "proofs[pp-x]",
                "Pinecrest cut review time by 62%. Case study",
            ),
            (
                "brief.trigger",
                "webinar attended Attended 'Access reviews' 2026-11-10",
            ),
        ]);
        let v = verify(
            &s,
            &[
                claim(
                    "Ashgrove is opening 4 clinics in Ohio in 2027",
                    "brief.known_initiatives[0]",
                ),
                claim("Pinecrest cut review time by 62%", "proofs[pp-x]"),
                claim("You attended our webinar on November 10", "brief.trigger"),
            ],
            &["Four new clinics in Ohio in 2027".into()],
            &draft("x"),
        );
        assert!(v.findings.is_empty(), "{:#?}", v.findings);
        assert!(v.claims.iter().all(|c| c.verified));
    }

    #[test]
    fn invented_figures_names_and_sources_are_found() {
        let s = sources(&[(
            "brief.known_initiatives[0]",
            "Opening four outpatient clinics in Ohio in 2027",
        )]);
        let body = "You are opening 12 clinics in Ohio and Texas.";
        let v = verify(
            &s,
            &[
                claim("Opening 12 clinics", "brief.known_initiatives[0]"),
                claim("Clinics in Ohio and Texas", "brief.known_initiatives[0]"),
                claim("Cut costs by 40%", "proofs[pp-missing]"),
            ],
            &["You are opening 12 clinics in Ohio and Texas.".into()],
            &draft(body),
        );
        assert_eq!(v.findings.len(), 4, "{:#?}", v.findings);
        assert!(v.claims.iter().all(|c| !c.verified));
        let f = &v.findings[0];
        assert_eq!(f.rule_id, RULE_UNSUPPORTED);
        assert!(f.is_blocking());
        assert_eq!(f.excerpt, "12");
        assert_eq!(&body[f.span.start..f.span.end], "12");
        assert!(v.findings[1].message.contains("Texas"));
        assert!(v.findings[2].message.contains("not in the request"));
        assert!(v.findings[3].message.contains("figure \"12\""));
    }
}

//! Small, deterministic text helpers that turn brief fields into phrases the
//! offline composer can place in a sentence without changing any fact.
//!
//! Every helper only removes or re-cases words and reformats ISO dates; it
//! never adds a fact. Fragments that mention tracked behaviour or personal
//! attributes are dropped, not rephrased.

use regex::Regex;
use std::sync::LazyLock;

/// Words that reveal the prospect was watched (seed 5.4, 5.5). A fragment
/// containing one is never quoted.
const TRACKED: &[&str] = &[
    "web analytics",
    "tracking",
    "tracked",
    "visited",
    "visits",
    "opened",
    "clicked",
    "viewed",
    "read ",
    "intent",
    "third-party",
    "third party",
    "review-site",
    "review site",
    "pricing page",
    "browsing",
    "page view",
    "did not attend",
    "colleague",
    "no prior engagement",
];

/// Personal attributes that must never come up (eval README, red lines).
const SENSITIVE: &[&str] = &[
    "pregnan",
    "expecting her",
    "expecting his",
    "expecting their",
    "expecting a",
    "child",
    "baby",
    "maternity",
    "paternity",
    "medical",
    "sick",
    "illness",
    "diagnos",
    "disabilit",
    "religio",
    "church",
    "mosque",
    "synagogue",
    "temple",
    "ethnic",
    "wedding",
    "married",
    "divorce",
    "birthday",
    "years old",
    "retire",
    "personal financ",
    "bankrupt",
    "politic",
    "sexual",
    "on leave",
    "bereave",
    "funeral",
];

/// Capitalised words that are ordinary words at the start of a brief field
/// and may be lowercased mid-sentence. Anything else (a name, a product) keeps
/// its case.
const COMMON: &[&str] = &[
    "a",
    "an",
    "the",
    "our",
    "their",
    "its",
    "current",
    "existing",
    "new",
    "plans",
    "plan",
    "reference",
    "short",
    "written",
    "renewal",
    "free",
    "one-page",
    "state",
    "public",
    "two",
    "three",
    "four",
    "five",
    "six",
    "several",
    "quarterly",
    "annual",
    "access",
    "audit",
    "security",
    "customer",
    "data",
    "key",
    "control",
    "evidence",
    "cloud",
    "pilot",
    "demo",
    "call",
    "review",
    "workshop",
    "session",
    "walkthrough",
    "summary",
    "checklist",
    "send",
    "share",
    "book",
    "start",
    "talk",
    "run",
    "schedule",
    "connect",
    "arrange",
    "introduce",
    "walk",
    "set",
    "joined",
    "posted",
    "announced",
    "attended",
    "downloaded",
    "opening",
    "hiring",
    "moving",
    "building",
    "expanding",
    "launching",
    "migrating",
    "preparing",
    "pursuing",
    "replacing",
    "rolling",
    "applying",
    "centralising",
    "centralizing",
    "consolidating",
    "integrating",
    "may",
    "might",
    "probably",
    "encryption",
    "leaver",
    "compliance",
    "reviews",
    "keys",
    "staff",
    "teams",
    "spreadsheets",
    "most",
    "some",
    "many",
    "tooling",
    "tools",
    "vendor",
    "identity",
    "patient",
    "policy",
    "card",
    "payment",
];

/// Verbs that make a CTA offer an action the sender takes.
const ACTIONS: &[&str] = &[
    "send",
    "share",
    "book",
    "start",
    "talk",
    "run",
    "schedule",
    "connect",
    "arrange",
    "introduce",
    "walk",
    "set",
];

static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").expect("static regex"));
static PARENS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\([^)]*\)").expect("static regex"));
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"'[^']{3,}'|"[^"]{3,}"|‘[^’]{3,}’|“[^”]{3,}”"#).expect("static regex")
});
static ON_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s+(on|between)\s+\d{4}-\d{2}-\d{2}.*$").expect("static regex"));

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Lowercased, punctuation (except hyphens) turned into spaces, with a
/// leading space, so `" read "` matches the word and not "spread".
fn words_of(s: &str) -> String {
    let mut out = String::from(" ");
    out.extend(s.to_lowercase().chars().map(|c| {
        if c.is_alphanumeric() || c == '-' {
            c
        } else {
            ' '
        }
    }));
    out.push(' ');
    out
}

/// Whether `s` contains any of `terms` starting at a word boundary.
fn has_term(s: &str, terms: &[&str]) -> bool {
    let w = words_of(s);
    terms.iter().any(|t| w.contains(&format!(" {t}")))
}

pub fn mentions_tracking(s: &str) -> bool {
    has_term(s, TRACKED)
}

pub fn mentions_sensitive(s: &str) -> bool {
    has_term(s, SENSITIVE)
}

/// Safe to quote: no tracking, no personal attributes.
pub fn quotable(s: &str) -> bool {
    !s.trim().is_empty() && !mentions_tracking(s) && !mentions_sensitive(s)
}

/// "2027-01-31" → "31 January 2027"; other text unchanged.
pub fn human_dates(s: &str) -> String {
    ISO_DATE
        .replace_all(s, |c: &regex::Captures<'_>| {
            let m: usize = c[2].parse().unwrap_or(0);
            let d: u32 = c[3].parse().unwrap_or(0);
            match MONTHS.get(m.wrapping_sub(1)) {
                Some(month) if (1..=31).contains(&d) => format!("{d} {month} {}", &c[1]),
                _ => c[0].to_string(),
            }
        })
        .into_owned()
}

fn is_titlecase_word(w: &str) -> bool {
    let mut cs = w.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_uppercase())
        && cs.clone().count() > 0
        && cs.all(|c| c.is_ascii_lowercase() || c == '-' || c == '\'')
}

/// Lowercases the first word when it is an ordinary word ("Announced",
/// "Current"), so the fragment can continue a sentence. Names keep their case.
pub fn lower_first_word(s: &str) -> String {
    let s = s.trim();
    let (first, rest) = s.split_at(s.find(' ').unwrap_or(s.len()));
    if is_titlecase_word(first) {
        let lower = first.to_ascii_lowercase();
        if COMMON.contains(&lower.as_str()) || lower.ends_with("ed") || lower.ends_with("ing") {
            return format!("{lower}{rest}");
        }
    }
    s.to_string()
}

/// Uppercases the first letter (sentence start); the rest is unchanged.
pub fn cap_first(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().collect::<String>() + cs.as_str(),
        None => String::new(),
    }
}

/// A brief field as a clause: provenance in parentheses and anything after
/// a semicolon dropped, trailing full stop removed, dates written out, first
/// word lowercased when ordinary. `None` when it is not safe to quote.
pub fn clause(s: &str) -> Option<String> {
    let head = s.split(';').next().unwrap_or("");
    let head = PARENS.replace_all(head, "");
    let head = head.trim().trim_end_matches('.').trim();
    if head.is_empty() || !quotable(head) {
        return None;
    }
    Some(lower_first_word(&human_dates(head)))
}

/// Whether a clause starts with an -ing verb ("expanding telehealth ..."),
/// so it reads after "X is".
pub fn is_progressive(clause: &str) -> bool {
    let first = clause.split(' ').next().unwrap_or("");
    first.len() > 4 && first.ends_with("ing") && first.chars().all(|c| c.is_ascii_lowercase())
}

/// The quoted title in a field ("Attended webinar 'X' on ..." → "'X'").
pub fn quoted_title(s: &str) -> Option<String> {
    QUOTED.find(s).map(|m| m.as_str().to_string())
}

/// The word "a" or "an" for a noun phrase.
pub fn article(np: &str) -> &'static str {
    let w = np
        .split([' ', '-'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if w.starts_with(|c: char| c.is_ascii_digit()) {
        let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
        let an = digits.starts_with('8')
            || digits == "11"
            || digits == "18"
            || (digits.len() == 5 && digits.starts_with("11"))
            || (digits.len() == 5 && digits.starts_with("18"));
        return if an { "an" } else { "a" };
    }
    if w.starts_with("one") || w.starts_with("use") || w.starts_with("uni") || w.starts_with("eu") {
        return "a";
    }
    if w.starts_with("hour") || w.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// A CTA offer from the brief, ready for a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// "send a one-page summary of ..." (after "I can").
    Action(String),
    /// "a 15-minute security Q&A" (with its article).
    Thing(String),
}

pub fn offer(s: &str) -> Option<Offer> {
    let s = s.trim().trim_end_matches('.');
    if !quotable(s) {
        return None;
    }
    let first = s.split(' ').next().unwrap_or("").to_ascii_lowercase();
    if ACTIONS.contains(&first.as_str()) {
        return Some(Offer::Action(lower_first_word(s)));
    }
    let np = lower_first_word(s);
    let lower = np.to_ascii_lowercase();
    if lower.starts_with("a ") || lower.starts_with("an ") || lower.starts_with("the ") {
        return Some(Offer::Thing(np));
    }
    // A name that could not be lowercased ("Acme pilot") reads better with "the".
    if np.starts_with(|c: char| c.is_uppercase()) && !np.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(Offer::Thing(format!("the {np}")));
    }
    Some(Offer::Thing(format!("{} {np}", article(&np))))
}

/// A hypothesis as a question (seed 5.2: hypotheses are asked, never stated).
pub fn hypothesis_question(h: &str) -> Option<String> {
    let h = h.trim().trim_end_matches(['.', '?']);
    if !quotable(h) {
        return None;
    }
    let h = human_dates(h);
    for (lead, repl) in [
        ("May be ", "Are you "),
        ("Might be ", "Are you "),
        ("May ", "Do you "),
    ] {
        if let Some(rest) = h.strip_prefix(lead) {
            return Some(format!("{repl}{rest}?"));
        }
    }
    let h = h.replace(" probably ", " ");
    let body = lower_first_word(&h);
    if body != h {
        Some(format!(
            "I may be missing context, so a question: is it fair to say that {body}?"
        ))
    } else {
        // Starts with a name: keep its case and ask with a question tag.
        Some(format!(
            "I may be missing context, so a question: {h}, or is that not the case?"
        ))
    }
}

/// An intent topic that can be named as a common concern: only ordinary
/// lowercase words, acronyms and digits (no names, so no competitor), and
/// nothing that hints at research behaviour.
pub fn safe_topic(t: &str) -> Option<String> {
    let t = t.trim();
    if t.is_empty() || !quotable(t) {
        return None;
    }
    let l = t.to_lowercase();
    if ["alternative", "pricing", " vs", "versus", "compar"]
        .iter()
        .any(|w| l.contains(w))
    {
        return None;
    }
    let ok = t.split([' ', '-', '/']).filter(|w| !w.is_empty()).all(|w| {
        w.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            || w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    ok.then(|| t.to_string())
}

/// The industry as a mid-sentence phrase: "Public sector" → "public sector",
/// "SaaS" stays.
pub fn industry_phrase(industry: &str) -> String {
    industry
        .split_whitespace()
        .map(|w| {
            if is_titlecase_word(w) {
                w.to_ascii_lowercase()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A first-party, knowing action of the prospect (seed 5.4): safe to
/// mention. Tracked behaviour never becomes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    pub kind: EngagementKind,
    /// Quoted title of the webinar or asset, with its quotes.
    pub title: Option<String>,
    /// Index in `brief.recent_engagement`.
    pub index: usize,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngagementKind {
    Webinar,
    Download,
    Reply,
    Meeting,
    Connected,
    Request,
}

impl EngagementKind {
    /// The opener block text key for this kind.
    pub fn key(self) -> &'static str {
        match self {
            EngagementKind::Webinar => "webinar",
            EngagementKind::Download => "download",
            EngagementKind::Reply => "reply",
            EngagementKind::Meeting => "meeting",
            EngagementKind::Connected => "connected",
            EngagementKind::Request => "request",
        }
    }
}

pub fn engagement(index: usize, s: &str) -> Option<Engagement> {
    if !quotable(s) {
        return None;
    }
    let l = s.to_lowercase();
    let kind = if l.starts_with("attended") && l.contains("webinar") {
        EngagementKind::Webinar
    } else if l.starts_with("downloaded") {
        EngagementKind::Download
    } else if l.starts_with("replied") {
        EngagementKind::Reply
    } else if l.starts_with("accepted") && l.contains("connection") {
        EngagementKind::Connected
    } else if l.starts_with("requested") {
        EngagementKind::Request
    } else if l.starts_with("attended")
        || l.starts_with("met ")
        || l.contains(" call")
        || l.starts_with("call")
        || l.contains("workshop")
        || l.contains("meeting")
    {
        EngagementKind::Meeting
    } else {
        return None;
    };
    let title = quoted_title(&ON_DATE.replace(s, ""));
    Some(Engagement {
        kind,
        title,
        index,
        text: s.to_string(),
    })
}

pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// The sender's first name for a LinkedIn sign-off.
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_keep_facts_and_drop_provenance() {
        assert_eq!(
            clause("Announced a $45M Series C").unwrap(),
            "announced a $45M Series C"
        );
        assert_eq!(
            clause("Current Lockgrid contract renews on 2027-01-31 (stated on discovery call)")
                .unwrap(),
            "current Lockgrid contract renews on 31 January 2027"
        );
        assert_eq!(
            clause("Joined Halden Mutual Bank as CISO (announced on LinkedIn)").unwrap(),
            "joined Halden Mutual Bank as CISO"
        );
        // the part after the semicolon is never quoted
        assert_eq!(
            clause("Joined Harborline Logistics as CISO (announced on LinkedIn); the same post said she is expecting her first child")
                .unwrap(),
            "joined Harborline Logistics as CISO"
        );
        assert!(clause("Third-party intent surge on 'ISO 27001'").is_none());
        assert_eq!(clause("Halden announced X").unwrap(), "Halden announced X");
        assert!(is_progressive("expanding telehealth"));
        assert!(!is_progressive("state audit"));
    }

    #[test]
    fn offers_and_articles() {
        assert_eq!(
            offer("15-minute security Q&A"),
            Some(Offer::Thing("a 15-minute security Q&A".into()))
        );
        assert_eq!(
            offer("8-week pilot"),
            Some(Offer::Thing("an 8-week pilot".into()))
        );
        assert_eq!(
            offer("Reference call with Coho Financial"),
            Some(Offer::Thing("a reference call with Coho Financial".into()))
        );
        assert_eq!(
            offer("Send the Fabrikam Insurance case study"),
            Some(Offer::Action(
                "send the Fabrikam Insurance case study".into()
            ))
        );
        assert_eq!(article("one-page summary"), "a");
        assert_eq!(article("hour"), "an");
        assert_eq!(article("audit"), "an");
    }

    #[test]
    fn hypotheses_become_questions() {
        assert_eq!(
            hypothesis_question("May be evaluating Vaultline as an alternative").unwrap(),
            "Are you evaluating Vaultline as an alternative?"
        );
        let q =
            hypothesis_question("Access reviews are probably run from spreadsheets today").unwrap();
        assert!(
            q.ends_with("is it fair to say that access reviews are run from spreadsheets today?"),
            "{q}"
        );
        let q = hypothesis_question("Halden may want key management in one platform").unwrap();
        assert!(
            q.ends_with("Halden may want key management in one platform, or is that not the case?"),
            "{q}"
        );
    }

    #[test]
    fn engagement_keeps_first_party_only() {
        let e = engagement(
            0,
            "Attended webinar 'Zero-trust for clinical data' on 2026-11-12",
        )
        .unwrap();
        assert_eq!(e.kind, EngagementKind::Webinar);
        assert_eq!(e.title.as_deref(), Some("'Zero-trust for clinical data'"));
        assert!(engagement(0, "Opened two earlier emails (email tracking)").is_none());
        assert!(engagement(0, "Visited the pricing page 3 times (web analytics)").is_none());
        assert!(engagement(0, "Read 3 ungated blog articles (web tracking)").is_none());
        assert!(
            engagement(
                0,
                "Registered for a webinar on 2026-10-21 but did not attend"
            )
            .is_none()
        );
        assert_eq!(
            engagement(0, "Discovery call with IT on 2026-11-05")
                .unwrap()
                .kind,
            EngagementKind::Meeting
        );
    }

    #[test]
    fn topics_without_names_only() {
        assert_eq!(safe_topic("ISO 27001").as_deref(), Some("ISO 27001"));
        assert_eq!(
            safe_topic("access reviews").as_deref(),
            Some("access reviews")
        );
        assert!(safe_topic("Vaultline alternatives").is_none());
        assert!(safe_topic("Lockgrid pricing").is_none());
        assert_eq!(industry_phrase("Public sector"), "public sector");
        assert_eq!(industry_phrase("SaaS"), "SaaS");
    }
}

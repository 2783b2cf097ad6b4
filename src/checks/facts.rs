//! Claim extraction and normalisation: figures (percentages, amounts,
//! durations, counts) and dates, found in drafts and in the facts table
//! alike, so that "40%" = "40 percent", "$2.4M" = "$2.4 million",
//! "5 days" = "five days", "2026-11-12" = "12 November" = "November 12, 2026".

use super::text::{Tok, TokKind, WordSet, lower_small, month_of, number_word};
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

pub fn time_unit(w: &str) -> Option<TimeUnit> {
    let mut buf = [0u8; 32];
    let l = lower_small(w, &mut buf)?;
    let l = l.trim_end_matches('s');
    Some(match l {
        "second" | "sec" => TimeUnit::Second,
        "minute" | "min" => TimeUnit::Minute,
        "hour" | "hr" => TimeUnit::Hour,
        "day" => TimeUnit::Day,
        "week" | "wk" => TimeUnit::Week,
        "month" | "mo" => TimeUnit::Month,
        "quarter" => TimeUnit::Quarter,
        "year" | "yr" => TimeUnit::Year,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QKind {
    Percent,
    /// Currency as an ISO-ish code, or "" when unknown.
    Money(&'static str),
    Duration(TimeUnit),
    /// "3x faster"
    Multiple,
    Count,
}

impl QKind {
    pub fn compatible(self, other: QKind) -> bool {
        match (self, other) {
            (QKind::Money(a), QKind::Money(b)) => a.is_empty() || b.is_empty() || a == b,
            (a, b) => a == b,
        }
    }
}

/// A figure in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub kind: QKind,
    pub value: f64,
    /// Byte span of the whole figure ("$2.4 million", "five days").
    pub start: usize,
    pub end: usize,
    /// Token index range [tok_start, tok_end).
    pub tok_start: usize,
    pub tok_end: usize,
    /// Written as a word ("three") rather than digits.
    pub word_form: bool,
    /// For counts: the lowercase noun that follows ("stores").
    pub noun: Option<String>,
    /// A meeting length or courtesy ("a 20-minute call", "two minutes").
    pub courtesy: bool,
}

/// A date or part of one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DateMention {
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub day: Option<u8>,
    /// Day/month swapped reading of an ambiguous numeric date.
    pub alt: Option<(u8, u8)>,
    pub quarter: Option<u8>,
    /// 1 spring, 2 summer, 3 autumn, 4 winter.
    pub season: Option<u8>,
    pub start: usize,
    pub end: usize,
    pub tok_start: usize,
    pub tok_end: usize,
}

impl DateMention {
    /// Whether `fact` supports this mention: every component given here is
    /// given there with the same value (a quarter or season may be implied by
    /// the fact's month).
    pub fn supported_by(&self, fact: &DateMention) -> bool {
        let md_ok = |m: Option<u8>, d: Option<u8>| -> bool {
            (m.is_none() || m == fact.month) && (d.is_none() || d == fact.day)
        };
        if let Some(y) = self.year
            && fact.year != Some(y)
        {
            return false;
        }
        let direct = md_ok(self.month, self.day);
        let swapped = self.alt.is_some_and(|(m, d)| md_ok(Some(m), Some(d)));
        if !(direct || swapped) {
            return false;
        }
        if let Some(q) = self.quarter {
            let fq = fact.quarter.or(fact.month.map(|m| (m - 1) / 3 + 1));
            if fq != Some(q) {
                return false;
            }
        }
        if let Some(s) = self.season {
            let fs = fact.season.or(fact.month.map(season_of_month));
            if fs != Some(s) {
                return false;
            }
        }
        true
    }

    pub fn has_anything(&self) -> bool {
        self.year.is_some()
            || self.month.is_some()
            || self.quarter.is_some()
            || self.season.is_some()
    }
}

fn season_of_month(m: u8) -> u8 {
    match m {
        3..=5 => 1,
        6..=8 => 2,
        9..=11 => 3,
        _ => 4,
    }
}

fn season(w: &str) -> Option<u8> {
    // "fall" is the shortest season, "spring"/"summer"/"autumn"/"winter" the longest
    if !(4..=6).contains(&w.len()) {
        return None;
    }
    const SEASONS: [(&str, u8); 5] = [
        ("spring", 1),
        ("summer", 2),
        ("autumn", 3),
        ("fall", 3),
        ("winter", 4),
    ];
    SEASONS
        .iter()
        .find(|(n, _)| n.len() == w.len() && n.eq_ignore_ascii_case(w))
        .map(|&(_, v)| v)
}

/// Parse "4,000" / "1.2" / "45" (whole token must be numeric).
fn parse_num(s: &str) -> Option<f64> {
    if s.is_empty() || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let mut v = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' | '.' => v.push(c),
            ',' => {}
            _ => return None,
        }
    }
    v.parse().ok()
}

/// Split a token into its leading numeric part and the rest.
fn split_numeric(s: &str) -> (&str, &str) {
    let end = s
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || ((c == ',' || c == '.') && s[i + 1..].starts_with(|d: char| d.is_ascii_digit())))
        })
        .map_or(s.len(), |(i, _)| i);
    (&s[..end], &s[end..])
}

fn is_year(v: &str) -> Option<i32> {
    if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = v.parse().ok()?;
        if (1990..=2100).contains(&y) {
            return Some(y);
        }
    }
    None
}

fn day_num(w: &str) -> Option<u8> {
    let w = w
        .strip_suffix("st")
        .or_else(|| w.strip_suffix("nd"))
        .or_else(|| w.strip_suffix("rd"))
        .or_else(|| w.strip_suffix("th"))
        .unwrap_or(w);
    if w.is_empty() || w.len() > 2 || !w.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d: u8 = w.parse().ok()?;
    (1..=31).contains(&d).then_some(d)
}

fn currency_symbol(p: &str) -> Option<&'static str> {
    Some(match p {
        "$" => "USD",
        "\u{20ac}" => "EUR",
        "\u{a3}" => "GBP",
        "\u{a5}" => "JPY",
        "\u{20b9}" => "INR",
        "\u{20a9}" => "KRW",
        "\u{20a3}" => "CHF",
        _ => return None,
    })
}

fn currency_word(w: &str) -> Option<&'static str> {
    let mut buf = [0u8; 32];
    Some(match lower_small(w, &mut buf)? {
        "usd" | "dollars" | "dollar" => "USD",
        "eur" | "euros" | "euro" => "EUR",
        "gbp" | "pounds" | "sterling" => "GBP",
        "jpy" | "yen" => "JPY",
        "inr" | "rupees" => "INR",
        "chf" | "francs" => "CHF",
        "sgd" => "SGD",
        "aud" => "AUD",
        "cad" => "CAD",
        "sek" | "kronor" => "SEK",
        "nok" | "dkk" => "NOK",
        "pln" | "zloty" => "PLN",
        "brl" | "reais" => "BRL",
        "zar" | "rand" => "ZAR",
        "aed" | "dirhams" => "AED",
        _ => return None,
    })
}

fn scale_word(w: &str) -> Option<f64> {
    let mut buf = [0u8; 32];
    Some(match lower_small(w, &mut buf)? {
        "thousand" | "k" => 1e3,
        "million" | "millions" | "m" | "mn" | "mm" => 1e6,
        "billion" | "billions" | "bn" | "b" => 1e9,
        "trillion" => 1e12,
        _ => return None,
    })
}

/// Words that name an identifier series rather than a quantity
/// ("Level 1", "Article 30", "Tier 2").
const IDENT_WORDS: &[&str] = &[
    "annex",
    "appendix",
    "article",
    "category",
    "chapter",
    "class",
    "clause",
    "control",
    "gen",
    "generation",
    "level",
    "model",
    "no",
    "number",
    "option",
    "part",
    "phase",
    "principle",
    "release",
    "req",
    "requirement",
    "rev",
    "revision",
    "section",
    "series",
    "stage",
    "step",
    "tier",
    "type",
    "version",
    "wave",
    "room",
    "floor",
    "suite",
    "unit",
    "platform",
];

static ADJ_SKIP_SET: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(ADJ_SKIP));

const ADJ_SKIP: &[&str] = &[
    "new",
    "more",
    "additional",
    "separate",
    "open",
    "major",
    "different",
    "regional",
    "existing",
    "other",
    "extra",
    "full",
    "straight",
    "consecutive",
    "business",
    "working",
    "calendar",
    "active",
    "critical",
    "high-severity",
    "distinct",
    "individual",
    "local",
];

const MEETING_NOUNS: &[&str] = &[
    "call",
    "chat",
    "walkthrough",
    "demo",
    "session",
    "review",
    "meeting",
    "slot",
    "conversation",
    "workshop",
    "q&a",
    "briefing",
    "overview",
    "intro",
    "introduction",
    "consultation",
    "discussion",
    "catch-up",
    "sync",
    "presentation",
    "tour",
    "read",
    "video",
    "webinar",
    "check-in",
];

fn lw(s: &str, t: &Tok) -> String {
    t.text(s).to_ascii_lowercase()
}

fn in_list(list: &[&str], w: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(w))
}

fn word_at<'a>(s: &'a str, toks: &[Tok], i: usize) -> Option<&'a str> {
    toks.get(i)
        .filter(|t| t.kind == TokKind::Word)
        .map(|t| t.text(s))
}

fn punct_at<'a>(s: &'a str, toks: &[Tok], i: usize) -> Option<&'a str> {
    toks.get(i)
        .filter(|t| t.kind == TokKind::Punct)
        .map(|t| t.text(s))
}

fn is_all_caps_word(w: &str) -> bool {
    let mut letters = 0;
    for c in w.chars() {
        if c.is_alphabetic() {
            if !c.is_uppercase() {
                return false;
            }
            letters += 1;
        }
    }
    letters >= 2
}

fn is_capitalized(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

/// Extract figures and dates from `s` (already tokenized as `toks`).
/// `sentence_starts` are token indices that begin a sentence.
pub fn extract(s: &str, toks: &[Tok]) -> (Vec<Quantity>, Vec<DateMention>) {
    let mut qs = Vec::new();
    let mut ds = Vec::new();
    let n = toks.len();
    // facts and most sentences are short: keep the flags on the stack
    let mut used_buf = [false; 64];
    let mut used_heap = Vec::new();
    let used: &mut [bool] = if n <= used_buf.len() {
        &mut used_buf[..n]
    } else {
        used_heap.resize(n, false);
        &mut used_heap
    };

    // Pass 1: dates.
    let mut i = 0;
    while i < n {
        let t = toks[i];
        if t.kind != TokKind::Word {
            i += 1;
            continue;
        }
        let w = t.text(s);
        // ISO 2026-11-12 or numeric 12/11/2026
        if let Some(d) = numeric_date(w) {
            ds.push(DateMention {
                start: t.start,
                end: t.end,
                tok_start: i,
                tok_end: i + 1,
                ..d
            });
            used[i] = true;
            i += 1;
            continue;
        }
        // Q3 2027 / Q3
        if w.len() == 2
            && (w.starts_with('Q') || w.starts_with('q'))
            && matches!(w.as_bytes()[1], b'1'..=b'4')
        {
            let q = w.as_bytes()[1] - b'0';
            let mut d = DateMention {
                quarter: Some(q),
                start: t.start,
                end: t.end,
                tok_start: i,
                tok_end: i + 1,
                ..Default::default()
            };
            if let Some(y) = word_at(s, toks, i + 1).and_then(is_year) {
                d.year = Some(y);
                d.end = toks[i + 1].end;
                d.tok_end = i + 2;
            }
            for u in &mut used[d.tok_start..d.tok_end] {
                *u = true;
            }
            i = d.tok_end;
            ds.push(d);
            continue;
        }
        // spring 2027 / autumn of 2026
        if let Some(se) = season(w) {
            let (yi, _) = if word_at(s, toks, i + 1).is_some_and(|x| x.eq_ignore_ascii_case("of")) {
                (i + 2, ())
            } else {
                (i + 1, ())
            };
            if let Some(y) = word_at(s, toks, yi).and_then(is_year) {
                ds.push(DateMention {
                    season: Some(se),
                    year: Some(y),
                    start: t.start,
                    end: toks[yi].end,
                    tok_start: i,
                    tok_end: yi + 1,
                    ..Default::default()
                });
                for u in &mut used[i..=yi] {
                    *u = true;
                }
                i = yi + 1;
                continue;
            }
        }
        // month names (capitalized), with an optional day and year around
        if is_capitalized(w)
            && let Some(m) = month_of(w)
        {
            let mut d = DateMention {
                month: Some(m),
                start: t.start,
                end: t.end,
                tok_start: i,
                tok_end: i + 1,
                ..Default::default()
            };
            // day before: "12 November", "12th of November", "the 12th November"
            let mut before_day = None;
            if i >= 1 && !used[i - 1] {
                if let Some(dd) = word_at(s, toks, i - 1).and_then(day_num) {
                    before_day = Some((dd, i - 1));
                } else if i >= 2
                    && word_at(s, toks, i - 1).is_some_and(|x| x.eq_ignore_ascii_case("of"))
                    && let Some(dd) = word_at(s, toks, i - 2).and_then(day_num)
                {
                    before_day = Some((dd, i - 2));
                }
            }
            let mut j = i + 1;
            if let Some((dd, k)) = before_day {
                d.day = Some(dd);
                d.start = toks[k].start;
                d.tok_start = k;
            } else if let Some(dd) = word_at(s, toks, j).and_then(day_num)
                && word_at(s, toks, j).and_then(is_year).is_none()
            {
                d.day = Some(dd);
                d.end = toks[j].end;
                d.tok_end = j + 1;
                j += 1;
            }
            // year: "November 12, 2026" / "12 November 2026" / "March 2026"
            let mut yj = j;
            if punct_at(s, toks, yj) == Some(",") {
                yj += 1;
            }
            if let Some(y) = word_at(s, toks, yj).and_then(is_year) {
                d.year = Some(y);
                d.end = toks[yj].end;
                d.tok_end = yj + 1;
            }
            // "May" as a modal verb: need a day or year, or a date preposition
            let ambiguous = m == 5 || w.eq_ignore_ascii_case("mar");
            let prev = if d.tok_start >= 1 {
                word_at(s, toks, d.tok_start - 1).map(str::to_ascii_lowercase)
            } else {
                None
            };
            let date_prep = prev.as_deref().is_some_and(|p| {
                matches!(
                    p,
                    "in" | "on"
                        | "by"
                        | "since"
                        | "until"
                        | "from"
                        | "of"
                        | "early"
                        | "late"
                        | "mid"
                        | "end"
                        | "before"
                        | "after"
                        | "through"
                        | "during"
                        | "last"
                        | "next"
                        | "this"
                )
            });
            if ambiguous && d.day.is_none() && d.year.is_none() && !date_prep {
                i += 1;
                continue;
            }
            for u in &mut used[d.tok_start..d.tok_end] {
                *u = true;
            }
            i = d.tok_end;
            ds.push(d);
            continue;
        }
        i += 1;
    }

    // Pass 2: figures.
    let mut i = 0;
    while i < n {
        let t = toks[i];
        if t.kind != TokKind::Word || used[i] {
            i += 1;
            continue;
        }
        let w = t.text(s);
        let first = w.as_bytes()[0];
        let mut q: Option<Quantity> = None;
        if first.is_ascii_digit() {
            q = digit_quantity(s, toks, i, used);
        } else if let Some(v) = number_word(w) {
            q = word_quantity(s, toks, i, v);
        } else if let Some(h) = w.bytes().position(|c| c == b'-')
            && let (a, b) = (&w[..h], &w[h + 1..])
            && let Some(v) = number_word(a)
            && let Some(u) = time_unit(b)
        {
            // "ten-week", "six-month"
            q = Some(Quantity {
                kind: QKind::Duration(u),
                value: v,
                start: t.start,
                end: t.end,
                tok_start: i,
                tok_end: i + 1,
                word_form: true,
                noun: None,
                courtesy: u == TimeUnit::Minute || u == TimeUnit::Second,
            });
        }
        if let Some(q) = q {
            for u in &mut used[q.tok_start..q.tok_end.min(n)] {
                *u = true;
            }
            i = q.tok_end.max(i + 1);
            // bare years are dates, not counts
            if q.kind == QKind::Count && !q.word_form && q.tok_end == q.tok_start + 1 {
                let txt = toks[q.tok_start].text(s);
                if let Some(y) = is_year(txt) {
                    let plural_noun = q
                        .noun
                        .as_deref()
                        .is_some_and(|n| n.ends_with('s') && !n.ends_with("ss") && n.len() > 3);
                    if !plural_noun {
                        ds.push(DateMention {
                            year: Some(y),
                            start: q.start,
                            end: q.end,
                            tok_start: q.tok_start,
                            tok_end: q.tok_end,
                            ..Default::default()
                        });
                        continue;
                    }
                }
            }
            qs.push(q);
            continue;
        }
        i += 1;
    }
    (qs, ds)
}

fn numeric_date(w: &str) -> Option<DateMention> {
    let b = w.as_bytes();
    if b.len() < 6
        || b.len() > 10
        || !b[0].is_ascii_digit()
        || !b.iter().any(|&c| c == b'-' || c == b'/' || c == b'.')
    {
        return None;
    }
    // 2026-11-12
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let y = is_year(&w[..4])?;
        let m: u8 = w[5..7].parse().ok()?;
        let d: u8 = w[8..10].parse().ok()?;
        if (1..=12).contains(&m) && (1..=31).contains(&d) {
            return Some(DateMention {
                year: Some(y),
                month: Some(m),
                day: Some(d),
                ..Default::default()
            });
        }
        return None;
    }
    // 12/11/2026, 11.12.2026 (tokenizer keeps '/'; '.' only between digits)
    for sep in ['/', '.'] {
        let mut it = w.split(sep);
        let parts = [
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
        ];
        if it.next().is_none()
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        {
            let a: u8 = parts[0].parse().ok()?;
            let bb: u8 = parts[1].parse().ok()?;
            let y: i32 = match parts[2].len() {
                4 => parts[2].parse().ok()?,
                2 => 2000 + parts[2].parse::<i32>().ok()?,
                _ => return None,
            };
            let mut d = DateMention {
                year: Some(y),
                ..Default::default()
            };
            // month/day first reading, day/month alternative
            let md = (1..=12).contains(&a) && (1..=31).contains(&bb);
            let dm = (1..=12).contains(&bb) && (1..=31).contains(&a);
            match (md, dm) {
                (true, true) => {
                    d.month = Some(a);
                    d.day = Some(bb);
                    if a != bb {
                        d.alt = Some((bb, a));
                    }
                }
                (true, false) => {
                    d.month = Some(a);
                    d.day = Some(bb);
                }
                (false, true) => {
                    d.month = Some(bb);
                    d.day = Some(a);
                }
                _ => return None,
            }
            return Some(d);
        }
    }
    None
}

fn digit_quantity(s: &str, toks: &[Tok], i: usize, used: &[bool]) -> Option<Quantity> {
    let t = toks[i];
    let w = t.text(s);
    if w.contains('/') || w.contains(':') {
        return None;
    }
    let (num, rest) = split_numeric(w);
    let mut value = parse_num(num)?;
    let mut kind = QKind::Count;
    let mut end_tok = i + 1;
    let mut courtesy = false;
    let rest_l = rest.to_ascii_lowercase();
    let mut scaled = false;
    if !rest.is_empty() {
        if let Some(sc) = scale_word(&rest_l) {
            value *= sc;
            scaled = true;
        } else if rest_l == "x" {
            kind = QKind::Multiple;
        } else if matches!(rest_l.as_str(), "st" | "nd" | "rd" | "th") {
            return None; // ordinal
        } else if let Some(u) = rest_l.strip_prefix('-') {
            // as `trim_end_matches("-long").trim_end_matches("-plus")`
            let mut u = u;
            while let Some(r) = u.strip_suffix("-long") {
                u = r;
            }
            while let Some(r) = u.strip_suffix("-plus") {
                u = r;
            }
            if let Some(tu) = time_unit(u) {
                kind = QKind::Duration(tu);
                courtesy = matches!(tu, TimeUnit::Minute | TimeUnit::Second);
            } else if u == "percent" {
                kind = QKind::Percent;
            } else if let Some(sc) = scale_word(u) {
                value *= sc;
                scaled = true;
            } else {
                // "2-factor", "3-way": an attribute, keep as a count
            }
        } else if rest_l == "pct" {
            kind = QKind::Percent;
        } else {
            return None; // 5G, 2FA, 365-style identifiers
        }
    }
    // currency before
    let mut start = t.start;
    let mut tok_start = i;
    if i >= 1 && toks[i - 1].kind == TokKind::Punct {
        if let Some(c) = currency_symbol(toks[i - 1].text(s)) {
            kind = QKind::Money(c);
            start = toks[i - 1].start;
            tok_start = i - 1;
            if i >= 2
                && !used[i - 2]
                && let Some(c2) = word_at(s, toks, i - 2).and_then(|x| {
                    Some(match x {
                        "US" => "USD",
                        "A" | "AU" => "AUD",
                        "C" | "CA" => "CAD",
                        "S" | "SG" => "SGD",
                        "HK" => "HKD",
                        "NZ" => "NZD",
                        _ => return None,
                    })
                })
                && toks[i - 2].end == toks[i - 1].start
            {
                kind = QKind::Money(c2);
                start = toks[i - 2].start;
                tok_start = i - 2;
            }
        }
    } else if i >= 1
        && let Some(c) = word_at(s, toks, i - 1).and_then(currency_word)
        && word_at(s, toks, i - 1).is_some_and(is_all_caps_word)
    {
        kind = QKind::Money(c);
        start = toks[i - 1].start;
        tok_start = i - 1;
    }
    // what follows
    if kind == QKind::Count || matches!(kind, QKind::Money(_)) {
        if let Some(p) = punct_at(s, toks, end_tok)
            && p == "%"
            && kind == QKind::Count
        {
            kind = QKind::Percent;
            end_tok += 1;
        } else if let Some(nw) = word_at(s, toks, end_tok) {
            let nl = nw.to_ascii_lowercase();
            if kind == QKind::Count && (nl == "percent" || nl == "pct") {
                kind = QKind::Percent;
                end_tok += 1;
            } else if nl == "per"
                && word_at(s, toks, end_tok + 1).is_some_and(|x| x.eq_ignore_ascii_case("cent"))
                && kind == QKind::Count
            {
                kind = QKind::Percent;
                end_tok += 2;
            } else {
                if !scaled && let Some(sc) = scale_word(&nl) {
                    // "1.2 million", but not "5 m" distances: accept words only
                    if nl.len() > 1 || nw == "M" || nw == "K" {
                        value *= sc;
                        end_tok += 1;
                    }
                }
                if let Some(c) = word_at(s, toks, end_tok).and_then(currency_word) {
                    kind = QKind::Money(c);
                    end_tok += 1;
                }
            }
        }
    }
    let mut noun = None;
    if kind == QKind::Count {
        // time units (allowing one adjective: "5 business days")
        let mut j = end_tok;
        if word_at(s, toks, j).is_some_and(|x| in_list(ADJ_SKIP, x))
            && word_at(s, toks, j + 1).and_then(time_unit).is_some()
        {
            j += 1;
        }
        if let Some(tu) = word_at(s, toks, j).and_then(time_unit) {
            kind = QKind::Duration(tu);
            end_tok = j + 1;
            if matches!(tu, TimeUnit::Minute | TimeUnit::Second) {
                courtesy = courtesy_minutes(s, toks, tok_start, end_tok);
            }
        } else {
            noun = count_noun(s, toks, end_tok);
        }
    } else if let QKind::Duration(tu) = kind
        && matches!(tu, TimeUnit::Minute | TimeUnit::Second)
    {
        courtesy = courtesy || courtesy_minutes(s, toks, tok_start, end_tok);
    }
    // identifiers: "SOC 2", "ISO 27001", "Level 1", "Windows 11"
    if kind == QKind::Count && rest.is_empty() && tok_start == i && i >= 1 {
        if let Some(pw) = word_at(s, toks, i - 1) {
            let mid_cap = is_capitalized(pw) && !is_sentence_initial(s, toks, i - 1);
            if is_all_caps_word(pw)
                || in_list(IDENT_WORDS, pw)
                || (mid_cap && month_of(pw).is_none())
            {
                return None;
            }
        } else if punct_at(s, toks, i - 1) == Some("#") {
            return None;
        }
    }
    Some(Quantity {
        kind,
        value,
        start,
        end: toks[end_tok - 1].end,
        tok_start,
        tok_end: end_tok,
        word_form: false,
        noun,
        courtesy,
    })
}

pub fn is_sentence_initial(s: &str, toks: &[Tok], i: usize) -> bool {
    if i == 0 {
        return true;
    }
    match toks[i - 1].kind {
        TokKind::Newline => true,
        TokKind::Punct => matches!(
            toks[i - 1].text(s),
            "." | "!" | "?" | ":" | "-" | "\u{2022}"
        ),
        TokKind::Word => false,
    }
}

/// "a 20-minute call", "have two minutes", "15 minutes with you".
fn courtesy_minutes(s: &str, toks: &[Tok], tok_start: usize, tok_end: usize) -> bool {
    // hyphenated adjective form or a meeting noun after
    if toks[tok_start..tok_end]
        .iter()
        .any(|t| t.text(s).contains('-'))
    {
        return true;
    }
    for k in tok_end..(tok_end + 3).min(toks.len()) {
        if let Some(w) = word_at(s, toks, k)
            && in_list(MEETING_NOUNS, w)
        {
            return true;
        }
    }
    for k in tok_start.saturating_sub(3)..tok_start {
        if let Some(w) = word_at(s, toks, k) {
            let l = w.to_ascii_lowercase();
            if matches!(
                l.as_str(),
                "have"
                    | "spare"
                    | "got"
                    | "take"
                    | "takes"
                    | "need"
                    | "give"
                    | "grab"
                    | "only"
                    | "just"
                    | "few"
                    | "quick"
            ) {
                return true;
            }
        }
    }
    false
}

fn count_noun(s: &str, toks: &[Tok], from: usize) -> Option<String> {
    let mut j = from;
    for _ in 0..3 {
        let w = word_at(s, toks, j)?;
        let l = w.to_ascii_lowercase();
        if ADJ_SKIP_SET.has(&l) {
            j += 1;
            continue;
        }
        if super::text::is_stopword(&l) {
            return None;
        }
        return Some(l);
    }
    None
}

fn word_quantity(s: &str, toks: &[Tok], i: usize, v: f64) -> Option<Quantity> {
    let t = toks[i];
    let mut value = v;
    let mut end_tok = i + 1;
    let mut kind = QKind::Count;
    let mut courtesy = false;
    // "two hundred", "three million"
    if let Some(nw) = word_at(s, toks, end_tok) {
        let nl = lw(s, &toks[end_tok]);
        if nl == "hundred" {
            value *= 100.0;
            end_tok += 1;
        } else if let Some(sc) = scale_word(&nl).filter(|_| nl.len() > 2) {
            value *= sc;
            end_tok += 1;
        }
        let _ = nw;
    }
    let mut j = end_tok;
    if word_at(s, toks, j).is_some_and(|x| in_list(ADJ_SKIP, x))
        && word_at(s, toks, j + 1).and_then(time_unit).is_some()
    {
        j += 1;
    }
    let mut noun = None;
    if let Some(w) = word_at(s, toks, j) {
        let l = w.to_ascii_lowercase();
        if let Some(tu) = time_unit(&l) {
            kind = QKind::Duration(tu);
            end_tok = j + 1;
            if matches!(tu, TimeUnit::Minute | TimeUnit::Second) {
                // any minute/second duration written in words is a courtesy ("two minutes")
                courtesy = true;
            }
        } else if l == "percent" {
            kind = QKind::Percent;
            end_tok = j + 1;
        } else if l == "per"
            && word_at(s, toks, j + 1).is_some_and(|x| x.eq_ignore_ascii_case("cent"))
        {
            kind = QKind::Percent;
            end_tok = j + 2;
        } else {
            noun = count_noun(s, toks, end_tok);
        }
    }
    // "one" alone is too common to be a figure unless it carries a unit
    if kind == QKind::Count && value == 1.0 {
        return None;
    }
    Some(Quantity {
        kind,
        value,
        start: t.start,
        end: toks[end_tok - 1].end,
        tok_start: i,
        tok_end: end_tok,
        word_form: true,
        noun,
        courtesy,
    })
}

/// Parse an ISO date field ("2026-11-12").
pub fn iso_date(s: &str) -> Option<DateMention> {
    numeric_date(s.trim())
}

/// Render a figure for messages.
pub fn describe(q: &Quantity, text: &str) -> String {
    text.get(q.start..q.end).unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    fn q(s: &str) -> Vec<(QKind, f64)> {
        let t = tokenize(s);
        extract(s, &t).0.iter().map(|q| (q.kind, q.value)).collect()
    }
    fn d(s: &str) -> Vec<DateMention> {
        let t = tokenize(s);
        extract(s, &t).1
    }

    #[test]
    fn percent_forms_agree() {
        assert_eq!(q("cut by 40%"), vec![(QKind::Percent, 40.0)]);
        assert_eq!(q("cut by 40 percent"), vec![(QKind::Percent, 40.0)]);
        assert_eq!(q("cut by forty percent"), vec![(QKind::Percent, 40.0)]);
        assert_eq!(q("cut by 40 per cent"), vec![(QKind::Percent, 40.0)]);
    }

    #[test]
    fn money_forms_agree() {
        assert_eq!(q("a $2.4M round"), vec![(QKind::Money("USD"), 2.4e6)]);
        assert_eq!(
            q("a $2.4 million round"),
            vec![(QKind::Money("USD"), 2.4e6)]
        );
        assert_eq!(q("an €18M Series B"), vec![(QKind::Money("EUR"), 18e6)]);
        assert_eq!(q("saved $180,000"), vec![(QKind::Money("USD"), 180000.0)]);
        assert_eq!(
            q("saved 180,000 dollars"),
            vec![(QKind::Money("USD"), 180000.0)]
        );
    }

    #[test]
    fn durations_agree() {
        assert_eq!(q("in 5 days"), q("in five days"));
        assert_eq!(
            q("in seven months"),
            vec![(QKind::Duration(TimeUnit::Month), 7.0)]
        );
        assert_eq!(
            q("a 10-week migration"),
            vec![(QKind::Duration(TimeUnit::Week), 10.0)]
        );
        assert_eq!(
            q("a ten-week migration"),
            vec![(QKind::Duration(TimeUnit::Week), 10.0)]
        );
    }

    #[test]
    fn identifiers_are_not_figures() {
        assert!(q("SOC 2 Type II and ISO 27001 and PCI DSS 4.0 and NIS2 at Level 1").is_empty());
    }

    #[test]
    fn dates_in_many_forms() {
        let a = d("on 2026-11-12");
        let b = d("on 12 November");
        let c = d("on November 12, 2026");
        assert!(b[0].supported_by(&a[0]));
        assert!(c[0].supported_by(&a[0]));
        assert!(!d("on 13 November")[0].supported_by(&a[0]));
        let q3 = d("by Q3 2027");
        assert_eq!(q3[0].quarter, Some(3));
        assert_eq!(q3[0].year, Some(2027));
        let sp = d("in spring 2027");
        assert_eq!(sp[0].season, Some(1));
        assert!(d("in 2027")[0].supported_by(&sp[0]));
        assert!(!d("in spring 2026")[0].supported_by(&d("opening in 2027")[0]));
        assert!(d("You may be right").is_empty());
        assert_eq!(d("by 4 November")[0].day, Some(4));
    }
}

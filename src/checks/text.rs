//! Text primitives shared by the checks: a byte-offset tokenizer, sentence
//! and clause splitting, light stemming and small closed word lists.
//!
//! Everything here is allocation-light and never panics on arbitrary UTF-8:
//! every offset produced lies on a char boundary of the input.

/// One token of a text, as byte offsets into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    pub start: usize,
    pub end: usize,
    pub kind: TokKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// Letters and/or digits, with internal joiners (`-`, `'`, `.`, `,`,
    /// `/`, `&` between the right characters).
    Word,
    /// Any other non-space character.
    Punct,
    /// A line break (one token per `\n`).
    Newline,
}

impl Tok {
    pub fn text<'a>(&self, s: &'a str) -> &'a str {
        &s[self.start..self.end]
    }
}

fn is_apos(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Split `s` into tokens. Spaces (other than newlines) are dropped.
pub fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len() / 4 + 4);
    tokenize_into(s, &mut out);
    out
}

/// The char at byte `i` of `s` (a char boundary below `s.len()`), without
/// decoding when it is ASCII.
#[inline]
fn char_at(s: &str, i: usize) -> char {
    let b = s.as_bytes()[i];
    if b < 0x80 {
        char::from(b)
    } else {
        s[i..].chars().next().unwrap_or('\u{fffd}')
    }
}

pub fn tokenize_into(s: &str, out: &mut Vec<Tok>) {
    out.clear();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = char_at(s, i);
        if c == '\n' {
            out.push(Tok {
                start: i,
                end: i + 1,
                kind: TokKind::Newline,
            });
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c.is_alphanumeric() {
            let start = i;
            let mut end = i + c.len_utf8();
            let mut prev = c;
            let mut j = end;
            while j < b.len() {
                // ASCII letters and digits: no decoding
                if b[j].is_ascii_alphanumeric() {
                    prev = char::from(b[j]);
                    j += 1;
                    end = j;
                    continue;
                }
                let d = char_at(s, j);
                if d.is_alphanumeric() {
                    end = j + d.len_utf8();
                    prev = d;
                    j = end;
                    continue;
                }
                if joins_word(s, j, prev, d) {
                    j += d.len_utf8();
                    continue;
                }
                break;
            }
            out.push(Tok {
                start,
                end,
                kind: TokKind::Word,
            });
            i = j;
            continue;
        }
        out.push(Tok {
            start: i,
            end: i + c.len_utf8(),
            kind: TokKind::Punct,
        });
        i += c.len_utf8();
    }
}

/// Sentence spans (byte ranges) of `s`. A sentence ends at `.`, `!` or `?`
/// followed by whitespace or the end, or at a line break. Common
/// abbreviations do not end a sentence. Spans are trimmed of whitespace and
/// list markers.
pub fn sentences(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < b.len() {
        let c = b[i];
        let mut cut = None;
        if c == b'\n' {
            cut = Some((i, i + 1));
        } else if c == b'.' || c == b'!' || c == b'?' {
            // extend over runs like "?!" or "..." and closing quotes/brackets
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'.' | b'!' | b'?' | b'"' | b'\'' | b')') {
                j += 1;
            }
            // closing curly quote (3 bytes)
            if s[j..].starts_with('\u{201d}') || s[j..].starts_with('\u{2019}') {
                j += 3;
            }
            let at_end = j >= b.len() || b[j].is_ascii_whitespace();
            if at_end && !(c == b'.' && is_abbrev_before(s, i)) {
                cut = Some((j, j));
            }
        }
        if let Some((end, next)) = cut {
            push_trimmed(s, start, end, &mut out);
            start = next;
            i = next.max(i + 1);
            continue;
        }
        i += 1;
    }
    push_trimmed(s, start, b.len(), &mut out);
    out
}

fn push_trimmed(s: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    if start >= end {
        return;
    }
    let seg = &s[start..end];
    let lead = seg.len() - seg.trim_start().len();
    let mut a = start + lead;
    let mut e = start + seg.trim_end().len();
    if e <= a {
        return;
    }
    // list markers: "- ", "* ", "• ", "1. "
    let rest = &s[a..e];
    for m in ["- ", "* ", "\u{2022} ", "\u{2013} "] {
        if let Some(r) = rest.strip_prefix(m) {
            a = e - r.len();
            break;
        }
    }
    while a < e && s[a..e].starts_with(char::is_whitespace) {
        a += s[a..].chars().next().map_or(1, char::len_utf8);
    }
    while e > a && s[..e].ends_with(char::is_whitespace) {
        e -= s[..e].chars().next_back().map_or(1, char::len_utf8);
    }
    if a < e {
        out.push((a, e));
    }
}

fn is_abbrev_before(s: &str, dot: usize) -> bool {
    let before = &s[..dot];
    let word_start = before
        .rfind(|c: char| !c.is_alphanumeric() && c != '.')
        .map_or(0, |p| {
            p + before[p..].chars().next().map_or(1, char::len_utf8)
        });
    let w = &before[word_start..];
    if w.is_empty() {
        return false;
    }
    // single letters and dotted initialisms ("e.g", "U.S")
    if w.chars().count() == 1 || w.contains('.') {
        return true;
    }
    const ABBR: &[&str] = &[
        "mr", "mrs", "ms", "dr", "prof", "vs", "etc", "inc", "ltd", "co", "corp", "jr", "sr", "st",
        "no", "approx", "dept", "est", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec",
    ];
    ABBR.iter().any(|a| w.eq_ignore_ascii_case(a))
}

/// Whether `c` is a clause boundary inside a sentence.
pub fn is_clause_punct(p: &str) -> bool {
    matches!(
        p,
        "," | ";" | ":" | "(" | ")" | "\u{2014}" | "\u{2013}" | "\"" | "\u{201c}" | "\u{201d}"
    )
}

/// Lowercase ASCII letters in place into `buf` (non-ASCII kept as is).
pub fn lower_into(s: &str, buf: &mut String) {
    buf.clear();
    if s.is_ascii() {
        buf.push_str(s);
        buf.make_ascii_lowercase();
        return;
    }
    for c in s.chars() {
        if c.is_ascii() {
            buf.push(c.to_ascii_lowercase());
        } else {
            buf.extend(c.to_lowercase());
        }
    }
}

pub fn lower(s: &str) -> String {
    let mut b = String::with_capacity(s.len());
    lower_into(s, &mut b);
    b
}

/// Byte offset of the first occurrence of `needle` in `hay` at or after
/// `from` (the same match as `hay[from..].find(needle)`, without building a
/// two-way searcher for each short needle).
pub fn find_from(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return (from <= h.len()).then_some(from);
    };
    let mut i = from;
    while i + n.len() <= h.len() {
        let p = i + memchr::memchr(first, &h[i..=h.len() - n.len()])?;
        if bytes_eq(&h[p..p + n.len()], n) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// `a == b` for short byte strings, without a `memcmp` call.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// `w` without `suf` at its end, as `str::strip_suffix` (for short suffixes).
#[inline]
fn strip_suffix_bytes<'w>(w: &'w str, suf: &str) -> Option<&'w str> {
    let (b, s) = (w.as_bytes(), suf.as_bytes());
    if b.len() >= s.len() && bytes_eq(&b[b.len() - s.len()..], s) {
        // `suf` is a whole str, so the cut is on a char boundary
        w.get(..w.len() - s.len())
    } else {
        None
    }
}

/// Strip a trailing possessive (`'s`, `’s`, `'`).
pub fn strip_possessive(w: &str) -> &str {
    for suf in ["'s", "\u{2019}s", "'S", "\u{2019}S"] {
        if let Some(r) = strip_suffix_bytes(w, suf) {
            return r;
        }
    }
    w
}

/// A crude English stemmer: enough to make "reviews"/"review",
/// "reduced"/"reduce", "slowing"/"slow" compare equal. Input lowercase.
pub fn stem(w: &str) -> &str {
    let w = strip_possessive(w);
    let n = w.len();
    if n <= 3 || !w.is_ascii() {
        return w;
    }
    for suf in [
        "ations", "ation", "ings", "ing", "edly", "ies", "ied", "ed", "es", "s", "e",
    ] {
        if let Some(r) = strip_suffix_bytes(w, suf)
            && r.len() >= 3
        {
            if suf == "s" && (r.ends_with('s') || r.ends_with('u') || r.ends_with('i')) {
                // "access", "status", "analysis": not plurals
                continue;
            }
            return r;
        }
    }
    w
}

/// Stems equal, or one is a prefix of the other with at least 5 chars in
/// common ("certif" ~ "certification").
pub fn stems_match(a: &str, b: &str) -> bool {
    if bytes_eq(a.as_bytes(), b.as_bytes()) {
        return true;
    }
    let (s, l) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    s.len() >= 5 && starts_with_bytes(l, s)
}

/// `w.starts_with(p)`, without a `memcmp` call (for short strings).
#[inline]
pub fn starts_with_bytes(w: &str, p: &str) -> bool {
    w.len() >= p.len() && bytes_eq(&w.as_bytes()[..p.len()], p.as_bytes())
}

/// ASCII-lowercase `w` into `buf` without allocating; `None` when `w` is
/// not ASCII or longer than the buffer.
pub fn lower_small<'b>(w: &str, buf: &'b mut [u8; 32]) -> Option<&'b str> {
    let b = w.as_bytes();
    if b.len() > buf.len() || !w.is_ascii() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    std::str::from_utf8(&buf[..b.len()]).ok()
}

/// A word of at most 16 bytes (and no NUL) as an integer that sorts as the
/// word does (zero-padded, big-endian).
#[inline]
fn word_key(w: &[u8]) -> Option<u128> {
    if w.len() > 16 || w.contains(&0) {
        return None;
    }
    let mut b = [0u8; 16];
    b[..w.len()].copy_from_slice(w);
    Some(u128::from_be_bytes(b))
}

/// `word_key` for static tables.
const fn const_word_key(w: &[u8]) -> Option<u128> {
    if w.len() > 16 {
        return None;
    }
    let mut k = 0u128;
    let mut i = 0;
    while i < 16 {
        let b = if i < w.len() { w[i] } else { 0 };
        if i < w.len() && b == 0 {
            return None;
        }
        k = (k << 8) | b as u128;
        i += 1;
    }
    Some(k)
}

/// A set of lowercase words, built once. Lookups compare integers (words
/// up to 16 bytes) rather than hashing or calling `memcmp`.
pub struct WordSet {
    /// Sorted keys of the words of at most 16 bytes.
    keys: Vec<u128>,
    /// The longer words.
    long: Vec<&'static str>,
}

impl WordSet {
    pub fn new(words: &[&'static str]) -> Self {
        let mut keys = Vec::with_capacity(words.len());
        let mut long = Vec::new();
        for w in words {
            match word_key(w.as_bytes()) {
                Some(k) => keys.push(k),
                None => long.push(*w),
            }
        }
        keys.sort_unstable();
        keys.dedup();
        WordSet { keys, long }
    }
    /// `w` must already be lowercase.
    pub fn has(&self, w: &str) -> bool {
        match word_key(w.as_bytes()) {
            Some(k) => self.keys.binary_search(&k).is_ok(),
            None => self.long.contains(&w),
        }
    }
}

/// `STOPWORDS` as `word_key`s (the list is sorted, so the keys are too).
static STOP_KEYS: [u128; STOPWORDS.len()] = {
    let mut k = [0u128; STOPWORDS.len()];
    let mut i = 0;
    while i < STOPWORDS.len() {
        k[i] = match const_word_key(STOPWORDS[i].as_bytes()) {
            Some(x) => x,
            None => panic!("stopwords are at most 16 bytes"),
        };
        i += 1;
    }
    k
};

pub fn is_stopword(w: &str) -> bool {
    word_key(w.as_bytes()).is_some_and(|k| STOP_KEYS.binary_search(&k).is_ok())
}

/// Function words and very common verbs/adverbs (lowercase, sorted).
pub const STOPWORDS: &[&str] = &[
    "a", "about", "above", "across", "after", "again", "against", "ahead", "all", "along",
    "already", "also", "although", "always", "am", "among", "an", "and", "another", "any",
    "anything", "are", "around", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "done", "down",
    "during", "each", "either", "else", "even", "ever", "every", "few", "for", "from", "further",
    "get", "gets", "getting", "got", "had", "has", "have", "having", "he", "her", "here", "hers",
    "him", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
    "least", "less", "let", "like", "made", "make", "makes", "many", "may", "me", "might", "more",
    "most", "much", "must", "my", "near", "nearly", "neither", "no", "nor", "not", "now", "of",
    "off", "often", "on", "once", "one", "only", "onto", "or", "other", "others", "our", "ours",
    "out", "over", "own", "per", "quite", "rather", "really", "same", "she", "should", "since",
    "so", "some", "still", "such", "than", "that", "the", "their", "theirs", "them", "then",
    "there", "these", "they", "this", "those", "though", "through", "thus", "to", "too", "toward",
    "towards", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "well", "were",
    "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will",
    "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself",
];

/// Month number for a month name or abbreviation (case-insensitive).
pub fn month_of(w: &str) -> Option<u8> {
    let b = w.as_bytes();
    let mut n = b.len();
    while n > 0 && b[n - 1] == b'.' {
        n -= 1;
    }
    if !(3..=9).contains(&n) || !b[..n].is_ascii() {
        return None;
    }
    let mut lw = [0u8; 9];
    for (d, s) in lw.iter_mut().zip(&b[..n]) {
        *d = s.to_ascii_lowercase();
    }
    Some(match &lw[..n] {
        b"january" | b"jan" => 1,
        b"february" | b"feb" => 2,
        b"march" | b"mar" => 3,
        b"april" | b"apr" => 4,
        b"may" => 5,
        b"june" | b"jun" => 6,
        b"july" | b"jul" => 7,
        b"august" | b"aug" => 8,
        b"september" | b"sep" | b"sept" => 9,
        b"october" | b"oct" => 10,
        b"november" | b"nov" => 11,
        b"december" | b"dec" => 12,
        _ => return None,
    })
}

pub fn is_weekday(w: &str) -> bool {
    const D: &[&str] = &[
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    D.iter().any(|d| w.eq_ignore_ascii_case(d))
}

/// Value of a cardinal number word ("zero".."ninety", "a dozen" excluded).
pub fn number_word(w: &str) -> Option<f64> {
    // fast reject: number words are short ASCII starting with one of these
    if w.len() > 13
        || w.len() < 3
        || !matches!(
            w.as_bytes()[0] | 0x20,
            b'z' | b'o' | b't' | b'f' | b's' | b'e' | b'n' | b'h' | b'd'
        )
    {
        return None;
    }
    if w.as_bytes().contains(&b'-') {
        let (a, b) = w.split_once('-')?;
        let (x, y) = (number_word(a)?, number_word(b)?);
        if x >= 20.0 && y < 10.0 {
            return Some(x + y);
        }
        return None;
    }
    // the longest number word is "seventeen"
    if w.len() > 9 || !w.is_ascii() {
        return None;
    }
    let mut lw = [0u8; 9];
    for (d, s) in lw.iter_mut().zip(w.as_bytes()) {
        *d = s.to_ascii_lowercase();
    }
    Some(match &lw[..w.len()] {
        b"zero" => 0.0,
        b"one" => 1.0,
        b"two" => 2.0,
        b"three" => 3.0,
        b"four" => 4.0,
        b"five" => 5.0,
        b"six" => 6.0,
        b"seven" => 7.0,
        b"eight" => 8.0,
        b"nine" => 9.0,
        b"ten" => 10.0,
        b"eleven" => 11.0,
        b"twelve" | b"dozen" => 12.0,
        b"thirteen" => 13.0,
        b"fourteen" => 14.0,
        b"fifteen" => 15.0,
        b"sixteen" => 16.0,
        b"seventeen" => 17.0,
        b"eighteen" => 18.0,
        b"nineteen" => 19.0,
        b"twenty" => 20.0,
        b"thirty" => 30.0,
        b"forty" => 40.0,
        b"fifty" => 50.0,
        b"sixty" => 60.0,
        b"seventy" => 70.0,
        b"eighty" => 80.0,
        b"ninety" => 90.0,
        b"hundred" => 100.0,
        _ => return None,
    })
}

/// Snap a byte range outward to char boundaries of `s` and clamp it.
pub fn snap(s: &str, mut a: usize, mut e: usize) -> (usize, usize) {
    a = a.min(s.len());
    e = e.clamp(a, s.len());
    while a > 0 && !s.is_char_boundary(a) {
        a -= 1;
    }
    while e < s.len() && !s.is_char_boundary(e) {
        e += 1;
    }
    (a, e)
}

/// Whether `d`, at byte `j` of `s` right after a word character `prev`,
/// joins the word with what follows: a hyphen or apostrophe between letters,
/// a decimal point or thousands comma between digits ("1,2,3" lists are not
/// joined: a thousands comma is followed by exactly 3 digits), `/` or `:`
/// between digits, `&` between capitals. A joiner is kept only when an
/// alphanumeric follows it.
fn joins_word(s: &str, j: usize, prev: char, d: char) -> bool {
    let Some(n) = s[j + d.len_utf8()..].chars().next() else {
        return false;
    };
    match d {
        '-' => n.is_alphanumeric() && prev.is_alphanumeric(),
        a if is_apos(a) => n.is_alphabetic() && prev.is_alphabetic(),
        '.' | ',' => {
            prev.is_ascii_digit()
                && n.is_ascii_digit()
                && (d == '.' || {
                    let rest = &s.as_bytes()[j + 1..];
                    rest.len() >= 3
                        && rest[..3].iter().all(u8::is_ascii_digit)
                        && rest.get(3).is_none_or(|x| !x.is_ascii_digit())
                })
        }
        '/' | ':' => prev.is_ascii_digit() && n.is_ascii_digit(),
        '&' => prev.is_uppercase() && n.is_uppercase(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {

    /// The tokenizer as it was before the ASCII fast path.
    fn tokenize_into_ref(s: &str, out: &mut Vec<Tok>) {
        out.clear();
        let mut it = s.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            if c == '\n' {
                out.push(Tok {
                    start: i,
                    end: i + 1,
                    kind: TokKind::Newline,
                });
                continue;
            }
            if c.is_whitespace() {
                continue;
            }
            if c.is_alphanumeric() {
                let start = i;
                let mut end = i + c.len_utf8();
                let mut prev = c;
                while let Some(&(j, d)) = it.peek() {
                    if d.is_alphanumeric() {
                        end = j + d.len_utf8();
                        prev = d;
                        it.next();
                        continue;
                    }
                    if joins_word(s, j, prev, d) {
                        it.next();
                        continue;
                    }
                    break;
                }
                out.push(Tok {
                    start,
                    end,
                    kind: TokKind::Word,
                });
                continue;
            }
            out.push(Tok {
                start: i,
                end: i + c.len_utf8(),
                kind: TokKind::Punct,
            });
        }
    }

    #[test]
    fn tokenizer_matches_reference() {
        let mut cases: Vec<String> = [
            "Hi Dana,\n\nThanks for joining on 12 November. Litware Health moved 1.2 million records",
            "a 10-week, $2.4M round; 1,2,3 and 1,234 and 1,2345 and 3.5% 12/11/2026 10:30 AT&T R&D",
            "O'Brien's team \u{2019}s don't it\u{2019}s caf\u{e9} na\u{ef}ve \u{4e2d}\u{6587} \u{e9}t\u{e9}-2026",
            "-x- -- 'a' a- -a a-b-c 5- -5 a--b A&b a&B 5.a a.5 5,a ,5 5/ /5 \u{2022} item\r\n\tend",
            "",
            "\u{1f600}x\u{1f600} \u{a0}nbsp\u{2003}em",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // every short string over a small alphabet of tricky characters
        let alpha = [
            'a', 'Z', '5', '-', '\'', '\u{2019}', '.', ',', '/', ':', '&', ' ', '\n', '\u{e9}',
        ];
        for x in alpha {
            for y in alpha {
                for z in alpha {
                    for w in alpha {
                        cases.push([x, y, z, w].iter().collect());
                    }
                }
            }
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for c in &cases {
            tokenize_into(c, &mut a);
            tokenize_into_ref(c, &mut b);
            assert_eq!(a, b, "{c:?}");
        }
    }

    #[test]
    fn month_and_number_word_tables() {
        let months = [
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
        for (i, m) in months.iter().enumerate() {
            let n = Some(i as u8 + 1);
            assert_eq!(month_of(m), n, "{m}");
            assert_eq!(month_of(&m.to_ascii_uppercase()), n, "{m}");
            assert_eq!(month_of(&format!("{}.", &m[..3])), n, "{m}");
        }
        assert_eq!(month_of("Sept."), Some(9));
        for w in ["ju", "mayo", "janu", "decembers", "m\u{e4}r", "", "..."] {
            assert_eq!(month_of(w), None, "{w}");
        }
        let words = [
            ("zero", 0.0),
            ("Eleven", 11.0),
            ("seventeen", 17.0),
            ("NINETY", 90.0),
            ("hundred", 100.0),
            ("dozen", 12.0),
            ("twenty-one", 21.0),
            ("forty-five", 45.0),
        ];
        for (w, v) in words {
            assert_eq!(number_word(w), Some(v), "{w}");
        }
        for w in [
            "on",
            "tens",
            "five-twenty",
            "one-two",
            "someone",
            "often",
            "nine-",
        ] {
            assert_eq!(number_word(w), None, "{w}");
        }
    }

    #[test]
    fn word_sets_are_exact_membership() {
        for w in STOPWORDS {
            assert!(is_stopword(w), "{w}");
        }
        for w in [
            "",
            "ab",
            "abouts",
            "The",
            "yourselves",
            "a\0",
            "you\u{2019}",
            "zzzzzzzzz",
        ] {
            assert_eq!(is_stopword(w), STOPWORDS.contains(&w), "{w:?}");
        }
        let words = [
            "a",
            "ab",
            "abc",
            "congratulations",
            "a-very-long-word-indeed",
        ];
        let set = WordSet::new(&words);
        for w in words {
            assert!(set.has(w));
        }
        for w in [
            "",
            "b",
            "abcd",
            "congratulation",
            "a-very-long-word-indeed!",
            "a\0",
        ] {
            assert!(!set.has(w), "{w:?}");
        }
    }

    #[test]
    fn months() {
        assert_eq!(month_of("May"), Some(5));
        assert_eq!(month_of("SEPT."), Some(9));
        assert_eq!(month_of("Sep"), Some(9));
        assert_eq!(month_of("september"), Some(9));
        assert_eq!(month_of("Mayo"), None);
        assert_eq!(month_of("de"), None);
        assert_eq!(month_of("m\u{e4}r"), None);
        for (i, m) in [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(month_of(m), Some(i as u8 + 1));
        }
    }

    #[test]
    fn number_words() {
        assert_eq!(number_word("Seventeen"), Some(17.0));
        assert_eq!(number_word("twenty-one"), Some(21.0));
        assert_eq!(number_word("one-two"), None);
        assert_eq!(number_word("dozen"), Some(12.0));
        assert_eq!(number_word("seventeens"), None);
        assert_eq!(number_word("th\u{e9}"), None);
        assert_eq!(number_word("note"), None);
    }

    use super::*;

    #[test]
    fn stopwords_sorted() {
        let mut v = STOPWORDS.to_vec();
        v.sort_unstable();
        assert_eq!(v, STOPWORDS);
    }

    #[test]
    fn tokens_keep_numbers_and_joiners() {
        let s = "Fabrikam's 4,000 keys, $2.4M; 2026-11-12 Q&A access-review 1,2";
        let t: Vec<&str> = tokenize(s).iter().map(|t| t.text(s)).collect();
        assert_eq!(
            t,
            vec![
                "Fabrikam's",
                "4,000",
                "keys",
                ",",
                "$",
                "2.4M",
                ";",
                "2026-11-12",
                "Q&A",
                "access-review",
                "1",
                ",",
                "2"
            ]
        );
    }

    #[test]
    fn sentences_split_on_lines_and_stops() {
        let s = "Hi Dana,\n\nThanks e.g. for this. Is it 1.2 million? Yes!\n- bullet one";
        let v: Vec<&str> = sentences(s).iter().map(|&(a, e)| &s[a..e]).collect();
        assert_eq!(
            v,
            vec![
                "Hi Dana,",
                "Thanks e.g. for this.",
                "Is it 1.2 million?",
                "Yes!",
                "bullet one"
            ]
        );
    }

    #[test]
    fn stems() {
        assert_eq!(stem("reviews"), stem("review"));
        assert_eq!(stem("reduced"), stem("reduce"));
        assert_eq!(stem("access"), "access");
        assert_eq!(stem("slowing"), "slow");
    }
}

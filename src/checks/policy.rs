//! Policy data for the checks: `policies/red_lines.toml`, `policies/voice.toml`
//! and `policies/channel_limits.toml`.
//!
//! Each file starts with a `[meta]` table ([`ItemMeta`]). Rules carry an id, a
//! semantic version, a severity, a message, their matching data and their own
//! `must_flag` / `must_pass` examples. [`CheckPolicies::from_sources`] reports
//! every problem it finds (file, line/col, rule id), not just the first.
//!
//! # Pattern dialect
//! Patterns are `regex` syntax, matched case-insensitively over bytes with
//! ASCII word boundaries (fast, no Unicode tables). Two placeholders:
//! `{competitor}` matches any competitor name in force, `{account}` the
//! account's own name. A `'` in a pattern also matches the typographic `’`
//! (do not put `'` inside a character class).

use crate::library::item::ItemMeta;
use crate::model::{Channel, CheckKind, Severity, TextPart};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use std::fmt;

pub const RED_LINES_FILE: &str = "policies/red_lines.toml";
pub const VOICE_FILE: &str = "policies/voice.toml";
pub const CHANNEL_LIMITS_FILE: &str = "policies/channel_limits.toml";

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    /// 1-based, when known.
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub rule_id: Option<String>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.col {
                write!(f, ":{c}")?;
            }
        }
        if let Some(r) = &self.rule_id {
            write!(f, " [{r}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PolicyError {}

/// What a rule is, for linters and reports: id, version and examples.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub check: CheckKind,
    pub id: String,
    pub version: String,
    pub severity: Severity,
    pub message: String,
    pub suggestion: Option<String>,
    pub must_flag: Vec<String>,
    pub must_pass: Vec<String>,
}

/// Where a competitor name must be for a rule to fire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompetitorScope {
    /// No competitor needed.
    #[default]
    None,
    /// A competitor is named in the same sentence.
    Sentence,
    /// A competitor is named in the same or the previous sentence.
    Nearby,
}

/// Names used to run the rule examples (a stand-in brief and request).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleContext {
    #[serde(default)]
    pub competitors: Vec<String>,
    #[serde(default)]
    pub account_name: String,
    #[serde(default)]
    pub sender_name: String,
    #[serde(default)]
    pub sender_company: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternRuleSpec {
    id: String,
    version: String,
    #[serde(default)]
    #[allow(dead_code)]
    family: String,
    severity: Severity,
    message: String,
    #[serde(default)]
    suggestion: Option<String>,
    patterns: Vec<String>,
    /// Suppress when one of these matches the sentence text before the hit
    /// (anchor with `$` to mean "right before").
    #[serde(default)]
    unless_before: Vec<String>,
    /// Suppress when one of these matches the sentence text after the hit.
    #[serde(default)]
    unless_after: Vec<String>,
    /// Suppress when one of these matches anywhere in the sentence.
    #[serde(default)]
    unless_sentence: Vec<String>,
    #[serde(default)]
    competitor: CompetitorScope,
    #[serde(default)]
    skip_questions: bool,
    #[serde(default)]
    must_flag: Vec<String>,
    #[serde(default)]
    must_pass: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedLinesFile {
    meta: ItemMeta,
    /// Competitor names always in force (merged with the request's list).
    #[serde(default)]
    competitors: Vec<String>,
    #[serde(default)]
    examples: ExampleContext,
    rules: Vec<PatternRuleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShoutingSpec {
    id: String,
    version: String,
    severity: Severity,
    message: String,
    #[serde(default)]
    suggestion: Option<String>,
    /// All-capital words at least this long are shouting unless listed as
    /// acronyms or carrying a digit.
    min_len: usize,
    /// Shorter all-capital words that are ordinary words used for emphasis.
    emphasis_words: Vec<String>,
    /// Known acronyms, of any length, that are never shouting.
    acronyms: Vec<String>,
    #[serde(default)]
    must_flag: Vec<String>,
    #[serde(default)]
    must_pass: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentenceLengthSpec {
    id: String,
    version: String,
    severity: Severity,
    message: String,
    #[serde(default)]
    suggestion: Option<String>,
    max_words: usize,
    #[serde(default)]
    must_flag: Vec<String>,
    #[serde(default)]
    must_pass: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingLevelSpec {
    id: String,
    version: String,
    severity: Severity,
    message: String,
    #[serde(default)]
    suggestion: Option<String>,
    /// Flesch-Kincaid grade above which the part is flagged.
    max_grade: f64,
    /// Parts shorter than this are not graded (too noisy).
    min_words: usize,
    #[serde(default)]
    must_flag: Vec<String>,
    #[serde(default)]
    must_pass: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoiceFile {
    meta: ItemMeta,
    rules: Vec<PatternRuleSpec>,
    shouting: ShoutingSpec,
    sentence_length: SentenceLengthSpec,
    reading_level: ReadingLevelSpec,
}

/// Unit of a channel limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    Words,
    Chars,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitSpec {
    id: String,
    version: String,
    channel: Channel,
    #[serde(default = "default_part")]
    part: TextPart,
    unit: LimitUnit,
    max: usize,
    severity: Severity,
    message: String,
}

fn default_part() -> TextPart {
    TextPart::Body
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelLimitsFile {
    meta: ItemMeta,
    limits: Vec<LimitSpec>,
}

/// A compiled pattern rule (red lines, hype, pressure, exclamation marks).
#[derive(Debug, Clone)]
pub struct PatternRule {
    pub info: RuleInfo,
    pub(crate) re: Regex,
    pub(crate) unless_before: Option<Regex>,
    pub(crate) unless_after: Option<Regex>,
    pub(crate) unless_sentence: Option<Regex>,
    pub(crate) competitor: CompetitorScope,
    pub(crate) skip_questions: bool,
}

#[derive(Debug, Clone)]
pub struct ShoutingRule {
    pub info: RuleInfo,
    pub min_len: usize,
    /// Uppercase.
    pub emphasis_words: Vec<String>,
    /// Uppercase, sorted.
    pub acronyms: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SentenceLengthRule {
    pub info: RuleInfo,
    pub max_words: usize,
}

#[derive(Debug, Clone)]
pub struct ReadingLevelRule {
    pub info: RuleInfo,
    pub max_grade: f64,
    pub min_words: usize,
}

#[derive(Debug, Clone)]
pub struct ChannelLimit {
    pub info: RuleInfo,
    pub channel: Channel,
    pub part: TextPart,
    pub unit: LimitUnit,
    pub max: usize,
}

/// All policy data the checks need, parsed, validated and compiled.
#[derive(Debug, Clone)]
pub struct CheckPolicies {
    pub red_lines_meta: ItemMeta,
    pub voice_meta: ItemMeta,
    pub channel_limits_meta: ItemMeta,
    /// Competitor names always in force.
    pub competitors: Vec<String>,
    /// Stand-in names for running rule examples.
    pub examples: ExampleContext,
    pub red_lines: Vec<PatternRule>,
    pub tone_patterns: Vec<PatternRule>,
    pub shouting: ShoutingRule,
    pub sentence_length: SentenceLengthRule,
    pub reading_level: ReadingLevelRule,
    pub channel_limits: Vec<ChannelLimit>,
}

/// The head fields every table of `voice.toml` has.
struct VoiceHead<'a> {
    id: &'a str,
    version: &'a str,
    severity: Severity,
    message: &'a str,
    suggestion: &'a Option<String>,
    must_flag: &'a [String],
    must_pass: &'a [String],
}

/// The `VoiceHead` of a shouting, sentence-length or reading-level spec.
macro_rules! voice_head {
    ($s:expr) => {
        VoiceHead {
            id: &$s.id,
            version: &$s.version,
            severity: $s.severity,
            message: &$s.message,
            suggestion: &$s.suggestion,
            must_flag: &$s.must_flag,
            must_pass: &$s.must_pass,
        }
    };
}

const BUNDLED_RED_LINES: &str = include_str!("../../policies/red_lines.toml");
const BUNDLED_VOICE: &str = include_str!("../../policies/voice.toml");
const BUNDLED_CHANNEL_LIMITS: &str = include_str!("../../policies/channel_limits.toml");

impl CheckPolicies {
    /// The repository's own policy files, compiled in.
    ///
    /// # Panics
    /// Only if the bundled files are broken (a test guards against that).
    pub fn bundled() -> CheckPolicies {
        match Self::from_sources(BUNDLED_RED_LINES, BUNDLED_VOICE, BUNDLED_CHANNEL_LIMITS) {
            Ok(p) => p,
            Err(errs) => {
                let msg: Vec<String> = errs.iter().map(ToString::to_string).collect();
                panic!("bundled policies are broken:\n{}", msg.join("\n"))
            }
        }
    }

    /// Parse and validate the three policy files. Every problem is reported.
    pub fn from_sources(
        red_lines_toml: &str,
        voice_toml: &str,
        channel_limits_toml: &str,
    ) -> Result<CheckPolicies, Vec<PolicyError>> {
        let mut errs = Vec::new();
        let rl: Option<RedLinesFile> = parse_file(RED_LINES_FILE, red_lines_toml, &mut errs);
        let vo: Option<VoiceFile> = parse_file(VOICE_FILE, voice_toml, &mut errs);
        let cl: Option<ChannelLimitsFile> =
            parse_file(CHANNEL_LIMITS_FILE, channel_limits_toml, &mut errs);

        let mut ids: Vec<(String, &'static str)> = Vec::new();
        let mut red_lines = Vec::new();
        if let Some(f) = &rl {
            check_meta(RED_LINES_FILE, red_lines_toml, &f.meta, &mut errs);
            for r in &f.rules {
                ids.push((r.id.clone(), RED_LINES_FILE));
                if let Some(c) = compile_rule(
                    RED_LINES_FILE,
                    red_lines_toml,
                    r,
                    CheckKind::RedLine,
                    &mut errs,
                ) {
                    red_lines.push(c);
                }
            }
            for (i, c) in f.competitors.iter().enumerate() {
                if c.trim().is_empty() {
                    errs.push(err_at(
                        RED_LINES_FILE,
                        red_lines_toml,
                        "competitors",
                        None,
                        format!("competitors[{i}] is empty"),
                    ));
                }
            }
        }
        let mut tone_patterns = Vec::new();
        let mut shouting = None;
        let mut sentence_length = None;
        let mut reading_level = None;
        if let Some(f) = &vo {
            check_meta(VOICE_FILE, voice_toml, &f.meta, &mut errs);
            for r in &f.rules {
                ids.push((r.id.clone(), VOICE_FILE));
                if let Some(c) = compile_rule(VOICE_FILE, voice_toml, r, CheckKind::Tone, &mut errs)
                {
                    tone_patterns.push(c);
                }
            }
            let s = &f.shouting;
            let s_info = voice_rule(voice_head!(s), voice_toml, &mut ids, &mut errs);
            if s.min_len < 2 {
                bad_value(
                    &mut errs,
                    voice_toml,
                    "min_len",
                    &s.id,
                    "shouting.min_len must be at least 2",
                );
            }
            let mut acronyms: Vec<String> = s.acronyms.iter().map(|a| a.to_uppercase()).collect();
            acronyms.sort();
            acronyms.dedup();
            shouting = Some(ShoutingRule {
                info: s_info,
                min_len: s.min_len,
                emphasis_words: s.emphasis_words.iter().map(|w| w.to_uppercase()).collect(),
                acronyms,
            });
            let l = &f.sentence_length;
            let l_info = voice_rule(voice_head!(l), voice_toml, &mut ids, &mut errs);
            if l.max_words == 0 {
                bad_value(
                    &mut errs,
                    voice_toml,
                    "max_words",
                    &l.id,
                    "sentence_length.max_words must be positive",
                );
            }
            sentence_length = Some(SentenceLengthRule {
                info: l_info,
                max_words: l.max_words,
            });
            let g = &f.reading_level;
            let g_info = voice_rule(voice_head!(g), voice_toml, &mut ids, &mut errs);
            if !(g.max_grade.is_finite() && g.max_grade > 0.0) {
                bad_value(
                    &mut errs,
                    voice_toml,
                    "max_grade",
                    &g.id,
                    "reading_level.max_grade must be a positive number",
                );
            }
            reading_level = Some(ReadingLevelRule {
                info: g_info,
                max_grade: g.max_grade,
                min_words: g.min_words,
            });
        }
        let mut channel_limits = Vec::new();
        if let Some(f) = &cl {
            check_meta(CHANNEL_LIMITS_FILE, channel_limits_toml, &f.meta, &mut errs);
            for l in &f.limits {
                ids.push((l.id.clone(), CHANNEL_LIMITS_FILE));
                check_rule_head(
                    CHANNEL_LIMITS_FILE,
                    channel_limits_toml,
                    &l.id,
                    &l.version,
                    &l.message,
                    &mut errs,
                );
                if l.max == 0 {
                    errs.push(err_at(
                        CHANNEL_LIMITS_FILE,
                        channel_limits_toml,
                        &l.id,
                        Some(&l.id),
                        "max must be positive".into(),
                    ));
                }
                if l.part == TextPart::Subject && !l.channel.has_subject() {
                    errs.push(err_at(
                        CHANNEL_LIMITS_FILE,
                        channel_limits_toml,
                        &l.id,
                        Some(&l.id),
                        format!("channel {} has no subject", l.channel),
                    ));
                }
                channel_limits.push(ChannelLimit {
                    info: info(
                        CheckKind::Tone,
                        &l.id,
                        &l.version,
                        l.severity,
                        &l.message,
                        &None,
                        &[],
                        &[],
                    ),
                    channel: l.channel,
                    part: l.part,
                    unit: l.unit,
                    max: l.max,
                });
            }
            for ch in Channel::ALL {
                if !f
                    .limits
                    .iter()
                    .any(|l| l.channel == ch && l.part == TextPart::Body)
                {
                    errs.push(PolicyError {
                        file: CHANNEL_LIMITS_FILE.into(),
                        line: None,
                        col: None,
                        rule_id: None,
                        message: format!("no body limit for channel {ch}"),
                    });
                }
            }
        }
        // rule ids are unique across all files
        let mut sorted = ids.clone();
        sorted.sort();
        for w in sorted.windows(2) {
            if w[0].0 == w[1].0 {
                let (file, src) = match w[1].1 {
                    RED_LINES_FILE => (RED_LINES_FILE, red_lines_toml),
                    VOICE_FILE => (VOICE_FILE, voice_toml),
                    _ => (CHANNEL_LIMITS_FILE, channel_limits_toml),
                };
                errs.push(err_at(
                    file,
                    src,
                    &w[1].0,
                    Some(&w[1].0),
                    "duplicate rule id".into(),
                ));
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        let (
            Some(rl),
            Some(vo),
            Some(cl),
            Some(shouting),
            Some(sentence_length),
            Some(reading_level),
        ) = (rl, vo, cl, shouting, sentence_length, reading_level)
        else {
            return Err(vec![PolicyError {
                file: String::new(),
                line: None,
                col: None,
                rule_id: None,
                message: "policy files incomplete".into(),
            }]);
        };
        Ok(CheckPolicies {
            red_lines_meta: rl.meta,
            voice_meta: vo.meta,
            channel_limits_meta: cl.meta,
            competitors: rl.competitors,
            examples: rl.examples,
            red_lines,
            tone_patterns,
            shouting,
            sentence_length,
            reading_level,
            channel_limits,
        })
    }

    /// Every rule with its id, version and examples, in file order.
    pub fn rules(&self) -> Vec<RuleInfo> {
        let mut v: Vec<RuleInfo> = self.red_lines.iter().map(|r| r.info.clone()).collect();
        v.extend(self.tone_patterns.iter().map(|r| r.info.clone()));
        v.push(self.shouting.info.clone());
        v.push(self.sentence_length.info.clone());
        v.push(self.reading_level.info.clone());
        v.extend(self.channel_limits.iter().map(|r| r.info.clone()));
        v
    }

    /// The rule with this id, if any.
    pub fn rule(&self, id: &str) -> Option<RuleInfo> {
        self.rules().into_iter().find(|r| r.id == id)
    }
}

/// A bad value for `field` of voice rule `id`.
fn bad_value(errs: &mut Vec<PolicyError>, voice_toml: &str, field: &str, id: &str, msg: &str) {
    errs.push(err_at(VOICE_FILE, voice_toml, field, Some(id), msg.into()));
}

/// Register a computed voice rule's id, check its head and build its info.
fn voice_rule(
    h: VoiceHead<'_>,
    voice_toml: &str,
    ids: &mut Vec<(String, &'static str)>,
    errs: &mut Vec<PolicyError>,
) -> RuleInfo {
    ids.push((h.id.to_string(), VOICE_FILE));
    check_rule_head(VOICE_FILE, voice_toml, h.id, h.version, h.message, errs);
    info(
        CheckKind::Tone,
        h.id,
        h.version,
        h.severity,
        h.message,
        h.suggestion,
        h.must_flag,
        h.must_pass,
    )
}

#[allow(clippy::too_many_arguments)]
fn info(
    check: CheckKind,
    id: &str,
    version: &str,
    severity: Severity,
    message: &str,
    suggestion: &Option<String>,
    must_flag: &[String],
    must_pass: &[String],
) -> RuleInfo {
    RuleInfo {
        check,
        id: id.to_string(),
        version: version.to_string(),
        severity,
        message: message.to_string(),
        suggestion: suggestion.clone(),
        must_flag: must_flag.to_vec(),
        must_pass: must_pass.to_vec(),
    }
}

fn parse_file<T: serde::de::DeserializeOwned>(
    file: &str,
    src: &str,
    errs: &mut Vec<PolicyError>,
) -> Option<T> {
    match toml::from_str::<T>(src) {
        Ok(v) => Some(v),
        Err(e) => {
            let (line, col) = e
                .span()
                .map(|s| line_col(src, s.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            errs.push(PolicyError {
                file: file.into(),
                line,
                col,
                rule_id: rule_id_near(src, e.span().map_or(0, |s| s.start)),
                message: e.message().to_string(),
            });
            None
        }
    }
}

/// 1-based line and column of byte `pos`.
fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(src.len());
    let before = &src.as_bytes()[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = src
        .get(line_start..pos)
        .map_or(pos - line_start, |s| s.chars().count())
        + 1;
    (line, col)
}

/// The `id = "..."` of the rule table enclosing `pos`, if any.
fn rule_id_near(src: &str, pos: usize) -> Option<String> {
    let before = src.get(..pos.min(src.len()))?;
    let table = before.rfind("\n[")?;
    let seg = &src[table + 1..];
    if !seg.starts_with("[[rules]]")
        && !seg.starts_with("[[limits]]")
        && !seg.starts_with("[shouting]")
        && !seg.starts_with("[sentence_length]")
        && !seg.starts_with("[reading_level]")
    {
        return None;
    }
    let end = seg[1..].find("\n[").map_or(seg.len(), |e| e + 1);
    let seg = &seg[..end];
    let idpos = seg.find("\nid = \"")?;
    let rest = &seg[idpos + 7..];
    Some(rest[..rest.find('"')?].to_string())
}

/// An error located at the first occurrence of `needle` in `src`.
fn err_at(file: &str, src: &str, needle: &str, rule: Option<&str>, message: String) -> PolicyError {
    let (line, col) = src
        .find(needle)
        .map(|p| line_col(src, p))
        .map_or((None, None), |(l, c)| (Some(l), Some(c)));
    PolicyError {
        file: file.into(),
        line,
        col,
        rule_id: rule.map(str::to_string),
        message,
    }
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn check_meta(file: &str, src: &str, meta: &ItemMeta, errs: &mut Vec<PolicyError>) {
    if meta.id.trim().is_empty() {
        errs.push(err_at(file, src, "[meta]", None, "meta.id is empty".into()));
    }
    if !is_semver(&meta.version) {
        errs.push(err_at(
            file,
            src,
            "version",
            None,
            format!("meta.version {:?} is not semver (x.y.z)", meta.version),
        ));
    }
    if meta.owner.trim().is_empty() {
        errs.push(err_at(
            file,
            src,
            "owner",
            None,
            "meta.owner is empty".into(),
        ));
    }
}

fn check_rule_head(
    file: &str,
    src: &str,
    id: &str,
    version: &str,
    message: &str,
    errs: &mut Vec<PolicyError>,
) {
    if id.trim().is_empty() {
        errs.push(err_at(
            file,
            src,
            "id = \"\"",
            None,
            "rule id is empty".into(),
        ));
    }
    if !is_semver(version) {
        errs.push(err_at(
            file,
            src,
            &format!("\"{id}\""),
            Some(id),
            format!("version {version:?} is not semver (x.y.z)"),
        ));
    }
    if message.trim().is_empty() {
        errs.push(err_at(
            file,
            src,
            &format!("\"{id}\""),
            Some(id),
            "message is empty".into(),
        ));
    }
}

/// Rewrite the policy dialect into `regex` syntax.
fn expand(p: &str) -> String {
    let mut s = p
        .replace("{competitor}", r"(?:\x01+)")
        .replace("{account}", r"(?:\x02+)");
    if s.contains('\'') {
        s = s.replace('\'', r"(?:'|\xE2\x80\x99)");
    }
    s
}

fn build(patterns: &[String]) -> Result<Option<Regex>, (usize, String)> {
    if patterns.is_empty() {
        return Ok(None);
    }
    for (i, p) in patterns.iter().enumerate() {
        if let Err(e) = RegexBuilder::new(&expand(p))
            .unicode(false)
            .case_insensitive(true)
            .build()
        {
            return Err((i, e.to_string()));
        }
    }
    let joined: Vec<String> = patterns
        .iter()
        .map(|p| format!("(?:{})", expand(p)))
        .collect();
    RegexBuilder::new(&joined.join("|"))
        .unicode(false)
        .case_insensitive(true)
        .size_limit(1 << 24)
        .dfa_size_limit(1 << 24)
        .build()
        .map(Some)
        .map_err(|e| (0, e.to_string()))
}

fn compile_rule(
    file: &str,
    src: &str,
    r: &PatternRuleSpec,
    check: CheckKind,
    errs: &mut Vec<PolicyError>,
) -> Option<PatternRule> {
    check_rule_head(file, src, &r.id, &r.version, &r.message, errs);
    let before = errs.len();
    if r.patterns.is_empty() {
        errs.push(err_at(
            file,
            src,
            &format!("\"{}\"", r.id),
            Some(&r.id),
            "rule has no patterns".into(),
        ));
    }
    if r.must_flag.is_empty() || r.must_pass.is_empty() {
        errs.push(err_at(
            file,
            src,
            &format!("\"{}\"", r.id),
            Some(&r.id),
            "rule needs at least one must_flag and one must_pass example".into(),
        ));
    }
    let mut compiled = |list: &[String], what: &str| -> Option<Regex> {
        match build(list) {
            Ok(re) => re,
            Err((i, e)) => {
                let needle = list.get(i).map(String::as_str).unwrap_or(&r.id);
                // locate the pattern text (TOML literal strings keep it verbatim)
                let mut pe = err_at(file, src, needle, Some(&r.id), String::new());
                if pe.line.is_none() {
                    pe = err_at(
                        file,
                        src,
                        &format!("\"{}\"", r.id),
                        Some(&r.id),
                        String::new(),
                    );
                }
                pe.message = format!("{what}[{i}] does not compile: {e}");
                errs.push(pe);
                None
            }
        }
    };
    let re = compiled(&r.patterns, "patterns");
    let unless_before = compiled(&r.unless_before, "unless_before");
    let unless_after = compiled(&r.unless_after, "unless_after");
    let unless_sentence = compiled(&r.unless_sentence, "unless_sentence");
    if errs.len() > before {
        return None;
    }
    Some(PatternRule {
        info: info(
            check,
            &r.id,
            &r.version,
            r.severity,
            &r.message,
            &r.suggestion,
            &r.must_flag,
            &r.must_pass,
        ),
        re: re?,
        unless_before,
        unless_after,
        unless_sentence,
        competitor: r.competitor,
        skip_questions: r.skip_questions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver() {
        assert!(is_semver("1.2.0"));
        assert!(is_semver("1.2.0-rc.1"));
        assert!(!is_semver("1.2"));
        assert!(!is_semver("v1.2.0"));
    }

    #[test]
    fn line_col_counts_chars() {
        let s = "ab\ncé d";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 3), (2, 1));
        assert_eq!(line_col(s, s.find('d').unwrap()), (2, 4));
    }
}

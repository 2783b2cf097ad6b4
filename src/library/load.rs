//! Reading and validating library files. Every problem is collected; nothing
//! stops at the first error.

use super::error::{LineIndex, LoadError, rules};
use super::item::{ItemMeta, Version};
use super::types::{
    Block, ChannelPrompt, Example, ExampleKind, Family, Item, Key, Limit, PolicySource, Proof,
    ProofFacts, ProofRule, SystemPrompt,
};
use crate::model::{Channel, ItemKind};
use crate::route::RoutingPolicy;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use toml::Spanned;

/// The library folders under the root, in load order.
pub(crate) const LIBRARY_DIRS: [&str; 3] = ["prompts", "proof-library", "policies"];

/// One file of the library.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Path relative to the library root with `/` separators.
    pub rel: String,
    /// How errors name the file.
    pub display: String,
    pub text: String,
}

/// What the loader produced, before it becomes a `Library`.
pub(crate) struct Loaded {
    pub items: BTreeMap<Key, Item>,
    pub routing: Option<(ItemMeta, RoutingPolicy)>,
    pub env: minijinja::Environment<'static>,
}

/// Reads every `*.toml` under the library folders of `root`.
pub(crate) fn read_dir(root: &Path) -> (Vec<SourceFile>, Vec<LoadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if !root.join("prompts").is_dir() {
        errors.push(LoadError {
            path: root.display().to_string(),
            line: 1,
            col: 1,
            rule: rules::MISSING_DIR,
            message: "no prompts/ folder under the library root".into(),
        });
    }
    for dir in LIBRARY_DIRS {
        walk(root, &root.join(dir), &mut files, &mut errors);
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    (files, errors)
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<SourceFile>, errors: &mut Vec<LoadError>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(root, &path, files, errors);
        } else if path.extension().is_some_and(|e| e == "toml") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match std::fs::read_to_string(&path) {
                Ok(text) => files.push(SourceFile {
                    rel,
                    display: path.display().to_string(),
                    text,
                }),
                Err(e) => errors.push(LoadError {
                    path: path.display().to_string(),
                    line: 1,
                    col: 1,
                    rule: rules::IO,
                    message: e.to_string(),
                }),
            }
        }
    }
}

/// Collects errors for one file, turning byte offsets into positions.
struct FileCx<'a> {
    file: &'a SourceFile,
    index: LineIndex<'a>,
    errors: &'a mut Vec<LoadError>,
}

impl FileCx<'_> {
    fn at(&mut self, offset: usize, rule: &'static str, message: impl Into<String>) {
        let (line, col) = self.index.pos(offset);
        self.errors.push(LoadError {
            path: self.file.display.clone(),
            line,
            col,
            rule,
            message: message.into(),
        });
    }

    fn toml(&mut self, rule: &'static str, e: &toml::de::Error) {
        let off = e.span().map_or(0, |s| s.start);
        self.at(off, rule, e.message().trim().to_string());
    }

    /// Line offset of the first content line of a string value whose span
    /// starts at `start` (TOML drops the newline right after `"""`).
    fn content_start(&self, start: usize) -> usize {
        let t = &self.file.text;
        let rest = t.get(start..).unwrap_or("");
        if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            let after = start + 3;
            match t.get(after..) {
                Some(s) if s.starts_with("\r\n") => after + 2,
                Some(s) if s.starts_with('\n') => after + 1,
                _ => after,
            }
        } else {
            start + 1
        }
    }
}

#[derive(Deserialize)]
struct MetaOnly {
    meta: ItemMeta,
}

#[derive(Deserialize)]
struct MetaSpans {
    meta: MetaIdSpans,
}

#[derive(Deserialize)]
struct MetaIdSpans {
    id: Spanned<String>,
    version: Spanned<String>,
}

/// A file: `[meta]` and one body table named after its role.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile<T> {
    #[allow(dead_code)]
    meta: IgnoredAny,
    prompt: T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockWrap {
    #[allow(dead_code)]
    meta: IgnoredAny,
    block: BlockFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofWrap {
    #[allow(dead_code)]
    meta: IgnoredAny,
    proof: ProofFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemFile {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelFile {
    channel: Spanned<String>,
    instructions: String,
    template: Spanned<String>,
    slots: Vec<Spanned<String>>,
    proofs: ProofRule,
    limit: Limit,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    #[serde(default)]
    examples: Vec<Spanned<Example>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockFile {
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    applies_to: Vec<String>,
    #[serde(default)]
    third_party: bool,
    #[serde(default)]
    uses: Vec<Spanned<String>>,
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    text: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    lists: BTreeMap<String, Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofFile {
    text: Spanned<String>,
    source: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    facts: Option<Spanned<ProofFacts>>,
}

#[derive(Deserialize)]
struct RoutingFile {
    rules: RoutingPolicy,
}

/// Where a reference was made, to report it if it does not resolve.
struct PendingRef {
    file: usize,
    offset: usize,
    target: String,
    from: String,
    /// Only components may be referenced by components and channels; proofs
    /// by examples.
    kind: ItemKind,
}

/// A template to compile once every file is parsed.
struct PendingTemplate {
    file: usize,
    offset: usize,
    name: String,
    source: String,
}

/// The template name for a field of an item.
pub(crate) fn template_name(kind: ItemKind, id: &str, version: &str, field: &str) -> String {
    format!("{}:{id}@{version}:{field}", kind.as_str())
}

pub(crate) fn new_env() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    // An unknown variable is an error, never an empty string: a template
    // must not render with a hole in it.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env
}

pub(crate) fn build(
    files: &[SourceFile],
    mut errors: Vec<LoadError>,
) -> Result<Loaded, Vec<LoadError>> {
    let mut items: BTreeMap<Key, Item> = BTreeMap::new();
    let mut origin: HashMap<Key, (usize, usize)> = HashMap::new();
    let mut refs: Vec<PendingRef> = Vec::new();
    let mut templates: Vec<PendingTemplate> = Vec::new();
    let mut example_proofs: Vec<(usize, usize, String, String)> = Vec::new();
    let mut routing = None;

    for (fi, file) in files.iter().enumerate() {
        let mut cx = FileCx {
            file,
            index: LineIndex::new(&file.text),
            errors: &mut errors,
        };
        let (_, syntax) = toml::de::DeTable::parse_recoverable(&file.text);
        if !syntax.is_empty() {
            for e in &syntax {
                cx.toml(rules::TOML_SYNTAX, e);
            }
            continue;
        }
        let role = role_of(&file.rel);
        let Some(role) = role else {
            cx.at(
                0,
                rules::TOML_SCHEMA,
                "not a library file: expected prompts/system.toml, prompts/channels/**, prompts/blocks/**, proof-library/** or policies/*.toml",
            );
            continue;
        };
        let meta = match toml::from_str::<MetaOnly>(&file.text) {
            Ok(m) => Some(m.meta),
            Err(e) => {
                cx.toml(rules::TOML_SCHEMA, &e);
                None
            }
        };
        let spans = toml::from_str::<MetaSpans>(&file.text).ok();
        let (id_off, ver_off) = spans.as_ref().map_or((0, 0), |s| {
            (s.meta.id.span().start, s.meta.version.span().start)
        });

        // Check the version before the body so both problems are reported.
        let version = meta.as_ref().and_then(|m| {
            let v = Version::parse(&m.version);
            if v.is_none() {
                cx.at(
                    ver_off,
                    rules::BAD_VERSION,
                    format!("version {:?} is not MAJOR.MINOR.PATCH", m.version),
                );
            }
            v
        });
        if let (Some(m), Some(stem)) = (&meta, file_stem(&file.rel))
            && let Some(named) = Version::parse(stem)
            && Some(named) != version
        {
            cx.at(
                ver_off,
                rules::VERSION_MISMATCH,
                format!("file is named {stem} but [meta] says version {}", m.version),
            );
        }

        let body = parse_body(
            &mut cx,
            fi,
            role,
            meta.as_ref(),
            &mut refs,
            &mut templates,
            &mut example_proofs,
        );
        if let Some(Body::Routing(r)) = &body
            && let Some(m) = &meta
        {
            routing = Some((m.clone(), r.clone()));
        }
        let (Some(meta), Some(version), Some(body)) = (meta, version, body) else {
            continue;
        };
        let item = match body {
            Body::Item(make) => make(meta),
            Body::Routing(_) => Item::Policy(PolicySource {
                meta,
                path: file.rel.clone(),
                raw: file.text.clone(),
            }),
        };
        let key: Key = (item.kind(), item.meta().id.clone(), version);
        if let Some(&(first, _)) = origin.get(&key) {
            cx.at(
                id_off,
                rules::DUPLICATE,
                format!(
                    "{} {}@{} is already defined in {}",
                    key.0.as_str(),
                    key.1,
                    key.2,
                    files[first].display
                ),
            );
            continue;
        }
        if let Item::Policy(p) = &item
            && item.kind() == ItemKind::Policy
            && items
                .values()
                .any(|i| matches!(i, Item::Policy(q) if q.meta.id == p.meta.id))
        {
            cx.at(
                id_off,
                rules::DUPLICATE,
                format!("policy id {} is used by another policy file", p.meta.id),
            );
            continue;
        }
        origin.insert(key.clone(), (fi, id_off));
        items.insert(key, item);
    }

    // References resolve against any version of the target id.
    for r in &refs {
        let found = items
            .keys()
            .any(|(k, id, _)| *k == r.kind && *id == r.target);
        if !found {
            let file = &files[r.file];
            let (line, col) = LineIndex::new(&file.text).pos(r.offset);
            errors.push(LoadError {
                path: file.display.clone(),
                line,
                col,
                rule: rules::UNRESOLVED,
                message: format!(
                    "{} refers to {} {:?}, which is not in the library",
                    r.from,
                    r.kind.as_str(),
                    r.target
                ),
            });
        }
    }
    for (fi, off, proof_id, body) in &example_proofs {
        let Some(Item::Proof(p)) = items
            .iter()
            .rev()
            .find(|((k, id, _), _)| *k == ItemKind::Proof && id == proof_id)
            .map(|(_, v)| v)
        else {
            continue; // reported as unresolved above
        };
        if !body.contains(p.text.as_str()) {
            let file = &files[*fi];
            let (line, col) = LineIndex::new(&file.text).pos(*off);
            errors.push(LoadError {
                path: file.display.clone(),
                line,
                col,
                rule: rules::EXAMPLE_PROOF,
                message: format!(
                    "good example names proof {proof_id} but does not quote its text verbatim"
                ),
            });
        }
    }
    check_aliases(files, &items, &origin, &mut errors);

    let has_channel = items.values().any(|i| matches!(i, Item::Channel(_)));
    let has_system = items.values().any(|i| matches!(i, Item::System(_)));
    if has_channel && !has_system {
        errors.push(LoadError {
            path: "prompts/system.toml".into(),
            line: 1,
            col: 1,
            rule: rules::NO_SYSTEM,
            message: "channel prompts exist but no system prompt does".into(),
        });
    }

    let mut env = new_env();
    for t in templates {
        if let Err(e) = env.add_template_owned(t.name.clone(), t.source.clone()) {
            let file = &files[t.file];
            let index = LineIndex::new(&file.text);
            let (line0, col0) = index.pos(t.offset);
            // The template text equals the TOML string when it has no
            // escapes, so its byte range maps onto the file; otherwise fall
            // back to the template's line number.
            let by_line = match e.line() {
                Some(l) if l > 1 => (line0 + l - 1, 1),
                _ => (line0, col0),
            };
            let (line, col) = match e.range() {
                Some(r)
                    if file.text.get(t.offset + r.start..t.offset + r.end)
                        == t.source.get(r.clone()) =>
                {
                    let pos = index.pos(t.offset + r.start);
                    if pos.0 == by_line.0 { pos } else { by_line }
                }
                _ => by_line,
            };
            errors.push(LoadError {
                path: file.display.clone(),
                line,
                col,
                rule: rules::TEMPLATE,
                message: format!(
                    "{}: {}",
                    t.name.rsplit(':').next().unwrap_or(&t.name),
                    e.detail().unwrap_or("template does not compile")
                ),
            });
        }
    }

    if errors.is_empty() {
        Ok(Loaded {
            items,
            routing,
            env,
        })
    } else {
        errors.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        Err(errors)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    System,
    Channel,
    Block,
    Proof,
    Policy,
}

fn role_of(rel: &str) -> Option<Role> {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        ["prompts", "system.toml"] | ["prompts", "system", _] => Some(Role::System),
        ["prompts", "channels", ..] => Some(Role::Channel),
        ["prompts", "blocks", ..] => Some(Role::Block),
        ["proof-library", ..] => Some(Role::Proof),
        ["policies", _] => Some(Role::Policy),
        _ => None,
    }
}

fn file_stem(rel: &str) -> Option<&str> {
    rel.rsplit('/').next()?.strip_suffix(".toml")
}

type MakeItem = Box<dyn FnOnce(ItemMeta) -> Item>;

enum Body {
    Item(MakeItem),
    Routing(RoutingPolicy),
}

#[allow(clippy::too_many_arguments)]
fn parse_body(
    cx: &mut FileCx<'_>,
    fi: usize,
    role: Role,
    meta: Option<&ItemMeta>,
    refs: &mut Vec<PendingRef>,
    templates: &mut Vec<PendingTemplate>,
    example_proofs: &mut Vec<(usize, usize, String, String)>,
) -> Option<Body> {
    let text = cx.file.text.as_str();
    let id = meta.map_or_else(String::new, |m| m.id.clone());
    let version = meta.map_or_else(String::new, |m| m.version.clone());
    match role {
        Role::System => match toml::from_str::<PromptFile<SystemFile>>(text).map(|w| w.prompt) {
            Ok(f) => Some(Body::Item(Box::new(move |meta| {
                Item::System(SystemPrompt { meta, text: f.text })
            }))),
            Err(e) => {
                cx.toml(rules::TOML_SCHEMA, &e);
                None
            }
        },
        Role::Channel => {
            let f = match toml::from_str::<PromptFile<ChannelFile>>(text).map(|w| w.prompt) {
                Ok(f) => f,
                Err(e) => {
                    cx.toml(rules::TOML_SCHEMA, &e);
                    return None;
                }
            };
            let mut ok = true;
            let channel = Channel::parse(f.channel.get_ref());
            if channel.is_none() {
                cx.at(
                    f.channel.span().start,
                    rules::UNKNOWN_CHANNEL,
                    format!("unknown channel {:?}", f.channel.get_ref()),
                );
                ok = false;
            }
            if let Some(c) = channel
                && meta.is_some()
                && id != format!("channel.{c}")
            {
                cx.at(
                    f.channel.span().start,
                    rules::UNKNOWN_CHANNEL,
                    format!("a {c} prompt must have id \"channel.{c}\", not {id:?}"),
                );
                ok = false;
            }
            for s in &f.slots {
                if !crate::compose::SLOT_NAMES.contains(&s.get_ref().as_str()) {
                    cx.at(
                        s.span().start,
                        rules::TOML_SCHEMA,
                        format!(
                            "unknown slot {:?}; known slots: {}",
                            s.get_ref(),
                            crate::compose::SLOT_NAMES.join(", ")
                        ),
                    );
                    ok = false;
                }
            }
            let good = f
                .examples
                .iter()
                .filter(|e| e.get_ref().kind == ExampleKind::Good)
                .count();
            let bad = f.examples.len() - good;
            if good == 0 || bad == 0 {
                cx.at(
                    0,
                    rules::EXAMPLES,
                    format!("a channel prompt needs at least one good and one bad example (has {good} good, {bad} bad)"),
                );
                ok = false;
            }
            for ex in &f.examples {
                for p in &ex.get_ref().proofs {
                    refs.push(PendingRef {
                        file: fi,
                        offset: ex.span().start,
                        target: p.clone(),
                        from: format!("an example of {id}"),
                        kind: ItemKind::Proof,
                    });
                    if ex.get_ref().kind == ExampleKind::Good {
                        example_proofs.push((
                            fi,
                            ex.span().start,
                            p.clone(),
                            ex.get_ref().body.clone(),
                        ));
                    }
                }
            }
            for r in &f.requires {
                refs.push(PendingRef {
                    file: fi,
                    offset: r.span().start,
                    target: r.get_ref().clone(),
                    from: id.clone(),
                    kind: ItemKind::Component,
                });
            }
            templates.push(PendingTemplate {
                file: fi,
                offset: cx.content_start(f.template.span().start),
                name: template_name(ItemKind::Prompt, &id, &version, "template"),
                source: f.template.get_ref().clone(),
            });
            let channel = channel?;
            if !ok {
                return None;
            }
            Some(Body::Item(Box::new(move |meta| {
                Item::Channel(ChannelPrompt {
                    meta,
                    channel,
                    instructions: f.instructions,
                    template: f.template.into_inner(),
                    slots: f.slots.into_iter().map(Spanned::into_inner).collect(),
                    proofs: f.proofs,
                    limit: f.limit,
                    requires: f.requires.into_iter().map(Spanned::into_inner).collect(),
                    examples: f.examples.into_iter().map(Spanned::into_inner).collect(),
                })
            })))
        }
        Role::Block => {
            let f = match toml::from_str::<BlockWrap>(text).map(|w| w.block) {
                Ok(f) => f,
                Err(e) => {
                    cx.toml(rules::TOML_SCHEMA, &e);
                    return None;
                }
            };
            let meta = meta?;
            let id_off = toml::from_str::<MetaSpans>(text).map_or(0, |s| s.meta.id.span().start);
            let Some(family) = Family::of_id(&meta.id) else {
                cx.at(
                    id_off,
                    rules::UNKNOWN_FAMILY,
                    format!(
                        "component id {:?} must start with one of: {}",
                        meta.id,
                        Family::ALL.map(Family::as_str).join(", ")
                    ),
                );
                return None;
            };
            let mut ok = true;
            for key in family.required_text() {
                if !f.text.contains_key(*key) {
                    cx.at(
                        id_off,
                        rules::MISSING_FIELD,
                        format!("{} blocks need text.{key}", family.as_str()),
                    );
                    ok = false;
                }
            }
            for key in family.required_lists() {
                if f.lists.get(*key).is_none_or(|l| l.is_empty()) {
                    cx.at(
                        id_off,
                        rules::MISSING_FIELD,
                        format!("{} blocks need a non-empty lists.{key}", family.as_str()),
                    );
                    ok = false;
                }
            }
            for u in &f.uses {
                refs.push(PendingRef {
                    file: fi,
                    offset: u.span().start,
                    target: u.get_ref().clone(),
                    from: id.clone(),
                    kind: ItemKind::Component,
                });
            }
            for (k, v) in &f.text {
                templates.push(PendingTemplate {
                    file: fi,
                    offset: cx.content_start(v.span().start),
                    name: template_name(ItemKind::Component, &id, &version, &format!("text.{k}")),
                    source: v.get_ref().clone(),
                });
            }
            for (k, list) in &f.lists {
                for (i, v) in list.iter().enumerate() {
                    templates.push(PendingTemplate {
                        file: fi,
                        offset: cx.content_start(v.span().start),
                        name: template_name(
                            ItemKind::Component,
                            &id,
                            &version,
                            &format!("lists.{k}.{i}"),
                        ),
                        source: v.get_ref().clone(),
                    });
                }
            }
            if !ok {
                return None;
            }
            Some(Body::Item(Box::new(move |meta| {
                Item::Block(Block {
                    meta,
                    family,
                    aliases: f.aliases,
                    applies_to: f.applies_to,
                    third_party: f.third_party,
                    uses: f.uses.into_iter().map(Spanned::into_inner).collect(),
                    guidance: f.guidance,
                    text: f
                        .text
                        .into_iter()
                        .map(|(k, v)| (k, v.into_inner()))
                        .collect(),
                    lists: f
                        .lists
                        .into_iter()
                        .map(|(k, v)| (k, v.into_iter().map(Spanned::into_inner).collect()))
                        .collect(),
                })
            })))
        }
        Role::Proof => {
            let f = match toml::from_str::<ProofWrap>(text).map(|w| w.proof) {
                Ok(f) => f,
                Err(e) => {
                    cx.toml(rules::TOML_SCHEMA, &e);
                    return None;
                }
            };
            let mut ok = true;
            if let Some(m) = meta
                && m.expires.is_none()
            {
                let off = toml::from_str::<MetaSpans>(text).map_or(0, |s| s.meta.id.span().start);
                cx.at(
                    off,
                    rules::PROOF_EXPIRY,
                    format!("proof {} has no meta.expires date", m.id),
                );
                ok = false;
            }
            if f.text.get_ref().trim().is_empty() {
                cx.at(
                    f.text.span().start,
                    rules::PROOF_TEXT,
                    "proof text is empty",
                );
                ok = false;
            }
            let empty = ProofFacts::default();
            let (facts, facts_off) = f
                .facts
                .as_ref()
                .map_or((&empty, 0), |x| (x.get_ref(), x.span().start));
            for fact in facts
                .numbers
                .iter()
                .chain(&facts.names)
                .chain(&facts.certifications)
            {
                if !f.text.get_ref().contains(fact.as_str()) {
                    cx.at(
                        facts_off,
                        rules::PROOF_FACT,
                        format!("fact {fact:?} does not appear verbatim in the proof text"),
                    );
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            Some(Body::Item(Box::new(move |meta| {
                Item::Proof(Proof {
                    meta,
                    text: f.text.into_inner(),
                    source: f.source,
                    customer: f.customer,
                    products: f.products,
                    facts: f.facts.map(Spanned::into_inner).unwrap_or_default(),
                })
            })))
        }
        Role::Policy => {
            if file_stem(&cx.file.rel) == Some("routing") {
                match toml::from_str::<RoutingFile>(text) {
                    Ok(r) => Some(Body::Routing(r.rules)),
                    Err(e) => {
                        cx.toml(rules::TOML_SCHEMA, &e);
                        None
                    }
                }
            } else {
                let rel = cx.file.rel.clone();
                let raw = cx.file.text.clone();
                Some(Body::Item(Box::new(move |meta| {
                    Item::Policy(PolicySource {
                        meta,
                        path: rel,
                        raw,
                    })
                })))
            }
        }
    }
}

/// Two different persona (or industry) blocks must not claim the same alias,
/// or free text would map to whichever loaded first.
fn check_aliases(
    files: &[SourceFile],
    items: &BTreeMap<Key, Item>,
    origin: &HashMap<Key, (usize, usize)>,
    errors: &mut Vec<LoadError>,
) {
    let mut seen: HashMap<(Family, String), String> = HashMap::new();
    for (key, item) in items {
        let Item::Block(b) = item else { continue };
        for alias in &b.aliases {
            let norm = normalize_alias(alias);
            match seen.get(&(b.family, norm.clone())) {
                Some(other) if *other != b.meta.id => {
                    let (fi, off) = origin[key];
                    let file = &files[fi];
                    let (line, col) = LineIndex::new(&file.text).pos(off);
                    errors.push(LoadError {
                        path: file.display.clone(),
                        line,
                        col,
                        rule: rules::ALIAS_CLASH,
                        message: format!(
                            "alias {alias:?} of {} is also an alias of {other}",
                            b.meta.id
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    seen.insert((b.family, norm), b.meta.id.clone());
                }
            }
        }
    }
}

/// Lowercase words of letters and digits, single-spaced: "VP, Revenue Ops."
/// becomes "vp revenue ops".
pub fn normalize_alias(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

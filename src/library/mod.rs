//! The versioned library (seed 5.6): prompts, components, proofs, policies.
//!
//! Owns: the file format, the loader ([`Library::load`], [`Library::bundled`]),
//! version selection and the accessors the rest of the service reads. This is
//! the only module that reads library files, and [`Library::commit`] is the
//! only place that shells out (to git).
//!
//! # Layout on disk
//! - `prompts/system.toml`: the static system rules (`prompts/system/<semver>.toml`
//!   for more than one version).
//! - `prompts/channels/<channel>/<semver>.toml`: one channel prompt version per
//!   file (instructions, examples, template, limits).
//! - `prompts/blocks/<family>/<name>.toml`: components; the id prefix names the
//!   family (`persona.ciso`, `stage.evaluating`, `trigger.job_change`, ...).
//! - `proof-library/<id>.toml`: approved proofs, verbatim text and source.
//! - `policies/*.toml`: `[meta]` plus the policy body; `routing.toml` is parsed
//!   here, the rest are kept raw for their owners.
//!
//! Every file is a `[meta]` table (`item::ItemMeta`) and one body table named
//! after its role: `[prompt]`, `[block]`, `[proof]`, or `[rules]` for
//! routing.
//!
//! Several versions of one id may coexist; a request picks one with a
//! [`VersionReq`] (a label such as "production", or an exact version).
//!
//! # Invariants
//! - A loaded library has no load errors: no unresolved reference, no
//!   duplicate id+version, every template compiles, every proof has an expiry.
//! - A library that fails to load never replaces a loaded one: `load` returns
//!   the errors and the caller keeps what it had.

pub mod error;
pub mod item;
mod load;
pub mod types;

pub use error::LoadError;
pub use load::normalize_alias;
pub(crate) use load::template_name as load_template_name;
pub use types::{
    Block, ChannelPrompt, Example, ExampleKind, Family, Item, Limit, LimitUnit, PolicySource,
    Proof, ProofFacts, ProofRule, SystemPrompt,
};

use crate::model::{Channel, ItemKind, ItemRef};
use crate::route::{RoutingPolicy, UsedItem};
use chrono::{DateTime, NaiveDate, Utc};
use item::{ItemMeta, Version};
use load::SourceFile;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::process::Command;
use types::Key;

/// Which version of an item to use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VersionReq {
    /// The highest version carrying this label ("production", "candidate").
    Label(String),
    /// Exactly this version.
    Exact(String),
}

impl Default for VersionReq {
    fn default() -> Self {
        VersionReq::Label(PRODUCTION.to_string())
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionReq::Label(l) => write!(f, "label {l:?}"),
            VersionReq::Exact(v) => write!(f, "version {v}"),
        }
    }
}

impl VersionReq {
    pub fn production() -> Self {
        Self::default()
    }

    /// Parses a request string: a semver pins that version, anything else is
    /// a label; empty means production.
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        if s.is_empty() {
            Self::default()
        } else if Version::parse(s).is_some() {
            VersionReq::Exact(s.to_string())
        } else {
            VersionReq::Label(s.to_string())
        }
    }
}

/// The label routing trusts.
pub const PRODUCTION: &str = "production";

/// Commit marker of the library compiled into the binary.
pub const EMBEDDED: &str = "embedded";
/// Commit marker of a directory that is not inside a git work tree.
pub const NOT_A_GIT_REPO: &str = "not-a-git-repo";

/// A review reminder: an item past its review date, or a proof that expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintWarning {
    pub item: ItemRef,
    pub message: String,
}

/// The loaded library. Immutable; share it behind an `Arc` and swap the whole
/// value on reload.
pub struct Library {
    items: BTreeMap<Key, Item>,
    routing: Option<(ItemMeta, RoutingPolicy)>,
    env: minijinja::Environment<'static>,
    commit: String,
    fingerprint: String,
    loaded_at: DateTime<Utc>,
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("items", &self.items.len())
            .field("commit", &self.commit)
            .field("fingerprint", &self.fingerprint)
            .field("loaded_at", &self.loaded_at)
            .finish()
    }
}

mod embedded {
    use include_dir::{Dir, include_dir};
    pub static PROMPTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/prompts");
    pub static PROOFS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/proof-library");
    pub static POLICIES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/policies");
}

fn embedded_files() -> Vec<SourceFile> {
    fn collect(dir: &include_dir::Dir<'static>, root: &str, out: &mut Vec<SourceFile>) {
        for f in dir.files() {
            let rel = format!("{root}/{}", f.path().to_string_lossy().replace('\\', "/"));
            if rel.ends_with(".toml") {
                out.push(SourceFile {
                    display: rel.clone(),
                    rel,
                    text: String::from_utf8_lossy(f.contents()).into_owned(),
                });
            }
        }
        for d in dir.dirs() {
            collect(d, root, out);
        }
    }
    let mut out = Vec::new();
    collect(&embedded::PROMPTS, "prompts", &mut out);
    collect(&embedded::PROOFS, "proof-library", &mut out);
    collect(&embedded::POLICIES, "policies", &mut out);
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// sha256 over every file's relative path and text, in path order.
fn fingerprint(files: &[SourceFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.rel.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

impl Library {
    /// Loads the library under `dir` (the folder holding `prompts/`,
    /// `proof-library/` and `policies/`), reporting every problem found.
    pub fn load(dir: &Path) -> Result<Library, Vec<LoadError>> {
        let (files, errors) = load::read_dir(dir);
        let loaded = load::build(&files, errors)?;
        Ok(Library::from_loaded(loaded, git_commit(dir), &files))
    }

    /// The repository's own library, compiled into the binary.
    ///
    /// # Panics
    /// If the embedded library does not load; the test suite loads it, so a
    /// build that ships has a valid one.
    pub fn bundled() -> Library {
        let files = embedded_files();
        match load::build(&files, Vec::new()) {
            Ok(loaded) => Library::from_loaded(loaded, EMBEDDED.to_string(), &files),
            Err(errors) => {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("the embedded library does not load:\n{}", lines.join("\n"))
            }
        }
    }

    fn from_loaded(loaded: load::Loaded, commit: String, files: &[SourceFile]) -> Library {
        Library {
            items: loaded.items,
            routing: loaded.routing,
            env: loaded.env,
            commit,
            fingerprint: fingerprint(files),
            loaded_at: Utc::now(),
        }
    }

    /// The git commit of the library: `<sha>`, `<sha>+dirty` when library
    /// files have uncommitted changes, `embedded` or `not-a-git-repo`.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// sha256 of the library content (paths and texts): equal for equal
    /// content, wherever it was loaded from.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn loaded_at(&self) -> DateTime<Utc> {
        self.loaded_at
    }

    /// Every item, in (kind, id, version) order.
    pub fn items(&self) -> impl Iterator<Item = (ItemKind, &ItemMeta)> + '_ {
        self.items.iter().map(|((k, _, _), item)| (*k, item.meta()))
    }

    pub fn item(&self, r: &ItemRef) -> Option<&Item> {
        let v = Version::parse(&r.version)?;
        self.items.get(&(r.kind, r.id.clone(), v))
    }

    pub fn item_meta(&self, r: &ItemRef) -> Option<&ItemMeta> {
        self.item(r).map(Item::meta)
    }

    /// What routing needs to know of a used item; `None` if it is not in
    /// this library (routing then fails closed on the caller's side).
    pub fn used_item(&self, r: &ItemRef) -> Option<UsedItem> {
        let meta = self.item_meta(r)?;
        Some(UsedItem {
            item: r.clone(),
            trusted: meta.is_trusted(),
            risk: meta.risk,
        })
    }

    /// Every version of `kind`/`id`, oldest first.
    fn versions(&self, kind: ItemKind, id: &str) -> Vec<&Item> {
        let lo = (
            kind,
            id.to_string(),
            Version {
                major: 0,
                minor: 0,
                patch: 0,
            },
        );
        let hi = (
            kind,
            id.to_string(),
            Version {
                major: u64::MAX,
                minor: u64::MAX,
                patch: u64::MAX,
            },
        );
        self.items.range(lo..=hi).map(|(_, item)| item).collect()
    }

    /// The version of `id` that `req` selects.
    pub fn select(&self, kind: ItemKind, id: &str, req: &VersionReq) -> Option<&Item> {
        match req {
            VersionReq::Exact(v) => {
                let v = Version::parse(v)?;
                self.items.get(&(kind, id.to_string(), v))
            }
            VersionReq::Label(l) => self
                .versions(kind, id)
                .into_iter()
                .rev()
                .find(|i| i.meta().has_label(l)),
        }
    }

    /// Like [`Library::select`], falling back to the production version when
    /// no version carries the requested label: a "candidate" experiment may
    /// change one block and leave the rest as they are.
    pub fn select_or_production(
        &self,
        kind: ItemKind,
        id: &str,
        req: &VersionReq,
    ) -> Option<&Item> {
        self.select(kind, id, req).or_else(|| match req {
            VersionReq::Label(l) if l != PRODUCTION => {
                self.select(kind, id, &VersionReq::production())
            }
            _ => None,
        })
    }

    /// The system prompt selected by `req` (falling back to production).
    pub fn system_prompt(&self, req: &VersionReq) -> Option<&SystemPrompt> {
        match self.select_or_production(ItemKind::Prompt, "system", req)? {
            Item::System(s) => Some(s),
            _ => None,
        }
    }

    /// The channel prompt version selected by `req` (no fallback: asking
    /// for a candidate that does not exist is an error for the caller).
    pub fn channel_prompt(&self, channel: Channel, req: &VersionReq) -> Option<&ChannelPrompt> {
        match self.select(ItemKind::Prompt, &format!("channel.{channel}"), req)? {
            Item::Channel(c) => Some(c),
            _ => None,
        }
    }

    /// Every version of a channel prompt, oldest first.
    pub fn channel_prompt_versions(&self, channel: Channel) -> Vec<&ChannelPrompt> {
        let id = format!("channel.{channel}");
        self.versions(ItemKind::Prompt, &id)
            .into_iter()
            .filter_map(|i| match i {
                Item::Channel(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The version of component `id` selected by `req` (falling back to
    /// production).
    pub fn block(&self, id: &str, req: &VersionReq) -> Option<&Block> {
        match self.select_or_production(ItemKind::Component, id, req)? {
            Item::Block(b) => Some(b),
            _ => None,
        }
    }

    /// The selected version of every block of a family, in id order.
    pub fn blocks(&self, family: Family, req: &VersionReq) -> Vec<&Block> {
        let mut ids: Vec<&str> = self
            .items
            .iter()
            .filter_map(|((k, id, _), item)| match item {
                Item::Block(b) if *k == ItemKind::Component && b.family == family => {
                    Some(id.as_str())
                }
                _ => None,
            })
            .collect();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| self.block(id, req))
            .collect()
    }

    /// The proof `id`: its highest production version, else its highest
    /// version.
    pub fn proof(&self, id: &str) -> Option<&Proof> {
        let item = self
            .select(ItemKind::Proof, id, &VersionReq::production())
            .or_else(|| self.versions(ItemKind::Proof, id).last().copied())?;
        match item {
            Item::Proof(p) => Some(p),
            _ => None,
        }
    }

    /// Every proof id with its preferred version (see [`Library::proof`]).
    pub fn proofs(&self) -> Vec<&Proof> {
        let mut ids: Vec<&str> = self
            .items
            .keys()
            .filter(|(k, _, _)| *k == ItemKind::Proof)
            .map(|(_, id, _)| id.as_str())
            .collect();
        ids.dedup();
        ids.into_iter().filter_map(|id| self.proof(id)).collect()
    }

    /// The raw policy `policies/<stem>.toml`.
    pub fn policy(&self, stem: &str) -> Option<&PolicySource> {
        let path = format!("policies/{stem}.toml");
        self.items.values().find_map(|i| match i {
            Item::Policy(p) if p.path == path => Some(p),
            _ => None,
        })
    }

    /// Every policy file, by path.
    pub fn policies(&self) -> Vec<&PolicySource> {
        self.items
            .values()
            .filter_map(|i| match i {
                Item::Policy(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// The `[rules]` of `policies/routing.toml`.
    pub fn routing(&self) -> Option<&RoutingPolicy> {
        self.routing.as_ref().map(|(_, r)| r)
    }

    pub fn routing_meta(&self) -> Option<&ItemMeta> {
        self.routing.as_ref().map(|(m, _)| m)
    }

    /// Items past their review date and expired proofs. Never an error: the
    /// library stays usable, and expired proofs are skipped by compose.
    pub fn lint(&self, today: NaiveDate) -> Vec<LintWarning> {
        let mut out = Vec::new();
        for ((kind, id, v), item) in &self.items {
            let meta = item.meta();
            let r = ItemRef {
                kind: *kind,
                id: id.clone(),
                version: v.to_string(),
            };
            if meta.review_overdue(today) {
                out.push(LintWarning {
                    item: r.clone(),
                    message: format!(
                        "last reviewed {}, review every {} days: overdue",
                        meta.last_reviewed, meta.review_every_days
                    ),
                });
            }
            if meta.is_expired(today) {
                out.push(LintWarning {
                    item: r,
                    message: format!("expired on {}", meta.expires.unwrap_or_default()),
                });
            }
        }
        out
    }

    pub(crate) fn env(&self) -> &minijinja::Environment<'static> {
        &self.env
    }
}

/// The git commit of `dir`. The only place the service runs a process.
fn git_commit(dir: &Path) -> String {
    let head = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output();
    let sha = match head {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => return NOT_A_GIT_REPO.to_string(),
    };
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain", "--"])
        .args(load::LIBRARY_DIRS)
        .output();
    match status {
        Ok(o) if o.status.success() && o.stdout.iter().all(u8::is_ascii_whitespace) => sha,
        // A status that cannot be read is treated as dirty: the marker must
        // never claim a clean commit it could not verify.
        _ => format!("{sha}+dirty"),
    }
}

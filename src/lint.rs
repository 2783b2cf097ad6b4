//! `proofline lint`: the library repository's own CI check (issue #5).
//!
//! Reports every problem, not the first, as `path:line:col: rule-id: message`
//! (paths as `DIR/<path in the library>`, without a leading `./`). Errors fail
//! the run; warnings fail it only with `--strict`.
//!
//! Covers: load errors (syntax, schema, duplicate ids, unresolved references,
//! template syntax — all from [`Library::load`]); every channel prompt version
//! renders for every sample brief in `DIR/examples/briefs/`; expired proofs and
//! overdue reviews (warnings, from [`Library::lint`]); every item's changelog
//! has an entry for its version; with `--base REV`, an item whose content
//! changed since REV keeps its version; and the policy rules' own examples
//! ([`policy_example_problems`]).
//!
//! This module shells out to `git` for `--base` (the only other place that
//! runs a process is [`Library::commit`]).

use crate::compose::{self, Selection};
use crate::library::{Library, LoadError, VersionReq};
use crate::model::{AccountBrief, Channel};
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Rule ids this module adds to the loader's (`crate::library::error::rules`).
pub mod rules {
    pub const RENDER: &str = "render.failed";
    pub const BRIEF: &str = "brief.invalid";
    pub const NO_BRIEFS: &str = "lint.no-sample-briefs";
    pub const EXPIRED: &str = "proof.expired";
    pub const REVIEW: &str = "review.overdue";
    pub const NOT_BUMPED: &str = "version.not-bumped";
    pub const CHANGELOG: &str = "changelog.missing";
    pub const GIT: &str = "git.base";
    pub const POLICY_EXAMPLE: &str = "policy.example";
}

/// One problem at a file position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub rule: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path, self.line, self.col, self.rule, self.message
        )
    }
}

impl From<LoadError> for Problem {
    fn from(e: LoadError) -> Self {
        Problem {
            path: e.path.strip_prefix("./").unwrap_or(&e.path).to_string(),
            line: e.line,
            col: e.col,
            rule: e.rule.to_string(),
            message: e.message,
        }
    }
}

/// What `lint` found.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

impl Report {
    /// Whether the run fails: any error, or any warning under `strict`.
    pub fn fails(&self, strict: bool) -> bool {
        !self.errors.is_empty() || (strict && !self.warnings.is_empty())
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    /// Compare against this git revision (`--base`).
    pub base: Option<String>,
    /// The date expiry and review are judged against.
    pub today: NaiveDate,
}

/// The `[meta]` of one library file as written, with positions, read without
/// the loader so it works on a library that does not load.
#[derive(Debug, Clone)]
struct FileMeta {
    rel: String,
    text: String,
    id: String,
    version: String,
    version_pos: (usize, usize),
    changelog_versions: Vec<String>,
}

fn meta_of(rel: &str, text: &str) -> Option<FileMeta> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let meta = doc.get("meta")?.as_table()?;
    let id = meta.get("id")?.as_str()?.to_string();
    let version = meta.get("version")?.as_str()?.to_string();
    let changelog_versions = meta
        .get("changelog")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("version").and_then(|v| v.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some(FileMeta {
        rel: rel.to_string(),
        text: text.to_string(),
        id,
        version,
        version_pos: key_pos(text, "version"),
        changelog_versions,
    })
}

/// 1-based line/col of the first line that assigns `key`; (1, 1) if none.
fn key_pos(text: &str, key: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return (i + 1, line.len() - t.len() + 1);
        }
    }
    (1, 1)
}

fn scan(dir: &Path) -> Vec<FileMeta> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<FileMeta>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        let mut paths: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|e| e == "toml") {
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(&p)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if let Ok(text) = std::fs::read_to_string(&p)
                    && let Some(m) = meta_of(&rel, &text)
                {
                    out.push(m);
                }
            }
        }
    }
    let mut out = Vec::new();
    for sub in ["prompts", "proof-library", "policies"] {
        walk(dir, &dir.join(sub), &mut out);
    }
    out
}

/// How a path inside the library is shown: `DIR/rel`, no leading `./`.
fn shown(dir: &Path, rel: &str) -> String {
    let s = dir.join(rel).display().to_string();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Lint the library under `opts.dir`.
pub fn lint(opts: &Options) -> Report {
    let dir = opts.dir.as_path();
    let mut report = Report::default();
    let files = scan(dir);
    let problem = |rel: &str, (line, col): (usize, usize), rule: &str, message: String| Problem {
        path: shown(dir, rel),
        line,
        col,
        rule: rule.to_string(),
        message,
    };

    match Library::load(dir) {
        Err(errors) => report.errors.extend(errors.into_iter().map(Problem::from)),
        Ok(lib) => {
            let file_of = |id: &str, version: &str| {
                files
                    .iter()
                    .find(|f| f.id == id && f.version == version)
                    .map(|f| f.rel.clone())
                    .unwrap_or_else(|| format!("<{id}@{version}>"))
            };
            render_all(&lib, opts, &files, &mut report);
            for w in lib.lint(opts.today) {
                let rel = file_of(&w.item.id, &w.item.version);
                let rule = if w.message.starts_with("expired") {
                    rules::EXPIRED
                } else {
                    rules::REVIEW
                };
                let at = files
                    .iter()
                    .find(|f| f.rel == rel)
                    .map(|f| {
                        key_pos(
                            &f.text,
                            if rule == rules::EXPIRED {
                                "expires"
                            } else {
                                "last_reviewed"
                            },
                        )
                    })
                    .unwrap_or((1, 1));
                report.warnings.push(problem(
                    &rel,
                    at,
                    rule,
                    format!("{} {}: {}", w.item.id, w.item.version, w.message),
                ));
            }
            report.errors.extend(policy_example_problems(&lib));
        }
    }

    for f in &files {
        if !f.changelog_versions.iter().any(|v| v == &f.version) {
            report.errors.push(problem(
                &f.rel,
                f.version_pos,
                rules::CHANGELOG,
                format!(
                    "{} is at version {} but its changelog has no entry for it",
                    f.id, f.version
                ),
            ));
        }
    }

    if let Some(base) = &opts.base {
        match changed_since(dir, base) {
            Err(e) => report
                .errors
                .push(problem(".", (1, 1), rules::GIT, e.to_string())),
            Ok(changed) => {
                for rel in changed {
                    let Some(now) = files.iter().find(|f| f.rel == rel) else {
                        continue; // deleted, or no readable [meta] (load reports it)
                    };
                    let Some(old_text) = git_show(dir, base, &rel) else {
                        continue; // new file
                    };
                    let Some(old) = meta_of(&rel, &old_text) else {
                        continue;
                    };
                    if old.text != now.text && old.version == now.version {
                        report.errors.push(problem(
                            &rel,
                            now.version_pos,
                            rules::NOT_BUMPED,
                            format!(
                                "{} changed since {base} but is still version {}",
                                now.id, now.version
                            ),
                        ));
                    }
                }
            }
        }
    }

    let key = |p: &Problem| (p.path.clone(), p.line, p.col, p.rule.clone());
    report.errors.sort_by_key(key);
    report.errors.dedup();
    report.warnings.sort_by_key(key);
    report.warnings.dedup();
    report
}

/// Every channel prompt version renders, with production components, for
/// every sample brief.
fn render_all(lib: &Library, opts: &Options, files: &[FileMeta], report: &mut Report) {
    let dir = opts.dir.as_path();
    let briefs_dir = dir.join("examples/briefs");
    let mut briefs: Vec<PathBuf> = std::fs::read_dir(&briefs_dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    briefs.sort();
    if briefs.is_empty() {
        report.warnings.push(Problem {
            path: shown(dir, "examples/briefs"),
            line: 1,
            col: 1,
            rule: rules::NO_BRIEFS.into(),
            message: "no sample briefs: templates were not rendered".into(),
        });
        return;
    }
    for path in briefs {
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let brief: AccountBrief = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(b) => b,
            Err(e) => {
                report.errors.push(Problem {
                    path: shown(dir, &rel),
                    line: 1,
                    col: 1,
                    rule: rules::BRIEF.into(),
                    message: e,
                });
                continue;
            }
        };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        for channel in Channel::ALL {
            for prompt in lib.channel_prompt_versions(channel) {
                let sel = Selection {
                    prompt: VersionReq::Exact(prompt.meta.version.clone()),
                    ..Selection::production(opts.today)
                };
                let result = compose::plan(lib, &brief, channel, &sel).and_then(|plan| {
                    let slots = compose::offline_slots(lib, &plan, &brief)?;
                    compose::render(lib, &plan, &brief, &slots)
                });
                if let Err(e) = result {
                    let f = files
                        .iter()
                        .find(|f| f.id == prompt.meta.id && f.version == prompt.meta.version);
                    let (rel, at) = f.map_or_else(
                        || {
                            (
                                format!("<{}@{}>", prompt.meta.id, prompt.meta.version),
                                (1, 1),
                            )
                        },
                        |f| (f.rel.clone(), key_pos(&f.text, "template")),
                    );
                    report.errors.push(Problem {
                        path: shown(dir, &rel),
                        line: at.0,
                        col: at.1,
                        rule: rules::RENDER.into(),
                        message: format!(
                            "{} {} does not render for {name}: {e}",
                            prompt.meta.id, prompt.meta.version
                        ),
                    });
                }
            }
        }
    }
}

/// Every policy rule's own must-flag and must-pass examples hold: compile the
/// library's check policies and run each example through its rule. A broken
/// policy file is reported too (it would also stop the server loading it).
pub fn policy_example_problems(lib: &Library) -> Vec<Problem> {
    let pipeline = match crate::engine::Snapshot::compile_checks(lib) {
        Ok((p, _)) => p,
        Err(errors) => {
            return errors
                .into_iter()
                .map(|e| Problem {
                    path: "policies".into(),
                    line: 1,
                    col: 1,
                    rule: "policy.invalid".into(),
                    message: e,
                })
                .collect();
        }
    };
    let sources = lib.policies();
    pipeline
        .verify_examples()
        .into_iter()
        .map(|f| {
            // Point at the example in whichever policy file holds it.
            let quoted = format!(
                "\"{}\"",
                f.example.replace('\\', "\\\\").replace('"', "\\\"")
            );
            let place = sources.iter().find_map(|src| {
                let at = src.raw.find(&quoted).or_else(|| src.raw.find(&f.example))?;
                let before = &src.raw[..at];
                let line = before.matches('\n').count() + 1;
                let col = before
                    .rsplit('\n')
                    .next()
                    .map(|l| l.chars().count())
                    .unwrap_or(0)
                    + 1;
                Some((src.path.clone(), line, col))
            });
            let (path, line, col) = place.unwrap_or_else(|| ("policies".into(), 1, 1));
            Problem {
                path,
                line,
                col,
                rule: rules::POLICY_EXAMPLE.into(),
                message: f.to_string(),
            }
        })
        .collect()
}

fn git(dir: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("git").arg("-C").arg(dir).args(args).output()
}

/// Library files changed since `base`, relative to `dir`.
fn changed_since(dir: &Path, base: &str) -> anyhow::Result<Vec<String>> {
    let out = git(
        dir,
        &[
            "diff",
            "--name-only",
            "--relative",
            base,
            "--",
            "prompts",
            "proof-library",
            "policies",
        ],
    )?;
    if !out.status.success() {
        anyhow::bail!(
            "git diff against {base} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| l.ends_with(".toml"))
        .collect())
}

/// The text of `rel` (relative to `dir`) at `rev`; `None` if it did not exist.
fn git_show(dir: &Path, rev: &str, rel: &str) -> Option<String> {
    let out = git(dir, &["show", &format!("{rev}:./{rel}")]).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

//! The pipeline: brief → plan → generate → check → route → lineage → store.
//!
//! Owns the order of operations and the invariants that span modules:
//! - a brief that breaks the input contract is refused before anything is
//!   generated or stored;
//! - every draft is checked on its final text before it is routed, and
//!   routing fails closed;
//! - a response is returned only after its drafts are flushed to disk;
//! - a request runs entirely on the library snapshot it started with, so a
//!   reload never mixes versions inside one request.

use crate::brief::{self, Screening, Violation};
use crate::checks::{CheckInput, CheckPolicies, Pipeline};
use crate::compose::{self, ComposeError, Selection};
use crate::library::Library;
use crate::metrics::Metrics;
use crate::model::{
    AccountBrief, Channel, Draft, DraftStatus, DraftText, Finding, GeneratorInfo, ItemKind,
    ItemRef, Lineage, ProofFact, Route, RouteReason, TokenUsage,
};
use crate::outcomes::{Assignment, Experiments, Variant};
use crate::route::{self, RouteInput, UsedItem};
use crate::store::{Store, StoreError, StoredRequest};
use arc_swap::ArcSwap;
use chrono::{NaiveDate, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

mod claims;
mod llm;
pub use claims::RULE_UNSUPPORTED;
pub use llm::{LlmGenerator, REASK_EXHAUSTED, REASK_FAILED, llm_error};

/// Policy files the checks are built from.
pub const CHECK_POLICY_STEMS: [&str; 3] = ["red_lines", "voice", "channel_limits"];

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid input: {}", violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidInput { violations: Vec<Violation> },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{message}")]
    Conflict { message: String },
    #[error("generation failed: {message}")]
    Generation {
        code: GenerationFailure,
        message: String,
    },
    #[error("deadline exceeded: {stage}")]
    DeadlineExceeded { stage: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {message}")]
    Internal { message: String },
}

/// Why a generator could not produce a draft at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationFailure {
    /// The provider refused (bad request, auth, quota): retrying won't help.
    Rejected,
    /// The provider is unavailable or rate limited past our retries.
    Unavailable,
    /// The template or plan could not be built.
    Compose,
}

impl EngineError {
    pub fn invalid(
        field: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> EngineError {
        EngineError::InvalidInput {
            violations: vec![Violation {
                field: field.into(),
                rule,
                message: message.into(),
            }],
        }
    }
}

/// Everything derived from one library version: the library, its compiled
/// checks and the policy items they came from.
pub struct Snapshot {
    pub library: Library,
    pub pipeline: Pipeline,
    /// Cooldowns per play, when the library has `policies/cooldowns.toml`.
    pub cooldowns: Option<crate::cooldown::CooldownPolicy>,
    pub policy_items: Vec<ItemRef>,
    pub loaded_at: String,
}

impl Snapshot {
    /// Build the checks from the library's policy files. Every problem is
    /// reported, not the first.
    pub fn build(library: Library) -> Result<Snapshot, Vec<String>> {
        let (pipeline, mut policy_items) = Self::compile_checks(&library)?;
        let cooldowns = match library.policy("cooldowns") {
            Some(p) => {
                policy_items.push(ItemRef {
                    kind: ItemKind::Policy,
                    id: p.meta.id.clone(),
                    version: p.meta.version.clone(),
                });
                Some(crate::cooldown::CooldownPolicy::parse(&p.raw).map_err(|e| vec![e])?)
            }
            None => None,
        };
        Ok(Snapshot {
            pipeline,
            cooldowns,
            library,
            policy_items,
            loaded_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        })
    }

    /// Compile a library's check policies into a pipeline, with the policy
    /// items it came from (the routing policy included, for lineage).
    pub fn compile_checks(library: &Library) -> Result<(Pipeline, Vec<ItemRef>), Vec<String>> {
        let mut problems = Vec::new();
        let mut raw = Vec::new();
        let mut policy_items = Vec::new();
        for stem in CHECK_POLICY_STEMS.into_iter().chain(["routing"]) {
            match library.policy(stem) {
                Some(p) => {
                    raw.push(p.raw.as_str());
                    policy_items.push(ItemRef {
                        kind: ItemKind::Policy,
                        id: p.meta.id.clone(),
                        version: p.meta.version.clone(),
                    });
                }
                None => problems.push(format!("policies/{stem}.toml: missing")),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let policies = CheckPolicies::from_sources(raw[0], raw[1], raw[2])
            .map_err(|errs| errs.into_iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
        Ok((Pipeline::new(&policies), policy_items))
    }

    /// The approved proofs a brief refers to, for the checks.
    pub fn proof_facts(&self, brief: &AccountBrief) -> Vec<ProofFact> {
        brief
            .proof_point_ids
            .iter()
            .filter_map(|id| {
                self.library.proof(id).map(|p| ProofFact {
                    id: id.clone(),
                    text: p.text.clone(),
                    source: p.source.clone(),
                })
            })
            .collect()
    }

    /// Run every check on the final text.
    pub fn check(
        &self,
        brief: &AccountBrief,
        channel: Channel,
        proofs: &[ProofFact],
        competitors: &[String],
        text: &DraftText,
    ) -> Vec<Finding> {
        self.pipeline.run(&CheckInput {
            channel,
            brief,
            proofs,
            competitors,
            draft: text,
        })
    }

    /// Library-dependent input rules: every proof id exists, is not expired
    /// and is allowed for the account's segment.
    pub fn validate_proofs(&self, brief: &AccountBrief, today: NaiveDate) -> Vec<Violation> {
        let mut out = Vec::new();
        for (i, id) in brief.proof_point_ids.iter().enumerate() {
            let field = format!("brief.proof_point_ids[{i}]");
            let Some(proof) = self.library.proof(id) else {
                out.push(Violation {
                    field,
                    rule: "unknown_proof",
                    message: format!("'{id}' is not in the proof library"),
                });
                continue;
            };
            if proof.meta.is_expired(today) {
                out.push(Violation {
                    field,
                    rule: "expired_proof",
                    message: format!(
                        "'{id}' expired on {}",
                        proof
                            .meta
                            .expires
                            .map(|d| d.to_string())
                            .unwrap_or_default()
                    ),
                });
                continue;
            }
            if let Err(m) = proof
                .meta
                .allowed
                .allows(&brief.industry, brief.tier, &brief.region)
            {
                out.push(Violation {
                    field,
                    rule: "proof_not_allowed",
                    message: format!(
                        "'{id}' is not approved for this account's {m:?} ({} / tier {} / {})",
                        brief.industry, brief.tier, brief.region
                    )
                    .to_lowercase(),
                });
            }
        }
        out
    }

    fn used_items(&self, items: &[ItemRef]) -> Vec<UsedItem> {
        items
            .iter()
            .map(|item| {
                // An item the library cannot describe is not trusted.
                self.library.used_item(item).unwrap_or_else(|| UsedItem {
                    item: item.clone(),
                    trusted: false,
                    risk: crate::library::item::Risk::High,
                })
            })
            .collect()
    }
}

/// Which prompt versions a request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// A pinned channel prompt version, e.g. "1.2.0".
    pub version: Option<String>,
    /// A label, e.g. "production" or "candidate".
    pub label: Option<String>,
}

impl Selector {
    pub fn selection(&self, today: NaiveDate) -> Selection {
        match (&self.version, &self.label) {
            (Some(v), _) => Selection::pinned(v, today),
            (None, Some(l)) => Selection::label(l, today),
            (None, None) => Selection::production(today),
        }
    }
}

/// Compose errors that mean the request asked for something the library does
/// not have are the caller's to fix; the rest are ours.
fn compose_error(e: ComposeError, selector: &Selector) -> EngineError {
    match &e {
        ComposeError::NoPrompt { .. } => {
            let field = if selector.version.is_some() {
                "prompt_version"
            } else {
                "prompt_label"
            };
            EngineError::invalid(field, "unknown_version", e.to_string())
        }
        ComposeError::InvalidStage { .. } => {
            EngineError::invalid("brief.stage", "enum", e.to_string())
        }
        ComposeError::UnknownProof { .. } => {
            EngineError::invalid("brief.proof_point_ids", "unknown_proof", e.to_string())
        }
        ComposeError::NotEnoughProofs { .. } => {
            EngineError::invalid("brief.proof_point_ids", "not_enough_proofs", e.to_string())
        }
        _ => EngineError::Generation {
            code: GenerationFailure::Compose,
            message: e.to_string(),
        },
    }
}

/// A request to generate drafts.
#[derive(Debug, Clone)]
pub struct GenerateCommand {
    pub tenant: String,
    /// Who asked (the authenticated client, or `local` for the CLI): the
    /// audit log's actor.
    pub actor: String,
    pub request_id: String,
    pub brief: AccountBrief,
    pub channels: Vec<Channel>,
    pub idempotency_key: Option<String>,
    pub selector: Selector,
    pub deadline: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct GenerateOutcome {
    pub request_id: String,
    pub drafts: Vec<Draft>,
    pub replayed: bool,
    /// Set when a play's cooldown suppressed the request: nothing was
    /// generated or stored.
    pub suppressed: Option<crate::cooldown::Suppressed>,
}

/// What a generator hands back for one channel.
pub struct Generated {
    pub text: DraftText,
    pub items: Vec<ItemRef>,
    pub info: GeneratorInfo,
    pub usage: TokenUsage,
    /// Problems that should send the draft to review (e.g. findings left after
    /// the last reask).
    pub issues: Vec<RouteReason>,
    /// The verified claim log.
    pub claims: Vec<crate::model::Claim>,
    /// Findings only the generator can make (claim-log verification); added
    /// to the checks' findings on the final text.
    pub findings: Vec<Finding>,
}

/// Which generator writes the variable parts.
#[derive(Clone, Default)]
pub enum Generator {
    /// The deterministic offline composer (the embedded default).
    #[default]
    Offline,
    /// An OpenAI-compatible model (`[llm]` configured). Never falls back to
    /// the offline composer on failure.
    Llm(Arc<LlmGenerator>),
}

impl Generator {
    async fn generate(
        &self,
        snap: &Snapshot,
        brief: &AccountBrief,
        channel: Channel,
        selector: &Selector,
        instruction: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<Generated, EngineError> {
        let compose_err = |e: ComposeError| compose_error(e, selector);
        let selection = selector.selection(Utc::now().date_naive());
        let plan = compose::plan(&snap.library, brief, channel, &selection).map_err(compose_err)?;
        match self {
            // The offline composer is deterministic: a reviewer's instruction
            // cannot change its output, so it is ignored (the new version is
            // checked and routed again all the same).
            Generator::Offline => {
                let slots =
                    compose::offline_slots(&snap.library, &plan, brief).map_err(compose_err)?;
                let text =
                    compose::render(&snap.library, &plan, brief, &slots).map_err(compose_err)?;
                // The composer's own claim log, flagged but not turned into
                // findings: its text comes from reviewed blocks.
                let sources = claims::RequestSources::new(&snap.library, &plan, brief);
                let verified = claims::verify(&sources, &slots.claims, &[], &text);
                Ok(Generated {
                    text,
                    items: plan.items.clone(),
                    info: GeneratorInfo::offline(),
                    usage: TokenUsage::default(),
                    issues: Vec::new(),
                    claims: verified.claims,
                    findings: Vec::new(),
                })
            }
            Generator::Llm(generator) => {
                let proofs = snap.proof_facts(brief);
                let check = |text: &DraftText| snap.check(brief, channel, &proofs, &[], text);
                generator
                    .generate(llm::LlmJob {
                        lib: &snap.library,
                        plan: &plan,
                        brief,
                        instruction,
                        deadline,
                        check: &check,
                    })
                    .await
            }
        }
    }
}

/// Serialises concurrent requests that share an idempotency key, so the same
/// key never generates twice.
#[derive(Default)]
struct KeyedLocks {
    inner: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    fn get(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.inner.lock().expect("lock map poisoned");
        // Drop entries nobody holds, so the map stays small.
        if map.len() > 1024 {
            map.retain(|_, v| Arc::strong_count(v) > 1);
        }
        map.entry(key.to_string()).or_default().clone()
    }
}

pub struct Engine {
    snapshot: ArcSwap<Snapshot>,
    store: Store,
    generator: Generator,
    locks: KeyedLocks,
    metrics: Arc<Metrics>,
    /// Holdout experiments (issue 7).
    experiments: Arc<Experiments>,
}

/// sha256 of the brief's canonical JSON.
pub fn brief_hash(brief: &AccountBrief) -> String {
    let json = serde_json::to_vec(brief).expect("brief serializes");
    hex::encode(Sha256::digest(&json))
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Engine {
    pub fn new(
        snapshot: Snapshot,
        store: Store,
        generator: Generator,
        metrics: Arc<Metrics>,
    ) -> Engine {
        Engine {
            snapshot: ArcSwap::from_pointee(snapshot),
            store,
            generator,
            locks: KeyedLocks::default(),
            metrics,
            experiments: Arc::default(),
        }
    }

    /// Run these experiments (issue 7): every new draft of an enrolled
    /// account records its experiment and arm.
    pub fn with_experiments(mut self, experiments: Experiments) -> Engine {
        self.experiments = Arc::new(experiments);
        self
    }

    pub fn experiments(&self) -> Arc<Experiments> {
        self.experiments.clone()
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Swap in a new, fully built library snapshot. Requests in flight keep the
    /// one they started with.
    pub fn swap_snapshot(&self, snap: Snapshot) {
        self.snapshot.store(Arc::new(snap));
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The LLM client's counters, when the LLM generator is in use.
    pub fn llm_stats(&self) -> Option<crate::llm::LlmStats> {
        match &self.generator {
            Generator::Llm(g) => Some(g.stats()),
            Generator::Offline => None,
        }
    }

    /// The idempotency key for a request: the caller's, or one derived from
    /// account + trigger kind + trigger window start + channels (seed 4.5).
    pub fn idempotency_key(cmd: &GenerateCommand, channels: &[Channel]) -> String {
        match &cmd.idempotency_key {
            Some(k) if !k.is_empty() => format!("k:{k}"),
            _ => format!(
                "d:{}|{}|{}|{}",
                cmd.brief.account_key(),
                cmd.brief.trigger.kind,
                cmd.brief.trigger.occurred_on,
                channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    pub async fn generate(&self, cmd: GenerateCommand) -> Result<GenerateOutcome, EngineError> {
        let started = std::time::Instant::now();
        let result = self.generate_inner(cmd).await;
        self.metrics.observe_generate(&result, started.elapsed());
        result
    }

    async fn generate_inner(&self, cmd: GenerateCommand) -> Result<GenerateOutcome, EngineError> {
        let today = Utc::now().date_naive();
        let snap = self.snapshot();
        let mut violations = brief::validate(&cmd.brief, Screening::Full, Some(today))
            .err()
            .unwrap_or_default();
        violations.extend(snap.validate_proofs(&cmd.brief, today));
        if !violations.is_empty() {
            return Err(EngineError::InvalidInput { violations });
        }
        let mut channels = if cmd.channels.is_empty() {
            Channel::ALL.to_vec()
        } else {
            cmd.channels.clone()
        };
        channels.sort();
        channels.dedup();
        let key = Self::idempotency_key(&cmd, &channels);
        let hash = brief_hash(&cmd.brief);

        let lock = self.locks.get(&key);
        let _guard = lock.lock().await;
        if let Some(prior) = self.store.get_request(&cmd.tenant, &key)? {
            if key.starts_with("k:") && prior.brief_hash != hash {
                return Err(EngineError::Conflict {
                    message: format!(
                        "idempotency key '{}' was used earlier (request {}) with a different brief",
                        cmd.idempotency_key.as_deref().unwrap_or_default(),
                        prior.request_id
                    ),
                });
            }
            let mut drafts = Vec::with_capacity(prior.draft_ids.len());
            for id in &prior.draft_ids {
                let d = self.store.get_draft(&cmd.tenant, id)?.ok_or_else(|| {
                    EngineError::Internal {
                        message: format!("draft {id} of request {} is missing", prior.request_id),
                    }
                })?;
                drafts.push(d);
            }
            return Ok(GenerateOutcome {
                request_id: prior.request_id,
                drafts,
                replayed: true,
                suppressed: None,
            });
        }
        if let Some(policy) = &snap.cooldowns {
            let earlier = self.store.play_drafts(
                &cmd.tenant,
                cmd.brief.account_key(),
                &cmd.brief.trigger.kind,
            )?;
            if let Some(s) = crate::cooldown::check(
                policy,
                &cmd.brief.trigger.kind,
                &channels,
                &earlier,
                Utc::now(),
            ) {
                return Ok(GenerateOutcome {
                    request_id: cmd.request_id,
                    drafts: Vec::new(),
                    replayed: false,
                    suppressed: Some(s),
                });
            }
        }

        let futures = channels
            .iter()
            .map(|&channel| self.produce(&snap, &cmd, channel, &hash));
        let drafts = futures::future::try_join_all(futures).await?;
        let stored = StoredRequest {
            request_id: cmd.request_id.clone(),
            idempotency_key: key,
            brief_hash: hash,
            draft_ids: drafts.iter().map(|d| d.draft_id.clone()).collect(),
            created_at: now_rfc3339(),
        };
        if cmd.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(EngineError::DeadlineExceeded {
                stage: "before storing drafts".into(),
            });
        }
        self.store
            .put_generation(&cmd.tenant, &cmd.actor, &stored, &cmd.brief, &drafts)
            .await?;
        for d in &drafts {
            self.metrics.observe_draft(d);
        }
        Ok(GenerateOutcome {
            request_id: cmd.request_id,
            drafts,
            replayed: false,
            suppressed: None,
        })
    }

    async fn produce(
        &self,
        snap: &Snapshot,
        cmd: &GenerateCommand,
        channel: Channel,
        hash: &str,
    ) -> Result<Draft, EngineError> {
        self.produce_with(snap, cmd, channel, hash, None).await
    }

    async fn produce_with(
        &self,
        snap: &Snapshot,
        cmd: &GenerateCommand,
        channel: Channel,
        hash: &str,
        instruction: Option<&str>,
    ) -> Result<Draft, EngineError> {
        // Experiments (issue 7): the arm is a pure function of (experiment,
        // account), so every draft of an account, regenerations included, is
        // in the same arm. A request that pins a prompt version or label has
        // chosen its variant and is not enrolled.
        let pinned = cmd.selector.version.is_some() || cmd.selector.label.is_some();
        let assignment: Option<Assignment> = if pinned {
            None
        } else {
            self.experiments.assign(&cmd.brief)
        };
        let selector = match &assignment {
            Some(a) => a.variant.selector(),
            None => cmd.selector.clone(),
        };
        // The generator selection point. `baseline` arms must get the offline
        // composer's baseline template; with only the offline generator
        // present they get `Generator::Offline`. HOOK: when the LLM generator
        // and a baseline-template mode of the composer land, map
        // `Variant::Baseline` to the baseline template here and every other
        // variant to `self.generator`.
        let baseline = Generator::Offline;
        let generator = match assignment.as_ref().map(|a| &a.variant) {
            Some(Variant::Baseline) => &baseline,
            _ => &self.generator,
        };
        let generated = generator
            .generate(
                snap,
                &cmd.brief,
                channel,
                &selector,
                instruction,
                cmd.deadline,
            )
            .await?;
        let proofs = snap.proof_facts(&cmd.brief);
        let mut findings = generated.findings.clone();
        findings.extend(snap.check(&cmd.brief, channel, &proofs, &[], &generated.text));
        // Routing weighs the content that went into the draft; the policies
        // that checked it are guardrails, recorded in the lineage only.
        let used = snap.used_items(&generated.items);
        let mut items = generated.items.clone();
        items.extend(snap.policy_items.iter().cloned());
        items.sort();
        items.dedup();
        let (route, reasons) = route::decide(
            snap.library.routing(),
            &RouteInput {
                brief: &cmd.brief,
                channel,
                findings: &findings,
                items: &used,
                checked: true,
                generation_issues: &generated.issues,
            },
        );
        Ok(Draft {
            draft_id: ulid::Ulid::new().to_string(),
            request_id: cmd.request_id.clone(),
            tenant: cmd.tenant.clone(),
            account_id: cmd.brief.account_key().to_string(),
            channel,
            text: generated.text,
            findings,
            status: match route {
                Route::AutoSend => DraftStatus::AutoApproved,
                Route::HumanReview => DraftStatus::PendingReview,
            },
            route,
            reasons,
            lineage: Lineage {
                brief_hash: hash.to_string(),
                library_commit: snap.library.commit().to_string(),
                items,
                generator: generated.info,
                usage: generated.usage,
                experiment: assignment
                    .as_ref()
                    .map(|a| a.experiment.clone())
                    .unwrap_or_default(),
                arm: assignment.map(|a| a.arm).unwrap_or_default(),
            },
            created_at: now_rfc3339(),
            version: 1,
            parent_draft_id: String::new(),
            claims: generated.claims,
        })
    }

    /// Regenerate a draft with one extra instruction (review-driven, seed
    /// 5.5). The new version goes through every check and routing again; the
    /// parent is marked superseded. Approved or rejected drafts are final.
    pub async fn regenerate(
        &self,
        tenant: &str,
        actor: &str,
        draft_id: &str,
        instruction: &str,
    ) -> Result<Draft, EngineError> {
        let instruction = instruction.trim();
        if instruction.is_empty() {
            return Err(EngineError::invalid(
                "instruction",
                "required",
                "is required",
            ));
        }
        if instruction.chars().count() > 500 {
            return Err(EngineError::invalid(
                "instruction",
                "max_length",
                "is longer than 500 characters",
            ));
        }
        let lock = self.locks.get(&format!("draft:{draft_id}"));
        let _guard = lock.lock().await;
        let mut parent = self.get_draft(tenant, draft_id)?;
        if matches!(
            parent.status,
            DraftStatus::Approved | DraftStatus::Rejected | DraftStatus::Superseded
        ) {
            return Err(EngineError::Conflict {
                message: format!(
                    "draft {draft_id} is {:?} and cannot be regenerated",
                    parent.status
                ),
            });
        }
        let brief = self
            .store
            .get_brief(tenant, &parent.request_id)?
            .ok_or_else(|| EngineError::Internal {
                message: format!("brief of request {} is missing", parent.request_id),
            })?;
        let snap = self.snapshot();
        let cmd = GenerateCommand {
            tenant: tenant.to_string(),
            actor: actor.to_string(),
            request_id: parent.request_id.clone(),
            brief,
            channels: vec![parent.channel],
            idempotency_key: None,
            selector: Selector::default(),
            deadline: None,
        };
        let mut child = self
            .produce_with(
                &snap,
                &cmd,
                parent.channel,
                &parent.lineage.brief_hash,
                Some(instruction),
            )
            .await?;
        child.version = parent.version + 1;
        child.parent_draft_id = parent.draft_id.clone();
        child.lineage.experiment = parent.lineage.experiment.clone();
        child.lineage.arm = parent.lineage.arm.clone();
        parent.status = DraftStatus::Superseded;
        self.store
            .put_version(tenant, actor, &parent, &child)
            .await?;
        self.metrics.observe_draft(&child);
        Ok(child)
    }

    pub fn get_draft(&self, tenant: &str, draft_id: &str) -> Result<Draft, EngineError> {
        self.store
            .get_draft(tenant, draft_id)?
            .ok_or_else(|| EngineError::NotFound {
                what: format!("draft {draft_id}"),
            })
    }

    /// Check a draft someone else wrote. `proofs` inline take precedence;
    /// otherwise the brief's proof ids are looked up in the library.
    pub fn check_draft(
        &self,
        brief: &AccountBrief,
        channel: Channel,
        text: &DraftText,
        inline_proofs: Vec<ProofFact>,
        competitors: &[String],
    ) -> Result<CheckResult, EngineError> {
        let mut violations = brief::validate(brief, Screening::Structure, None)
            .err()
            .unwrap_or_default();
        if channel.has_subject() != text.subject.is_some()
            && text.subject.as_deref().is_some_and(|s| !s.is_empty())
        {
            violations.push(Violation {
                field: "draft.subject".into(),
                rule: "subject_channel",
                message: format!("{channel} drafts have no subject"),
            });
        }
        if text.body.trim().is_empty() {
            violations.push(Violation {
                field: "draft.body".into(),
                rule: "required",
                message: "is required".into(),
            });
        }
        let snap = self.snapshot();
        let proofs = if inline_proofs.is_empty() {
            for (i, id) in brief.proof_point_ids.iter().enumerate() {
                if snap.library.proof(id).is_none() {
                    violations.push(Violation {
                        field: format!("brief.proof_point_ids[{i}]"),
                        rule: "unknown_proof",
                        message: format!(
                            "'{id}' is not in the proof library; pass the proof inline"
                        ),
                    });
                }
            }
            snap.proof_facts(brief)
        } else {
            inline_proofs
        };
        if !violations.is_empty() {
            return Err(EngineError::InvalidInput { violations });
        }
        let findings = snap.check(brief, channel, &proofs, competitors, text);
        let (route, reasons) = route::decide(
            snap.library.routing(),
            &RouteInput {
                brief,
                channel,
                findings: &findings,
                items: &[],
                checked: true,
                generation_issues: &[],
            },
        );
        Ok(CheckResult {
            findings,
            route,
            reasons,
        })
    }
}

pub struct CheckResult {
    pub findings: Vec<Finding>,
    pub route: Route,
    pub reasons: Vec<RouteReason>,
}

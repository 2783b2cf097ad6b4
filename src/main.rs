//! The `proofline` command line: serve, generate, report.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use proofline::app::{self, Listeners};
use proofline::config::Config;
use proofline::engine::{EngineError, GenerateCommand, Selector};
use proofline::model::{AccountBrief, Channel, Draft};
use proofline::store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "proofline",
    version,
    about = "Grounded, policy-checked 1:1 B2B outreach"
)]
struct Cli {
    /// Config file (TOML). Default: ./proofline.toml when present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Exit 1 naming the first entry that was edited, removed or reordered.
    Verify {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Verify an exported file (`audit export` of every tenant, one JSON
        /// entry a line) instead of the store.
        #[arg(long, conflicts_with = "data_dir")]
        file: Option<PathBuf>,
    },
    /// Every entry as one JSON object a line (optionally one tenant's).
    Export {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Run the gRPC and HTTP servers.
    Serve {
        #[arg(long)]
        grpc_addr: Option<String>,
        #[arg(long)]
        http_addr: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Library directory, or "bundled" for the embedded library.
        #[arg(long)]
        library: Option<String>,
    },
    /// Generate drafts for one brief, without a server, and print them.
    Generate {
        /// A brief in the shared/eval brief JSON format.
        brief: PathBuf,
        /// Channels (comma-separated): email, linkedin_connection,
        /// linkedin_message, landing_page, call_script. Default: all.
        #[arg(long, value_delimiter = ',')]
        channels: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[arg(long)]
        library: Option<String>,
    },
    /// Check one case in the shared/eval format (brief, proofs, competitors,
    /// channel, draft) and print the findings as JSON.
    Check {
        case: PathBuf,
        #[arg(long)]
        library: Option<String>,
    },
    /// Run the checks over a JSON-lines file of labelled cases: precision and
    /// recall per check and for "any flag", with misses and false alarms.
    Eval {
        file: PathBuf,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
        #[arg(long)]
        library: Option<String>,
    },
    /// Generate drafts for a JSON-lines file of briefs (or requests with
    /// request_id, idempotency_key, channels and brief), against a running
    /// server or locally on a data folder. JSON lines out; progress and a
    /// summary on stderr.
    GenerateBatch {
        file: PathBuf,
        /// A running server, e.g. http://127.0.0.1:50051. Without it, runs
        /// locally on --data-dir.
        #[arg(long)]
        server: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        library: Option<String>,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Lint a library directory for its CI: every problem as
    /// `path:line:col: rule-id: message`; exit 1 on errors.
    Lint {
        /// The library root (holding prompts/, proof-library/, policies/).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// A git revision to compare against: changed items must bump their
        /// version.
        #[arg(long)]
        base: Option<String>,
        /// One JSON object {errors: [...], warnings: [...]} on stdout.
        #[arg(long)]
        json: bool,
        /// Warnings fail the run too.
        #[arg(long)]
        strict: bool,
        /// Judge expiry and review dates as of this day (YYYY-MM-DD).
        #[arg(long, hide = true)]
        today: Option<chrono::NaiveDate>,
    },
    /// The audit log in --data-dir (stop the server first: sled locks the
    /// store): `verify` recomputes the hash chain, `export` prints JSON lines.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Check precision and recall per rule, with reviewer decisions as
    /// labels, from the store in --data-dir (stop the server first, or ask a
    /// running one with the Review.GetReviewStats RPC).
    ReviewStats {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Print outcome rates per group (and an experiment's lift) as tables,
    /// read from a running server over gRPC (the store is locked while it
    /// serves, so the report asks the server rather than the data dir).
    Report {
        /// gRPC address. Default: http://<server.grpc_addr> from the config.
        #[arg(long)]
        server: Option<String>,
        /// prompt_version, channel, persona, stage, trigger_kind, cta, opener,
        /// proof or experiment_arm.
        #[arg(long, default_value = "prompt_version")]
        by: String,
        /// Only drafts of this experiment; with --lift, the experiment to
        /// compare (default: the enabled one in the config).
        #[arg(long)]
        experiment: Option<String>,
        #[arg(long)]
        channel: Option<String>,
        /// Also print the experiment's lift, treatment over control.
        #[arg(long)]
        lift: bool,
    },
}

/// `proofline report` (issue 7).
async fn report(
    cfg: &Config,
    server: Option<String>,
    by: &str,
    experiment: Option<String>,
    channel: Option<String>,
    lift: bool,
) -> anyhow::Result<ExitCode> {
    use proofline::grpc::outcomes::{group_by_to_pb, lift_from_pb, performance_from_pb};
    use proofline::grpc::pb;
    use proofline::outcomes::{GroupBy, Metric, table};
    let group_by =
        GroupBy::parse(by).ok_or_else(|| anyhow::anyhow!("--by: unknown grouping '{by}'"))?;
    let channel = channel
        .map(|c| {
            Channel::parse(&c).ok_or_else(|| anyhow::anyhow!("--channel: unknown channel '{c}'"))
        })
        .transpose()?;
    let url = server.unwrap_or_else(|| format!("http://{}", cfg.server.grpc_addr));
    let conn = proofline::grpc::connect(&url).await?;
    let mut client = pb::outcomes_client::OutcomesClient::with_interceptor(
        conn,
        proofline::grpc::Bearer::from_env(),
    );
    let perf = client
        .get_performance(pb::GetPerformanceRequest {
            group_by: group_by_to_pb(group_by) as i32,
            experiment: experiment.clone().unwrap_or_default(),
            channel: channel
                .map(|c| proofline::grpc::convert::channel_to_pb(c) as i32)
                .unwrap_or(0),
            ..Default::default()
        })
        .await
        .map_err(|s| anyhow::anyhow!("GetPerformance: {}", s.message()))?
        .into_inner();
    print!(
        "{}",
        table::performance(&performance_from_pb(perf), &Metric::ALL)
    );
    if lift {
        let name = match experiment {
            Some(e) => e,
            None => config_experiments(cfg)?
                .active
                .map(|e| e.name)
                .ok_or_else(|| anyhow::anyhow!("--lift: name an --experiment (none is enabled)"))?,
        };
        let l = client
            .get_lift(pb::GetLiftRequest {
                experiment: name,
                ..Default::default()
            })
            .await
            .map_err(|s| anyhow::anyhow!("GetLift: {}", s.message()))?
            .into_inner();
        println!();
        print!("{}", table::lift(&lift_from_pb(l)));
    }
    Ok(ExitCode::SUCCESS)
}

fn config_experiments(cfg: &Config) -> anyhow::Result<proofline::outcomes::Experiments> {
    cfg.experiments()
        .map_err(|e| anyhow::anyhow!("invalid configuration:\n  {}", e.join("\n  ")))
}

/// The checks compiled from the configured library's policies.
fn pipeline_for(
    config: Option<&Path>,
    library: Option<String>,
) -> anyhow::Result<proofline::checks::Pipeline> {
    let mut cfg = config_with(config)?;
    if let Some(l) = library {
        cfg.server.library = l;
    }
    let lib = app::load_library(&cfg.server.library)
        .map_err(|e| anyhow::anyhow!("the library failed to load:\n  {}", e.join("\n  ")))?;
    let snap = proofline::engine::Snapshot::build(lib)
        .map_err(|e| anyhow::anyhow!("the policies failed to load:\n  {}", e.join("\n  ")))?;
    Ok(snap.pipeline)
}

fn config_with(cli_config: Option<&Path>) -> anyhow::Result<Config> {
    Config::load(cli_config)
        .map_err(|errs| anyhow::anyhow!("invalid configuration:\n  {}", errs.join("\n  ")))
}

/// Parse a brief file, naming the field path on errors.
fn read_brief(path: &Path) -> anyhow::Result<AccountBrief> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de)
        .map_err(|e| anyhow::anyhow!("{}: brief.{}: {}", path.display(), e.path(), e.inner()))
}

fn print_draft(d: &Draft) {
    println!(
        "== {} [{}] route={} ({})",
        d.channel,
        d.draft_id,
        d.route.as_str(),
        d.reasons
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(s) = &d.text.subject {
        println!("Subject: {s}");
    }
    println!("{}\n", d.text.body);
    if d.findings.is_empty() {
        println!("findings: none");
    }
    for f in &d.findings {
        println!(
            "finding: {} {}@{} {:?} {}[{}..{}] \"{}\": {}",
            f.check,
            f.rule_id,
            f.rule_version,
            f.severity,
            f.span.part.as_str(),
            f.span.start,
            f.span.end,
            f.excerpt,
            f.message
        );
    }
    println!(
        "lineage: brief {} library {} generator {} items {}\n",
        &d.lineage.brief_hash[..12],
        d.lineage.library_commit,
        d.lineage.generator.kind,
        d.lineage
            .items
            .iter()
            .map(|i| format!("{}@{}", i.id, i.version))
            .collect::<Vec<_>>()
            .join(" ")
    );
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            grpc_addr,
            http_addr,
            data_dir,
            library,
        } => {
            let mut cfg = config_with(cli.config.as_deref())?;
            if let Some(a) = grpc_addr {
                cfg.server.grpc_addr = a;
            }
            if let Some(a) = http_addr {
                cfg.server.http_addr = a;
            }
            if let Some(d) = data_dir {
                cfg.server.data_dir = d;
            }
            if let Some(l) = library {
                cfg.server.library = l;
            }
            cfg.validate()
                .map_err(|e| anyhow::anyhow!("invalid configuration:\n  {}", e.join("\n  ")))?;
            let tls = app::load_tls(&cfg)?;
            std::fs::create_dir_all(&cfg.server.data_dir)
                .with_context(|| format!("creating data dir {}", cfg.server.data_dir.display()))?;
            let store = Store::open(&cfg.server.data_dir).context("opening the store")?;
            let engine = app::build_engine(&cfg, store).map_err(|e| {
                anyhow::anyhow!("the library failed to load:\n  {}", e.join("\n  "))
            })?;
            let engine = Arc::new(engine);
            let reloader = Arc::new(app::Reloader::new(
                engine.clone(),
                cfg.server.library.clone(),
            ));
            #[cfg(unix)]
            {
                // SIGHUP: reload the library; a failing one is logged and
                // the running one kept.
                let reloader = reloader.clone();
                let mut hup =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                        .context("installing the SIGHUP handler")?;
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        tracing::info!("SIGHUP: reloading the library");
                        let _ = reloader.reload_as("sighup", "").await;
                    }
                });
            }
            let grpc = tokio::net::TcpListener::bind(&cfg.server.grpc_addr)
                .await
                .with_context(|| format!("binding gRPC on {}", cfg.server.grpc_addr))?;
            let http = tokio::net::TcpListener::bind(&cfg.server.http_addr)
                .await
                .with_context(|| format!("binding HTTP on {}", cfg.server.http_addr))?;
            // One parseable line for scripts and tests that bind port 0.
            println!(
                "proofline listening grpc={} http={} library={} data={}",
                grpc.local_addr()?,
                http.local_addr()?,
                engine.snapshot().library.commit(),
                cfg.server.data_dir.display()
            );
            app::run(
                engine,
                reloader,
                Listeners { grpc, http, tls },
                cfg.clone(),
                shutdown_signal(),
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            brief,
            channels,
            json,
            library,
        } => {
            let mut cfg = config_with(cli.config.as_deref())?;
            if let Some(l) = library {
                cfg.server.library = l;
            }
            let brief = read_brief(&brief)?;
            let channels = channels
                .iter()
                .map(|c| {
                    Channel::parse(c.trim())
                        .ok_or_else(|| anyhow::anyhow!("--channels: unknown channel '{c}'"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let engine = app::build_engine(&cfg, Store::temporary()?).map_err(|e| {
                anyhow::anyhow!("the library failed to load:\n  {}", e.join("\n  "))
            })?;
            let outcome = engine
                .generate(GenerateCommand {
                    tenant: "default".into(),
                    actor: "local".into(),
                    request_id: ulid::Ulid::new().to_string(),
                    brief,
                    channels,
                    idempotency_key: None,
                    selector: Selector::default(),
                    deadline: None,
                })
                .await;
            match outcome {
                Ok(o) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&o.drafts)?);
                    } else {
                        o.drafts.iter().for_each(print_draft);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(EngineError::InvalidInput { violations }) => {
                    for v in violations {
                        eprintln!("invalid: {v}");
                    }
                    Ok(ExitCode::from(2))
                }
                Err(e) => bail!(e),
            }
        }
        Command::GenerateBatch {
            file,
            server,
            data_dir,
            library,
            concurrency,
        } => {
            let mut cfg = config_with(cli.config.as_deref())?;
            if let Some(d) = data_dir {
                cfg.server.data_dir = d;
            }
            if let Some(l) = library {
                cfg.server.library = l;
            }
            generate_batch(cfg, &file, server, concurrency).await
        }
        Command::Check { case, library } => {
            let pipeline = pipeline_for(cli.config.as_deref(), library)?;
            let text = std::fs::read_to_string(&case)
                .with_context(|| format!("reading {}", case.display()))?;
            let de = &mut serde_json::Deserializer::from_str(&text);
            let case: proofline::eval::EvalCase = serde_path_to_error::deserialize(de)
                .map_err(|e| anyhow::anyhow!("{}: {}: {}", case.display(), e.path(), e.inner()))?;
            let findings = proofline::eval::check_case(&pipeline, &case);
            let mut flagged: Vec<&str> = findings
                .iter()
                .filter(|f| f.is_blocking())
                .map(|f| f.check.as_str())
                .collect();
            flagged.sort();
            flagged.dedup();
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"id": case.id, "flags": flagged, "findings": findings})
                )?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            file,
            json,
            library,
        } => {
            let pipeline = pipeline_for(cli.config.as_deref(), library)?;
            let cases = proofline::eval::load_cases(&file).map_err(|e| anyhow::anyhow!(e))?;
            let report = proofline::eval::run_eval(&pipeline, &cases);
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", proofline::eval::render_plain(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            server,
            by,
            experiment,
            channel,
            lift,
        } => {
            let cfg = config_with(cli.config.as_deref())?;
            report(&cfg, server, &by, experiment, channel, lift).await
        }
        Command::Audit {
            action: AuditAction::Verify {
                file: Some(file), ..
            },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut v = proofline::store::Verifier::default();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                if let Err(broken) = v.next(None, line.as_bytes()) {
                    eprintln!("{}: {broken}", file.display());
                    return Ok(ExitCode::FAILURE);
                }
            }
            let head = v.head();
            println!(
                "audit log ok: {} entries, head hash {}",
                head.entries, head.head_hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { action } => {
            let mut cfg = config_with(cli.config.as_deref())?;
            let (AuditAction::Verify { data_dir, .. } | AuditAction::Export { data_dir, .. }) =
                &action;
            if let Some(d) = data_dir {
                cfg.server.data_dir = d.clone();
            }
            let dir = &cfg.server.data_dir;
            if !dir.exists() {
                bail!("no store at {}", dir.display());
            }
            let store = proofline::store::Store::open(dir)
                .with_context(|| format!("opening {} (is the server running?)", dir.display()))?;
            match action {
                AuditAction::Verify { .. } => match store.audit_verify()? {
                    Ok(head) => {
                        println!(
                            "audit log ok: {} entries, head hash {}",
                            head.entries, head.head_hash
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(broken) => {
                        eprintln!("{broken}");
                        Ok(ExitCode::FAILURE)
                    }
                },
                AuditAction::Export { tenant, .. } => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    for e in store.audit_entries(tenant.as_deref())? {
                        writeln!(out, "{}", serde_json::to_string(&e)?)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::ReviewStats {
            data_dir,
            tenant,
            json,
        } => {
            let mut cfg = config_with(cli.config.as_deref())?;
            if let Some(d) = data_dir {
                cfg.server.data_dir = d;
            }
            let dir = &cfg.server.data_dir;
            if !dir.exists() {
                bail!("no store at {}", dir.display());
            }
            let store = Store::open(dir).with_context(|| {
                format!(
                    "opening the store at {} (a running server holds it: use Review.GetReviewStats)",
                    dir.display()
                )
            })?;
            let stats = proofline::review::desk::review_stats(&store, &tenant)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                print!("{}", proofline::review::stats::render(&stats));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Lint {
            dir,
            base,
            json,
            strict,
            today,
        } => {
            let report = proofline::lint::lint(&proofline::lint::Options {
                dir,
                base,
                today: today.unwrap_or_else(|| chrono::Utc::now().date_naive()),
            });
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                for p in &report.errors {
                    println!("{p}");
                }
                for p in &report.warnings {
                    println!("{p}");
                }
                eprintln!(
                    "{} error(s), {} warning(s)",
                    report.errors.len(),
                    report.warnings.len()
                );
            }
            Ok(if report.fails(strict) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

async fn generate_batch(
    cfg: Config,
    file: &Path,
    server: Option<String>,
    concurrency: usize,
) -> anyhow::Result<ExitCode> {
    use futures::StreamExt;
    use proofline::batch::{BatchResult, DraftSummary, Summary, parse_line};
    use std::io::Write;

    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut lines = Vec::new();
    let mut results: Vec<BatchResult> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        match parse_line(i + 1, l) {
            Ok(line) => lines.push(line),
            Err(e) => results.push(BatchResult {
                request_id: format!("line-{}", i + 1),
                status: "refused".into(),
                drafts: vec![],
                error: e,
                field: String::new(),
            }),
        }
    }
    let bar = indicatif::ProgressBar::new((lines.len() + results.len()) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta} {msg}")
            .expect("static template"),
    );
    bar.inc(results.len() as u64);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut summary = Summary::default();
    for r in &results {
        writeln!(out, "{}", serde_json::to_string(r)?)?;
        summary.add(r);
    }
    let mut emit = |r: BatchResult, summary: &mut Summary| -> anyhow::Result<()> {
        writeln!(out, "{}", serde_json::to_string(&r)?)?;
        summary.add(&r);
        bar.inc(1);
        Ok(())
    };
    match server {
        Some(url) => {
            use proofline::grpc::convert::{brief_to_pb, channel_to_pb};
            use proofline::grpc::pb;
            let channel = proofline::grpc::connect(&url).await?;
            // $PROOFLINE_TOKEN, or the dev token for a server in dev mode.
            let mut client = pb::personalization_client::PersonalizationClient::with_interceptor(
                channel,
                proofline::grpc::Bearer::from_env(),
            );
            let reqs: Vec<pb::GenerateRequest> = lines
                .iter()
                .map(|l| pb::GenerateRequest {
                    request_id: l.request_id.clone(),
                    brief: Some(brief_to_pb(&l.brief)),
                    channels: l
                        .channels
                        .iter()
                        .map(|c| channel_to_pb(*c) as i32)
                        .collect(),
                    idempotency_key: l.idempotency_key.clone().unwrap_or_default(),
                    ..Default::default()
                })
                .collect();
            let mut stream = client
                .generate_batch(tokio_stream::iter(reqs))
                .await?
                .into_inner();
            while let Some(item) = stream.next().await {
                let item = item?;
                let r = match item.result {
                    Some(pb::generate_batch_response::Result::Response(resp)) => BatchResult {
                        request_id: item.request_id,
                        status: if resp.suppressed.is_some() {
                            "suppressed"
                        } else if resp.replayed {
                            "replayed"
                        } else {
                            "ok"
                        }
                        .into(),
                        error: resp
                            .suppressed
                            .as_ref()
                            .map(|s| s.reason.clone())
                            .unwrap_or_default(),
                        drafts: resp
                            .drafts
                            .iter()
                            .map(|d| DraftSummary {
                                draft_id: d.draft_id.clone(),
                                channel: Channel::ALL
                                    .into_iter()
                                    .find(|c| channel_to_pb(*c) as i32 == d.channel)
                                    .map(|c| c.as_str().to_string())
                                    .unwrap_or_default(),
                                route: if d.route == pb::Route::AutoSend as i32 {
                                    "auto_send"
                                } else {
                                    "human_review"
                                }
                                .into(),
                                blocking_findings: d
                                    .findings
                                    .iter()
                                    .filter(|f| f.severity == pb::Severity::Blocking as i32)
                                    .count(),
                            })
                            .collect(),
                        field: String::new(),
                    },
                    Some(pb::generate_batch_response::Result::Error(e)) => BatchResult {
                        request_id: item.request_id,
                        status: if e.code == "InvalidArgument" {
                            "refused"
                        } else {
                            "error"
                        }
                        .into(),
                        drafts: vec![],
                        error: e.message,
                        field: e.field,
                    },
                    None => continue,
                };
                emit(r, &mut summary)?;
            }
        }
        None => {
            std::fs::create_dir_all(&cfg.server.data_dir)?;
            let store = Store::open(&cfg.server.data_dir).context("opening the store")?;
            let engine = app::build_engine(&cfg, store).map_err(|e| {
                anyhow::anyhow!("the library failed to load:\n  {}", e.join("\n  "))
            })?;
            let engine = &engine;
            let mut results = futures::stream::iter(lines)
                .map(|l| async move {
                    let request_id = l.request_id.clone();
                    let outcome = engine
                        .generate(GenerateCommand {
                            tenant: "default".into(),
                            actor: "local".into(),
                            request_id: l.request_id,
                            brief: l.brief,
                            channels: l.channels,
                            idempotency_key: l.idempotency_key,
                            selector: Selector::default(),
                            deadline: None,
                        })
                        .await;
                    match outcome {
                        Ok(o) => BatchResult {
                            request_id,
                            status: if o.suppressed.is_some() {
                                "suppressed"
                            } else if o.replayed {
                                "replayed"
                            } else {
                                "ok"
                            }
                            .into(),
                            drafts: o.drafts.iter().map(DraftSummary::of).collect(),
                            error: o
                                .suppressed
                                .as_ref()
                                .map(|s| s.reason.clone())
                                .unwrap_or_default(),
                            field: String::new(),
                        },
                        Err(EngineError::InvalidInput { violations }) => BatchResult {
                            request_id,
                            status: "refused".into(),
                            drafts: vec![],
                            error: violations
                                .iter()
                                .map(|v| v.to_string())
                                .collect::<Vec<_>>()
                                .join("; "),
                            field: violations
                                .first()
                                .map(|v| v.field.clone())
                                .unwrap_or_default(),
                        },
                        Err(e) => BatchResult {
                            request_id,
                            status: "error".into(),
                            drafts: vec![],
                            error: e.to_string(),
                            field: String::new(),
                        },
                    }
                })
                .buffered(concurrency.max(1));
            while let Some(r) = results.next().await {
                emit(r, &mut summary)?;
            }
        }
    }
    bar.finish_and_clear();
    eprintln!("{summary}");
    Ok(if summary.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! Configuration: embedded defaults, then a TOML file, then
//! `PROOFLINE__SECTION__KEY` environment variables, then command-line flags.
//! Validated after loading, with every problem reported at once.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    /// The LLM generator. Unconfigured (no model): the offline composer.
    #[serde(default)]
    pub llm: crate::llm::LlmConfig,
    /// Experiments by name (issue 7), e.g.
    /// `[experiments.genai-vs-baseline]` with `holdout_share = 0.2`,
    /// `control = "baseline"`, `treatment = "genai"`.
    #[serde(default)]
    pub experiments: BTreeMap<String, ExperimentConfig>,
    #[serde(default)]
    pub review: ReviewConfig,
    /// Clients, their tenants and scopes (issue 9).
    #[serde(default)]
    pub auth: AuthConfig,
    /// Retention of drafts and briefs (issue 9).
    #[serde(default)]
    pub retention: RetentionConfig,
}

/// `[auth]`: bearer-token clients. None configured (and no `[review.tokens]`):
/// dev mode, see `auth::DEV_TOKEN`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Client name → its token digest, tenant and scopes, e.g.
    /// `[auth.clients.crm] token_sha256 = "…", tenant = "acme", scopes = ["generate"]`.
    /// A client with the `review` scope is a reviewer under its name.
    #[serde(default)]
    pub clients: BTreeMap<String, ClientConfig>,
    /// Dev mode on a non-loopback address is refused unless this is set.
    #[serde(default)]
    pub allow_dev_mode_on_public_address: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// sha256 of the token, hex (`printf %s "$TOKEN" | sha256sum`).
    pub token_sha256: String,
    pub tenant: String,
    /// Any of `generate`, `review`, `admin`.
    pub scopes: Vec<String>,
}

/// `[retention]`: drafts and briefs older than `max_age_days` are purged
/// (0 = kept forever), checked every `sweep_interval_secs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    pub max_age_days: u32,
    pub sweep_interval_secs: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            max_age_days: 0,
            sweep_interval_secs: 3600,
        }
    }
}

/// One experiment: accounts split deterministically between two arms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// At most one experiment may be enabled at a time.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// Share of accounts in the control arm (the holdout), in (0, 1).
    pub holdout_share: f64,
    /// genai, baseline, version:<semver> or label:<label>.
    pub control: String,
    pub treatment: String,
    /// Only these personas enter (empty: all).
    #[serde(default)]
    pub personas: Vec<String>,
    /// Only these trigger kinds enter (empty: all).
    #[serde(default)]
    pub trigger_kinds: Vec<String>,
}

fn enabled_default() -> bool {
    true
}

/// `[review]`: reviewer access until full authentication lands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewConfig {
    /// Reviewer name → token (`PROOFLINE__REVIEW__TOKENS__ALICE=<token>`).
    /// Decisions are recorded under the name bound to the token. Empty: the
    /// Review service and console refuse every call.
    #[serde(default)]
    pub tokens: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub grpc_addr: String,
    pub http_addr: String,
    pub data_dir: PathBuf,
    /// Library directory. "" = this directory when it holds a library, else
    /// the library embedded in the binary; "bundled" = always the embedded one.
    pub library: String,
    /// Batch items processed at once per GenerateBatch stream.
    pub batch_concurrency: usize,
    /// Reload the library when files under its prompts/, proof-library/ or
    /// policies/ change (a library directory only).
    #[serde(default)]
    pub watch_library: bool,
    /// `[server.tls]`: serve both ports over TLS. Unset: plaintext.
    #[serde(default)]
    pub tls: TlsConfig,
}

/// `[server.tls]`: a PEM certificate chain and its PEM private key; one
/// setting covers the gRPC and the HTTP port. Both empty (the default):
/// plaintext. The files are read and checked at startup (`tls::Tls::load`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// `PROOFLINE__SERVER__TLS__CERT_PATH`: the certificate chain, leaf first.
    #[serde(default)]
    pub cert_path: PathBuf,
    /// `PROOFLINE__SERVER__TLS__KEY_PATH`: the private key (PKCS#8, PKCS#1 or SEC1).
    #[serde(default)]
    pub key_path: PathBuf,
}

impl TlsConfig {
    /// Either path set: TLS is wanted (a half-configured pair is a
    /// validation error, never plaintext).
    pub fn is_enabled(&self) -> bool {
        !self.cert_path.as_os_str().is_empty() || !self.key_path.as_os_str().is_empty()
    }

    fn problems(&self) -> Vec<String> {
        let (cert, key) = (
            self.cert_path.as_os_str().is_empty(),
            self.key_path.as_os_str().is_empty(),
        );
        match (cert, key) {
            (false, true) => {
                vec!["server.tls.key_path: required when server.tls.cert_path is set".into()]
            }
            (true, false) => {
                vec!["server.tls.cert_path: required when server.tls.key_path is set".into()]
            }
            _ => Vec::new(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            grpc_addr: "127.0.0.1:50051".into(),
            http_addr: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            library: String::new(),
            batch_concurrency: 8,
            watch_library: false,
            tls: TlsConfig::default(),
        }
    }
}

impl Config {
    /// Load from defaults, an optional file, and the environment. A named file
    /// must exist; without one, `proofline.toml` is read when present.
    pub fn load(file: Option<&Path>) -> Result<Config, Vec<String>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(vec![format!(
                    "config file {} does not exist",
                    path.display()
                )]);
            }
            Some(path) => fig = fig.merge(Toml::file(path)),
            None => fig = fig.merge(Toml::file("proofline.toml")),
        }
        fig = fig.merge(Env::prefixed("PROOFLINE__").split("__").lowercase(true));
        let cfg: Config = fig
            .extract()
            .map_err(|e| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for (name, addr) in [
            ("server.grpc_addr", &self.server.grpc_addr),
            ("server.http_addr", &self.server.http_addr),
        ] {
            if addr.parse::<SocketAddr>().is_err() {
                problems.push(format!(
                    "{name}: '{addr}' is not a socket address like 127.0.0.1:50051"
                ));
            }
        }
        if self.server.batch_concurrency == 0 || self.server.batch_concurrency > 256 {
            problems.push("server.batch_concurrency: must be between 1 and 256".into());
        }
        problems.extend(self.server.tls.problems());
        if let Err(e) = self.experiments() {
            problems.extend(e);
        }
        if let Err(p) = self.llm.validate() {
            problems.extend(p);
        }
        if self.llm.reasks > 5 {
            problems.push(format!("llm.reasks: at most 5 (got {})", self.llm.reasks));
        }
        let mut seen = std::collections::HashSet::new();
        for (name, token) in &self.review.tokens {
            if token.trim().chars().count() < 12 {
                problems.push(format!(
                    "review.tokens.{name}: a reviewer token needs at least 12 characters"
                ));
            } else if !seen.insert(token.trim()) {
                problems.push(format!(
                    "review.tokens.{name}: the same token is bound to another reviewer"
                ));
            }
        }
        problems.extend(self.auth_problems(&seen));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn auth_problems(&self, review_tokens: &std::collections::HashSet<&str>) -> Vec<String> {
        let mut problems = Vec::new();
        let review_digests: std::collections::HashSet<String> = review_tokens
            .iter()
            .map(|t| crate::auth::sha256_hex(t))
            .collect();
        let mut digests = std::collections::HashSet::new();
        for (name, c) in &self.auth.clients {
            let d = c.token_sha256.trim().to_ascii_lowercase();
            if d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
                problems.push(format!(
                    "auth.clients.{name}.token_sha256: must be 64 hex digits (sha256 of the token)"
                ));
            } else if !digests.insert(d.clone()) || review_digests.contains(&d) {
                problems.push(format!(
                    "auth.clients.{name}.token_sha256: the same token is bound to another client"
                ));
            }
            if c.tenant.trim().is_empty()
                || c.tenant.len() > 64
                || !c
                    .tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            {
                problems.push(format!(
                    "auth.clients.{name}.tenant: 1-64 characters of letters, digits, '-', '_' or '.'"
                ));
            }
            if c.scopes.is_empty() {
                problems.push(format!("auth.clients.{name}.scopes: at least one scope"));
            }
            for s in &c.scopes {
                if crate::auth::Scope::parse(s).is_none() {
                    problems.push(format!(
                        "auth.clients.{name}.scopes: '{s}' is not a scope (generate, review, admin)"
                    ));
                }
            }
            if self.review.tokens.contains_key(name) {
                problems.push(format!(
                    "auth.clients.{name}: also configured in [review.tokens]; keep one"
                ));
            }
        }
        let dev = self.auth.clients.is_empty() && self.review.tokens.is_empty();
        if dev && !self.auth.allow_dev_mode_on_public_address {
            for (name, addr) in [
                ("server.grpc_addr", &self.server.grpc_addr),
                ("server.http_addr", &self.server.http_addr),
            ] {
                if let Ok(a) = addr.parse::<SocketAddr>()
                    && !a.ip().is_loopback()
                {
                    problems.push(format!(
                        "{name}: '{addr}' is not a loopback address and no [auth.clients] are configured \
                         (dev mode); configure clients or set auth.allow_dev_mode_on_public_address = true"
                    ));
                }
            }
        }
        problems
    }

    /// The configured experiments, validated; every problem is reported.
    pub fn experiments(&self) -> Result<crate::outcomes::Experiments, Vec<String>> {
        let mut problems = Vec::new();
        let mut out = crate::outcomes::Experiments::default();
        for (name, e) in &self.experiments {
            match crate::outcomes::Experiment::new(
                name,
                e.holdout_share,
                &e.control,
                &e.treatment,
                &e.personas,
                &e.trigger_kinds,
            ) {
                Ok(x) if e.enabled && out.active.is_some() => problems.push(format!(
                    "experiments.{}: only one experiment may be enabled at a time ({} is)",
                    x.name,
                    out.active
                        .as_ref()
                        .map(|a| a.name.as_str())
                        .unwrap_or_default()
                )),
                Ok(x) if e.enabled => out.active = Some(x),
                Ok(x) => out.inactive.push(x),
                Err(e) => problems.extend(e),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure signature
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn env_overrides_and_all_problems_reported() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PROOFLINE__SERVER__GRPC_ADDR", "127.0.0.1:6000");
            let cfg = Config::load(None).expect("loads");
            assert_eq!(cfg.server.grpc_addr, "127.0.0.1:6000");
            jail.create_file(
                "bad.toml",
                "[server]\nhttp_addr = \"nope\"\nbatch_concurrency = 0\n",
            )?;
            let errs = Config::load(Some(Path::new("bad.toml"))).unwrap_err();
            assert_eq!(errs.len(), 2, "{errs:?}");
            Ok(())
        });
    }

    #[test]
    fn experiments_load_from_file_and_env_and_are_validated() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "exp.toml",
                "[experiments.genai-vs-baseline]\nholdout_share = 0.2\ncontrol = \"baseline\"\ntreatment = \"genai\"\n\n[experiments.old]\nenabled = false\nholdout_share = 0.5\ncontrol = \"version:1.2.0\"\ntreatment = \"version:1.3.0\"\n",
            )?;
            jail.set_env(
                "PROOFLINE__EXPERIMENTS__GENAI-VS-BASELINE__HOLDOUT_SHARE",
                "0.3",
            );
            let cfg = Config::load(Some(Path::new("exp.toml"))).expect("loads");
            let ex = cfg.experiments().unwrap();
            let active = ex.active.as_ref().unwrap();
            assert_eq!(active.name, "genai-vs-baseline");
            assert_eq!(active.holdout_share, 0.3);
            assert_eq!(
                ex.get("old").unwrap().treatment.to_string(),
                "version:1.3.0"
            );
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "bad.toml",
                "[experiments.a]\nholdout_share = 0\ncontrol = \"baseline\"\ntreatment = \"gpt\"\n\n[experiments.b]\nholdout_share = 0.5\ncontrol = \"baseline\"\ntreatment = \"genai\"\n\n[experiments.c]\nholdout_share = 0.5\ncontrol = \"baseline\"\ntreatment = \"genai\"\n",
            )?;
            let errs = Config::load(Some(Path::new("bad.toml"))).unwrap_err();
            // a: share and treatment; c: a second enabled experiment.
            assert_eq!(errs.len(), 3, "{errs:?}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn llm_section_from_file_and_env() {
        figment::Jail::expect_with(|jail| {
            let cfg = Config::load(None).expect("loads");
            assert!(!cfg.llm.is_configured(), "no [llm]: offline");
            jail.create_file(
                "llm.toml",
                "[llm]\nmodel = \"gpt-4o-mini\"\nreasks = 1\ntemperature = 0.2\n",
            )?;
            jail.set_env("PROOFLINE__LLM__BASE_URL", "http://127.0.0.1:8000/v1");
            let cfg = Config::load(Some(Path::new("llm.toml"))).expect("loads");
            assert_eq!(cfg.llm.model, "gpt-4o-mini");
            assert_eq!(cfg.llm.reasks, 1);
            assert_eq!(cfg.llm.base_url, "http://127.0.0.1:8000/v1");
            assert!(cfg.llm.is_configured());
            jail.set_env("PROOFLINE__LLM__MODEL", "llama3");
            jail.set_env("PROOFLINE__LLM__TEMPERATURE", "9");
            let errs = Config::load(Some(Path::new("llm.toml"))).unwrap_err();
            assert!(
                errs.iter().any(|e| e.starts_with("llm.temperature")),
                "{errs:?}"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn tls_from_file_and_env_and_both_paths_required() {
        figment::Jail::expect_with(|jail| {
            let cfg = Config::load(None).expect("loads");
            assert!(!cfg.server.tls.is_enabled(), "default: plaintext");
            jail.create_file(
                "tls.toml",
                "[server.tls]\ncert_path = \"/etc/proofline/cert.pem\"\nkey_path = \"/etc/proofline/key.pem\"\n",
            )?;
            jail.set_env("PROOFLINE__SERVER__TLS__KEY_PATH", "/run/secrets/key.pem");
            let cfg = Config::load(Some(Path::new("tls.toml"))).expect("loads");
            assert!(cfg.server.tls.is_enabled());
            assert_eq!(
                cfg.server.tls.cert_path,
                PathBuf::from("/etc/proofline/cert.pem")
            );
            assert_eq!(
                cfg.server.tls.key_path,
                PathBuf::from("/run/secrets/key.pem")
            );
            jail.create_file("half.toml", "[server.tls]\ncert_path = \"cert.pem\"\n")?;
            jail.clear_env();
            let errs = Config::load(Some(Path::new("half.toml"))).unwrap_err();
            assert_eq!(
                errs,
                vec!["server.tls.key_path: required when server.tls.cert_path is set"]
            );
            jail.create_file("typo.toml", "[server.tls]\ncert = \"cert.pem\"\n")?;
            let errs = Config::load(Some(Path::new("typo.toml"))).unwrap_err();
            assert!(errs.iter().any(|e| e.contains("cert")), "{errs:?}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn reviewer_tokens_from_env_and_validated() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PROOFLINE__REVIEW__TOKENS__ALICE", "alice-token-123456");
            let cfg = Config::load(None).expect("loads");
            assert_eq!(cfg.review.tokens["alice"], "alice-token-123456");
            jail.set_env("PROOFLINE__REVIEW__TOKENS__BOB", "alice-token-123456");
            jail.set_env("PROOFLINE__REVIEW__TOKENS__CAROL", "short");
            let errs = Config::load(None).unwrap_err();
            assert_eq!(errs.len(), 2, "{errs:?}");
            Ok(())
        });
    }
}

//! Configuration: embedded defaults, then a TOML file, then
//! `PROOFLINE__SECTION__KEY` environment variables, then command-line flags.
//! Validated after loading, with every problem reported at once.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub review: ReviewConfig,
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            grpc_addr: "127.0.0.1:50051".into(),
            http_addr: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            library: String::new(),
            batch_concurrency: 8,
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
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
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

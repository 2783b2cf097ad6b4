//! Who may do what: bearer tokens configured per client (as sha256 digests),
//! each bound to one tenant and a set of scopes. Pure: no IO, no protobuf, no
//! HTTP. The gRPC edge (`grpc::authorize`) and the console both call
//! [`Authenticator::authorize`].
//!
//! Sources, in order: `[auth.clients.<name>]` (token_sha256, tenant, scopes);
//! the legacy `[review.tokens]` table (name = token: a client in tenant
//! "default" with the `review` scope); and, only when neither holds anything,
//! dev mode: the well-known [`DEV_TOKEN`] bound to tenant "default" with every
//! scope, logged loudly at startup.

use crate::config::{AuthConfig, ReviewConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The token dev mode accepts (no clients configured). Never configure it.
pub const DEV_TOKEN: &str = "proofline-dev-token";
/// The tenant legacy reviewer tokens and dev mode act for.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Generate, check and read drafts; record outcomes.
    Generate,
    /// Review drafts; read review stats and performance.
    Review,
    /// Reload the library, erase accounts, read the audit log.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Generate, Scope::Review, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Generate => "generate",
            Scope::Review => "review",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// An authenticated caller: the client name (a reviewer's name), its one
/// tenant and its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub client: String,
    pub tenant: String,
    pub scopes: Vec<Scope>,
}

impl Principal {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing authorization: send 'authorization: Bearer <token>'")]
    Missing,
    #[error("authorization must be 'Bearer <token>'")]
    Malformed,
    #[error("unknown token")]
    Unknown,
    #[error("client '{client}' lacks the '{needed}' scope")]
    Forbidden { client: String, needed: String },
}

impl AuthError {
    /// True for a permission problem (an authenticated caller), false for an
    /// authentication problem.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, AuthError::Forbidden { .. })
    }
}

#[derive(Debug, Clone)]
struct Client {
    principal: Principal,
    digest: [u8; 32],
}

/// The configured clients. Tokens are held only as sha256 digests; a lookup
/// compares the presented token's digest with every client's in constant
/// time and without stopping at a match.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    clients: Vec<Client>,
    dev: bool,
}

pub fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equal in time independent of where the first difference is.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl Authenticator {
    /// From `[auth.clients]` and the legacy `[review.tokens]`. The config is
    /// validated first (`Config::validate`); entries that still do not parse
    /// are skipped, never widened.
    pub fn from_config(auth: &AuthConfig, review: &ReviewConfig) -> Authenticator {
        let mut clients = Vec::new();
        for (name, c) in &auth.clients {
            let Ok(bytes) = hex::decode(c.token_sha256.trim()) else {
                continue;
            };
            let Ok(digest) = <[u8; 32]>::try_from(bytes.as_slice()) else {
                continue;
            };
            let mut scopes: Vec<Scope> = c.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
            scopes.sort();
            scopes.dedup();
            clients.push(Client {
                principal: Principal {
                    client: name.clone(),
                    tenant: c.tenant.clone(),
                    scopes,
                },
                digest,
            });
        }
        for (name, token) in &review.tokens {
            clients.push(Client {
                principal: Principal {
                    client: name.clone(),
                    tenant: DEFAULT_TENANT.to_string(),
                    scopes: vec![Scope::Review],
                },
                digest: digest(token.trim()),
            });
        }
        let dev = clients.is_empty();
        if dev {
            clients.push(Client {
                principal: Principal {
                    client: "dev".to_string(),
                    tenant: DEFAULT_TENANT.to_string(),
                    scopes: Scope::ALL.to_vec(),
                },
                digest: digest(DEV_TOKEN),
            });
        }
        Authenticator { clients, dev }
    }

    /// Dev mode: nothing configured, the well-known dev token has every scope.
    pub fn is_dev(&self) -> bool {
        self.dev
    }

    /// The principal for an `authorization` header value ("Bearer <token>").
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let value = authorization.ok_or(AuthError::Missing)?.trim();
        if value.is_empty() {
            return Err(AuthError::Missing);
        }
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::Malformed)?
            .trim();
        let presented = digest(token);
        let mut found = None;
        for c in &self.clients {
            if ct_eq(&c.digest, &presented) && found.is_none() {
                found = Some(&c.principal);
            }
        }
        found.cloned().ok_or(AuthError::Unknown)
    }

    /// Authenticate, then require `scope` (`None`: any authenticated caller).
    pub fn authorize(
        &self,
        authorization: Option<&str>,
        scope: Option<Scope>,
    ) -> Result<Principal, AuthError> {
        let p = self.authenticate(authorization)?;
        match scope {
            Some(s) if !p.has(s) => Err(AuthError::Forbidden {
                client: p.client,
                needed: s.as_str().to_string(),
            }),
            _ => Ok(p),
        }
    }

    /// Authenticate, then require one of `scopes`.
    pub fn authorize_any(
        &self,
        authorization: Option<&str>,
        scopes: &[Scope],
    ) -> Result<Principal, AuthError> {
        let p = self.authenticate(authorization)?;
        if scopes.iter().any(|s| p.has(*s)) {
            Ok(p)
        } else {
            Err(AuthError::Forbidden {
                client: p.client,
                needed: scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;
    use std::collections::BTreeMap;

    fn auth() -> Authenticator {
        let mut a = AuthConfig::default();
        a.clients.insert(
            "gen-acme".into(),
            ClientConfig {
                token_sha256: sha256_hex("acme-generate-token"),
                tenant: "acme".into(),
                scopes: vec!["generate".into()],
            },
        );
        a.clients.insert(
            "carol".into(),
            ClientConfig {
                token_sha256: sha256_hex("carol-review-token").to_uppercase(),
                tenant: "globex".into(),
                scopes: vec!["review".into(), "admin".into()],
            },
        );
        let r = ReviewConfig {
            tokens: BTreeMap::from([("alice".to_string(), "alice-legacy-token".to_string())]),
        };
        Authenticator::from_config(&a, &r)
    }

    #[test]
    fn tokens_bind_tenant_and_scopes() {
        let a = auth();
        assert!(!a.is_dev());
        let p = a.authenticate(Some("Bearer acme-generate-token")).unwrap();
        assert_eq!((p.client.as_str(), p.tenant.as_str()), ("gen-acme", "acme"));
        assert!(p.has(Scope::Generate) && !p.has(Scope::Review));
        let p = a
            .authorize(Some("bearer carol-review-token"), Some(Scope::Admin))
            .unwrap();
        assert_eq!(p.tenant, "globex");
        // Legacy reviewer tokens: tenant default, review only.
        let p = a
            .authorize(Some("Bearer alice-legacy-token"), Some(Scope::Review))
            .unwrap();
        assert_eq!((p.client.as_str(), p.tenant.as_str()), ("alice", "default"));
        assert!(
            a.authorize(Some("Bearer alice-legacy-token"), Some(Scope::Generate))
                .unwrap_err()
                .is_forbidden()
        );
        assert_eq!(a.authenticate(None), Err(AuthError::Missing));
        assert_eq!(
            a.authenticate(Some("acme-generate-token")),
            Err(AuthError::Malformed)
        );
        assert_eq!(a.authenticate(Some("Bearer nope")), Err(AuthError::Unknown));
        assert_eq!(
            a.authenticate(Some(&format!("Bearer {DEV_TOKEN}"))),
            Err(AuthError::Unknown),
            "the dev token is refused once clients are configured"
        );
        assert!(
            a.authorize_any(
                Some("Bearer acme-generate-token"),
                &[Scope::Review, Scope::Admin]
            )
            .unwrap_err()
            .is_forbidden()
        );
    }

    #[test]
    fn dev_mode_only_without_clients() {
        let a = Authenticator::from_config(&AuthConfig::default(), &ReviewConfig::default());
        assert!(a.is_dev());
        let p = a
            .authorize(Some(&format!("Bearer {DEV_TOKEN}")), Some(Scope::Admin))
            .unwrap();
        assert_eq!(p.tenant, "default");
        assert_eq!(p.scopes, Scope::ALL.to_vec());
        assert_eq!(a.authenticate(None), Err(AuthError::Missing));
        assert_eq!(a.authenticate(Some("Bearer x")), Err(AuthError::Unknown));
    }
}

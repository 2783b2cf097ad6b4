//! Reviewer identity until the security work adds real authentication: each
//! configured token is bound to one reviewer name. Callers send
//! `authorization: Bearer <token>`; the name recorded on a decision is the
//! one bound to the token, never one the caller claims.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub name: String,
}

/// Tokens are kept only as sha256 digests, so a lookup compares digests and
/// does not leak a token through timing.
#[derive(Debug, Clone, Default)]
pub struct Reviewers {
    by_digest: HashMap<[u8; 32], String>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Reviewers {
    /// From the `[review.tokens]` table: reviewer name → token.
    pub fn from_config(tokens: &BTreeMap<String, String>) -> Reviewers {
        Reviewers {
            by_digest: tokens
                .iter()
                .map(|(name, token)| (digest(token.trim()), name.clone()))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    /// The reviewer for an `authorization` header value ("Bearer <token>").
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Reviewer, AuthError> {
        if self.is_empty() {
            return Err(AuthError::NotConfigured);
        }
        let value = authorization.ok_or(AuthError::Missing)?.trim();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::Malformed)?
            .trim();
        self.by_digest
            .get(&digest(token))
            .map(|name| Reviewer { name: name.clone() })
            .ok_or(AuthError::Unknown)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no reviewer tokens are configured ([review.tokens]); review is closed")]
    NotConfigured,
    #[error("missing authorization: send 'authorization: Bearer <reviewer token>'")]
    Missing,
    #[error("authorization must be 'Bearer <reviewer token>'")]
    Malformed,
    #[error("unknown reviewer token")]
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_names() {
        let r = Reviewers::from_config(&BTreeMap::from([
            ("alice".to_string(), "tok-a".to_string()),
            ("bob".to_string(), "tok-b".to_string()),
        ]));
        assert_eq!(r.authenticate(Some("Bearer tok-b")).unwrap().name, "bob");
        assert_eq!(r.authenticate(None), Err(AuthError::Missing));
        assert_eq!(r.authenticate(Some("tok-a")), Err(AuthError::Malformed));
        assert_eq!(r.authenticate(Some("Bearer nope")), Err(AuthError::Unknown));
        assert_eq!(
            Reviewers::default().authenticate(Some("Bearer tok-a")),
            Err(AuthError::NotConfigured)
        );
    }
}

//! Reviewer identity: a reviewer is an authenticated client (`crate::auth`)
//! with the `review` scope, and the name recorded on a decision is the client
//! name bound to the token, never one the caller claims.

use crate::auth::Principal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub name: String,
}

impl From<&Principal> for Reviewer {
    fn from(p: &Principal) -> Reviewer {
        Reviewer {
            name: p.client.clone(),
        }
    }
}

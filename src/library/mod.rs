//! The versioned library. TEMPORARY STUB in main: replaced by the library branch.

pub mod item;

use crate::model::{ItemKind, ItemRef};
use crate::route::RoutingPolicy;
use item::ItemMeta;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Proof {
    pub meta: ItemMeta,
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct PolicySource {
    pub meta: ItemMeta,
    pub raw: String,
}

#[derive(Debug, Clone, Default)]
pub struct Library {}

#[derive(Debug, Clone)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Library {
    pub fn load(_dir: &Path) -> Result<Library, Vec<LoadError>> {
        Ok(Library {})
    }
    pub fn bundled() -> Library {
        Library {}
    }
    pub fn commit(&self) -> &str {
        "embedded"
    }
    pub fn proof(&self, _id: &str) -> Option<&Proof> {
        None
    }
    pub fn policy(&self, _stem: &str) -> Option<&PolicySource> {
        None
    }
    pub fn routing(&self) -> Option<&RoutingPolicy> {
        None
    }
    pub fn item_meta(&self, _r: &ItemRef) -> Option<&ItemMeta> {
        None
    }
    pub fn items(&self) -> impl Iterator<Item = (ItemKind, &ItemMeta)> {
        std::iter::empty()
    }
}

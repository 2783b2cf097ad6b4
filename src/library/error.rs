//! Load errors: one per problem, each pointing at a file position.

use std::fmt;

/// One problem found while loading a library. Displays as
/// `path:line:col: rule-id: message` (1-based line and column), the format
/// editors and CI annotate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path, self.line, self.col, self.rule, self.message
        )
    }
}

impl std::error::Error for LoadError {}

/// Rule ids, so tests and tooling match on names rather than messages.
pub mod rules {
    pub const IO: &str = "io.read";
    pub const MISSING_DIR: &str = "library.missing-dir";
    pub const TOML_SYNTAX: &str = "toml.syntax";
    pub const TOML_SCHEMA: &str = "toml.schema";
    pub const BAD_VERSION: &str = "meta.version";
    pub const VERSION_MISMATCH: &str = "meta.version-mismatch";
    pub const DUPLICATE: &str = "meta.duplicate";
    pub const UNKNOWN_FAMILY: &str = "component.unknown-family";
    pub const MISSING_FIELD: &str = "component.missing-field";
    pub const ALIAS_CLASH: &str = "component.alias-clash";
    pub const UNRESOLVED: &str = "ref.unresolved";
    pub const TEMPLATE: &str = "template.syntax";
    pub const PROOF_EXPIRY: &str = "proof.missing-expiry";
    pub const PROOF_TEXT: &str = "proof.empty-text";
    pub const PROOF_FACT: &str = "proof.fact-not-in-text";
    pub const UNKNOWN_CHANNEL: &str = "prompt.unknown-channel";
    pub const NO_SYSTEM: &str = "prompt.missing-system";
    pub const EXAMPLES: &str = "prompt.examples";
    pub const EXAMPLE_PROOF: &str = "prompt.example-proof";
}

/// Maps byte offsets of one file to 1-based line and column (in chars).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub(crate) fn pos(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_is_one_based() {
        let idx = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(idx.pos(0), (1, 1));
        assert_eq!(idx.pos(1), (1, 2));
        assert_eq!(idx.pos(3), (2, 1));
        assert_eq!(idx.pos(7), (4, 1));
        assert_eq!(idx.pos(99), (4, 3));
    }
}

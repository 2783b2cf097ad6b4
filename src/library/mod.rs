//! The versioned library.

pub mod item;

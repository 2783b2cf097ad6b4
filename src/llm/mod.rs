//! The OpenAI-compatible generator.

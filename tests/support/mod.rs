//! Shared test support. `fake_openai`: a real OpenAI-compatible HTTP server.
#![allow(dead_code)]

pub mod fake_openai;

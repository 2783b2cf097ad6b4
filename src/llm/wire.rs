//! The wire format, in async-openai's types: our `ChatRequest` to a
//! `CreateChatCompletionRequest`, and a response body to the parts we use.

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, CreateChatCompletionRequestArgs, CreateChatCompletionResponse,
    FinishReason, ResponseFormat, ResponseFormatJsonSchema,
};
use serde::Deserialize;

use super::retry::truncate;
use super::{ChatRequest, LlmConfig, LlmError, Role};
use crate::model::TokenUsage;

/// Builds the request body: messages in order, the model, temperature,
/// `max_completion_tokens` and a strict `json_schema` response format.
pub(crate) fn build_request(
    cfg: &LlmConfig,
    req: &ChatRequest,
) -> Result<CreateChatCompletionRequest, LlmError> {
    let bad = |message: String| LlmError::BadRequest { message };
    if req.messages.is_empty() {
        return Err(bad("a chat request needs at least one message".into()));
    }
    let name_ok = !req.schema_name.is_empty()
        && req.schema_name.len() <= 64
        && req
            .schema_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !name_ok {
        return Err(bad(format!(
            "schema_name {:?} must be 1-64 characters of a-z, A-Z, 0-9, _ or -",
            req.schema_name
        )));
    }
    if !req.json_schema.is_object() {
        return Err(bad("json_schema must be a JSON object".into()));
    }
    let messages: Vec<ChatCompletionRequestMessage> = req
        .messages
        .iter()
        .map(|m| match m.role {
            Role::System => ChatCompletionRequestSystemMessage::from(m.content.as_str()).into(),
            Role::User => ChatCompletionRequestUserMessage::from(m.content.as_str()).into(),
            Role::Assistant => {
                ChatCompletionRequestAssistantMessage::from(m.content.as_str()).into()
            }
        })
        .collect();
    CreateChatCompletionRequestArgs::default()
        .model(cfg.model.clone())
        .messages(messages)
        .temperature(cfg.temperature)
        .max_completion_tokens(cfg.max_tokens)
        .response_format(ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                description: None,
                name: req.schema_name.clone(),
                schema: req.json_schema.clone(),
                strict: Some(true),
            },
        })
        .build()
        .map_err(|e| bad(format!("cannot build the chat request: {e}")))
}

/// What we take from a successful response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Completion {
    pub content: String,
    pub usage: TokenUsage,
    pub model: String,
    pub finish_reason: String,
}

/// Parses a 2xx body. Strictly as async-openai's
/// `CreateChatCompletionResponse` first; if that fails, leniently (only
/// `choices[0].message.content` required), since some compatible servers
/// omit fields OpenAI always sends (`created`, `object`, `role`, …).
pub(crate) fn parse_response(body: &[u8]) -> Result<Completion, LlmError> {
    let malformed = |detail: String| LlmError::Malformed { detail };
    let strict_err = match serde_json::from_slice::<CreateChatCompletionResponse>(body) {
        Ok(resp) => return from_strict(resp),
        Err(e) => e,
    };
    match serde_json::from_slice::<LenientResponse>(body) {
        Ok(resp) => from_lenient(resp),
        Err(_) => {
            let snippet = truncate(String::from_utf8_lossy(body).trim(), 200);
            let detail = if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
                && let Some(err) = v.get("error")
            {
                format!(
                    "2xx response carrying an error: {}",
                    truncate(&err.to_string(), 200)
                )
            } else {
                format!("not a chat completion ({strict_err}): {snippet:?}")
            };
            Err(malformed(detail))
        }
    }
}

fn from_strict(resp: CreateChatCompletionResponse) -> Result<Completion, LlmError> {
    let choice = resp
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| LlmError::Malformed {
            detail: "the response has no choices".into(),
        })?;
    let finish_reason = choice
        .finish_reason
        .map(finish_reason_str)
        .unwrap_or_default()
        .to_string();
    let content = match (choice.message.content, choice.message.refusal) {
        (Some(c), _) => c,
        (None, Some(r)) => {
            return Err(LlmError::Malformed {
                detail: format!("the model refused: {}", truncate(&r, 200)),
            });
        }
        (None, None) => {
            return Err(LlmError::Malformed {
                detail: format!(
                    "the first choice has no content (finish_reason {finish_reason:?})"
                ),
            });
        }
    };
    let usage = resp
        .usage
        .map(|u| TokenUsage {
            prompt_tokens: u.prompt_tokens,
            cached_prompt_tokens: u
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            completion_tokens: u.completion_tokens,
        })
        .unwrap_or_default();
    Ok(Completion {
        content,
        usage,
        model: resp.model,
        finish_reason,
    })
}

fn finish_reason_str(r: FinishReason) -> &'static str {
    match r {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}

#[derive(Deserialize)]
struct LenientResponse {
    choices: Vec<LenientChoice>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<LenientUsage>,
}

#[derive(Deserialize)]
struct LenientChoice {
    message: LenientMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct LenientMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Deserialize, Default)]
struct LenientUsage {
    #[serde(default)]
    prompt_tokens: Option<u32>,
    #[serde(default)]
    completion_tokens: Option<u32>,
    #[serde(default)]
    prompt_tokens_details: Option<LenientDetails>,
}

#[derive(Deserialize, Default)]
struct LenientDetails {
    #[serde(default)]
    cached_tokens: Option<u32>,
}

fn from_lenient(resp: LenientResponse) -> Result<Completion, LlmError> {
    let choice = resp
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| LlmError::Malformed {
            detail: "the response has no choices".into(),
        })?;
    let finish_reason = choice.finish_reason.unwrap_or_default();
    let content = match (choice.message.content, choice.message.refusal) {
        (Some(c), _) => c,
        (None, Some(r)) => {
            return Err(LlmError::Malformed {
                detail: format!("the model refused: {}", truncate(&r, 200)),
            });
        }
        (None, None) => {
            return Err(LlmError::Malformed {
                detail: format!(
                    "the first choice has no content (finish_reason {finish_reason:?})"
                ),
            });
        }
    };
    let usage = resp.usage.unwrap_or_default();
    Ok(Completion {
        content,
        usage: TokenUsage {
            prompt_tokens: usage.prompt_tokens.unwrap_or(0),
            cached_prompt_tokens: usage
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            completion_tokens: usage.completion_tokens.unwrap_or(0),
        },
        model: resp.model.unwrap_or_default(),
        finish_reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ChatMessage;
    use serde_json::json;

    fn req() -> ChatRequest {
        ChatRequest {
            messages: vec![
                ChatMessage::system("sys"),
                ChatMessage::user("hi"),
                ChatMessage::assistant("prev"),
                ChatMessage::user("again"),
            ],
            schema_name: "draft_v1".into(),
            json_schema: json!({"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}),
            estimated_tokens: 100,
        }
    }

    #[test]
    fn request_wire_format() {
        let cfg = LlmConfig {
            model: "gpt-4o-mini".into(),
            temperature: 0.3,
            max_tokens: 256,
            ..Default::default()
        };
        let body = serde_json::to_value(build_request(&cfg, &req()).unwrap()).unwrap();
        assert_eq!(body["model"], "gpt-4o-mini");
        assert!((body["temperature"].as_f64().unwrap() - 0.3).abs() < 1e-6);
        assert_eq!(body["max_completion_tokens"], 256);
        assert_eq!(
            body["messages"],
            json!([
                {"role":"system","content":"sys"},
                {"role":"user","content":"hi"},
                {"role":"assistant","content":"prev"},
                {"role":"user","content":"again"},
            ])
        );
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["response_format"]["json_schema"]["name"], "draft_v1");
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        assert_eq!(
            body["response_format"]["json_schema"]["schema"],
            req().json_schema
        );
        assert!(body.get("stream").is_none());
    }

    #[test]
    fn request_is_checked_before_sending() {
        let cfg = LlmConfig::default();
        let mut r = req();
        r.schema_name = "has space".into();
        assert!(matches!(
            build_request(&cfg, &r),
            Err(LlmError::BadRequest { .. })
        ));
        let mut r = req();
        r.messages.clear();
        assert!(build_request(&cfg, &r).is_err());
        let mut r = req();
        r.json_schema = json!("string");
        assert!(build_request(&cfg, &r).is_err());
    }

    #[test]
    fn parses_openai_response_with_cached_tokens() {
        let body = json!({
            "id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024",
            "choices":[{"index":0,"message":{"role":"assistant","content":"{\"a\":\"x\"}","refusal":null},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,
                     "prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0}}
        });
        let c = parse_response(body.to_string().as_bytes()).unwrap();
        assert_eq!(c.content, r#"{"a":"x"}"#);
        assert_eq!(c.model, "gpt-4o-mini-2024");
        assert_eq!(c.finish_reason, "stop");
        assert_eq!(
            c.usage,
            TokenUsage {
                prompt_tokens: 120,
                cached_prompt_tokens: 64,
                completion_tokens: 30
            }
        );
    }

    #[test]
    fn parses_minimal_compatible_response() {
        let body = br#"{"choices":[{"message":{"content":"{}"}}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#;
        let c = parse_response(body).unwrap();
        assert_eq!(c.content, "{}");
        assert_eq!(c.usage.prompt_tokens, 5);
        assert_eq!(c.usage.completion_tokens, 2);
        assert_eq!(c.model, "");
    }

    #[test]
    fn malformed_bodies() {
        for body in [
            &b"{not json"[..],
            b"",
            b"<html>ok</html>",
            br#"{"choices":[]}"#,
            br#"{"choices":[{"message":{"role":"assistant","content":null}}]}"#,
            br#"{"choices":[{"message":{"role":"assistant","refusal":"no"}}]}"#,
            br#"{"error":{"message":"oops"}}"#,
        ] {
            match parse_response(body) {
                Err(LlmError::Malformed { detail }) => assert!(!detail.is_empty()),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }
}

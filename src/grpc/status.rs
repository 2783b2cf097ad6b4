//! The one mapping from domain errors to gRPC status codes.

use crate::engine::{EngineError, GenerationFailure};
use crate::store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

impl From<EngineError> for Status {
    fn from(e: EngineError) -> Status {
        match e {
            EngineError::InvalidInput { violations } => {
                let message = violations
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut details = ErrorDetails::new();
                for v in &violations {
                    details.add_bad_request_violation(
                        v.field.clone(),
                        format!("{} (rule: {})", v.message, v.rule),
                    );
                }
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            EngineError::NotFound { what } => Status::not_found(format!("{what} not found")),
            EngineError::Conflict { message } => Status::failed_precondition(message),
            EngineError::DeadlineExceeded { stage } => {
                Status::deadline_exceeded(format!("deadline exceeded {stage}"))
            }
            EngineError::Generation { code, message } => match code {
                GenerationFailure::Rejected => Status::failed_precondition(message),
                GenerationFailure::Unavailable => Status::unavailable(message),
                GenerationFailure::Compose => Status::internal(message),
            },
            EngineError::Store(StoreError::Io(e)) => Status::unavailable(format!("store: {e}")),
            EngineError::Store(e) => Status::internal(e.to_string()),
            EngineError::Internal { message } => Status::internal(message),
        }
    }
}

// Outcomes (issue 7).
impl From<crate::outcomes::OutcomeError> for Status {
    fn from(e: crate::outcomes::OutcomeError) -> Status {
        use crate::outcomes::OutcomeError;
        match e {
            OutcomeError::InvalidInput { violations } => {
                EngineError::InvalidInput { violations }.into()
            }
            OutcomeError::NotFound { what } => Status::not_found(format!("{what} not found")),
            OutcomeError::Refused {
                rule,
                subject,
                message,
            } => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation(rule, subject, message.clone());
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!("{message} (rule: {rule})"),
                    details,
                )
            }
            OutcomeError::Store(e) => EngineError::Store(e).into(),
        }
    }
}

//! Layered assembly and the offline composer. TEMPORARY STUB in main.
use crate::library::{Library, Proof};
use crate::model::{AccountBrief, Channel, DraftText, ItemRef};

#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub version: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub channel: Channel,
    pub items: Vec<ItemRef>,
    pub proofs: Vec<Proof>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Slots {}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ComposeError(pub String);

pub fn plan(
    _lib: &Library,
    _brief: &AccountBrief,
    channel: Channel,
    _sel: &Selector,
) -> Result<Plan, ComposeError> {
    Ok(Plan {
        channel,
        items: vec![],
        proofs: vec![],
    })
}
pub fn offline_slots(_lib: &Library, _plan: &Plan, _brief: &AccountBrief) -> Slots {
    Slots {}
}
pub fn render(
    _lib: &Library,
    plan: &Plan,
    brief: &AccountBrief,
    _slots: &Slots,
) -> Result<DraftText, ComposeError> {
    Ok(DraftText {
        subject: plan
            .channel
            .has_subject()
            .then(|| format!("Hello {}", brief.account_name)),
        body: format!("Hi from {}", brief.sender.name),
    })
}

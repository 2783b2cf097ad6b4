//! `proofline.v1.Outcomes`: handlers convert, call the ledger, convert back.
//! The proto ⇄ domain conversions for outcomes live here too, both ways (the
//! `proofline report` client reads responses back into domain types).

use super::convert::channel_from_pb;
use super::pb;
use super::pb::outcomes_server::Outcomes;
use super::{authorize, authorize_any};
use crate::auth::Scope;
use crate::brief::Violation;
use crate::outcomes::aggregate::{
    ArmSample, Filter, GroupBy, GroupPerformance, Lift, Metric, MetricLift, Performance, Rate,
};
use crate::outcomes::ledger::{RecordCommand, parse_time};
use crate::outcomes::stats::{CONFIDENCE, Interval, Proportion};
use crate::outcomes::{EventKind, Ledger, OutcomeError, OutcomeEvent};
use chrono::{DateTime, SecondsFormat, Utc};
use tonic::{Request, Response, Status};

pub struct OutcomesService {
    pub ledger: Ledger,
}

#[tonic::async_trait]
impl Outcomes for OutcomesService {
    async fn record_outcome(
        &self,
        request: Request<pb::RecordOutcomeRequest>,
    ) -> Result<Response<pb::RecordOutcomeResponse>, Status> {
        let tenant = authorize(&request, Scope::Generate)?.tenant;
        let cmd = record_from_pb(request.into_inner());
        let recorded = self.ledger.record(&tenant, cmd, Utc::now()).await?;
        Ok(Response::new(pb::RecordOutcomeResponse {
            event: Some(event_to_pb(&recorded.event)),
            replayed: recorded.replayed,
        }))
    }

    async fn get_performance(
        &self,
        request: Request<pb::GetPerformanceRequest>,
    ) -> Result<Response<pb::GetPerformanceResponse>, Status> {
        let tenant = authorize_any(&request, &[Scope::Review, Scope::Admin])?.tenant;
        let req = request.into_inner();
        let (by, filter) = performance_query_from_pb(&req)?;
        let perf = self.ledger.performance(&tenant, by, &filter)?;
        Ok(Response::new(performance_to_pb(&perf)))
    }

    async fn get_lift(
        &self,
        request: Request<pb::GetLiftRequest>,
    ) -> Result<Response<pb::GetLiftResponse>, Status> {
        let tenant = authorize_any(&request, &[Scope::Review, Scope::Admin])?.tenant;
        let req = request.into_inner();
        let mut violations = Vec::new();
        let filter = Filter {
            sent_since: time_opt("sent_since", &req.sent_since, &mut violations),
            sent_until: time_opt("sent_until", &req.sent_until, &mut violations),
            ..Filter::default()
        };
        let metric = metric_from_pb(req.metric, "metric", &mut violations);
        if !violations.is_empty() {
            return Err(OutcomeError::InvalidInput { violations }.into());
        }
        let lift = self.ledger.lift(
            &tenant,
            &req.experiment,
            Some(&req.control_arm),
            Some(&req.treatment_arm),
            metric,
            &filter,
        )?;
        Ok(Response::new(lift_to_pb(&lift)))
    }
}

fn invalid(field: &str, rule: &'static str, message: String) -> Violation {
    Violation {
        field: field.to_string(),
        rule,
        message,
    }
}

fn time_opt(field: &str, raw: &str, out: &mut Vec<Violation>) -> Option<DateTime<Utc>> {
    if raw.trim().is_empty() {
        return None;
    }
    parse_time(field, raw).map_err(|v| out.push(v)).ok()
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn kind_from_pb(v: i32) -> Option<EventKind> {
    use pb::OutcomeKind as K;
    Some(match K::try_from(v).ok()? {
        K::Unspecified => return None,
        K::Sent => EventKind::Sent,
        K::Delivered => EventKind::Delivered,
        K::Bounced => EventKind::Bounced,
        K::Replied => EventKind::Replied,
        K::PositiveReply => EventKind::PositiveReply,
        K::NegativeReply => EventKind::NegativeReply,
        K::Unsubscribed => EventKind::Unsubscribed,
        K::MeetingBooked => EventKind::MeetingBooked,
        K::OpportunityCreated => EventKind::OpportunityCreated,
    })
}

pub fn kind_to_pb(k: EventKind) -> pb::OutcomeKind {
    use pb::OutcomeKind as K;
    match k {
        EventKind::Sent => K::Sent,
        EventKind::Delivered => K::Delivered,
        EventKind::Bounced => K::Bounced,
        EventKind::Replied => K::Replied,
        EventKind::PositiveReply => K::PositiveReply,
        EventKind::NegativeReply => K::NegativeReply,
        EventKind::Unsubscribed => K::Unsubscribed,
        EventKind::MeetingBooked => K::MeetingBooked,
        EventKind::OpportunityCreated => K::OpportunityCreated,
    }
}

/// Unknown kinds become `None`, which the ledger reports as `kind` required.
pub fn record_from_pb(r: pb::RecordOutcomeRequest) -> RecordCommand {
    RecordCommand {
        event_id: r.event_id,
        draft_id: r.draft_id,
        kind: kind_from_pb(r.kind),
        occurred_at: r.occurred_at,
    }
}

pub fn event_to_pb(e: &OutcomeEvent) -> pb::OutcomeEvent {
    pb::OutcomeEvent {
        event_id: e.event_id.clone(),
        draft_id: e.draft_id.clone(),
        kind: kind_to_pb(e.kind) as i32,
        occurred_at: rfc3339(&e.occurred_at),
        recorded_at: rfc3339(&e.recorded_at),
    }
}

pub fn group_by_from_pb(v: i32) -> Option<GroupBy> {
    use pb::GroupBy as G;
    Some(match G::try_from(v).ok()? {
        G::Unspecified => return None,
        G::PromptVersion => GroupBy::PromptVersion,
        G::Channel => GroupBy::Channel,
        G::Persona => GroupBy::Persona,
        G::Stage => GroupBy::Stage,
        G::TriggerKind => GroupBy::TriggerKind,
        G::Cta => GroupBy::Cta,
        G::Opener => GroupBy::Opener,
        G::Proof => GroupBy::Proof,
        G::ExperimentArm => GroupBy::ExperimentArm,
    })
}

pub fn group_by_to_pb(g: GroupBy) -> pb::GroupBy {
    use pb::GroupBy as G;
    match g {
        GroupBy::PromptVersion => G::PromptVersion,
        GroupBy::Channel => G::Channel,
        GroupBy::Persona => G::Persona,
        GroupBy::Stage => G::Stage,
        GroupBy::TriggerKind => G::TriggerKind,
        GroupBy::Cta => G::Cta,
        GroupBy::Opener => G::Opener,
        GroupBy::Proof => G::Proof,
        GroupBy::ExperimentArm => G::ExperimentArm,
    }
}

pub fn metric_to_pb(m: Metric) -> pb::Metric {
    use pb::Metric as M;
    match m {
        Metric::MeetingBooked => M::MeetingBooked,
        Metric::PositiveReply => M::PositiveReply,
        Metric::OpportunityCreated => M::OpportunityCreated,
        Metric::Replied => M::Replied,
        Metric::Unsubscribed => M::Unsubscribed,
        Metric::Bounced => M::Bounced,
        Metric::Delivered => M::Delivered,
    }
}

/// `None` for unspecified (all metrics); unknown values are a violation.
fn metric_from_pb(v: i32, field: &str, out: &mut Vec<Violation>) -> Option<Metric> {
    if v == 0 {
        return None;
    }
    let found = Metric::ALL
        .into_iter()
        .find(|m| metric_to_pb(*m) as i32 == v);
    if found.is_none() {
        out.push(invalid(field, "enum", format!("{v} is not a metric")));
    }
    found
}

pub fn performance_query_from_pb(
    req: &pb::GetPerformanceRequest,
) -> Result<(GroupBy, Filter), OutcomeError> {
    let mut violations = Vec::new();
    let by = group_by_from_pb(req.group_by);
    if by.is_none() {
        violations.push(invalid(
            "group_by",
            "required",
            "is required: prompt_version, channel, persona, stage, trigger_kind, cta, \
             opener, proof or experiment_arm"
                .into(),
        ));
    }
    let channel = if req.channel == 0 {
        None
    } else {
        match channel_from_pb(req.channel, "channel") {
            Ok(c) => Some(c),
            Err(_) => {
                violations.push(invalid(
                    "channel",
                    "enum",
                    format!("{} is not a channel", req.channel),
                ));
                None
            }
        }
    };
    let filter = Filter {
        experiment: (!req.experiment.trim().is_empty()).then(|| req.experiment.trim().into()),
        channel,
        sent_since: time_opt("sent_since", &req.sent_since, &mut violations),
        sent_until: time_opt("sent_until", &req.sent_until, &mut violations),
    };
    match by {
        Some(by) if violations.is_empty() => Ok((by, filter)),
        _ => Err(OutcomeError::InvalidInput { violations }),
    }
}

fn rate_to_pb(r: &Rate) -> pb::RateEstimate {
    pb::RateEstimate {
        metric: metric_to_pb(r.metric) as i32,
        successes: r.estimate.successes,
        trials: r.estimate.trials,
        rate: r.estimate.rate,
        lower: r.estimate.interval.lower,
        upper: r.estimate.interval.upper,
    }
}

fn group_to_pb(g: &GroupPerformance) -> pb::GroupPerformance {
    pb::GroupPerformance {
        key: g.key.clone(),
        drafts_sent: g.drafts_sent,
        rates: g.rates.iter().map(rate_to_pb).collect(),
    }
}

pub fn performance_to_pb(p: &Performance) -> pb::GetPerformanceResponse {
    pb::GetPerformanceResponse {
        group_by: group_by_to_pb(p.group_by) as i32,
        confidence: CONFIDENCE,
        overall: Some(group_to_pb(&p.overall)),
        groups: p.groups.iter().map(group_to_pb).collect(),
    }
}

fn estimate(successes: u64, trials: u64, rate: f64, lower: f64, upper: f64) -> Proportion {
    Proportion {
        successes,
        trials,
        rate,
        interval: Interval { lower, upper },
    }
}

fn group_from_pb(g: pb::GroupPerformance) -> GroupPerformance {
    GroupPerformance {
        key: g.key,
        drafts_sent: g.drafts_sent,
        rates: g
            .rates
            .into_iter()
            .filter_map(|r| {
                let metric = Metric::ALL
                    .into_iter()
                    .find(|m| metric_to_pb(*m) as i32 == r.metric)?;
                Some(Rate {
                    metric,
                    estimate: estimate(r.successes, r.trials, r.rate, r.lower, r.upper),
                })
            })
            .collect(),
    }
}

/// Read a response back (the `proofline report` client).
pub fn performance_from_pb(p: pb::GetPerformanceResponse) -> Performance {
    Performance {
        group_by: group_by_from_pb(p.group_by).unwrap_or(GroupBy::Channel),
        overall: group_from_pb(p.overall.unwrap_or_default()),
        groups: p.groups.into_iter().map(group_from_pb).collect(),
    }
}

fn arm_to_pb(a: &ArmSample) -> pb::ArmSample {
    pb::ArmSample {
        arm: a.arm.clone(),
        accounts: a.estimate.trials,
        successes: a.estimate.successes,
        rate: a.estimate.rate,
        lower: a.estimate.interval.lower,
        upper: a.estimate.interval.upper,
    }
}

fn arm_from_pb(a: pb::ArmSample) -> ArmSample {
    ArmSample {
        arm: a.arm,
        estimate: estimate(a.successes, a.accounts, a.rate, a.lower, a.upper),
    }
}

pub fn lift_to_pb(l: &Lift) -> pb::GetLiftResponse {
    pb::GetLiftResponse {
        experiment: l.experiment.clone(),
        confidence: CONFIDENCE,
        method: "newcombe_hybrid_score".into(),
        unit: "account".into(),
        lifts: l
            .lifts
            .iter()
            .map(|m| pb::MetricLift {
                metric: metric_to_pb(m.metric) as i32,
                control: Some(arm_to_pb(&m.control)),
                treatment: Some(arm_to_pb(&m.treatment)),
                difference: m.difference,
                lower: m.interval.lower,
                upper: m.interval.upper,
                relative_lift: m.relative,
            })
            .collect(),
    }
}

/// Read a response back (the `proofline report` client).
pub fn lift_from_pb(l: pb::GetLiftResponse) -> Lift {
    Lift {
        experiment: l.experiment,
        lifts: l
            .lifts
            .into_iter()
            .filter_map(|m| {
                Some(MetricLift {
                    metric: Metric::ALL
                        .into_iter()
                        .find(|x| metric_to_pb(*x) as i32 == m.metric)?,
                    control: arm_from_pb(m.control.unwrap_or_default()),
                    treatment: arm_from_pb(m.treatment.unwrap_or_default()),
                    difference: m.difference,
                    interval: Interval {
                        lower: m.lower,
                        upper: m.upper,
                    },
                    relative: m.relative_lift,
                })
            })
            .collect(),
    }
}

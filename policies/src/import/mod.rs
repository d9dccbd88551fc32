//! Importing the manifests teams already run into rollcage policies.
//!
//! `query` reads what a PromQL query measures (an Argo `AnalysisTemplate` metric's or a
//! Flagger `MetricTemplate`'s), `condition` reads the bound its condition puts on the
//! result (`successCondition`/`failureCondition`, `thresholdRange`) and combines the two
//! into a rollcage gate. Both are pure: text in, values or reasons out.

pub mod condition;
pub mod query;

//! The fits of `rollcage calibrate`, pure functions of the series: the traffic profile
//! (`rate`), the service-time distribution (`latency`) with its queueing correction
//! (`queue`). docs/calibrate.md says what each fits and how to judge it.

pub mod latency;
pub mod queue;
pub mod rate;

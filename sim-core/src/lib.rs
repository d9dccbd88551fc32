//! rollcage's simulation core: simulated time, the event queue, random streams, and
//! the world model (fleet, load balancer, traffic, faults, observability, SLO pager).
//!
//! Architecture invariant: this crate does no I/O, never reads the clock, and starts
//! no threads. A run is a pure function of its `WorldConfig` and its controller.

#![forbid(unsafe_code)]

pub mod control;
pub mod dist;
pub mod duration_text;
pub mod engine;
pub mod fault;
pub mod hash;
pub mod hist;
pub mod hpa;
pub mod ids;
pub mod instance;
pub mod lb;
pub mod log;
pub mod metrics;
pub mod queue;
pub mod record;
pub mod rfc3339;
pub mod rng;
pub mod slo;
#[doc(hidden)]
pub mod testing;
pub mod time;
pub mod traffic;
pub mod twin;
pub mod version;
pub mod world;

pub use control::{Actions, CohortStatus, Command, Controller, Observation, Phase};
pub use engine::run;
pub use ids::{FaultId, InstanceId, Version};
pub use record::RunRecord;
pub use time::{SimDuration, SimTime};
pub use world::WorldConfig;

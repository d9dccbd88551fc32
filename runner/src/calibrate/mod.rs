//! `rollcage calibrate`: a scenario fitted to a service's own history.

pub mod fit;

//! The work a scenario asks of the engine, estimated before anything runs.
//!
//! The engine simulates every request, so a scenario's cost is its expected request
//! count: the traffic profile integrated over the horizon, multiplied where traffic
//! spikes are live, plus the sessions' requests. Each request is two events (its
//! arrival and its completion). A scenario whose estimate exceeds its own
//! `run.max_events` could only end at that bound after minutes of work, so it is
//! refused when it is read, with the estimate, by `run`, `validate`, sweeps and checks
//! alike (they all read scenarios through `Scenario::from_doc`). The engine's bound
//! stays as the backstop for what an estimate cannot see (client retries of failures,
//! crash loops).
//!
//! The same pass bounds what a run keeps in memory and is not a request: scrapes,
//! intermittent fault windows (each switch is scheduled when the run starts), live
//! sessions and waiting client retries.

use crate::faults::Params;
use crate::limits::*;
use crate::model::{Scenario, Traffic};

/// What a scenario will cost, in expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Anonymous requests from the traffic profile alone.
    pub traffic_requests: f64,
    /// Requests added by each traffic-spike fault, by its `[[faults]]` index.
    pub spike_requests: Vec<(usize, f64)>,
    pub session_requests: f64,
    /// Events that are not requests: scrapes, health checks, session arrivals, kills,
    /// fault window switches.
    pub other_events: f64,
    pub scrapes: f64,
    /// Switches of each fault window over the horizon, by `[[faults]]` index.
    pub window_edges: Vec<(usize, f64)>,
    /// Sessions alive at once (Little's law).
    pub live_sessions: f64,
    /// Client retries waiting at once if every request failed.
    pub pending_retries: f64,
    /// Candidate arrivals the engine draws when it thins a varying rate (a profile
    /// other than constant, or any spike): the peak rate over the whole horizon. Each
    /// is a few instructions, not an event, but they are work all the same: a spike
    /// that divides the rate by 1e300 would otherwise keep drawing forever.
    pub thinning_draws: f64,
}

impl Estimate {
    pub fn requests(&self) -> f64 {
        self.traffic_requests
            + self.spike_requests.iter().map(|s| s.1).sum::<f64>()
            + self.session_requests
    }

    /// Two per request (arrival, completion) and the rest.
    pub fn events(&self) -> f64 {
        2.0 * self.requests() + self.other_events
    }
}

/// A fault window in seconds, as the scenario gives it.
struct Window {
    start: f64,
    end: f64,
    period: Option<(f64, f64)>,
}

impl Window {
    fn live_at(&self, t: f64) -> bool {
        if t < self.start || t >= self.end {
            return false;
        }
        match self.period {
            None => true,
            Some((on, off)) => (t - self.start) % (on + off) < on,
        }
    }

    /// How many times liveness changes in `[0, horizon]`, without listing them.
    fn edge_count(&self, horizon: f64) -> f64 {
        let end = self.end.min(horizon);
        let bounds =
            f64::from(u8::from(self.start > 0.0)) + f64::from(u8::from(self.end <= horizon));
        match self.period {
            Some((on, off)) if end > self.start => {
                bounds + 2.0 * ((end - self.start) / (on + off)).ceil()
            }
            _ => bounds,
        }
    }

    /// Every switch in `(0, horizon)`; only called once `edge_count` is bounded.
    fn edges(&self, horizon: f64, out: &mut Vec<f64>) {
        out.push(self.start);
        let end = self.end.min(horizon);
        if let Some((on, off)) = self.period {
            let mut t = self.start;
            while t < end {
                out.push(t + on);
                out.push(t + on + off);
                t += on + off;
            }
        }
        out.push(end);
    }
}

/// `∫ rate dt` of the traffic profile over `[a, b]`, in closed form.
fn profile_integral(t: &Traffic, a: f64, b: f64) -> f64 {
    let overlap = |lo: f64, hi: f64| (b.min(hi) - a.max(lo)).max(0.0);
    match *t {
        Traffic::Replay { ref points, .. } => crate::replay::integral(points, a, b),
        Traffic::Constant { rate } => rate * (b - a),
        Traffic::Diurnal {
            rate,
            amplitude,
            period_seconds: p,
            peak_at_seconds: peak,
        } => {
            let w = std::f64::consts::TAU / p;
            let sin = |x: f64| (w * (x - peak)).sin();
            rate * ((b - a) + amplitude * (sin(b) - sin(a)) / w)
        }
        Traffic::Step {
            rate,
            after_rate,
            at_seconds,
        } => {
            rate * overlap(f64::NEG_INFINITY, at_seconds)
                + after_rate * overlap(at_seconds, f64::INFINITY)
        }
        Traffic::Spike {
            rate,
            peak_rate,
            start_seconds,
            duration_seconds,
        } => {
            rate * (b - a)
                + (peak_rate - rate) * overlap(start_seconds, start_seconds + duration_seconds)
        }
    }
}

fn profile_peak(t: &Traffic) -> f64 {
    match *t {
        Traffic::Replay { ref points, .. } => points.iter().map(|(_, r)| *r).fold(0.0, f64::max),
        Traffic::Constant { rate } => rate,
        Traffic::Diurnal {
            rate, amplitude, ..
        } => rate * (1.0 + amplitude),
        Traffic::Step {
            rate, after_rate, ..
        } => rate.max(after_rate),
        Traffic::Spike {
            rate, peak_rate, ..
        } => rate.max(peak_rate),
    }
}

/// Estimates a scenario whose every value is within its bounds.
pub fn estimate(s: &Scenario) -> Estimate {
    let horizon = s.run.horizon_seconds;
    let windows: Vec<Window> = s
        .faults
        .iter()
        .map(|f| Window {
            start: f.start_seconds,
            end: f
                .duration_seconds
                .map_or(f64::INFINITY, |d| f.start_seconds + d),
            period: f.on_seconds.zip(f.off_seconds),
        })
        .collect();
    let window_edges: Vec<(usize, f64)> = windows
        .iter()
        .enumerate()
        .map(|(i, w)| (i, w.edge_count(horizon)))
        .collect();
    let edges_total: f64 = window_edges.iter().map(|e| e.1).sum();
    let spikes: Vec<(usize, f64)> = s
        .faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f.params {
            Params::TrafficSpike { multiplier } => Some((i, multiplier)),
            _ => None,
        })
        .collect();
    let traffic_requests = profile_integral(&s.traffic, 0.0, horizon);
    // Spikes multiply the rate while live, each on top of the others: integrate the
    // profile piecewise between the switches, crediting each spike with its share of
    // the extra requests. Too many switches are refused below, so skip the sum then.
    let mut spike_requests: Vec<(usize, f64)> = spikes.iter().map(|&(i, _)| (i, 0.0)).collect();
    // The largest product of spikes live together (those above 1), as the engine's
    // thinning envelope (`sim_core::traffic::peak_spike_product`).
    let mut spike_peak: f64 = 1.0;
    if !spikes.is_empty() && edges_total <= MAX_WINDOW_EDGES {
        let mut cuts = vec![0.0, horizon];
        for &(i, _) in &spikes {
            windows[i].edges(horizon, &mut cuts);
        }
        cuts.retain(|t| (0.0..=horizon).contains(t));
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        for seg in cuts.windows(2) {
            let (a, b) = (seg[0], seg[1]);
            let mid = (a + b) / 2.0;
            let live: Vec<usize> = (0..spikes.len())
                .filter(|&k| windows[spikes[k].0].live_at(mid))
                .collect();
            if live.is_empty() {
                continue;
            }
            let product: f64 = live.iter().map(|&k| spikes[k].1).product();
            spike_peak = spike_peak.max(live.iter().map(|&k| spikes[k].1.max(1.0)).product());
            let extra = (product - 1.0) * profile_integral(&s.traffic, a, b);
            // Shared between the live spikes by the log of their multipliers, so a
            // spike that adds nothing (×1) is credited nothing.
            let logs: f64 = live.iter().map(|&k| spikes[k].1.ln().abs()).sum();
            for &k in &live {
                let share = if logs > 0.0 {
                    spikes[k].1.ln().abs() / logs
                } else {
                    1.0 / live.len() as f64
                };
                spike_requests[k].1 += extra * share;
            }
        }
    }
    let (session_requests, session_arrivals, live_sessions, session_rate) = match &s.sessions {
        Some(x) if x.rate > 0.0 => {
            // A session ends after its requests or its lifetime, whichever comes first.
            let per_session = x
                .requests_per_session
                .min(1.0 + x.lifetime_seconds / x.think_time_seconds);
            let lasts = x.lifetime_seconds.min(per_session * x.think_time_seconds);
            (
                x.rate * horizon * per_session,
                x.rate * horizon,
                x.rate * lasts,
                x.rate * per_session,
            )
        }
        _ => (0.0, 0.0, 0.0, 0.0),
    };
    let kills: f64 = s
        .faults
        .iter()
        .filter_map(|f| match f.params {
            Params::InstanceKill { rate_per_hour } => Some(rate_per_hour),
            _ => None,
        })
        .sum::<f64>()
        * f64::from(s.fleet.replicas)
        * horizon
        / 3600.0;
    let scrapes = horizon / s.observability.scrape_interval_seconds;
    let health_checks = horizon / s.load_balancer.health_check_interval_seconds;
    let traffic_peak = profile_peak(&s.traffic) * spike_peak;
    let thinned = !spikes.is_empty() || !matches!(s.traffic, Traffic::Constant { .. });
    let peak_rate = traffic_peak + session_rate;
    let pending_retries = if s.client.retries > 0 {
        let waits = s.client.retry_backoff_ms / 1000.0 * (2f64.powi(s.client.retries as i32) - 1.0);
        peak_rate * waits.min(horizon)
    } else {
        0.0
    };
    Estimate {
        traffic_requests,
        spike_requests,
        session_requests,
        other_events: scrapes + health_checks + session_arrivals + kills + edges_total,
        scrapes,
        window_edges,
        live_sessions,
        pending_retries,
        thinning_draws: if thinned { traffic_peak * horizon } else { 0.0 },
    }
}

/// A count as a message shows it: whole below a hundred thousand, two figures above.
pub fn about(x: f64) -> String {
    if x < 1e5 {
        format!("{}", x.round())
    } else {
        format!("{x:.1e}")
    }
}

/// The problems of a scenario's estimate, as (key, reason): its events against
/// `run.max_events`, and what it would keep in memory against the limits.
pub fn check(s: &Scenario) -> Vec<(String, String)> {
    let e = estimate(s);
    let horizon = s.run.horizon_seconds;
    let h = config::number(horizon);
    let mut problems = Vec::new();
    let edges_total: f64 = e.window_edges.iter().map(|w| w.1).sum();
    if edges_total > MAX_WINDOW_EDGES {
        let (i, _) = e
            .window_edges
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("edges come from faults");
        problems.push((
            format!("faults[{i}].on_seconds"),
            format!(
                "the faults' on/off windows switch about {} times over the {h} s horizon, more \
                 than {} (each switch is scheduled when the run starts); lengthen on_seconds \
                 and off_seconds or shorten the horizon",
                about(edges_total),
                about(MAX_WINDOW_EDGES)
            ),
        ));
        // The request estimate left the spikes out; judging it now would mislead.
        return problems;
    }
    if e.scrapes > MAX_SCRAPES {
        problems.push((
            "observability.scrape_interval_seconds".into(),
            format!(
                "about {} scrapes over the {h} s horizon exceed {} (each keeps a sample in \
                 memory); scrape less often or shorten the horizon",
                about(e.scrapes),
                about(MAX_SCRAPES)
            ),
        ));
    }
    if e.live_sessions > MAX_LIVE_SESSIONS {
        problems.push((
            "sessions.rate".into(),
            format!(
                "about {} sessions alive at once exceed {} (each is held in memory); lower \
                 the rate, the requests per session or the lifetime",
                about(e.live_sessions),
                about(MAX_LIVE_SESSIONS)
            ),
        ));
    }
    if e.pending_retries > MAX_PENDING_RETRIES {
        problems.push((
            "client.retries".into(),
            format!(
                "if requests failed, about {} retries would wait at once, more than {} (each \
                 is a pending event); lower retries or retry_backoff_ms",
                about(e.pending_retries),
                about(MAX_PENDING_RETRIES)
            ),
        ));
    }
    let max = s.run.max_events;
    let events = e.events();
    if events > max as f64 {
        // Name the key that contributes most.
        let mut parts: Vec<(String, f64)> = vec![
            ("traffic.rate".into(), 2.0 * e.traffic_requests),
            ("sessions.rate".into(), 2.0 * e.session_requests),
            ("run.max_events".into(), e.other_events),
        ];
        parts.extend(
            e.spike_requests
                .iter()
                .map(|&(i, r)| (format!("faults[{i}].multiplier"), 2.0 * r)),
        );
        let key = parts
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|p| p.0.clone())
            .expect("parts is not empty");
        problems.push((
            key,
            format!(
                "about {} requests over the {h} s horizon, about {} events, exceed \
                 run.max_events = {max}; lower the rate or the horizon, or raise \
                 run.max_events (at most {MAX_EVENTS})",
                about(e.requests()),
                about(events)
            ),
        ));
    } else if e.thinning_draws > max as f64 {
        // Only when the events fit: one problem per cause is enough.
        let key = e
            .spike_requests
            .first()
            .map_or("traffic.rate".to_string(), |&(i, _)| {
                format!("faults[{i}].multiplier")
            });
        problems.push((
            key,
            format!(
                "the varying rate is drawn at its peak over the whole horizon: about {} \
                 candidate arrivals over the {h} s horizon exceed run.max_events = {max}; \
                 lower the peak rate or the horizon, or raise run.max_events (at most \
                 {MAX_EVENTS})",
                about(e.thinning_draws)
            ),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use config::Doc;

    fn read(text: &str, sets: &[(&str, &str)]) -> Result<Scenario, Vec<String>> {
        let mut doc = Doc::parse("w.toml", &format!("schema_version = 1\n{text}")).unwrap();
        for (k, v) in sets {
            doc.set(k, v).unwrap();
        }
        Scenario::from_doc(&doc).map_err(|p| p.0.iter().map(|p| p.to_string()).collect())
    }

    /// 100 requests/s for 1500 s: 150 000 requests, 300 000 events, plus 100 scrapes
    /// and 300 health checks.
    const STEADY: &str = "[run]\nhorizon_seconds = 1500\n[traffic]\nrate = 100\n";

    #[test]
    fn the_estimate_counts_requests_and_periodic_events() {
        let e = read(STEADY, &[]).unwrap().estimate();
        assert_eq!(e.requests(), 150_000.0);
        assert_eq!(e.scrapes, 100.0);
        assert_eq!(e.events(), 300_400.0);
    }

    #[test]
    fn max_events_at_the_estimate_is_accepted_and_one_below_refused() {
        assert!(read(STEADY, &[("run.max_events", "300400")]).is_ok());
        let err = read(STEADY, &[("run.max_events", "300399")]).unwrap_err();
        assert_eq!(
            err,
            [
                "w.toml: traffic.rate: about 1.5e5 requests over the 1500 s horizon, about \
              3.0e5 events, exceed run.max_events = 300399; lower the rate or the horizon, \
              or raise run.max_events (at most 10000000000)"
            ]
        );
    }

    #[test]
    fn an_overridden_rate_is_blamed_on_the_override() {
        let err = read(STEADY, &[("traffic.rate", "1e6")]).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].starts_with("--set: traffic.rate: about 1.5e9 requests over the 1500 s"),
            "{err:?}"
        );
    }

    #[test]
    fn profiles_integrate_in_closed_form() {
        let diurnal = "[traffic]\nprofile = \"diurnal\"\nrate = 100\namplitude = 0.5\n\
                       period_seconds = 1000\npeak_at_seconds = 100\n[run]\nhorizon_seconds = 2500\n";
        let s = read(diurnal, &[]).unwrap();
        let midpoint = s
            .traffic
            .profile()
            .expected_arrivals(sim_core::SimTime::from_secs(2500));
        let exact = s.estimate().traffic_requests;
        assert!((exact - midpoint).abs() < 1.0, "{exact} vs {midpoint}");
        // Two and a half periods: the half period past the peak adds its share.
        let half = 100.0 * 0.5 * 1000.0 / std::f64::consts::TAU
            * ((std::f64::consts::TAU * 2.4).sin() - (std::f64::consts::TAU * -0.1).sin());
        assert!((exact - (250_000.0 + half)).abs() < 1e-6, "{exact}");
        let step = "[traffic]\nprofile = \"step\"\nrate = 10\nafter_rate = 30\nat_seconds = 600\n\
                    [run]\nhorizon_seconds = 1000\n";
        assert_eq!(
            read(step, &[]).unwrap().estimate().traffic_requests,
            18_000.0
        );
        let spike = "[traffic]\nprofile = \"spike\"\nrate = 10\npeak_rate = 50\nstart_seconds = 900\n\
                     duration_seconds = 200\n[run]\nhorizon_seconds = 1000\n";
        assert_eq!(
            read(spike, &[]).unwrap().estimate().traffic_requests,
            14_000.0
        );
    }

    #[test]
    fn spike_faults_multiply_the_traffic_they_overlap() {
        // a: ×3 over [500, 600). b: ×2, on 10 s of every 40 s from 500 s: 13 on-phases
        // before the 1000 s horizon, 3 of them inside a's window (×6 there).
        let text = "[run]\nhorizon_seconds = 1000\n[traffic]\nrate = 100\n\
                    [[faults]]\nkind = \"traffic-spike\"\nname = \"a\"\nmultiplier = 3\nstart_seconds = 500\nduration_seconds = 100\n\
                    [[faults]]\nkind = \"traffic-spike\"\nname = \"b\"\nmultiplier = 2\nstart_seconds = 500\non_seconds = 10\noff_seconds = 30\n";
        let e = read(text, &[]).unwrap().estimate();
        let extra: f64 = e.spike_requests.iter().map(|s| s.1).sum();
        // Over the 100/s base: a alone 70 s × 200, b alone 100 s × 100, both 30 s × 500.
        assert!(
            (extra - (14_000.0 + 10_000.0 + 15_000.0)).abs() < 1e-6,
            "{extra}"
        );
        assert_eq!(e.spike_requests.len(), 2);
        assert!(e.spike_requests[0].1 > e.spike_requests[1].1);
    }

    /// Thinning draws at the peak rate for the whole horizon: ×3 and ×2 apart peak at
    /// ×3, together at ×6; a dip (×1e-300) draws at the base rate; a constant rate
    /// draws nothing extra.
    #[test]
    fn thinning_draws_follow_the_envelope_of_spikes_live_together() {
        let two = |b_start: u32| {
            format!(
                "[run]\nhorizon_seconds = 1000\n[traffic]\nrate = 100\n\
                 [[faults]]\nkind = \"traffic-spike\"\nname = \"a\"\nmultiplier = 3\nstart_seconds = 500\nduration_seconds = 100\n\
                 [[faults]]\nkind = \"traffic-spike\"\nname = \"b\"\nmultiplier = 2\nstart_seconds = {b_start}\nduration_seconds = 50\n"
            )
        };
        assert_eq!(
            read(&two(700), &[]).unwrap().estimate().thinning_draws,
            300_000.0
        );
        assert_eq!(
            read(&two(550), &[]).unwrap().estimate().thinning_draws,
            600_000.0
        );
        let dip = "[run]\nhorizon_seconds = 1000\n[traffic]\nrate = 100\n\
                   [[faults]]\nkind = \"traffic-spike\"\nname = \"d\"\nmultiplier = 1e-300\nstart_seconds = 10\n";
        assert_eq!(read(dip, &[]).unwrap().estimate().thinning_draws, 100_000.0);
        assert_eq!(read(STEADY, &[]).unwrap().estimate().thinning_draws, 0.0);
    }

    /// The draws are judged against run.max_events like the events: at it accepted,
    /// one below refused, naming the spike.
    #[test]
    fn thinning_draws_at_max_events_are_accepted_and_one_over_refused() {
        // ×100 for 1 s of a 1000 s horizon at 10/s: 10 000 requests plus 990 from the
        // spike, but the envelope draws 1 000 000 candidates.
        let text = "[run]\nhorizon_seconds = 1000\n[traffic]\nrate = 10\n\
                    [[faults]]\nkind = \"traffic-spike\"\nname = \"s\"\nmultiplier = 100\nstart_seconds = 500\nduration_seconds = 1\n";
        let e = read(text, &[]).unwrap().estimate();
        assert_eq!(e.thinning_draws, 1_000_000.0);
        assert!(read(text, &[("run.max_events", "1000000")]).is_ok());
        let err = read(text, &[("run.max_events", "999999")]).unwrap_err();
        assert!(
            err.iter().any(|p| p.contains("faults[0].multiplier")
                && p.contains("candidate arrivals")
                && p.contains("run.max_events = 999999")),
            "{err:?}"
        );
    }

    #[test]
    fn a_huge_spike_is_refused_at_its_bound_or_by_the_estimate() {
        let spike = |m: &str| {
            format!(
                "[run]\nhorizon_seconds = 3600\nmax_events = 50000000\n[traffic]\nrate = 600\n\
                 [[faults]]\nkind = \"traffic-spike\"\nmultiplier = {m}\nstart_seconds = 600\n"
            )
        };
        let err = read(&spike("1e9"), &[]).unwrap_err();
        assert_eq!(
            err,
            ["w.toml: faults[0].multiplier: must be at most 100, found 1000000000"]
        );
        // At its bound the multiplier is valid, but 3000 s of ×100 traffic is about 1.8e8
        // requests: the spike is named as what exceeds run.max_events.
        let err = read(&spike("100"), &[]).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].starts_with(
                "w.toml: faults[0].multiplier: about 1.8e8 requests over the 3600 s horizon"
            ),
            "{err:?}"
        );
        assert!(read(&spike("3"), &[]).is_ok());
    }

    #[test]
    fn sessions_count_their_requests_and_their_memory() {
        // 10 sessions/s of 20 requests 5 s apart (a session lasts 100 s, under its 1800 s
        // lifetime): 200 requests/s, 1000 sessions alive.
        let text = "[run]\nhorizon_seconds = 1000\n[traffic]\nrate = 0\n\
                    [sessions]\nrate = 10\nrequests_per_session = 20\nthink_time_seconds = 5\n";
        let e = read(text, &[]).unwrap().estimate();
        assert_eq!(e.session_requests, 200_000.0);
        assert_eq!(e.live_sessions, 1000.0);
        let err = read(
            text,
            &[
                ("sessions.rate", "100000"),
                ("sessions.lifetime_seconds", "1000"),
                ("sessions.think_time_seconds", "60"),
            ],
        )
        .unwrap_err();
        assert!(
            err.iter().any(|e| e.starts_with(
                "--set: sessions.rate: about 1.0e8 sessions alive at once exceed 1.0e6"
            )),
            "{err:?}"
        );
    }

    #[test]
    fn fast_fault_windows_and_scrapes_are_refused_before_they_allocate() {
        let text = "[run]\nhorizon_seconds = 2592000\n[traffic]\nrate = 1\n\
                    [[faults]]\nkind = \"errors\"\non_seconds = 1\noff_seconds = 1\n";
        let err = read(text, &[]).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].starts_with(
                "w.toml: faults[0].on_seconds: the faults' on/off windows switch about 2.6e6 times"
            ),
            "{err:?}"
        );
        let err = read(
            "[run]\nhorizon_seconds = 2592000\n[traffic]\nrate = 1\n",
            &[("observability.scrape_interval_seconds", "1")],
        )
        .unwrap_err();
        assert!(
            err[0].starts_with("--set: observability.scrape_interval_seconds: about 2.6e6 scrapes"),
            "{err:?}"
        );
        // 30 days at a 10 s interval fit.
        assert!(
            read(
                "[run]\nhorizon_seconds = 2592000\n[traffic]\nrate = 1\n",
                &[("observability.scrape_interval_seconds", "10")]
            )
            .is_ok()
        );
    }

    #[test]
    fn retries_that_could_pile_up_are_refused() {
        // 10 000 requests/s, each waiting up to 2^16 − 1 minutes (capped by the 1800 s
        // horizon) if everything failed: 1.8e7 waiting retries.
        let text = "[traffic]\nrate = 10000\n[client]\nretries = 16\nretry_backoff_ms = 60000\n";
        let err = read(text, &[]).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].starts_with("w.toml: client.retries: if requests failed, about 1.8e7 retries"),
            "{err:?}"
        );
        // Two retries 100 ms and 200 ms later: 3000 waiting at most.
        let few = read(
            text,
            &[("client.retries", "2"), ("client.retry_backoff_ms", "100")],
        );
        let pending = few.unwrap().estimate().pending_retries;
        assert!((pending - 3000.0).abs() < 1e-9, "{pending}");
    }
}

//! The calibrated scenario's text: TOML the scenario reader reads, with a comment before
//! every fitted value naming its series (the query, when a server was asked) and how
//! well it fits. Numbers are rounded to 6 significant digits and written in Rust's
//! shortest form, so the same history always gives the same bytes.

use std::fmt::Write as _;

use super::fit::latency::Service;
use super::fit::rate::Shape;
use super::history::History;
use super::{
    Calibration, DEFAULT_LATENCY_THRESHOLD_MS, DEFAULT_OBJECTIVE, HORIZON_SECONDS, Options,
};

/// `x` to 6 significant digits, shortest form.
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{}", if x.is_finite() { 0.0 } else { x });
    }
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// The series behind `key`: its query when a server was asked, else the key of the file.
fn source(opts: &Options, key: &str) -> String {
    match opts.queries.iter().find(|(k, _)| *k == key) {
        Some((_, q)) => q.clone(),
        None => format!("{key} of {}", opts.source),
    }
}

fn ms(seconds: f64) -> String {
    format!("{} ms", num(seconds * 1000.0))
}

pub fn text(h: &History, opts: &Options, c: &Calibration) -> String {
    let mut t = String::new();
    let w = &mut t;
    let span = h.end - h.start;
    let steps = h.rates.len();
    let _ = writeln!(
        w,
        "# Calibrated by `rollcage calibrate` from {}: Unix time {} to {} ({steps} steps of {} s).",
        opts.source,
        h.start,
        h.end,
        num(h.step_seconds)
    );
    let _ = writeln!(
        w,
        "# Simulated t = 0 is the start of that range. How each value was fitted, and how to\n\
         # judge the fit: docs/calibrate.md. What the series cannot tell (how a release\n\
         # will fail) is yours to add: a [candidate] section or a [[faults]] entry with\n\
         # release = true."
    );
    let _ = writeln!(w, "schema_version = 1");
    let _ = writeln!(w, "name = {:?}", format!("{}-calibrated", opts.service));
    let _ = writeln!(
        w,
        "description = {:?}",
        format!(
            "{} as its series showed it over {} s from Unix time {}",
            opts.service,
            num(span),
            h.start
        )
    );
    let horizon = if c.rates.is_some() {
        HORIZON_SECONDS.min(span)
    } else {
        HORIZON_SECONDS
    };
    let _ = writeln!(w, "\n[run]");
    let _ = writeln!(
        w,
        "# Not fitted: the reader's default of {} s{}.",
        num(HORIZON_SECONDS),
        if horizon < HORIZON_SECONDS {
            ", cut to the range replayed"
        } else {
            ""
        }
    );
    let _ = writeln!(w, "horizon_seconds = {}", num(horizon));

    let _ = writeln!(w, "\n[fleet]");
    let _ = writeln!(
        w,
        "# Ready pods: {}; {}.",
        source(opts, "ready_pods"),
        c.replicas_source
    );
    let _ = writeln!(w, "replicas = {}", c.replicas);
    let workers = opts.concurrency.unwrap_or(1);
    let _ = writeln!(
        w,
        "# Workers per pod: {} (the series do not show it).",
        if opts.concurrency.is_some() {
            "--concurrency"
        } else {
            "not given (--concurrency), the reader's default"
        }
    );
    let _ = writeln!(w, "concurrency = {workers}");

    let _ = writeln!(w, "\n[traffic]");
    let f = &c.traffic;
    let _ = writeln!(
        w,
        "# Requests: {} per {} s step, {} points, mean {}/s.",
        source(opts, "requests"),
        num(h.step_seconds),
        f.points,
        num(f.mean)
    );
    let others: Vec<String> = f
        .fits
        .iter()
        .map(|x| {
            format!(
                "{} BIC {} (RMSE {}/s, R² {})",
                x.shape.name(),
                num(x.bic),
                num(x.rmse),
                num(x.r2)
            )
        })
        .collect();
    let _ = writeln!(
        w,
        "# Least squares; the shape of least BIC chosen: {}.",
        others.join("; ")
    );
    match (&opts.replay_file, f.chosen.shape) {
        (Some(file), _) => {
            let _ = writeln!(
                w,
                "# Replayed as observed (--replay): {file} holds the {} step rates; the best\n\
                 # shape was {} (RMSE {}/s).",
                f.points,
                f.chosen.shape.name(),
                num(f.chosen.rmse)
            );
            let _ = writeln!(w, "profile = \"replay\"\nfile = {file:?}");
        }
        (None, Shape::Constant { rate }) => {
            let _ = writeln!(w, "profile = \"constant\"");
            let _ = writeln!(w, "# The mean rate (RMSE {}/s).", num(f.chosen.rmse));
            let _ = writeln!(w, "rate = {}", num(rate));
        }
        (
            None,
            Shape::Diurnal {
                mean,
                amplitude,
                peak_at,
                period,
            },
        ) => {
            let _ = writeln!(w, "profile = \"diurnal\"");
            let _ = writeln!(
                w,
                "# Diurnal fit: mean (RMSE {}/s, R² {}).",
                num(f.chosen.rmse),
                num(f.chosen.r2)
            );
            let _ = writeln!(w, "rate = {}", num(mean));
            let _ = writeln!(
                w,
                "# Diurnal fit: the swing around the mean, a share of it."
            );
            let _ = writeln!(w, "amplitude = {}", num(amplitude));
            let _ = writeln!(w, "# Fixed at a day, not fitted.");
            let _ = writeln!(w, "period_seconds = {}", num(period));
            let _ = writeln!(
                w,
                "# Diurnal fit: the peak, seconds after the range's start (modulo a day)."
            );
            let _ = writeln!(w, "peak_at_seconds = {}", num(peak_at));
        }
        (None, Shape::Step { before, after, at }) => {
            let _ = writeln!(w, "profile = \"step\"");
            let _ = writeln!(
                w,
                "# Step fit: the level before (RMSE {}/s, R² {}).",
                num(f.chosen.rmse),
                num(f.chosen.r2)
            );
            let _ = writeln!(w, "rate = {}", num(before));
            let _ = writeln!(w, "# Step fit: the level after.");
            let _ = writeln!(w, "after_rate = {}", num(after));
            let _ = writeln!(w, "# Step fit: when, seconds after the range's start.");
            let _ = writeln!(w, "at_seconds = {}", num(at));
        }
    }

    let _ = writeln!(w, "\n[service]");
    let l = &c.latency;
    let hist = &h.histogram;
    let _ = writeln!(
        w,
        "# Latency: {} and {}; {} requests in {} buckets, mean {} (sum / count).",
        source(opts, "latency_bucket"),
        source(opts, "latency_sum"),
        num(hist.total),
        hist.bounds.len() + 1,
        ms(l.observed_mean)
    );
    let families: Vec<String> = l
        .fits
        .iter()
        .map(|x| {
            format!(
                "{} AIC {} (KS {})",
                x.response.service.name(),
                num(x.aic),
                num(x.ks)
            )
        })
        .collect();
    let _ = writeln!(
        w,
        "# Maximum likelihood on the buckets; the family of least AIC chosen: {}.",
        families.join("; ")
    );
    let r = l.chosen.response;
    let _ = writeln!(
        w,
        "# Queueing correction (M/G/c: Erlang C, Allen–Cunneen): {}/s per pod at {} worker(s),\n\
         # utilisation {}, P(wait) {}, mean wait {}.",
        num(l.queue.arrival_rate),
        l.queue.workers,
        num(l.queue.utilisation(r.service.mean())),
        num(r.wait.p_wait),
        ms(r.wait.mean())
    );
    let observed = |q: f64| {
        hist.quantile(q)
            .map_or("above the last bound".to_string(), ms)
    };
    let _ = writeln!(
        w,
        "# The fit's response times: p50 {} (histogram {}), p95 {} (histogram {}).",
        ms(r.quantile(0.5)),
        observed(0.5),
        ms(r.quantile(0.95)),
        observed(0.95)
    );
    let _ = writeln!(w, "distribution = {:?}", r.service.name());
    let _ = writeln!(
        w,
        "# The service time's mean: the response mean less the mean wait."
    );
    let _ = writeln!(w, "mean_ms = {}", num(r.service.mean() * 1000.0));
    if let Service::LogNormal { sigma, .. } = r.service {
        let _ = writeln!(
            w,
            "# The log-normal's shape (σ of the logarithm), by maximum likelihood."
        );
        let _ = writeln!(w, "sigma = {}", num(sigma));
    }

    let _ = writeln!(w, "\n[baseline]");
    let p = c.error_probability;
    let se = if h.requests > 0.0 {
        (p * (1.0 - p) / h.requests).sqrt()
    } else {
        0.0
    };
    let _ = writeln!(
        w,
        "# 5xx: {}; {} of {} requests (standard error {}).",
        source(opts, "errors"),
        num(h.errors),
        num(h.requests),
        num(se)
    );
    let _ = writeln!(w, "error_probability = {}", num(p));

    let _ = writeln!(w, "\n[slo]");
    let _ = writeln!(
        w,
        "# {}",
        if opts.objective.is_some() {
            "--slo"
        } else {
            "Not given (--slo): the reader's default."
        }
    );
    let _ = writeln!(
        w,
        "objective = {}",
        num(opts.objective.unwrap_or(DEFAULT_OBJECTIVE))
    );
    let _ = writeln!(
        w,
        "# {}",
        if opts.latency_threshold_ms.is_some() {
            "--latency-threshold"
        } else {
            "Not given (--latency-threshold): the reader's default."
        }
    );
    let _ = writeln!(
        w,
        "latency_threshold_ms = {}",
        num(opts
            .latency_threshold_ms
            .unwrap_or(DEFAULT_LATENCY_THRESHOLD_MS))
    );

    match c.crash_rate_per_hour {
        Some(rate) => {
            let _ = writeln!(w, "\n[[faults]]");
            let _ = writeln!(
                w,
                "# Restarts: {}; {} over {} pod-hours, as random kills of the pods.",
                source(opts, "restarts"),
                num(h.restarts),
                num(c.pod_hours)
            );
            let _ = writeln!(w, "name = \"observed-restarts\"\nkind = \"instance-kill\"");
            let _ = writeln!(w, "rate_per_hour = {}", num(rate));
        }
        None => {
            let _ = writeln!(
                w,
                "\n# Restarts: {}; none over {} pod-hours, so no crash fault.",
                source(opts, "restarts"),
                num(c.pod_hours)
            );
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(num(49.987_654_3), "49.9877");
        assert_eq!(num(86_400.0), "86400");
        assert_eq!(num(0.000_123_456_789), "0.000123457");
        assert_eq!(num(0.0), "0");
    }
}

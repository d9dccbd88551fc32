//! `rollcage power` end to end: power rises with the effect and with traffic, a single
//! gate's curve agrees with a binomial calculation done by hand, the outputs are
//! byte-identical across thread counts, and bad input is refused naming the flag.

mod common;

use std::path::Path;

use common::{run_fails, run_ok, temp_dir, write_file};
use reports::artifacts::power_json::PowerJson;
use reports::power::estimate::mde;
use reports::power::{Mde, PointEstimate};
use statrs::distribution::{Binomial, Discrete, Poisson};

/// Constant Poisson traffic at `rate` req/s on 10 pods, scrapes every 10 s with no lag,
/// no pager (so only the gate can stop the release).
fn scenario(dir: &Path, rate: u32) -> String {
    write_file(
        dir,
        &format!("constant-{rate}.toml"),
        format!(
            "schema_version = 1\nname = \"power-constant\"\n\
             [run]\nhorizon_seconds = 300\n\
             [release]\nstart_seconds = 20\n\
             [fleet]\nreplicas = 10\n\
             [traffic]\nprofile = \"constant\"\nrate = {rate}\n\
             [service]\ndistribution = \"exponential\"\nmean_ms = 5\n\
             [observability]\nscrape_interval_seconds = 10\nmetrics_lag_seconds = 0\n\
             [slo.pager]\nenabled = false\n"
        ),
    )
}

/// An Argo canary behind a router: 10% weight, then one analysis of one error-ratio
/// gate (fail above 5%, at least 10 requests), then promotion.
fn policy(dir: &Path) -> String {
    write_file(
        dir,
        "one-analysis.toml",
        "schema_version = 1\nname = \"one-analysis\"\nkind = \"canary\"\nsemantics = \"argo\"\n\
         traffic_routing = true\n\
         [[steps]]\nset_weight = 10\n\
         [[steps]]\nanalysis = { count = 1, interval_seconds = 30, initial_delay_seconds = 60 }\n\
         [[gates]]\nname = \"errors\"\nmetric = \"error_ratio\"\nthreshold = 0.05\n\
         window_seconds = 60\nmin_samples = 10\n",
    )
}

const WEIGHT: f64 = 0.10;
const THRESHOLD: f64 = 0.05;
/// The candidate's traffic the one evaluation sees: the weight is applied at 30 s (the
/// canary pod is ready after its 10 s start-up), the evaluation runs at 90 s, and the
/// window holds the scrapes at 40, 50, 60, 70 and 80 s (the scrape at 90 s lands after
/// the evaluation at the same instant): 50 s of traffic at 10% weight.
const SECONDS_SEEN: f64 = 50.0;

/// P(detect) by hand: the candidate's requests in the window are Poisson (arrivals are,
/// and routing thins them at random), each fails with `p`, and the gate fails when
/// errors / requests > threshold, strictly, with at least 10 requests.
fn binomial_power(rate: f64, p: f64) -> f64 {
    let lambda = rate * WEIGHT * SECONDS_SEEN;
    let pois = Poisson::new(lambda).unwrap();
    let mut total = 0.0;
    for n in 10..(lambda * 4.0) as u64 {
        let bin = Binomial::new(p, n).unwrap();
        let fail: f64 = (0..=n)
            .filter(|&x| x as f64 / n as f64 > THRESHOLD)
            .map(|x| bin.pmf(x))
            .sum();
        total += pois.pmf(n) * fail;
    }
    total
}

fn analyse(dir: &Path, name: &str, rate: u32, seeds: u32, threads: u32) -> PowerJson {
    let out = dir.join(name);
    run_ok(&[
        "power".to_string(),
        "--scenario".into(),
        scenario(dir, rate),
        "--policy".into(),
        policy(dir),
        "--effect".into(),
        "candidate.error_probability=0.02..0.1".into(),
        "--points".into(),
        "5".into(),
        "--seeds".into(),
        seeds.to_string(),
        "--threads".into(),
        threads.to_string(),
        "--out".into(),
        out.display().to_string(),
    ]);
    PowerJson::from_bytes(&std::fs::read(out.join("power.json")).unwrap()).unwrap()
}

/// The effect where a curve through `(effect, power)` first reaches 50%.
fn crossing(points: &[PointEstimate], pick: impl Fn(&PointEstimate) -> f64) -> f64 {
    let moved: Vec<PointEstimate> = points
        .iter()
        .map(|p| {
            let mut q = p.clone();
            q.power.rate = pick(p);
            q
        })
        .collect();
    match mde(&moved, 0.5) {
        Mde::Within { value, .. } => value,
        other => panic!("no 50% crossing: {other:?}"),
    }
}

#[test]
fn a_single_gate_agrees_with_the_binomial_and_power_rises_with_effect_and_traffic() {
    let dir = temp_dir("power-binomial");
    let low = analyse(&dir, "rate-20", 20, 300, 2);
    assert_eq!(low.values, [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]);
    let gate = &low.detectors[1];
    assert_eq!(gate.detector, "gate:errors");
    // The only gate's failure is what stops the policy: the same runs detect.
    assert_eq!(low.detectors[0].points, gate.points);

    // Against the hand calculation, point by point, within the Wilson interval.
    for p in &gate.points {
        let expected = binomial_power(20.0, p.value);
        assert!(
            p.power.lo <= expected && expected <= p.power.hi,
            "at p = {}: simulated {} ({}..{}), binomial {expected}",
            p.value,
            p.power.rate,
            p.power.lo,
            p.power.hi
        );
    }
    // The 50% point: the binomial's lies between where the Wilson band's upper and
    // lower edges cross 50%.
    let fine: Vec<PointEstimate> = (0..=100)
        .map(|i| {
            let v = 0.1 * f64::from(i) / 100.0;
            let mut q = gate.points[0].clone();
            (q.value, q.effect, q.point) = (v, v, i as usize);
            q.power.rate = binomial_power(20.0, v);
            q
        })
        .collect();
    let by_hand = crossing(&fine, |p| p.power.rate);
    let (early, late) = (
        crossing(&gate.points, |p| p.power.hi),
        crossing(&gate.points, |p| p.power.lo),
    );
    assert!(
        early <= by_hand && by_hand <= late,
        "binomial 50% point {by_hand}, simulated band crosses 50% between {early} and {late}"
    );
    assert!((0.045..0.06).contains(&by_hand), "{by_hand}");

    // Power rises with the effect: no point significantly below the one before it,
    // and the largest effect far above the smallest.
    for w in gate.points.windows(2) {
        assert!(
            w[1].power.hi >= w[0].power.lo,
            "{:?} then {:?}",
            w[0].power,
            w[1].power
        );
    }
    let (first, last) = (&gate.points[1].power, &gate.points[5].power);
    assert!(last.lo > first.hi, "{first:?} .. {last:?}");
    assert_eq!(gate.points[0].power.k, 0, "no errors, no failure");

    // Four times the traffic: four times the requests per window, so at every effect
    // past the threshold the gate is at least as likely to fail, and clearly more at
    // 6% and 8% errors.
    let high = analyse(&dir, "rate-80", 80, 300, 2);
    let hg = &high.detectors[1];
    for (l, h) in gate.points.iter().zip(&hg.points) {
        if l.value > THRESHOLD {
            assert!(
                h.power.rate >= l.power.rate,
                "at {}: {:?} vs {:?}",
                l.value,
                l.power,
                h.power
            );
        }
    }
    for i in [3, 4] {
        assert!(
            hg.points[i].power.lo > gate.points[i].power.hi,
            "at {}: rate 80 {:?}, rate 20 {:?}",
            gate.points[i].value,
            hg.points[i].power,
            gate.points[i].power
        );
    }
    // And its minimum detectable effect at 80% power is smaller.
    let (Mde::Within { value: m_low, .. }, Mde::Within { value: m_high, .. }) =
        (gate.mde_80, hg.mde_80)
    else {
        panic!("{:?} {:?}", gate.mde_80, hg.mde_80)
    };
    assert!(m_high < m_low, "{m_high} vs {m_low}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn outputs_are_byte_identical_across_thread_counts_and_the_answer_is_one_line() {
    let dir = temp_dir("power-threads");
    analyse(&dir, "one", 20, 30, 1);
    analyse(&dir, "two", 20, 30, 2);
    for f in [
        "power-runs.csv",
        "power.csv",
        "power.json",
        "report.html",
        "report.md",
        "charts/power.png",
    ] {
        let a = std::fs::read(dir.join("one").join(f)).unwrap();
        let b = std::fs::read(dir.join("two").join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    assert!(!dir.join("one/power-runs.csv.partial").exists());
    // The report rewritten later is the same bytes.
    let before = std::fs::read(dir.join("one/report.html")).unwrap();
    run_ok(&["report", &dir.join("one").display().to_string()]);
    assert_eq!(std::fs::read(dir.join("one/report.html")).unwrap(), before);
    let html = String::from_utf8(before).unwrap();
    assert!(html.contains("<h2>Minimum detectable effect</h2>"));
    assert!(html.contains("id=\"chart-power\""));

    // Without --out: the answer on stdout, one line per detector, nothing written.
    let text = run_ok(&[
        "power",
        "--scenario",
        &scenario(&dir, 20),
        "--policy",
        &policy(&dir),
        "--effect",
        "candidate.error_probability=0.02..0.1",
        "--points",
        "5",
        "--seeds",
        "30",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("policy one-analysis catches +")
            && lines[0].contains("% errors with 80% power at weight 10% in ")
            && lines[0].ends_with("; below that it misses"),
        "{text}"
    );
    assert!(lines[1].starts_with("gate errors catches +"), "{text}");
    assert!(
        lines[2].contains(
            "policy one-analysis stops 0 of 30 good releases: a false-rollback rate of 0.0%"
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_is_refused_naming_the_flag() {
    let dir = temp_dir("power-bad");
    let (s, p) = (scenario(&dir, 20), policy(&dir));
    let power = |effect: &str, extra: &[&str]| {
        let mut a = vec![
            "power",
            "--scenario",
            &s,
            "--policy",
            &p,
            "--seeds",
            "2",
            "--effect",
            effect,
        ];
        a.extend(extra);
        a.iter().map(|x| x.to_string()).collect::<Vec<String>>()
    };
    for (effect, needle) in [
        (
            "candidate.error_probability",
            "--effect candidate.error_probability: expected KEY=FROM..TO",
        ),
        (
            "candidate.error_probability=0.05",
            "expected a range FROM..TO",
        ),
        (
            "candidate.error_probability=0.05..0.05",
            "FROM (0.05) must be less than TO (0.05)",
        ),
        (
            "candidate.error_probability=0.06..0.05",
            "FROM (0.06) must be less than TO (0.05)",
        ),
        (
            "candidate.eror_probability=0.01..0.05",
            "unknown key `candidate.eror_probability` (did you mean `candidate.error_probability`?)",
        ),
        ("fleet.replicas=1..5", "unknown key `fleet.replicas`"),
        (
            "candidate.error_probability=0.5..1.5",
            "at candidate.error_probability=1.5: ",
        ),
        (
            "candidate.latency_multiplier=0.5..2",
            "must exceed the baseline's value of baseline.latency_multiplier",
        ),
    ] {
        run_fails(&power(effect, &[]), 2, needle);
    }
    let ok = "candidate.error_probability=0.01..0.05";
    run_fails(&power(ok, &["--points", "1"]), 2, "--points");
    run_fails(&power(ok, &["--points", "0"]), 2, "--points");
    run_fails(&power(ok, &["--points", "101"]), 2, "--points");
    // Outputs: a non-empty directory is refused before anything runs, --force
    // replaces the power files and leaves the user's own.
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    write_file(&out, "mine.txt", "keep");
    let o = out.display().to_string();
    run_fails(
        &power(ok, &["--points", "2", "--out", &o]),
        2,
        "not empty; pass --force",
    );
    assert!(!out.join("power.json").exists());
    run_ok(&power(ok, &["--points", "2", "--out", &o, "--force"]));
    assert!(out.join("power.json").exists() && out.join("mine.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

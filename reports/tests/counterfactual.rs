//! The counterfactual figures (`--counterfactual`) in the files: present only when a
//! run has them, read back as written, summarised with intervals, and never changing
//! the columns of a file without them.

mod common;

use common::{metrics, run_row};
use reports::artifacts::runs_csv::{self, Columns, RunIdentity, RunsCsv, RunsRecord};
use reports::artifacts::summary_csv;
use reports::metrics::{Outcome, Twin};
use reports::sweep::{Bootstrap, summarize};
use reports::vocab::{Figures, Metric};

const CF: [&str; 4] = [
    "budget_release_pct",
    "bad_events_release",
    "twin_budget_consumed_pct",
    "twin_requests_bad",
];

fn id(run_id: u64) -> RunIdentity<'static> {
    RunIdentity {
        run_id,
        scenario: "s",
        policy: "p",
        grid_values: &[],
        seed: 1,
        replicate: run_id,
    }
}

/// The counterfactual columns come last among the figures, before `limit_hit`; a
/// header without them is the header every sweep had before they existed.
#[test]
fn the_counterfactual_columns_are_added_only_with_the_flag() {
    let base = runs_csv::header(&[], Figures::BASE);
    let every = runs_csv::header(&[], Figures::EVERY);
    assert!(CF.iter().all(|c| !base.iter().any(|h| h == c)));
    let mut expected = base.clone();
    let limit = expected.pop().unwrap();
    assert_eq!(limit, "limit_hit");
    expected.extend(CF.map(String::from));
    expected.push(limit);
    assert_eq!(every, expected);
    assert_eq!(Figures::of(&metrics()), Figures::BASE);
    assert_eq!(runs_csv::row(&id(0), &metrics()).len(), base.len());
}

/// A table with the counterfactual figures reads back byte for byte, a negative
/// count difference included, and its reader knows which figures it holds.
#[test]
fn runs_csv_with_the_counterfactual_figures_reads_back() {
    let twin = Twin {
        budget_consumed_pct: 0.5,
        requests_bad: 1_000,
    };
    let rows: Vec<RunsRecord> = [metrics().with_twin(twin)]
        .iter()
        .enumerate()
        .map(|(k, m)| RunsRecord::new(&id(k as u64), m))
        .collect();
    let table = RunsCsv {
        grid_keys: vec![],
        figs: Figures::EVERY,
        param_keys: vec![],
        rows,
    };
    let bytes = table.to_bytes();
    let back = RunsCsv::from_bytes(&bytes).unwrap();
    assert_eq!(back.figs, Figures::EVERY);
    assert_eq!(back.to_bytes(), bytes);
    let r = &back.rows[0];
    assert_eq!(r.value(Metric::BadEventsRelease), Some(310.0 - 1000.0));
    assert_eq!(r.value(Metric::TwinRequestsBad), Some(1000.0));
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains(",-690,0.500000,1000,")
    );
}

/// A `--counterfactual` group summarises the counterfactual figures (with bootstrap
/// intervals) and `summary.csv` holds them; a group without them has neither.
#[test]
fn summaries_carry_the_counterfactual_figures_when_the_runs_do() {
    let boot = Bootstrap {
        master_seed: 1,
        resamples: 100,
    };
    let plain: Vec<_> = (0..5)
        .map(|k| run_row(k, Outcome::Succeeded, false, None, 0.01, 100.0))
        .collect();
    let g = summarize("s", "p", &plain, boot);
    assert!(g.metric(Metric::BudgetRelease).is_none());
    let with: Vec<_> = plain
        .iter()
        .cloned()
        .enumerate()
        .map(|(k, mut r)| {
            let i = Figures::EVERY
                .summarised()
                .position(|m| m == Metric::BudgetRelease)
                .unwrap();
            r.values[i] = Some(0.001 * k as f64);
            let j = Figures::EVERY
                .summarised()
                .position(|m| m == Metric::TwinBudgetConsumed)
                .unwrap();
            r.values[j] = Some(0.01 - 0.001 * k as f64);
            r
        })
        .collect();
    let g = summarize("s", "p", &with, boot);
    let release = g.metric(Metric::BudgetRelease).unwrap();
    let d = release.stats.unwrap();
    assert_eq!(release.n, 5);
    assert!((d.mean.value - 0.002).abs() < 1e-12);
    assert!(d.mean.lo <= d.mean.value && d.mean.value <= d.mean.hi);
    assert!(d.mean.lo < d.mean.hi, "an interval, not a point");

    let bytes = summary_csv::to_bytes(&summary_csv::records(&[g], Figures::EVERY), Figures::EVERY);
    let (back, figs) = summary_csv::from_bytes(&bytes).unwrap();
    assert_eq!(figs, Figures::EVERY);
    assert_eq!(summary_csv::to_bytes(&back, figs), bytes);
    let header = String::from_utf8(bytes).unwrap();
    let header = header.lines().next().unwrap();
    assert!(header.contains("budget_release_pct_mean_lo"));
    assert!(
        !summary_csv::header(Figures::BASE)
            .iter()
            .any(|h| h.starts_with("budget_release") || h.starts_with("twin_"))
    );
}

/// The summaries' reader finds the counterfactual columns by name when they are there
/// and reads a header without them as a sweep without the flag.
#[test]
fn columns_find_the_counterfactual_figures_by_name() {
    let twin = Twin {
        budget_consumed_pct: 0.25,
        requests_bad: 100,
    };
    for (m, expect) in [
        (
            metrics().with_twin(twin),
            Some(metrics().budget_consumed_pct - 0.25),
        ),
        (metrics(), None),
    ] {
        let figs = Figures::of(&m);
        let head = csv::StringRecord::from(runs_csv::header(&[], figs));
        let cols = Columns::from_header(&head).unwrap();
        let rec = csv::StringRecord::from(runs_csv::row(&id(0), &m));
        let row = cols.parse(&rec).unwrap();
        match (row.value(Metric::BudgetRelease), expect) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{a} vs {b}"),
            (a, b) => assert_eq!(a, b),
        }
    }
}

//! Uncertain parameters: a scenario whose numbers are partly distributions.
//!
//! Nobody knows in advance how fast the next leak will be. A scenario may give any
//! number it reads as a distribution table (`config::uncertain`); reading it keeps the
//! document as a template and its uncertain parameters sorted by key. Each replicate
//! then draws every parameter from a stream of its own, derived from (master seed,
//! scenario, replicate) and the parameter's key (`RunSeed::keyed_stream` with the
//! key's FNV-1a), never from the policy: two policies compared on a replicate face the
//! same world, and adding a parameter elsewhere never changes another's draws. The
//! drawn numbers are put into the template and the result is read by the same reader
//! as any scenario file.
//!
//! A key the reader takes as a whole number (replicas, retries, counts) gets a whole
//! number: a continuous draw is rounded to the nearest integer, halves away from zero
//! (so a uniform's two ends get half the weight of the integers between them; use a
//! `choice` for equal weights); a `choice`'s values are put as written, so a choice of
//! integers is exact, and a fractional value there is refused like one in the file.
//!
//! Bounds: reading checks that nothing a distribution can draw is refused. Each
//! parameter is read at each end of its support (every value, for a choice) with the
//! others at their medians, and a refusal is reported under the parameter's key with
//! the value that breaks it; an open end (a lognormal without `max`) is tried at the
//! largest number, so at a bounded key it is refused until it is given an end. Then,
//! because rules between keys (a limit above its base, a work estimate) move with
//! several parameters at once, the scenario is read at every corner of the
//! parameters' box: every rule the reader has is monotone in each number, so a box
//! whose corners read cleanly has no draw inside that does not.

use std::borrow::Cow;
use std::sync::Arc;

use config::uncertain::{self, Distribution, End, Segment, Template};
use config::{Doc, Problem, Problems, Value, number};
use rand::Rng;
use sim_core::rng::RunSeed;

use crate::Scenario;
use crate::limits::MAX_UNCERTAIN_PARAMS;

/// A value put into the document, and the number it stands for.
type Setting = (Value, f64);

/// One uncertain number of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// As problems name it: `candidate.memory.leak_mb_per_second`.
    pub key: String,
    pub distribution: Distribution,
    /// The reader takes this key as a whole number: draws are rounded.
    pub integer: bool,
    path: Vec<Segment>,
}

impl Param {
    /// The document value at probability `u`, and the number it stands for.
    fn at(&self, u: f64) -> (Value, f64) {
        if let Distribution::Choice { values, .. } = &self.distribution {
            let v = values[self.distribution.choice_index(u)].clone();
            let x = match v {
                Value::Integer(i) => i as f64,
                Value::Float(f) => f,
                _ => 0.0,
            };
            return (v, x);
        }
        self.value_of(self.distribution.quantile(u))
    }

    /// A number as the key takes it: rounded for a whole-number key.
    fn value_of(&self, x: f64) -> (Value, f64) {
        if self.integer {
            let r = x.round();
            // `as` saturates: an open end's stand-in stays the largest integer.
            (Value::Integer(r as i64), r)
        } else {
            (Value::Float(x), x)
        }
    }

    /// The value a bound check tries at `end`.
    fn at_end(&self, end: &End) -> (Value, f64) {
        match (end.choice, &self.distribution) {
            (Some(i), Distribution::Choice { values, .. }) => {
                let v = values[i].clone();
                (v, end.value)
            }
            _ => self.value_of(end.value),
        }
    }

    /// The lower and upper corner values: the support's ends (a choice's smallest and
    /// largest values).
    fn corners(&self) -> [(Value, f64); 2] {
        let ends = self.distribution.ends();
        let lowest = ends
            .iter()
            .min_by(|a, b| a.value.total_cmp(&b.value))
            .expect("a distribution has ends");
        let highest = ends
            .iter()
            .max_by(|a, b| a.value.total_cmp(&b.value))
            .expect("a distribution has ends");
        [self.at_end(lowest), self.at_end(highest)]
    }

    /// The median, where the others sit while one parameter is tried at its ends.
    fn median(&self) -> (Value, f64) {
        self.at(0.5)
    }
}

/// A scenario's uncertain parameters and the document they are drawn into.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncertainty {
    template: Template,
    /// Sorted by key.
    params: Vec<Param>,
}

/// A scenario as one replicate meets it: its numbers drawn, and what was drawn.
#[derive(Clone, Debug)]
pub struct Drawn<'a> {
    pub scenario: Cow<'a, Scenario>,
    /// `(key, value)` sorted by key; empty for a scenario without uncertain parameters.
    pub params: Vec<(String, f64)>,
}

/// The uniform number in (0, 1) parameter `key` of the run `seed` draws from: the
/// first draw of its own stream, 53 bits, never 0 or 1, so every quantile is finite.
pub fn unit(seed: RunSeed, key: &str) -> f64 {
    let mut rng = seed.keyed_stream(sim_core::hash::fnv1a(key.as_bytes()));
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

impl Uncertainty {
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    fn doc_with(&self, values: &[(Value, f64)]) -> Doc {
        self.template.doc_with(|t| {
            for (p, (v, _)) in self.params.iter().zip(values) {
                uncertain::set_at(t, &p.path, v.clone());
            }
        })
    }

    /// The scenario of one run: every parameter drawn from its own stream.
    pub fn draw(&self, seed: RunSeed) -> Result<(Scenario, Vec<(String, f64)>), Problems> {
        let values: Vec<(Value, f64)> = self
            .params
            .iter()
            .map(|p| p.at(unit(seed, &p.key)))
            .collect();
        let drawn = self
            .params
            .iter()
            .zip(&values)
            .map(|(p, (_, x))| (p.key.clone(), *x))
            .collect();
        let doc = self.doc_with(&values);
        // Every corner of the box read cleanly, so this is not expected; if a rule is
        // ever not monotone, the refusal names the draw that broke it.
        Scenario::from_fixed_doc(&doc)
            .map(|s| (s, drawn))
            .map_err(|Problems(ps)| {
                let at: Vec<String> = self
                    .params
                    .iter()
                    .zip(&values)
                    .map(|(p, (_, x))| format!("{} = {}", p.key, number(*x)))
                    .collect();
                Problems(
                    ps.into_iter()
                        .map(|p| Problem {
                            reason: format!("drawn with {}: {}", at.join(", "), p.reason),
                            ..p
                        })
                        .collect(),
                )
            })
    }
}

impl Scenario {
    /// The scenario replicate `seed` runs: this one, or its draw.
    pub fn draw(&self, seed: RunSeed) -> Result<Drawn<'_>, Problems> {
        match &self.uncertainty {
            None => Ok(Drawn {
                scenario: Cow::Borrowed(self),
                params: Vec::new(),
            }),
            Some(u) => {
                let (scenario, params) = u.draw(seed)?;
                Ok(Drawn {
                    scenario: Cow::Owned(scenario),
                    params,
                })
            }
        }
    }

    /// The uncertain parameters, sorted by key (none for a fixed scenario).
    pub fn uncertain_params(&self) -> &[Param] {
        self.uncertainty.as_deref().map_or(&[], |u| u.params())
    }
}

/// How a value tried for `p` is shown: its end, or that the end is open.
fn tried(p: &Param, end: &End, x: f64) -> String {
    if !end.open {
        return format!("{} can draw {}", p.distribution, number(x));
    }
    let (side, give, values) = if end.value == f64::MIN_POSITIVE {
        ("lower", "min", "values as near 0 as any")
    } else if end.value < 0.0 {
        ("lower", "min", "values below any bound")
    } else {
        ("upper", "max", "values above any bound")
    };
    format!(
        "{} has no {side} end (give it a `{give}`) and can draw {values}",
        p.distribution
    )
}

/// What `inner` (a problem of the document read with a tried value) says about the
/// parameter tried.
fn blamed(what: &str, key: &str, inner: &Problem) -> String {
    if inner.key == key {
        format!("{what}, which the key refuses: {}", inner.reason)
    } else if inner.key.is_empty() {
        format!("{what}, and then {}", inner.reason)
    } else {
        format!("{what}, and then {}: {}", inner.key, inner.reason)
    }
}

/// Reads a document holding distribution tables (`found`, from `config::uncertain::
/// find`): the scenario at the parameters' medians, carrying its `Uncertainty`, once
/// every draw it can make reads cleanly (see the module's comment).
pub(crate) fn read(doc: &Doc, found: Vec<uncertain::Found>) -> Result<Scenario, Problems> {
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for f in found {
        match f.parsed {
            Ok(d) => good.push((f.key, f.path, d)),
            Err(reason) => {
                doc.problem(&f.key, reason);
                bad.push(f.path);
            }
        }
    }
    if good.len() > MAX_UNCERTAIN_PARAMS {
        doc.problem(
            &good[MAX_UNCERTAIN_PARAMS].0,
            format!(
                "at most {MAX_UNCERTAIN_PARAMS} uncertain parameters in a scenario, found {} \
                 (each is checked at every corner of their box: 2^{MAX_UNCERTAIN_PARAMS} reads)",
                good.len()
            ),
        );
    }
    let template = doc.template().doc_with(|t| {
        for path in &bad {
            uncertain::remove_at(t, path);
        }
    });
    let template = template.template();
    // Which keys are whole numbers is the reader's knowledge: a first read with every
    // parameter at its (unrounded) median records the keys it asked for as integers.
    let probe = template.doc_with(|t| {
        for (_, path, d) in &good {
            uncertain::set_at(t, path, Value::Float(d.quantile(0.5)));
        }
    });
    drop(crate::read::scenario(&probe.root()));
    let integers = probe.integer_keys();
    let params: Vec<Param> = good
        .into_iter()
        .map(|(key, path, distribution)| Param {
            integer: integers.contains(&key),
            key,
            distribution,
            path,
        })
        .collect();
    let u = Uncertainty { template, params };
    if doc.has_problems() {
        return Err(Problems(doc.problems()));
    }
    let medians: Vec<(Value, f64)> = u.params.iter().map(Param::median).collect();
    let problems_at = |values: &[(Value, f64)]| match Scenario::from_fixed_doc(&u.doc_with(values))
    {
        Ok(s) => (Some(s), Vec::new()),
        Err(Problems(ps)) => (None, ps),
    };
    let (nominal, at_medians) = problems_at(&medians);
    // Each parameter at each end, the others at their medians: what is refused there
    // and not at the medians is this end's doing.
    let mut blamed_ends = vec![false; u.params.len()];
    for (i, p) in u.params.iter().enumerate() {
        for end in p.distribution.ends() {
            let mut values = medians.clone();
            values[i] = p.at_end(&end);
            let what = tried(p, &end, values[i].1);
            for inner in problems_at(&values).1 {
                if at_medians.contains(&inner) {
                    continue;
                }
                let reason = blamed(&what, &p.key, &inner);
                if !doc.problems().iter().any(|q| q.reason == reason) {
                    doc.problem(&p.key, reason);
                    blamed_ends[i] = true;
                }
            }
        }
    }
    // What the medians themselves are refused: under the parameter whose key it
    // names (unless one of its ends said it already), or as it is.
    for inner in at_medians {
        match u.params.iter().position(|p| p.key == inner.key) {
            Some(i) if blamed_ends[i] => {}
            Some(i) => {
                let p = &u.params[i];
                let what = format!("{} can draw {}", p.distribution, number(medians[i].1));
                doc.problem(&p.key, blamed(&what, &p.key, &inner));
            }
            None => doc.problem(&inner.key, inner.reason),
        }
    }
    if doc.has_problems() {
        return Err(Problems(doc.problems()));
    }
    // Every corner of the box, when there is more than one parameter.
    let k = u.params.len();
    if k > 1 {
        let corners: Vec<[(Value, f64); 2]> = u.params.iter().map(Param::corners).collect();
        let mut refused = 0u64;
        let mut first: Option<(Vec<Setting>, Vec<Problem>)> = None;
        for mask in 0u64..(1 << k) {
            let values: Vec<(Value, f64)> = corners
                .iter()
                .enumerate()
                .map(|(i, c)| c[((mask >> i) & 1) as usize].clone())
                .collect();
            if let Err(Problems(ps)) = Scenario::from_fixed_doc(&u.doc_with(&values)) {
                refused += 1;
                first.get_or_insert((values, ps));
            }
        }
        if let Some((values, ps)) = first {
            let at: Vec<String> = u
                .params
                .iter()
                .zip(&values)
                .map(|(p, (_, x))| format!("{} = {}", p.key, number(*x)))
                .collect();
            for inner in ps {
                let key = if inner.key.is_empty() {
                    u.params[0].key.clone()
                } else {
                    inner.key.clone()
                };
                doc.problem(
                    &key,
                    format!(
                        "the uncertain parameters can draw {} together ({refused} of the {} corners of their box are refused), and then: {}",
                        at.join(", "),
                        1u64 << k,
                        inner.reason
                    ),
                );
            }
            return Err(Problems(doc.problems()));
        }
    }
    let mut scenario = nominal.expect("no problems at the medians");
    scenario.uncertainty = Some(Arc::new(u));
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, sets: &[(&str, &str)]) -> Result<Scenario, Vec<String>> {
        let mut doc = Doc::parse("u.toml", &format!("schema_version = 1\n{text}")).unwrap();
        for (k, v) in sets {
            doc.set(k, v).unwrap();
        }
        Scenario::from_doc(&doc).map_err(|p| p.0.iter().map(|p| p.to_string()).collect())
    }

    fn leak(dist: &str) -> Result<Scenario, Vec<String>> {
        read(
            &format!("[candidate.memory]\nleak_mb_per_second = {dist}\n"),
            &[],
        )
    }

    #[test]
    fn a_fixed_scenario_has_no_uncertainty() {
        let s = read("", &[]).unwrap();
        assert!(s.uncertainty.is_none());
        let d = s.draw(RunSeed::new(1, 2, 3)).unwrap();
        assert!(matches!(d.scenario, Cow::Borrowed(_)));
        assert!(d.params.is_empty());
    }

    #[test]
    fn bounds_are_checked_at_exactly_the_support_ends() {
        // The key's minimum is 0, inclusive: a uniform reaching 0 is accepted.
        assert!(leak("{ uniform = [0, 4] }").is_ok());
        assert_eq!(
            leak("{ uniform = [-1e-9, 4] }").unwrap_err(),
            [
                "u.toml: candidate.memory.leak_mb_per_second: uniform [-1e-9, 4] can draw -1e-9, \
              which the key refuses: must be at least 0, found -1e-9"
            ]
        );
        assert_eq!(
            leak("{ uniform = [-1, 2] }").unwrap_err(),
            [
                "u.toml: candidate.memory.leak_mb_per_second: uniform [-1, 2] can draw -1, \
              which the key refuses: must be at least 0, found -1"
            ]
        );
        // The largest accepted value is 1048576 MB/s.
        assert!(leak("{ uniform = [0, 1048576] }").is_ok());
        assert!(leak("{ uniform = [0, 1048576.01] }").is_err());
        // A lognormal without max at a key with an upper bound is refused; with one, fine.
        let e = leak("{ lognormal = { median = 2, sigma = 0.5 } }").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with(
                "u.toml: candidate.memory.leak_mb_per_second: lognormal (median 2, sigma 0.5) \
                 has no upper end (give it a `max`)"
            ),
            "{e:?}"
        );
        assert!(e[0].contains("must be at most 1048576"), "{e:?}");
        assert!(leak("{ lognormal = { median = 2, sigma = 0.5, max = 40 } }").is_ok());
        // A normal without min at a key with a lower bound.
        let e = leak("{ normal = { mean = 2, sd = 1, max = 5 } }").unwrap_err();
        assert!(e[0].contains("has no lower end (give it a `min`)"), "{e:?}");
        assert!(leak("{ normal = { mean = 2, sd = 1, min = 0, max = 5 } }").is_ok());
        // A choice is checked value by value.
        let e = leak("{ choice = [1, -2, 3] }").unwrap_err();
        assert_eq!(
            e,
            [
                "u.toml: candidate.memory.leak_mb_per_second: choice [1, -2, 3] can draw -2, \
              which the key refuses: must be at least 0, found -2"
            ]
        );
        // The distribution's own rules come first, under the key.
        assert_eq!(
            leak("{ uniform = [2, 1] }").unwrap_err(),
            ["u.toml: candidate.memory.leak_mb_per_second: uniform [2, 1] needs low < high"]
        );
    }

    #[test]
    fn integer_keys_get_whole_numbers() {
        let s = read("[fleet]\nreplicas = { uniform = [2.6, 9] }\n", &[]).unwrap();
        let p = &s.uncertain_params()[0];
        assert!(p.integer, "replicas is read as a whole number");
        for r in 0..200 {
            let d = s.draw(RunSeed::new(1, 2, r)).unwrap();
            let n = d.scenario.fleet.replicas;
            assert!((3..=9).contains(&n), "{n}");
            assert_eq!(d.params[0].1, n as f64);
        }
        // A choice of integers is exact; a fraction at a whole-number key is refused.
        let s = read("[fleet]\nreplicas = { choice = [4, 7] }\n", &[]).unwrap();
        let drawn: std::collections::BTreeSet<u32> = (0..50)
            .map(|r| {
                s.draw(RunSeed::new(1, 2, r))
                    .unwrap()
                    .scenario
                    .fleet
                    .replicas
            })
            .collect();
        assert_eq!(drawn.into_iter().collect::<Vec<_>>(), [4, 7]);
        let e = read("[fleet]\nreplicas = { choice = [4, 7.5] }\n", &[]).unwrap_err();
        assert!(
            e[0].contains(
                "choice [4, 7.5] can draw 7.5, which the key refuses: expected an integer"
            ),
            "{e:?}"
        );
        // Rounding brings an end below the key's minimum of 1.
        let e = read("[fleet]\nreplicas = { uniform = [0.4, 5] }\n", &[]).unwrap_err();
        assert!(e[0].contains("can draw 0, which the key refuses"), "{e:?}");
        assert!(read("[fleet]\nreplicas = { uniform = [0.5, 5] }\n", &[]).is_ok());
    }

    #[test]
    fn rules_between_keys_are_checked_at_the_corners() {
        // base_mb up to 900 with limit_mb down to 800: the corner base 900, limit 800
        // breaks `limit_mb > base_mb`, though each alone at its ends is fine.
        let text = "[baseline.memory]\nbase_mb = { uniform = [100, 900] }\n\
                    limit_mb = { uniform = [800, 2000] }\n";
        let e = read(text, &[]).unwrap_err();
        // The candidate inherits both: its limit is refused at that corner too.
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[1].starts_with("u.toml: candidate.memory.limit_mb: "),
            "{e:?}"
        );
        assert!(
            e[0].starts_with(
                "u.toml: baseline.memory.limit_mb: the uncertain parameters can draw \
                 baseline.memory.base_mb = 900, baseline.memory.limit_mb = 800 together \
                 (1 of the 4 corners of their box are refused), and then: must exceed base_mb"
            ),
            "{e:?}"
        );
        let ok = "[baseline.memory]\nbase_mb = { uniform = [100, 700] }\n\
                  limit_mb = { uniform = [800, 2000] }\n";
        assert!(read(ok, &[]).is_ok());
    }

    #[test]
    fn draws_depend_on_the_seed_and_key_alone() {
        let one = read(
            "[candidate.memory]\nleak_mb_per_second = { uniform = [0.1, 2] }\n",
            &[],
        )
        .unwrap();
        let two = read(
            "[candidate.memory]\nleak_mb_per_second = { uniform = [0.1, 2] }\n\
             [traffic]\nrate = { uniform = [100, 900] }\n",
            &[],
        )
        .unwrap();
        let seed = RunSeed::new(7, 11, 3);
        let a = one.draw(seed).unwrap().params;
        let b = two.draw(seed).unwrap().params;
        assert_eq!(
            a[0], b[0],
            "another parameter does not move this one's draw"
        );
        assert_eq!(b[1].0, "traffic.rate");
        let other = one.draw(RunSeed::new(7, 11, 4)).unwrap().params;
        assert_ne!(a[0].1, other[0].1, "another replicate draws anew");
        assert_eq!(
            one.draw(seed)
                .unwrap()
                .scenario
                .candidate
                .memory
                .leak_mb_per_second,
            a[0].1
        );
    }

    /// Two parameters' draws are independent: over 3000 replicates the correlation of
    /// their uniforms is within 4 standard errors (4/sqrt(3000) = 0.073) of 0 (a sweep's
    /// sensitivity would otherwise credit one parameter with another's influence).
    #[test]
    fn two_keys_draw_independently() {
        let n = 3000;
        let pairs: Vec<(f64, f64)> = (0..n)
            .map(|r| {
                let seed = RunSeed::new(1, 5, r);
                (
                    unit(seed, "candidate.error_probability"),
                    unit(seed, "candidate.memory.leak_mb_per_second"),
                )
            })
            .collect();
        let mean = |f: &dyn Fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / n as f64;
        let (ma, mb) = (mean(&|p| p.0), mean(&|p| p.1));
        let cov = mean(&|p| (p.0 - ma) * (p.1 - mb));
        let var = |m: f64, f: &dyn Fn(&(f64, f64)) -> f64| {
            pairs.iter().map(|p| (f(p) - m).powi(2)).sum::<f64>() / n as f64
        };
        let r = cov / (var(ma, &|p| p.0) * var(mb, &|p| p.1)).sqrt();
        assert!(r.abs() < 4.0 / (n as f64).sqrt(), "correlation {r}");
    }

    /// Over 2000 replicates each distribution's draws have its mean and bounds; the
    /// bands exclude the nearest wrong answers (an untruncated normal, the midpoint of
    /// a log-uniform, equal weights).
    #[test]
    fn draws_follow_their_distributions() {
        let draws = |dist: &str| -> Vec<f64> {
            let s = leak(dist).unwrap();
            (0..2000)
                .map(|r| s.draw(RunSeed::new(3, 5, r)).unwrap().params[0].1)
                .collect()
        };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let u = draws("{ uniform = [1, 3] }");
        // The mean's standard error is 0.577 / √2000 = 0.013.
        assert!((mean(&u) - 2.0).abs() < 0.05, "{}", mean(&u));
        assert!(u.iter().all(|&x| (1.0..=3.0).contains(&x)));
        assert!(u.iter().any(|&x| x < 1.05) && u.iter().any(|&x| x > 2.95));
        // Log-uniform on [1, 100]: mean 99 / ln 100 = 21.5, far below the midpoint 50.5.
        let lu = draws("{ log_uniform = [1, 100] }");
        assert!((mean(&lu) - 21.5).abs() < 2.0, "{}", mean(&lu));
        // Normal(2, 1) truncated to [1.5, 5]: never outside, and its mean 2.51 is half
        // a standard deviation above the untruncated 2.
        let n = draws("{ normal = { mean = 2, sd = 1, min = 1.5, max = 5 } }");
        assert!(n.iter().all(|&x| (1.5..=5.0).contains(&x)));
        assert!((mean(&n) - 2.51).abs() < 0.06, "{}", mean(&n));
        // Lognormal median 2: half the draws below 2.
        let ln = draws("{ lognormal = { median = 2, sigma = 0.5, max = 50 } }");
        let below = ln.iter().filter(|&&x| x < 2.0).count();
        assert!((900..1100).contains(&below), "{below}");
        // Choice with weights 1:3: a quarter are the first value (sd 19 in 2000).
        let c = draws("{ choice = [1, 2], weights = [1, 3] }");
        let ones = c.iter().filter(|&&x| x == 1.0).count();
        assert!((440..560).contains(&ones), "{ones}");
        assert!(c.iter().all(|&x| x == 1.0 || x == 2.0));
    }

    #[test]
    fn a_distribution_through_set_is_read_and_labelled_as_set() {
        let s = read(
            "",
            &[("candidate.error_probability", "{ uniform = [0.001, 0.02] }")],
        )
        .unwrap();
        assert_eq!(s.uncertain_params()[0].key, "candidate.error_probability");
        let e = read(
            "",
            &[("candidate.error_probability", "{ uniform = [0.5, 2] }")],
        )
        .unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("--set: candidate.error_probability: uniform [0.5, 2] can draw 2, which the key refuses"),
            "{e:?}"
        );
    }
}

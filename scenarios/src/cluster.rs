//! Reading `[cluster]`: the room the cluster has for pods (a ResourceQuota on `pods`,
//! node capacity per zone) and `[[cluster.changes]]`, how it changes during the run.
//! Every value is checked here with its key; the engine's `WorldConfig::check` holds
//! the same rules as a backstop.

use config::{Section, Value};

use crate::faults::{FaultSpec, Params};
use crate::limits::{MAX_CLUSTER_CHANGES, MAX_CLUSTER_PODS, MAX_HORIZON_SECONDS, MAX_ZONES};
use crate::model::{Cluster, ClusterChange};

/// `[cluster]`, or `None` when the document has none. `replicas` is `fleet.replicas`
/// (the fleet at t = 0 must fit), `faults` the `[[faults]]` (a zone loss must name the
/// cluster's zones).
pub fn read(root: &Section<'_>, replicas: u32, faults: &[FaultSpec]) -> Option<Cluster> {
    if !root.has("cluster") {
        return None;
    }
    let s = root.section("cluster");
    // Known even when absent, so a misspelt key gets its suggestion.
    s.allow(&["max_pods", "zone_pods", "changes"]);
    let max_pods = s
        .has("max_pods")
        .then(|| s.u32_in("max_pods", 1, 1..=MAX_CLUSTER_PODS));
    let zone_pods = zone_list(&s, "zone_pods");
    if max_pods.is_none() && zone_pods.is_none() && !s.has("zone_pods") {
        root.problem(
            "cluster",
            "give max_pods (a ResourceQuota on pods), zone_pods (pods each zone's nodes hold) or both",
        );
    }
    let changes = changes(&s, zone_pods.as_ref().map(Vec::len));
    fits(&s, replicas, max_pods, zone_pods.as_deref());
    if let Some(z) = &zone_pods {
        zones_agree(root, z.len(), faults);
    }
    Some(Cluster {
        max_pods,
        zone_pods,
        changes,
    })
}

/// A list of pod counts, one per zone: `None` when absent or refused (the refusal is
/// recorded at the key, with the entry's index).
fn zone_list(s: &Section<'_>, key: &str) -> Option<Vec<u32>> {
    let v = s.raw(key)?;
    let Value::Array(items) = v else {
        s.problem(
            key,
            format!(
                "expected a list of pod counts, one per zone, found {}",
                config::describe(v)
            ),
        );
        return None;
    };
    if items.is_empty() || items.len() > MAX_ZONES as usize {
        s.problem(
            key,
            format!("must list 1 to {MAX_ZONES} zones, found {}", items.len()),
        );
        return None;
    }
    let mut counts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Integer(n) if (0..=i64::from(MAX_CLUSTER_PODS)).contains(n) => {
                counts.push(*n as u32)
            }
            Value::Integer(n) => s.problem(
                &format!("{key}[{i}]"),
                format!("must be a whole number from 0 to {MAX_CLUSTER_PODS}, found {n}"),
            ),
            other => s.problem(
                &format!("{key}[{i}]"),
                format!(
                    "expected a whole number of pods, found {}",
                    config::describe(other)
                ),
            ),
        }
    }
    (counts.len() == items.len()).then_some(counts)
}

/// `[[cluster.changes]]`: each at an instant of the run, after the one before it, and
/// changing something; `zone_pods` for the cluster's own zones.
fn changes(s: &Section<'_>, zones: Option<usize>) -> Vec<ClusterChange> {
    let tables = s.tables("changes");
    if tables.len() > MAX_CLUSTER_CHANGES {
        s.problem(
            "changes",
            format!(
                "at most {MAX_CLUSTER_CHANGES} capacity changes, found {}",
                tables.len()
            ),
        );
    }
    let mut out: Vec<ClusterChange> = Vec::with_capacity(tables.len());
    for (i, c) in tables.iter().enumerate() {
        c.allow(&["max_pods", "zone_pods"]);
        let at_seconds = c.f64_in("at_seconds", 0.0, 0.0..=MAX_HORIZON_SECONDS);
        if !c.has("at_seconds") {
            c.problem(
                "at_seconds",
                "missing: when the capacity changes, in seconds",
            );
        }
        if let Some(prev) = out.last()
            && at_seconds <= prev.at_seconds
        {
            c.problem(
                "at_seconds",
                format!(
                    "changes must be in time order: {} is not after the previous change's {}",
                    config::number(at_seconds),
                    config::number(prev.at_seconds)
                ),
            );
        }
        let max_pods = c
            .has("max_pods")
            .then(|| c.u32_in("max_pods", 0, 0..=MAX_CLUSTER_PODS));
        let zone_pods = zone_list(c, "zone_pods");
        match (&zone_pods, zones) {
            (Some(_), None) => c.problem(
                "zone_pods",
                "the cluster has no zone_pods to change; set cluster.zone_pods first",
            ),
            (Some(z), Some(n)) if z.len() != n => c.problem(
                "zone_pods",
                format!(
                    "must list the cluster's {n} zones (as cluster.zone_pods does), found {}",
                    z.len()
                ),
            ),
            _ => {}
        }
        if !c.has("max_pods") && !c.has("zone_pods") {
            s.problem(
                &format!("changes[{i}]"),
                "a change gives max_pods, zone_pods or both",
            );
        }
        out.push(ClusterChange {
            at_seconds,
            max_pods,
            zone_pods,
        });
    }
    out
}

/// The fleet at t = 0 runs: it must fit the initial room.
fn fits(s: &Section<'_>, replicas: u32, max_pods: Option<u32>, zone_pods: Option<&[u32]>) {
    if let Some(m) = max_pods
        && m < replicas
    {
        s.problem(
            "max_pods",
            format!(
                "the initial fleet does not fit: fleet.replicas = {replicas} pods, cluster.max_pods = {m}"
            ),
        );
    }
    if let Some(z) = zone_pods {
        let room: u64 = z.iter().map(|&n| u64::from(n)).sum();
        if room < u64::from(replicas) {
            s.problem(
                "zone_pods",
                format!(
                    "the initial fleet does not fit: fleet.replicas = {replicas} pods, cluster.zone_pods hold {room}"
                ),
            );
        }
    }
}

/// Pods are spread over the cluster's zones: a zone-loss fault must lose one of them.
fn zones_agree(root: &Section<'_>, zones: usize, faults: &[FaultSpec]) {
    for (i, f) in faults.iter().enumerate() {
        if let Params::ZoneLoss { zones: z, .. } = f.params
            && z as usize != zones
        {
            root.problem(
                &format!("faults[{i}].zones"),
                format!(
                    "the cluster has {zones} zones (cluster.zone_pods); a zone loss there needs zones = {zones}, found {z}"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Scenario;
    use config::Doc;
    use sim_core::SimTime;
    use sim_core::rng::RunSeed;
    use sim_core::world::Capacity;

    fn read(text: &str) -> Result<Scenario, Vec<String>> {
        let doc = Doc::parse("c.toml", &format!("schema_version = 1\n{text}")).unwrap();
        Scenario::from_doc(&doc).map_err(|p| p.0.iter().map(|p| p.to_string()).collect())
    }

    fn refused(text: &str) -> Vec<String> {
        read(text).unwrap_err()
    }

    #[test]
    fn a_cluster_reads_into_the_engine_s_room() {
        let s = read(
            "[fleet]\nreplicas = 6\n[cluster]\nmax_pods = 8\nzone_pods = [3, 3, 2]\n\
             [[cluster.changes]]\nat_seconds = 300\nmax_pods = 6\n\
             [[cluster.changes]]\nat_seconds = 600.5\nzone_pods = [3, 0, 3]\n",
        )
        .unwrap();
        assert!(s.fleet_can_resize());
        let w = s.world(RunSeed::new(1, 0, 0));
        let c = w.cluster.expect("a cluster");
        assert_eq!(
            c.capacity,
            Capacity {
                max_pods: Some(8),
                zone_pods: Some(vec![3, 3, 2])
            }
        );
        assert_eq!(c.changes.len(), 2);
        assert_eq!(c.changes[0].0, SimTime::from_secs(300));
        assert_eq!(c.changes[0].1.max_pods, Some(6));
        assert_eq!(c.changes[1].0, SimTime::from_secs_f64(600.5));
        assert_eq!(c.changes[1].1.zone_pods, Some(vec![3, 0, 3]));
        let without = read("[fleet]\nreplicas = 6\n").unwrap();
        assert!(!without.fleet_can_resize());
        assert_eq!(without.world(RunSeed::new(1, 0, 0)).cluster, None);
    }

    /// The fleet at t = 0 must fit: room for exactly `fleet.replicas` is accepted, one
    /// less refused, naming both keys.
    #[test]
    fn the_initial_fleet_must_fit_the_initial_room() {
        assert!(read("[fleet]\nreplicas = 20\n[cluster]\nmax_pods = 20\n").is_ok());
        assert_eq!(
            refused("[fleet]\nreplicas = 20\n[cluster]\nmax_pods = 19\n"),
            [
                "c.toml: cluster.max_pods: the initial fleet does not fit: fleet.replicas = 20 pods, cluster.max_pods = 19"
            ]
        );
        assert!(read("[fleet]\nreplicas = 5\n[cluster]\nzone_pods = [2, 3]\n").is_ok());
        assert_eq!(
            refused("[fleet]\nreplicas = 5\n[cluster]\nzone_pods = [2, 2]\n"),
            [
                "c.toml: cluster.zone_pods: the initial fleet does not fit: fleet.replicas = 5 pods, cluster.zone_pods hold 4"
            ]
        );
    }

    #[test]
    fn bad_values_are_refused_with_their_keys() {
        let cases = [
            (
                "[cluster]\n",
                "c.toml: cluster: give max_pods (a ResourceQuota on pods), zone_pods (pods each zone's nodes hold) or both",
            ),
            (
                "[cluster]\nmax_pods = 0\n",
                "c.toml: cluster.max_pods: must be a whole number of at least 1, found 0",
            ),
            (
                "[cluster]\nmax_pods = 150001\n",
                "c.toml: cluster.max_pods: must be at most 150000, found 150001",
            ),
            (
                "[cluster]\nmax_pods = 25.5\n",
                "c.toml: cluster.max_pods: expected an integer, found the number 25.5",
            ),
            (
                "[cluster]\nzone_pods = 30\n",
                "c.toml: cluster.zone_pods: expected a list of pod counts, one per zone, found the integer 30",
            ),
            (
                "[cluster]\nzone_pods = []\n",
                "c.toml: cluster.zone_pods: must list 1 to 64 zones, found 0",
            ),
            (
                "[cluster]\nzone_pods = [20, -1]\n",
                "c.toml: cluster.zone_pods[1]: must be a whole number from 0 to 150000, found -1",
            ),
            (
                "[cluster]\nzone_pods = [20, 150001]\n",
                "c.toml: cluster.zone_pods[1]: must be a whole number from 0 to 150000, found 150001",
            ),
            (
                "[cluster]\nzone_pods = [20, \"x\"]\n",
                "c.toml: cluster.zone_pods[1]: expected a whole number of pods, found the string \"x\"",
            ),
            (
                "[cluster]\nmax_pod = 30\n",
                "c.toml: cluster.max_pod: unknown key (did you mean `max_pods`?)",
            ),
        ];
        for (text, want) in cases {
            let got = refused(text);
            assert!(got.iter().any(|p| p == want), "{text}: {got:?}");
        }
        let zones = |n: usize| format!("[cluster]\nzone_pods = [{}]\n", vec!["20"; n].join(", "));
        assert!(read(&zones(64)).is_ok());
        assert_eq!(
            refused(&zones(65)),
            ["c.toml: cluster.zone_pods: must list 1 to 64 zones, found 65"]
        );
        assert!(read("[cluster]\nmax_pods = 150000\nzone_pods = [150000]\n").is_ok());
    }

    #[test]
    fn changes_are_in_time_order_bounded_and_for_the_cluster_s_zones() {
        let base = "[cluster]\nmax_pods = 30\nzone_pods = [10, 10, 10]\n";
        let with = |changes: &str| format!("{base}{changes}");
        let change =
            |at: &str, rest: &str| format!("[[cluster.changes]]\nat_seconds = {at}\n{rest}");
        let cases = [
            (
                change("100", "max_pods = 20\n") + &change("100", "max_pods = 25\n"),
                "c.toml: cluster.changes[1].at_seconds: changes must be in time order: 100 is not after the previous change's 100",
            ),
            (
                change("100", "zone_pods = [1, 2]\n"),
                "c.toml: cluster.changes[0].zone_pods: must list the cluster's 3 zones (as cluster.zone_pods does), found 2",
            ),
            (
                change("100", ""),
                "c.toml: cluster.changes[0]: a change gives max_pods, zone_pods or both",
            ),
            (
                "[[cluster.changes]]\nmax_pods = 3\n".to_string(),
                "c.toml: cluster.changes[0].at_seconds: missing: when the capacity changes, in seconds",
            ),
            (
                change("2592001", "max_pods = 3\n"),
                "c.toml: cluster.changes[0].at_seconds: must be at most 2592000, found 2592001",
            ),
            (
                change("100", "max_pods = -1\n"),
                "c.toml: cluster.changes[0].max_pods: must be a whole number of at least 0, found -1",
            ),
        ];
        for (text, want) in cases {
            let got = refused(&with(&text));
            assert!(got.iter().any(|p| p == want), "{text}: {got:?}");
        }
        // A change may take all room away (a node pool scaled to zero).
        assert!(
            read(&with(&change(
                "100",
                "max_pods = 0\nzone_pods = [0, 0, 0]\n"
            )))
            .is_ok()
        );
        assert_eq!(
            refused(&format!(
                "[cluster]\nmax_pods = 30\n{}",
                change("5", "zone_pods = [1]\n")
            )),
            [
                "c.toml: cluster.changes[0].zone_pods: the cluster has no zone_pods to change; set cluster.zone_pods first"
            ]
        );
        let many = |n: usize| {
            with(
                &(1..=n)
                    .map(|k| change(&k.to_string(), "max_pods = 30\n"))
                    .collect::<String>(),
            )
        };
        assert!(read(&many(1000)).is_ok());
        assert_eq!(
            refused(&many(1001)),
            ["c.toml: cluster.changes: at most 1000 capacity changes, found 1001"]
        );
    }

    /// With per-zone capacity, a zone loss must lose one of the cluster's zones.
    #[test]
    fn a_zone_loss_names_the_cluster_s_zones() {
        let text = |zones: u32| {
            format!(
                "[cluster]\nzone_pods = [10, 10, 10]\n[[faults]]\nkind = \"zone-loss\"\nzones = {zones}\n"
            )
        };
        assert!(read(&text(3)).is_ok());
        assert_eq!(
            refused(&text(2)),
            [
                "c.toml: faults[0].zones: the cluster has 3 zones (cluster.zone_pods); a zone loss there needs zones = 3, found 2"
            ]
        );
        // A quota alone does not care about zones.
        assert!(
            read("[cluster]\nmax_pods = 25\n[[faults]]\nkind = \"zone-loss\"\nzones = 2\n").is_ok()
        );
    }
}

//! AWS CodeDeploy deployment configurations → `batched` (Server) or `blue-green` (ECS).
//!
//! Three forms are read, told apart by their keys: what `aws deploy
//! get-deployment-config` prints (`{"deploymentConfigInfo": {...}}`), the input of
//! `aws deploy create-deployment-config --cli-input-json` (`{"deploymentConfigName":
//! ..., "minimumHealthyHosts": ...}`), and rollcage's own `export --to codedeploy`
//! (`{"deploymentConfig": ..., "deploymentGroup": ...}`); and the predefined names
//! (`CodeDeployDefault.HalfAtATime`), read as what `get-deployment-config` prints for
//! them.
//!
//! What each platform becomes, by AWS's documented semantics:
//!
//! - **Server** (EC2/on-premises, in place): the `batched` policy, which is CodeDeploy's
//!   in-place arithmetic: `minimumHealthyHosts` (`HOST_COUNT`, or `FLEET_PERCENT`
//!   rounded up) sizes the batches. `CodeDeployDefault.OneAtATime` (what
//!   `get-deployment-config` reports as `MOST_CONCURRENCY` 1) is batches of one, as the
//!   built-in `codedeploy-one-at-a-time` reads it.
//! - **ECS** (blue/green: a full replacement task set beside the original, then traffic
//!   shifted onto it): `AllAtOnce` and `TimeBasedCanary` are the `blue-green` policy,
//!   which runs the full new set beside the old one: a canary's first increment
//!   (`canaryPercentage`) is `preview_traffic_share`, held for `canaryInterval` minutes
//!   (`auto_promotion_seconds`) before the rest is shifted at once. `TimeBasedLinear`
//!   (equal increments every interval) is refused: no rollcage policy shifts traffic in
//!   steps onto a full replacement (Flagger's canary ticks on its own schedule and
//!   promotes through two more ticks; Argo's canary scales its pods with the weight).
//! - **Lambda**: refused; a Lambda deployment shifts a function alias between versions,
//!   with no instances to start, serve, crash or drain, which is what rollcage
//!   simulates.
//!
//! Alarms and automatic rollback are deployment group settings, not the
//! configuration's: rollcage's export writes them in `deploymentGroup`, and they are
//! read back from there (the alarms by name only, so they are noted, not simulated).

use config::{Table, Value};
use serde_json::{Map, Value as J, json};

use super::Context;
use super::node::{Findings, Node};

/// Whether a JSON object is one of the CodeDeploy forms.
pub fn is_codedeploy(m: &Map<String, J>) -> bool {
    [
        "deploymentConfigInfo",
        "deploymentConfigName",
        "deploymentConfig",
        "deploymentGroup",
    ]
    .iter()
    .any(|k| m.contains_key(*k))
}

/// A predefined configuration: its name, platform and what `get-deployment-config`
/// reports for its minimum or its traffic routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Predefined {
    pub name: &'static str,
    pub platform: &'static str,
    routing: Routing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Routing {
    /// Server: `minimumHealthyHosts`.
    Minimum(&'static str, u32),
    AllAtOnce,
    /// Percentage, minutes.
    Canary(u32, u32),
    Linear(u32, u32),
}

/// AWS's predefined configurations (CodeDeploy User Guide, "Working with deployment
/// configurations").
pub const PREDEFINED: [Predefined; 17] = {
    const fn p(name: &'static str, platform: &'static str, routing: Routing) -> Predefined {
        Predefined {
            name,
            platform,
            routing,
        }
    }
    use Routing::*;
    [
        p(
            "CodeDeployDefault.OneAtATime",
            "Server",
            Minimum("MOST_CONCURRENCY", 1),
        ),
        p(
            "CodeDeployDefault.HalfAtATime",
            "Server",
            Minimum("FLEET_PERCENT", 50),
        ),
        p(
            "CodeDeployDefault.AllAtOnce",
            "Server",
            Minimum("HOST_COUNT", 0),
        ),
        p("CodeDeployDefault.ECSAllAtOnce", "ECS", AllAtOnce),
        p(
            "CodeDeployDefault.ECSCanary10Percent5Minutes",
            "ECS",
            Canary(10, 5),
        ),
        p(
            "CodeDeployDefault.ECSCanary10Percent15Minutes",
            "ECS",
            Canary(10, 15),
        ),
        p(
            "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
            "ECS",
            Linear(10, 1),
        ),
        p(
            "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
            "ECS",
            Linear(10, 3),
        ),
        p("CodeDeployDefault.LambdaAllAtOnce", "Lambda", AllAtOnce),
        p(
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "Lambda",
            Canary(10, 5),
        ),
        p(
            "CodeDeployDefault.LambdaCanary10Percent10Minutes",
            "Lambda",
            Canary(10, 10),
        ),
        p(
            "CodeDeployDefault.LambdaCanary10Percent15Minutes",
            "Lambda",
            Canary(10, 15),
        ),
        p(
            "CodeDeployDefault.LambdaCanary10Percent30Minutes",
            "Lambda",
            Canary(10, 30),
        ),
        p(
            "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
            "Lambda",
            Linear(10, 1),
        ),
        p(
            "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
            "Lambda",
            Linear(10, 2),
        ),
        p(
            "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
            "Lambda",
            Linear(10, 3),
        ),
        p(
            "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
            "Lambda",
            Linear(10, 10),
        ),
    ]
};

/// A predefined configuration by name.
pub fn predefined(name: &str) -> Option<&'static Predefined> {
    PREDEFINED.iter().find(|p| p.name == name)
}

impl Predefined {
    /// What `get-deployment-config` prints for it.
    fn info(&self) -> J {
        let mut info = json!({
            "deploymentConfigName": self.name,
            "computePlatform": self.platform,
        });
        let m = info.as_object_mut().expect("an object");
        match self.routing {
            Routing::Minimum(t, v) => {
                m.insert("minimumHealthyHosts".into(), json!({"type": t, "value": v}));
            }
            Routing::AllAtOnce => {
                m.insert("trafficRoutingConfig".into(), json!({"type": "AllAtOnce"}));
            }
            Routing::Canary(p, i) => {
                m.insert(
                    "trafficRoutingConfig".into(),
                    json!({"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": p, "canaryInterval": i}}),
                );
            }
            Routing::Linear(p, i) => {
                m.insert(
                    "trafficRoutingConfig".into(),
                    json!({"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": p, "linearInterval": i}}),
                );
            }
        }
        json!({ "deploymentConfigInfo": info })
    }
}

/// The configuration's name, wherever the form keeps it, for the file's label.
fn peek_name(v: &J) -> Option<&str> {
    let at = |path: &[&str]| {
        let mut x = v;
        for p in path {
            x = x.get(p)?;
        }
        x.as_str()
    };
    at(&["deploymentConfigInfo", "deploymentConfigName"])
        .or_else(|| at(&["deploymentConfigName"]))
        .or_else(|| at(&["deploymentConfig", "deploymentConfigName"]))
        .or_else(|| at(&["deploymentGroup", "deploymentConfigName"]))
}

/// Reads a CodeDeploy file (`value`, a JSON object) into `ctx.out`.
pub fn read(file: &str, value: &J, ctx: &mut Context<'_>) -> Findings {
    let origin = match peek_name(value) {
        Some(n) => format!("{file}: deployment config {n}"),
        None => format!("{file}: deployment config"),
    };
    read_as(origin, value, ctx)
}

/// Reads a predefined configuration into `ctx.out`.
pub fn read_predefined(p: &Predefined, ctx: &mut Context<'_>) -> Findings {
    read_as(format!("{} (predefined by AWS)", p.name), &p.info(), ctx)
}

/// A configuration as read, before it becomes a policy.
struct Config {
    name: Option<String>,
    platform: String,
    /// Server: (type, value) as written.
    minimum: Option<(String, i64)>,
    /// ECS: (type, percentage, minutes).
    routing: Option<(String, i64, i64)>,
    /// The document the configuration was read from, and the paths of its
    /// `minimumHealthyHosts` and `trafficRoutingConfig`, to name them in problems.
    origin: String,
    minimum_path: String,
    routing_path: String,
}

fn read_as(origin: String, value: &J, ctx: &mut Context<'_>) -> Findings {
    let findings = Findings::new(origin);
    {
        let root = findings.root(value);
        ctx.out.from = findings.origin().to_string();
        let config = if let Some(info) = root.map("deploymentConfigInfo") {
            read_config(&info)
        } else if root.has("deploymentConfig")
            || root.has("deploymentGroup")
            || root.has("schema_version")
        {
            export_form(&root, ctx)
        } else {
            read_config(&root)
        };
        if let Some(c) = config
            && !findings.has_problems()
        {
            policy(&root, c, ctx);
        }
    }
    findings
}

/// rollcage's `export --to codedeploy`: a configuration (absent for a predefined one)
/// and the deployment group's rollback and alarms.
fn export_form(root: &Node<'_>, ctx: &mut Context<'_>) -> Option<Config> {
    match root.int_in("schema_version", "a whole number", 0..=i64::MAX) {
        Some(1) | None => {}
        Some(v) => root.problem(
            "schema_version",
            format!("this build reads version 1 of rollcage's CodeDeploy export, found {v}"),
        ),
    }
    root.note(
        "unexpressed",
        "not simulated: the export's own list of what CodeDeploy could not express; the policy read here is what the file holds",
    );
    let config = root.map("deploymentConfig").and_then(|c| read_config(&c));
    let group = root.map("deploymentGroup");
    let Some(group) = group else {
        if !root.has("deploymentGroup") && config.is_none() {
            root.problem("deploymentConfig", "missing: the configuration to read");
        }
        return config;
    };
    let named = group.str("deploymentConfigName").map(str::to_string);
    let config = match (config, &named) {
        (Some(c), Some(n)) if c.name.as_deref() != Some(n.as_str()) => {
            group.problem(
                "deploymentConfigName",
                format!(
                    "names {n:?}, but the file's deploymentConfig is {:?}",
                    c.name.as_deref().unwrap_or("")
                ),
            );
            Some(c)
        }
        (Some(c), _) => Some(c),
        (None, Some(n)) => match predefined(n) {
            Some(p) => {
                let v = p.info();
                let info = &v["deploymentConfigInfo"];
                let f = Findings::new(format!("{n} (predefined by AWS)"));
                let c = {
                    let node = f.root(info);
                    read_config(&node)
                };
                ctx.keep(f);
                c
            }
            None => {
                group.problem(
                    "deploymentConfigName",
                    format!("names {n:?}, which is not a predefined configuration, and the file holds no deploymentConfig"),
                );
                None
            }
        },
        (None, None) => {
            group.problem(
                "deploymentConfigName",
                "missing: the configuration the group deploys with",
            );
            None
        }
    };
    let server = config.as_ref().is_none_or(|c| c.platform == "Server");
    if let Some(rb) = group.map("autoRollbackConfiguration") {
        let enabled = rb.bool("enabled");
        let mut on_failure = false;
        for e in rb.seq("events") {
            match e.value().as_str() {
                Some("DEPLOYMENT_FAILURE") => on_failure = true,
                Some("DEPLOYMENT_STOP_ON_ALARM") => {}
                Some("DEPLOYMENT_STOP_ON_REQUEST") => e.note_here(
                    "not simulated: a stop asked for by a person; nobody stops a simulated deployment by hand",
                ),
                _ => e.problem(
                    "",
                    format!(
                        "expected DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM or DEPLOYMENT_STOP_ON_REQUEST, found {}",
                        super::manifest::describe(e.value())
                    ),
                ),
            }
        }
        if server {
            let auto = enabled.unwrap_or(false) && on_failure;
            if enabled == Some(true) && !on_failure {
                rb.findings().note(
                    rb.path(),
                    "without DEPLOYMENT_FAILURE a failed deployment is not rolled back: auto_rollback = false (rollcage's batched policy rolls back on a failure and on an alarm together)",
                );
            }
            ctx.out.set("auto_rollback", auto, &rb);
        } else {
            rb.note_here("not simulated: the imported blue-green policy switches back when the on-call engineer is paged, as the scenario's pager decides");
        }
    }
    if let Some(al) = group.map("alarmConfiguration") {
        let names: Vec<String> = al
            .seq("alarms")
            .iter()
            .filter_map(|a| a.str("name").map(str::to_string))
            .collect();
        let enabled = al.bool("enabled").unwrap_or(false);
        al.note(
            "ignorePollAlarmFailure",
            "not simulated: what to do when CloudWatch cannot be asked; the simulation always can",
        );
        if enabled && !names.is_empty() {
            al.findings().note(
                &al.key_path("alarms"),
                format!(
                    "not simulated: CloudWatch alarms {} are defined outside the deployment group (metric, threshold, period) and rollcage cannot read them, so the imported policy has no gates and no alarm stops it; write them as [[gates]] in a rollcage policy to simulate them",
                    names.join(", ")
                ),
            );
        } else if !names.is_empty() {
            al.findings().note(
                &al.key_path("alarms"),
                "not simulated: alarms of a disabled alarm configuration",
            );
        }
    }
    config
}

/// A configuration object (`deploymentConfigInfo`, `create-deployment-config`'s input,
/// or the export's `deploymentConfig`).
fn read_config(c: &Node<'_>) -> Option<Config> {
    let name = c.str("deploymentConfigName").map(str::to_string);
    if name.is_none() && !c.has("deploymentConfigName") {
        c.problem(
            "deploymentConfigName",
            "missing: the configuration's name names the policy",
        );
    }
    c.note(
        "deploymentConfigId",
        "not simulated: an identifier AWS assigns",
    );
    c.note(
        "createTime",
        "not simulated: when the configuration was created",
    );
    let platform = match c.str("computePlatform") {
        None => "Server".to_string(),
        Some(p @ ("Server" | "ECS" | "Lambda")) => p.to_string(),
        Some(other) => {
            c.problem(
                "computePlatform",
                format!("must be Server, ECS or Lambda, found {other:?}"),
            );
            return None;
        }
    };
    if platform == "Lambda" {
        c.problem(
            "computePlatform",
            "Lambda is not simulated: a Lambda deployment shifts a function alias between versions, with no instances to start, serve, crash or drain, which is what rollcage simulates",
        );
        c.allow(&["minimumHealthyHosts", "trafficRoutingConfig", "zonalConfig"]);
        return None;
    }
    let mut minimum = None;
    if let Some(m) = c.map("minimumHealthyHosts") {
        if platform != "Server" {
            m.note_here(format!("not simulated: CodeDeploy uses the minimum healthy hosts for Server deployments only, not {platform}"));
        } else {
            let t = m.str("type");
            let v = m.int_in("value", "a whole number", 0..=i64::from(i32::MAX));
            match t {
                Some("HOST_COUNT" | "FLEET_PERCENT" | "MOST_CONCURRENCY") | None => {}
                Some(other) => m.problem(
                    "type",
                    format!("must be HOST_COUNT or FLEET_PERCENT, found {other:?}"),
                ),
            }
            if t.is_none() && !m.has("type") {
                m.problem("type", "missing: HOST_COUNT or FLEET_PERCENT");
            }
            if v.is_none() && !m.has("value") {
                m.problem("value", "missing: the count or the percentage");
            }
            if let (Some(t), Some(v)) = (t, v) {
                if t == "FLEET_PERCENT" && v > 100 {
                    m.problem(
                        "value",
                        format!("a FLEET_PERCENT is at most 100, found {v}"),
                    );
                }
                if t == "MOST_CONCURRENCY" && v != 1 {
                    m.problem(
                        "value",
                        format!("MOST_CONCURRENCY is how get-deployment-config reports CodeDeployDefault.OneAtATime, with value 1; found {v}"),
                    );
                }
                minimum = Some((t.to_string(), v));
            }
        }
    } else if platform == "Server" && !c.has("minimumHealthyHosts") {
        c.problem(
            "minimumHealthyHosts",
            "missing: a Server configuration's minimum healthy hosts is what sizes its batches",
        );
    }
    let mut routing = None;
    if let Some(r) = c.map("trafficRoutingConfig") {
        let t = r.str("type").map(str::to_string);
        if platform == "Server" {
            match t.as_deref() {
                Some("AllAtOnce") | None => r.note_here(
                    "not simulated: traffic routing applies to ECS and Lambda deployments; a Server deployment is in place",
                ),
                Some(other) => {
                    r.problem("type", format!("{other} traffic routing is for ECS and Lambda deployments, not Server (AWS refuses it)"));
                    r.allow(&["timeBasedCanary", "timeBasedLinear"]);
                }
            }
        } else {
            let step = |key: &str, pct: &str, mins: &str| -> Option<(i64, i64)> {
                let Some(s) = r.map(key) else {
                    r.problem(key, format!("missing: the {pct} and the {mins}"));
                    return None;
                };
                let p = s.int_in(pct, "a whole percentage", 0..=100);
                let i = s.int_in(mins, "a whole number of minutes", 0..=i64::from(i32::MAX));
                if p.is_none() && !s.has(pct) {
                    s.problem(pct, "missing");
                }
                if i.is_none() && !s.has(mins) {
                    s.problem(mins, "missing");
                }
                p.zip(i)
            };
            match t.as_deref() {
                Some("AllAtOnce") => {
                    r.refuse(
                        "timeBasedCanary",
                        "only a TimeBasedCanary configuration takes timeBasedCanary",
                    );
                    r.refuse(
                        "timeBasedLinear",
                        "only a TimeBasedLinear configuration takes timeBasedLinear",
                    );
                    routing = Some(("AllAtOnce".to_string(), 100, 0));
                }
                Some("TimeBasedCanary") => {
                    r.refuse(
                        "timeBasedLinear",
                        "only a TimeBasedLinear configuration takes timeBasedLinear",
                    );
                    if let Some((p, i)) =
                        step("timeBasedCanary", "canaryPercentage", "canaryInterval")
                    {
                        routing = Some(("TimeBasedCanary".to_string(), p, i));
                    }
                }
                Some("TimeBasedLinear") => {
                    r.allow(&["timeBasedLinear", "timeBasedCanary"]);
                    r.problem(
                        "type",
                        "TimeBasedLinear is not simulated: no rollcage policy shifts traffic in equal steps onto a full replacement task set (Flagger's canary ticks on its own schedule and promotes through two more ticks; Argo's canary scales its pods with the weight); use TimeBasedCanary or AllAtOnce, or a rollcage canary policy",
                    );
                }
                Some(other) => r.problem(
                    "type",
                    format!(
                        "must be AllAtOnce, TimeBasedCanary or TimeBasedLinear, found {other:?}"
                    ),
                ),
                None => r.problem(
                    "type",
                    "missing: AllAtOnce, TimeBasedCanary or TimeBasedLinear",
                ),
            }
        }
    } else if platform == "ECS" {
        // CodeDeploy's default routing for ECS.
        routing = Some(("AllAtOnce".to_string(), 100, 0));
    }
    match c.value().get("zonalConfig") {
        Some(J::Object(m)) if m.is_empty() => c.note("zonalConfig", "not simulated: empty"),
        _ => c.refuse(
            "zonalConfig",
            "a zonal configuration deploys one Availability Zone at a time with monitoring waits; rollcage's batched policy has no zones, so it would be simulated wrongly: remove zonalConfig",
        ),
    }
    Some(Config {
        name,
        platform,
        minimum,
        routing,
        origin: c.findings().origin().to_string(),
        minimum_path: c.key_path("minimumHealthyHosts"),
        routing_path: c.key_path("trafficRoutingConfig"),
    })
}

/// The policy a configuration is.
fn policy(root: &Node<'_>, c: Config, ctx: &mut Context<'_>) {
    let out = &mut ctx.out;
    let name = c.name.clone().unwrap_or_else(|| "unnamed".into());
    out.put("name", name.as_str());
    let origin = c.origin.clone();
    if c.platform == "Server" {
        let Some((t, v)) = c.minimum else { return };
        out.put("kind", "batched");
        let mut m = Table::new();
        let description;
        if t == "MOST_CONCURRENCY" {
            m.insert("type".into(), Value::String("HOST_COUNT".into()));
            m.insert("value".into(), Value::Integer(0));
            out.put("batch_size", 1);
            description =
                format!("CodeDeploy deployment config {name} (Server): one instance at a time");
            root.findings().note(
                "",
                "OneAtATime keeps all instances but one healthy, so an instance deployment that fails before the last fails the deployment; rollcage reads it as batches of one instance with no minimum (as the built-in codedeploy-one-at-a-time), where an instance whose revision keeps crashing stalls the deployment instead of failing it",
            );
        } else {
            m.insert("type".into(), Value::String(t.clone()));
            m.insert("value".into(), Value::Integer(v));
            description = format!(
                "CodeDeploy deployment config {name} (Server): minimum healthy hosts {t} {v}"
            );
            for field in ["type", "value"] {
                out.origin(
                    &format!("minimum_healthy_hosts.{field}"),
                    &origin,
                    &format!("{}.{field}", c.minimum_path),
                );
            }
        }
        out.put("minimum_healthy_hosts", Value::Table(m));
        out.put("description", description);
        if !out.table.contains_key("auto_rollback") {
            root.findings().note(
                "",
                "automatic rollback and alarms are deployment group settings, not in the configuration: rollcage rolls back a failed deployment (auto_rollback = true; --set policy.auto_rollback=false for a group without it) and has no alarms (gates)",
            );
        }
    } else {
        let Some((t, pct, mins)) = c.routing else {
            return;
        };
        out.put("kind", "blue-green");
        let (share, hold) = if t == "TimeBasedCanary" {
            (pct as f64 / 100.0, mins * 60)
        } else {
            (0.0, 0)
        };
        out.put("preview_traffic_share", share);
        out.put("auto_promotion_seconds", hold);
        if t == "TimeBasedCanary" {
            let at = |f: &str| format!("{}.timeBasedCanary.{f}", c.routing_path);
            out.origin("auto_promotion_seconds", &origin, &at("canaryInterval"));
            out.origin("preview_traffic_share", &origin, &at("canaryPercentage"));
            out.put(
                "description",
                format!("CodeDeploy deployment config {name} (ECS): {pct}% of traffic on the replacement task set for {mins} min, then all"),
            );
        } else {
            out.put("description", format!("CodeDeploy deployment config {name} (ECS): all traffic at once onto the replacement task set"));
        }
        root.findings().note(
            "",
            "an ECS deployment keeps the original task set for the deployment group's termination wait, which the configuration does not hold: rollcage keeps it 30 s (policy.scale_down_delay_seconds); its alarms and automatic rollback are group settings too: the imported policy has no gates",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batched::MinimumHealthyHosts::{FleetPercent, HostCount};
    use crate::import::{Import, Options, import, import_named};
    use crate::intstr::IntOrPercent;
    use crate::{Policy, PolicyKind};

    fn policy(i: &Import) -> Result<Policy, Vec<String>> {
        Policy::from_doc(&i.doc())
            .map_err(|ps| i.locate(ps).0.iter().map(|p| p.to_string()).collect())
    }

    fn read(text: &str) -> Result<(Policy, Import), Vec<String>> {
        let i = import("c.json", text, None, &Options::default())
            .map_err(|ps| ps.0.iter().map(|p| p.to_string()).collect::<Vec<_>>())?;
        Ok((policy(&i)?, i))
    }

    fn info(body: &str) -> String {
        format!("{{\"deploymentConfigInfo\": {{\"deploymentConfigName\": \"my-config\", {body}}}}}")
    }

    fn batched(text: &str) -> crate::batched::BatchedSpec {
        match read(text)
            .unwrap_or_else(|e| panic!("{text}: {e:?}"))
            .0
            .kind
        {
            PolicyKind::Batched(b) => b,
            other => panic!("{other:?}"),
        }
    }

    const AT: &str = "c.json: deployment config my-config";

    #[test]
    fn get_deployment_config_output_is_a_batched_policy() {
        let text = info(
            r#""deploymentConfigId": "a1b2", "createTime": 1700000000.5, "computePlatform": "Server",
               "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 75}"#,
        );
        let (p, i) = read(&text).unwrap();
        let PolicyKind::Batched(b) = &p.kind else {
            panic!()
        };
        assert_eq!(p.name, "my-config");
        assert_eq!(b.minimum_healthy_hosts, FleetPercent(75));
        assert_eq!(b.batch_size, None);
        assert!(b.auto_rollback && b.gates.is_empty());
        let notes: Vec<String> = i.notes.iter().map(|n| n.to_string()).collect();
        assert_eq!(
            notes[0],
            format!(
                "{AT}: deploymentConfigInfo.deploymentConfigId: not simulated: an identifier AWS assigns"
            )
        );
        assert_eq!(
            notes[1],
            format!(
                "{AT}: deploymentConfigInfo.createTime: not simulated: when the configuration was created"
            )
        );
        assert!(
            notes[2].starts_with(&format!(
                "{AT}: automatic rollback and alarms are deployment group settings"
            )),
            "{notes:?}"
        );
    }

    #[test]
    fn create_deployment_config_input_reads_the_same() {
        let text = r#"{"deploymentConfigName": "my-config", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 2}}"#;
        assert_eq!(batched(text).minimum_healthy_hosts, HostCount(2));
        // Server is the default platform.
        let e = read(r#"{"deploymentConfigName": "my-config"}"#).unwrap_err();
        assert_eq!(
            e,
            [format!(
                "{AT}: minimumHealthyHosts: missing: a Server configuration's minimum healthy hosts is what sizes its batches"
            )]
        );
    }

    #[test]
    fn minimum_healthy_hosts_boundaries() {
        let with = |t: &str, v: &str| {
            info(&format!(
                r#""minimumHealthyHosts": {{"type": "{t}", "value": {v}}}"#
            ))
        };
        assert_eq!(
            batched(&with("FLEET_PERCENT", "0")).minimum_healthy_hosts,
            FleetPercent(0)
        );
        assert_eq!(
            batched(&with("FLEET_PERCENT", "100")).minimum_healthy_hosts,
            FleetPercent(100)
        );
        let at = format!("{AT}: deploymentConfigInfo.minimumHealthyHosts");
        assert_eq!(
            read(&with("FLEET_PERCENT", "101")).unwrap_err(),
            [format!(
                "{at}.value: a FLEET_PERCENT is at most 100, found 101"
            )]
        );
        assert_eq!(
            read(&with("HOST_COUNT", "-1")).unwrap_err(),
            [format!("{at}.value: must be at least 0, found -1")]
        );
        assert_eq!(
            read(&with("HOST_COUNT", "2.5")).unwrap_err(),
            [format!("{at}.value: expected a whole number, found 2.5")]
        );
        assert_eq!(
            batched(&with("HOST_COUNT", "10000")).minimum_healthy_hosts,
            HostCount(10000)
        );
        // rollcage's own bound on a count, at the manifest's field.
        assert_eq!(
            read(&with("HOST_COUNT", "10001")).unwrap_err(),
            [format!("{at}.value: must be at most 10000, found 10001")]
        );
        assert_eq!(
            read(&with("PERCENT", "5")).unwrap_err(),
            [format!(
                "{at}.type: must be HOST_COUNT or FLEET_PERCENT, found \"PERCENT\""
            )]
        );
    }

    #[test]
    fn one_at_a_time_is_batches_of_one_with_its_difference_noted() {
        let b = batched(&info(
            r#""minimumHealthyHosts": {"type": "MOST_CONCURRENCY", "value": 1}"#,
        ));
        assert_eq!(
            (b.minimum_healthy_hosts, b.batch_size),
            (HostCount(0), Some(IntOrPercent::Int(1)))
        );
        let e = read(&info(
            r#""minimumHealthyHosts": {"type": "MOST_CONCURRENCY", "value": 2}"#,
        ))
        .unwrap_err();
        assert!(e[0].contains("MOST_CONCURRENCY is how get-deployment-config reports CodeDeployDefault.OneAtATime, with value 1; found 2"), "{e:?}");
        let i = import_named("CodeDeployDefault.OneAtATime", &Options::default())
            .unwrap()
            .unwrap();
        let p = policy(&i).unwrap();
        let builtin =
            Policy::from_doc(&crate::builtin("codedeploy-one-at-a-time").unwrap()).unwrap();
        let (PolicyKind::Batched(a), PolicyKind::Batched(b)) = (&p.kind, &builtin.kind) else {
            panic!()
        };
        assert_eq!(
            (a.minimum_healthy_hosts, a.batch_size),
            (b.minimum_healthy_hosts, b.batch_size)
        );
        assert!(i.notes.iter().any(|n| {
            n.text
                .starts_with("OneAtATime keeps all instances but one healthy")
        }));
    }

    #[test]
    fn every_predefined_name_reads_or_is_refused_with_its_platform() {
        for p in PREDEFINED {
            let r = import_named(p.name, &Options::default()).unwrap();
            match (p.platform, p.routing) {
                ("Lambda", _) => {
                    let e = r.unwrap_err().to_string();
                    assert!(
                        e.contains("computePlatform: Lambda is not simulated"),
                        "{}: {e}",
                        p.name
                    );
                }
                (_, Routing::Linear(..)) => {
                    let e = r.unwrap_err().to_string();
                    assert!(
                        e.contains("trafficRoutingConfig.type: TimeBasedLinear is not simulated"),
                        "{}: {e}",
                        p.name
                    );
                }
                _ => {
                    let i = r.unwrap_or_else(|e| panic!("{}: {e}", p.name));
                    let policy = policy(&i).unwrap();
                    assert_eq!(policy.name, p.name);
                }
            }
        }
        assert_eq!(
            import_named("CodeDeployDefault.HalfAtATim", &Options::default()),
            None
        );
        let half = import_named("CodeDeployDefault.HalfAtATime", &Options::default())
            .unwrap()
            .unwrap();
        let PolicyKind::Batched(b) = policy(&half).unwrap().kind else {
            panic!()
        };
        assert_eq!(b.minimum_healthy_hosts, FleetPercent(50));
        let all = import_named("CodeDeployDefault.AllAtOnce", &Options::default())
            .unwrap()
            .unwrap();
        let PolicyKind::Batched(b) = policy(&all).unwrap().kind else {
            panic!()
        };
        assert_eq!(b.batch(9), 9);
    }

    #[test]
    fn ecs_canary_is_a_blue_green_with_the_first_increment_as_preview_traffic() {
        let text = info(
            r#""computePlatform": "ECS", "trafficRoutingConfig": {"type": "TimeBasedCanary",
               "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}"#,
        );
        let (p, i) = read(&text).unwrap();
        let PolicyKind::BlueGreen(bg) = &p.kind else {
            panic!("{:?}", p.kind)
        };
        assert_eq!(bg.preview_traffic_share, 0.1);
        assert_eq!(bg.auto_promotion_seconds, 300.0);
        assert_eq!(bg.pre_promotion_analysis, None);
        assert!(i.notes.iter().any(|n| {
            n.text
                .starts_with("an ECS deployment keeps the original task set")
        }));
        // The boundaries of a percentage, and rollcage's longest wait, at their fields.
        let canary = |p: &str, m: &str| {
            info(&format!(
                r#""computePlatform": "ECS", "trafficRoutingConfig": {{"type": "TimeBasedCanary", "timeBasedCanary": {{"canaryPercentage": {p}, "canaryInterval": {m}}}}}"#
            ))
        };
        let at = format!("{AT}: deploymentConfigInfo.trafficRoutingConfig.timeBasedCanary");
        assert!(read(&canary("100", "43200")).is_ok());
        assert_eq!(
            read(&canary("101", "5")).unwrap_err(),
            [format!(
                "{at}.canaryPercentage: must be at most 100, found 101"
            )]
        );
        assert_eq!(
            read(&canary("10", "43201")).unwrap_err(),
            [format!(
                "{at}.canaryInterval: must be at most 2592000, found 2592060"
            )]
        );
        let e = read(&info(
            r#""computePlatform": "ECS", "trafficRoutingConfig": {"type": "TimeBasedCanary"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e,
            [format!(
                "{AT}: deploymentConfigInfo.trafficRoutingConfig.timeBasedCanary: missing: the canaryPercentage and the canaryInterval"
            )]
        );
    }

    #[test]
    fn ecs_all_at_once_switches_at_once_and_is_the_default_routing() {
        for body in [
            r#""computePlatform": "ECS", "trafficRoutingConfig": {"type": "AllAtOnce"}"#,
            r#""computePlatform": "ECS""#,
        ] {
            let (p, _) = read(&info(body)).unwrap();
            let PolicyKind::BlueGreen(bg) = p.kind else {
                panic!()
            };
            assert_eq!(
                (bg.preview_traffic_share, bg.auto_promotion_seconds),
                (0.0, 0.0)
            );
        }
        let (_, i) = read(&info(r#""computePlatform": "ECS", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}"#)).unwrap();
        assert!(
            i.notes
                .iter()
                .any(|n| n.key == "deploymentConfigInfo.minimumHealthyHosts"
                    && n.text.contains("Server deployments only"))
        );
    }

    #[test]
    fn what_would_change_the_simulation_is_refused() {
        let e = read(&info(
            r#""computePlatform": "ECS", "trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}}"#,
        ))
        .unwrap_err();
        assert!(e[0].starts_with(&format!("{AT}: deploymentConfigInfo.trafficRoutingConfig.type: TimeBasedLinear is not simulated")), "{e:?}");
        let e = read(&info(r#""computePlatform": "Lambda""#)).unwrap_err();
        assert!(
            e[0].starts_with(&format!(
                "{AT}: deploymentConfigInfo.computePlatform: Lambda is not simulated"
            )),
            "{e:?}"
        );
        let e = read(&info(
            r#""minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}, "zonalConfig": {"monitorDurationInSeconds": 60}"#,
        ))
        .unwrap_err();
        assert!(e[0].starts_with(&format!("{AT}: deploymentConfigInfo.zonalConfig: a zonal configuration deploys one Availability Zone at a time")), "{e:?}");
        let e = read(&info(
            r#""minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}, "trafficRoutingConfig": {"type": "TimeBasedCanary"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e,
            [format!(
                "{AT}: deploymentConfigInfo.trafficRoutingConfig.type: TimeBasedCanary traffic routing is for ECS and Lambda deployments, not Server (AWS refuses it)"
            )]
        );
        let e = read(&info(r#""computePlatform": "Fargate""#)).unwrap_err();
        assert_eq!(
            e,
            [format!(
                "{AT}: deploymentConfigInfo.computePlatform: must be Server, ECS or Lambda, found \"Fargate\""
            )]
        );
        let e = read(&info(
            r#""minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}, "minimumHealthyHost": 3"#,
        ))
        .unwrap_err();
        assert!(e[0].starts_with(&format!("{AT}: deploymentConfigInfo.minimumHealthyHost: unknown field (did you mean `minimumHealthyHosts`?)")), "{e:?}");
        // Server's own AllAtOnce routing (what get-deployment-config may print) and an
        // empty zonal configuration are noted.
        let (_, i) = read(&info(
            r#""minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}, "trafficRoutingConfig": {"type": "AllAtOnce"}, "zonalConfig": {}"#,
        ))
        .unwrap();
        assert!(
            i.notes
                .iter()
                .any(|n| n.key == "deploymentConfigInfo.trafficRoutingConfig")
        );
        assert!(
            i.notes
                .iter()
                .any(|n| n.key == "deploymentConfigInfo.zonalConfig")
        );
    }

    #[test]
    fn rollcages_export_form_reads_its_group_settings() {
        let text = r#"{"schema_version": 1,
          "deploymentConfig": {"deploymentConfigName": "rollcage-web", "computePlatform": "Server",
                               "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 50}},
          "deploymentGroup": {"deploymentConfigName": "rollcage-web",
             "autoRollbackConfiguration": {"enabled": false, "events": ["DEPLOYMENT_FAILURE"]},
             "alarmConfiguration": {"enabled": true, "ignorePollAlarmFailure": false, "alarms": [{"name": "web-error-ratio"}]}},
          "unexpressed": ["bake_seconds 60 is dropped"]}"#;
        let (p, i) = read(text).unwrap();
        let PolicyKind::Batched(b) = &p.kind else {
            panic!()
        };
        assert_eq!(b.minimum_healthy_hosts, FleetPercent(50));
        assert!(!b.auto_rollback);
        let at = "c.json: deployment config rollcage-web";
        let notes: Vec<String> = i.notes.iter().map(|n| n.to_string()).collect();
        assert!(notes.contains(&format!("{at}: unexpressed: not simulated: the export's own list of what CodeDeploy could not express; the policy read here is what the file holds")), "{notes:?}");
        assert!(
            notes.iter().any(|n| n.starts_with(&format!("{at}: deploymentGroup.alarmConfiguration.alarms: not simulated: CloudWatch alarms web-error-ratio are defined outside"))),
            "{notes:?}"
        );
        // Enabled, but not on a failed deployment: no rollback.
        let no_failure = text.replace(
            r#""enabled": false, "events": ["DEPLOYMENT_FAILURE"]"#,
            r#""enabled": true, "events": ["DEPLOYMENT_STOP_ON_ALARM"]"#,
        );
        let (p, i) = read(&no_failure).unwrap();
        let PolicyKind::Batched(b) = &p.kind else {
            panic!()
        };
        assert!(!b.auto_rollback);
        assert!(
            i.notes
                .iter()
                .any(|n| n.text.starts_with("without DEPLOYMENT_FAILURE"))
        );
        let on = text.replace(r#""enabled": false"#, r#""enabled": true"#);
        let PolicyKind::Batched(b) = read(&on).unwrap().0.kind else {
            panic!()
        };
        assert!(b.auto_rollback);
        let bad = text.replace("DEPLOYMENT_FAILURE", "DEPLOYMENT_FAILED");
        let e = read(&bad).unwrap_err();
        assert!(e[0].starts_with(&format!("{at}: deploymentGroup.autoRollbackConfiguration.events[0]: expected DEPLOYMENT_FAILURE")), "{e:?}");
        let mismatch = text.replacen(
            r#""deploymentConfigName": "rollcage-web""#,
            r#""deploymentConfigName": "other""#,
            1,
        );
        let e = read(&mismatch).unwrap_err();
        assert_eq!(
            e,
            [
                "c.json: deployment config other: deploymentGroup.deploymentConfigName: names \"rollcage-web\", but the file's deploymentConfig is \"other\""
            ]
        );
        let v2 = text.replace(r#""schema_version": 1"#, r#""schema_version": 2"#);
        let e = read(&v2).unwrap_err();
        assert_eq!(
            e,
            [format!(
                "{at}: schema_version: this build reads version 1 of rollcage's CodeDeploy export, found 2"
            )]
        );
    }

    #[test]
    fn the_export_form_of_a_predefined_config_names_it_in_the_group() {
        let text = r#"{"schema_version": 1, "deploymentGroup": {"deploymentConfigName": "CodeDeployDefault.OneAtATime",
            "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]}}, "unexpressed": []}"#;
        let (p, _) = read(text).unwrap();
        let PolicyKind::Batched(b) = &p.kind else {
            panic!()
        };
        assert_eq!(b.batch_size, Some(IntOrPercent::Int(1)));
        assert_eq!(p.name, "CodeDeployDefault.OneAtATime");
        let unknown = text.replace("CodeDeployDefault.OneAtATime", "team-config");
        let e = read(&unknown).unwrap_err();
        assert_eq!(
            e,
            [
                "c.json: deployment config team-config: deploymentGroup.deploymentConfigName: names \"team-config\", which is not a predefined configuration, and the file holds no deploymentConfig"
            ]
        );
    }
}

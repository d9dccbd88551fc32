//! AWS CodeDeploy: the deployment configuration and the deployment group's automatic
//! rollback and alarms, as the JSON inputs of `aws deploy create-deployment-config` and
//! `aws deploy update-deployment-group`.

use serde_json::{Value, json};

use super::Options;
use crate::batched::BatchedSpec;
use crate::intstr::IntOrPercent;

pub fn config(s: &BatchedSpec, o: &Options) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    let one_at_a_time = s.batch_size == Some(IntOrPercent::Int(1));
    let config_name = if one_at_a_time {
        "CodeDeployDefault.OneAtATime".to_string()
    } else {
        format!("rollcage-{}", o.service)
    };
    if let Some(b) = s.batch_size
        && !one_at_a_time
    {
        notes.push(format!(
            "CodeDeploy sizes batches from the minimum healthy hosts only: batch_size {b} is not expressible"
        ));
    }
    if one_at_a_time {
        notes.push("batch_size 1 is CodeDeploy's built-in OneAtATime, whose minimum is all instances but one (the policy's minimum_healthy_hosts is not used)".into());
    }
    if s.bake_seconds > 0.0 {
        notes.push(format!(
            "CodeDeploy in-place deployments have no bake between batches: bake_seconds {} is dropped",
            s.bake_seconds
        ));
    }
    if s.min_ready_seconds > 0.0 {
        notes.push(format!(
            "CodeDeploy has no minimum ready time: min_ready_seconds {} is dropped (an instance is healthy once its lifecycle hooks pass)",
            s.min_ready_seconds
        ));
    }
    if !s.gates.is_empty() {
        let defs: Vec<String> = s
            .gates
            .iter()
            .map(|g| {
                format!(
                    "{}-{} ({} <= {} over {}s)",
                    o.service,
                    g.name,
                    g.metric.label(),
                    g.threshold,
                    g.window_seconds
                )
            })
            .collect();
        notes.push(format!(
            "CloudWatch alarms are referenced by name only; create them: {}",
            defs.join("; ")
        ));
    }
    let mut doc = serde_json::Map::new();
    doc.insert("schema_version".into(), json!(1));
    if !one_at_a_time {
        doc.insert(
            "deploymentConfig".into(),
            json!({
                "deploymentConfigName": config_name,
                "computePlatform": "Server",
                "minimumHealthyHosts": {
                    "type": s.minimum_healthy_hosts.kind(),
                    "value": s.minimum_healthy_hosts.value(),
                },
            }),
        );
    }
    let mut events = vec!["DEPLOYMENT_FAILURE"];
    if !s.gates.is_empty() {
        events.push("DEPLOYMENT_STOP_ON_ALARM");
    }
    let alarms: Vec<Value> = s
        .gates
        .iter()
        .map(|g| json!({ "name": format!("{}-{}", o.service, g.name) }))
        .collect();
    doc.insert(
        "deploymentGroup".into(),
        json!({
            "deploymentConfigName": config_name,
            "autoRollbackConfiguration": { "enabled": s.auto_rollback, "events": events },
            "alarmConfiguration": {
                "enabled": !s.gates.is_empty(),
                "ignorePollAlarmFailure": false,
                "alarms": alarms,
            },
        }),
    );
    doc.insert("unexpressed".into(), json!(notes));
    let mut text = serde_json::to_string_pretty(&Value::Object(doc)).expect("serializes");
    text.push('\n');
    (text, notes)
}

//! Importing the manifests teams already run into rollcage's policy model.
//!
//! An SRE has a Deployment, a Rollout and its AnalysisTemplates, or a CodeDeploy
//! configuration in a repository; asking them to rewrite it in rollcage's TOML is where
//! adoption stops. So `--policy FILE.yaml` reads the manifest into **the same policy
//! document a TOML policy is** (a `config::Table` with the keys `Policy::from_doc`
//! reads), and everything after that is unchanged: `--set policy.KEY=VALUE` overrides,
//! `--grid`, `Policy::from_doc`'s bounds and checks.
//!
//! # API
//!
//! ```text
//! is_manifest(file, text) -> bool               does this policy file go through the importer?
//! import(file, text, select, &Options) -> Result<Import, Problems>
//! import_named(name, &Options) -> Option<Result<Import, Problems>>    CodeDeployDefault.* names
//! validate(file, text, &Options) -> Result<Validated, Problems>        `rollcage validate`
//!
//! Import {
//!     table: Table,              the rollcage policy document
//!     notes: Vec<Note>,          every manifest field not modelled, with why it does not matter
//!     replicas: Option<Replicas> what the manifest says about the fleet size
//!     from: String,              `file: document N (Kind name)` the policy was read from
//! }
//! Import::doc() -> config::Doc                 the table as a document (apply overrides, then from_doc)
//! Import::locate(Problems) -> Problems          a problem at a rollcage key, moved onto the manifest field it came from
//! ```
//!
//! Every problem and note names the file, the document (its 1-based index and its kind
//! and name) and the field's path:
//! `rollout.yaml: document 2 (Rollout checkout): spec.strategy.canary.steps[3].setWeight:
//! expected a whole number 0-100, found "ten"`. A field rollcage does not model is a
//! note when it does not change the simulation (with why), and refused when it would;
//! an unknown field is refused as the API server refuses it.
//!
//! # Dispatch
//!
//! Documents are dispatched by `apiVersion` and `kind` through one table,
//! `kinds::KINDS`: a kind that holds a policy names its reader (`deployment::read`);
//! templates (AnalysisTemplate, MetricTemplate) are kept for the policy that refers to
//! them; a few companion kinds (a Service, a ConfigMap) are noted whole, and kinds that
//! would change the simulation (an autoscaler) refused whole. Adding a kind is a module
//! with its reader and a row. A kind not in the table is an error listing those that
//! are. A file must hold exactly one policy; with several, `FILE#NAME` (or
//! `FILE#Kind/name`) picks one.
//!
//! A CodeDeploy deployment configuration is JSON without `apiVersion`/`kind`
//! (`aws deploy get-deployment-config`'s output, `create-deployment-config`'s input, or
//! rollcage's own `export --to codedeploy`): `is_manifest` tells it by its keys, and
//! `codedeploy` reads it; the predefined `CodeDeployDefault.*` names are policies too.
//!
//! `query` reads what a PromQL query measures (an Argo `AnalysisTemplate` metric's or a
//! Flagger `MetricTemplate`'s), `condition` reads the bound its condition puts on the
//! result (`successCondition`/`failureCondition`, `thresholdRange`) and combines the two
//! into a rollcage gate; both are pure, text in, values or reasons out.
//!
//! This module does no I/O: the runner reads the files (bounded by
//! `limits::MAX_MANIFEST_BYTES`) and hands their text over.

pub mod analysis_template;
pub mod argo_rollout;
pub mod codedeploy;
pub mod collect;
pub mod condition;
pub mod deployment;
pub mod flagger_canary;
pub mod gate_table;
pub mod go_duration;
pub mod kinds;
pub mod lexer;
pub mod manifest;
pub mod meta;
pub mod metric_template;
pub mod node;
pub mod object;
pub mod policy_doc;
pub mod query;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use config::{Doc, Problem, Problems, Table};

use self::manifest::Document;
use self::node::Findings;
use self::policy_doc::PolicyDoc;

/// A manifest field rollcage does not model, and why that does not change the
/// simulation; or a fact about how a field was read. Printed on stderr once per load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// `deployment.yaml: document 1 (Deployment checkout)`.
    pub origin: String,
    /// The field's path, e.g. `spec.revisionHistoryLimit` (empty: the whole document).
    pub key: String,
    pub text: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.origin, self.text)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.key, self.text)
        }
    }
}

/// `--map-metric TEMPLATE/METRIC=KIND`: what an analysis metric whose query rollcage
/// does not recognise measures. The readers of the kinds that hold queries (Argo's
/// AnalysisTemplates, Flagger's MetricTemplates) look mappings up by template and
/// metric; a mapping no reader used is an error, so a typo is never ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricMapping {
    pub template: String,
    pub metric: String,
    /// The measure, in the words of the query recogniser (e.g. `error_ratio`).
    pub kind: String,
    /// As given, for messages.
    pub raw: String,
}

impl MetricMapping {
    pub fn parse(raw: &str) -> Result<MetricMapping, String> {
        let bad = |why: &str| {
            format!(
                "--map-metric {raw}: {why}; write TEMPLATE/METRIC=KIND, e.g. success-rate/error-ratio=error_ratio"
            )
        };
        let (left, kind) = raw.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let (template, metric) = left
            .split_once('/')
            .ok_or_else(|| bad("no `/` between the template and the metric"))?;
        for (part, what) in [(template, "template"), (metric, "metric"), (kind, "KIND")] {
            if part.trim().is_empty() {
                return Err(bad(&format!("the {what} is empty")));
            }
        }
        Ok(MetricMapping {
            template: template.trim().to_string(),
            metric: metric.trim().to_string(),
            kind: kind.trim().to_string(),
            raw: raw.to_string(),
        })
    }
}

/// What the import reads besides the policy file.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--analysis FILE` files, already read: (the file as named, its text). They hold
    /// templates only (AnalysisTemplate, ClusterAnalysisTemplate, MetricTemplate).
    pub analysis: Vec<(String, String)>,
    pub map_metric: Vec<MetricMapping>,
}

/// What a manifest says about the fleet's size (a Deployment's `spec.replicas`).
/// rollcage's fleet comes from the scenario; this count is the default of
/// `plan --replicas` and `gate --replicas`, and a run notes when the two differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replicas {
    pub count: u32,
    /// `deployment.yaml: document 1 (Deployment checkout): spec.replicas`.
    pub origin: String,
}

/// An imported policy: the policy document and what was noted on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The rollcage policy document: the keys a TOML policy has.
    pub table: Table,
    pub notes: Vec<Note>,
    pub replicas: Option<Replicas>,
    /// The document the policy was read from (`file: document N (Kind name)`), the
    /// origin of problems `Policy::from_doc` finds in the table.
    pub from: String,
    /// Each rollcage key the importer set, and the manifest field it came from.
    origins: BTreeMap<String, (String, String)>,
}

impl Import {
    /// The policy document, to apply `--set` overrides to and read with
    /// `Policy::from_doc`.
    pub fn doc(&self) -> Doc {
        Doc::from_table(&self.from, self.table.clone())
    }

    /// Problems `Policy::from_doc` found at keys the importer set, moved onto the
    /// manifest fields they came from (`spec.minReadySeconds: must be at most ...`);
    /// problems of `--set` overrides stay theirs.
    pub fn locate(&self, problems: Problems) -> Problems {
        Problems(
            problems
                .0
                .into_iter()
                .map(|p| {
                    if p.origin != self.from {
                        return p;
                    }
                    match self.origins.get(&p.key) {
                        Some((origin, key)) => Problem {
                            origin: origin.clone(),
                            key: key.clone(),
                            reason: p.reason,
                        },
                        None => p,
                    }
                })
                .collect(),
        )
    }
}

/// What `rollcage validate` found in a manifest file.
#[derive(Clone, Debug, PartialEq)]
pub enum Validated {
    /// The file holds a policy.
    Policy(Box<Import>),
    /// The file holds templates only (an `--analysis` file): their labels. They are
    /// read in full when a policy refers to them.
    Templates(Vec<String>),
}

/// Whether a policy file goes through the importer: YAML (`.yaml`, `.yml`), or JSON
/// that is a Kubernetes object (`apiVersion` and `kind`, e.g. `kubectl get -o json`) or
/// a CodeDeploy configuration. Anything else (TOML, rollcage's own JSON export) is a
/// rollcage policy document.
pub fn is_manifest(file: &str, text: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return true;
    }
    if !lower.ends_with(".json") {
        return false;
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => {
            (m.contains_key("apiVersion") && m.contains_key("kind"))
                || codedeploy::is_codedeploy(&m)
        }
        // A JSON file that does not parse goes to the importer only when it looks like
        // one of its forms, so its error comes from the right reader.
        _ => text.contains("\"apiVersion\"") || text.contains("\"deploymentConfig"),
    }
}

fn problems<T>(ps: Vec<Problem>) -> Result<T, Problems> {
    Err(Problems(ps))
}

/// Reads a manifest file into a policy. `select` (the `NAME` of `FILE#NAME`, or
/// `Kind/name`) picks one policy of a file that holds several.
pub fn import(
    file: &str,
    text: &str,
    select: Option<&str>,
    opts: &Options,
) -> Result<Import, Problems> {
    if manifest::Syntax::of(file) == manifest::Syntax::Json {
        manifest::check_size(file, text.len()).map_err(|p| Problems(vec![p]))?;
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(text)
            && codedeploy::is_codedeploy(&m)
        {
            if let Some(s) = select {
                return problems(vec![Problem {
                    origin: file.to_string(),
                    key: String::new(),
                    reason: format!(
                        "#{s}: a CodeDeploy file holds one deployment configuration; name the file alone"
                    ),
                }]);
            }
            return finish(opts, &[], |ctx| {
                codedeploy::read(file, &serde_json::Value::Object(m), ctx)
            });
        }
    }
    let docs = manifest::documents(file, text).map_err(Problems)?;
    kubernetes(file, docs, select, opts)
}

/// A predefined CodeDeploy configuration by name (`CodeDeployDefault.HalfAtATime`), or
/// `None` when `name` is not one.
pub fn import_named(name: &str, opts: &Options) -> Option<Result<Import, Problems>> {
    let known = codedeploy::predefined(name)?;
    Some(finish(opts, &[], |ctx| {
        codedeploy::read_predefined(known, ctx)
    }))
}

/// Checks a manifest file as `import` reads it; a file of templates only is fine.
pub fn validate(file: &str, text: &str, opts: &Options) -> Result<Validated, Problems> {
    if manifest::Syntax::of(file) == manifest::Syntax::Json
        && let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(text)
        && codedeploy::is_codedeploy(&m)
    {
        return import(file, text, None, opts).map(|i| Validated::Policy(Box::new(i)));
    }
    let docs = manifest::documents(file, text).map_err(Problems)?;
    let policies = docs
        .iter()
        .filter(|d| {
            matches!(
                kinds::find(d).map(|k| &k.role),
                Some(kinds::Role::Policy(_))
            )
        })
        .count();
    if policies == 0
        && !docs.is_empty()
        && docs
            .iter()
            .all(|d| matches!(kinds::find(d).map(|k| &k.role), Some(kinds::Role::Template)))
    {
        return Ok(Validated::Templates(
            docs.iter().map(Document::label).collect(),
        ));
    }
    kubernetes(file, docs, None, opts).map(|i| Validated::Policy(Box::new(i)))
}

/// What a policy's reader reads with: its output, the templates of the file and of
/// `--analysis`, and the `--map-metric` mappings, each marked when used so that what
/// nothing used is reported.
pub struct Context<'a> {
    pub out: PolicyDoc,
    pub options: &'a Options,
    templates: &'a [Document],
    used_templates: RefCell<BTreeSet<usize>>,
    used_mappings: RefCell<BTreeSet<usize>>,
    /// Findings of readers outside a document's own (templates read on behalf of a
    /// policy); merged into the import's.
    extra: RefCell<Vec<Findings>>,
}

impl<'a> Context<'a> {
    /// A template by kind and name (`AnalysisTemplate`, `success-rate`), marked used.
    pub fn template(&self, kind: &str, name: &str) -> Option<&'a Document> {
        let (i, d) = self
            .templates
            .iter()
            .enumerate()
            .find(|(_, d)| d.kind == kind && d.name.as_deref() == Some(name))?;
        self.used_templates.borrow_mut().insert(i);
        Some(d)
    }

    /// The `--map-metric` KIND for a template's metric, marked used.
    pub fn mapping(&self, template: &str, metric: &str) -> Option<&'a str> {
        let (i, m) = self
            .options
            .map_metric
            .iter()
            .enumerate()
            .find(|(_, m)| m.template == template && m.metric == metric)?;
        self.used_mappings.borrow_mut().insert(i);
        Some(&m.kind)
    }

    /// Keeps the findings of a reader run on another document (a template).
    pub fn keep(&self, findings: Findings) {
        self.extra.borrow_mut().push(findings);
    }
}

/// The policy-bearing documents of `docs`, and what the others are.
fn kubernetes(
    file: &str,
    docs: Vec<Document>,
    select: Option<&str>,
    opts: &Options,
) -> Result<Import, Problems> {
    let mut ps: Vec<Problem> = Vec::new();
    let mut notes: Vec<Note> = Vec::new();
    let mut templates: Vec<Document> = Vec::new();
    let mut policies: Vec<(Document, kinds::ReadPolicy)> = Vec::new();
    let mut sort = |d: Document, from_analysis: bool| match kinds::find(&d) {
        None => ps.push(Problem {
            origin: d.origin(),
            key: String::new(),
            reason: format!(
                "{} {} is not a kind rollcage reads; it reads {}",
                d.api_version,
                d.kind,
                kinds::readable()
            ),
        }),
        Some(k) => match &k.role {
            kinds::Role::Template => templates.push(d),
            _ if from_analysis => ps.push(Problem {
                origin: d.origin(),
                key: String::new(),
                reason: format!(
                    "--analysis files hold templates only ({}); give a {} as --policy",
                    kinds::template_kinds(),
                    d.kind
                ),
            }),
            kinds::Role::Policy(read) => policies.push((d, *read)),
            kinds::Role::Noted(why) => notes.push(Note {
                origin: d.origin(),
                key: String::new(),
                text: format!("not simulated: {why}"),
            }),
            kinds::Role::Refused(why) => ps.push(Problem {
                origin: d.origin(),
                key: String::new(),
                reason: why.to_string(),
            }),
        },
    };
    for d in docs {
        sort(d, false);
    }
    let mut unread = Vec::new();
    for (afile, atext) in &opts.analysis {
        match manifest::documents(afile, atext) {
            Ok(ds) => {
                for d in ds {
                    sort(d, true);
                }
            }
            Err(more) => unread.extend(more),
        }
    }
    ps.extend(unread);
    let chosen = match select {
        Some(s) => {
            let (want_kind, want_name) = match s.split_once('/') {
                Some((k, n)) => (Some(k), n),
                None => (None, s),
            };
            let hits: Vec<usize> = (0..policies.len())
                .filter(|&i| {
                    let d = &policies[i].0;
                    d.name.as_deref() == Some(want_name) && want_kind.is_none_or(|k| k == d.kind)
                })
                .collect();
            match hits.as_slice() {
                [i] => Some(*i),
                [] => {
                    ps.push(Problem {
                        origin: file.to_string(),
                        key: String::new(),
                        reason: format!(
                            "#{s}: no policy of that name; the file holds {}",
                            list_or_none(&policies)
                        ),
                    });
                    None
                }
                _ => {
                    ps.push(Problem {
                        origin: file.to_string(),
                        key: String::new(),
                        reason: format!(
                            "#{s}: names {}; pick one with FILE#Kind/name",
                            hits.iter()
                                .map(|&i| policies[i].0.label())
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                    });
                    None
                }
            }
        }
        None => match policies.len() {
            1 => Some(0),
            0 => {
                ps.push(Problem {
                    origin: file.to_string(),
                    key: String::new(),
                    reason: format!(
                        "holds no policy; rollcage reads its policy from {}",
                        kinds::policy_kinds()
                    ),
                });
                None
            }
            _ => {
                let names: Vec<String> = policies.iter().map(|(d, _)| d.label()).collect();
                let pick = policies[0].0.name.as_deref().unwrap_or("NAME");
                ps.push(Problem {
                    origin: file.to_string(),
                    key: String::new(),
                    reason: format!(
                        "holds {} policies: {}; pick one with {file}#{pick}",
                        policies.len(),
                        names.join(", ")
                    ),
                });
                None
            }
        },
    };
    // The policies not chosen are noted, so that nothing in the file goes unsaid.
    if let Some(c) = chosen {
        for (i, (d, _)) in policies.iter().enumerate() {
            if i != c {
                notes.push(Note {
                    origin: d.origin(),
                    key: String::new(),
                    text: "not simulated: another policy of the file was picked".into(),
                });
            }
        }
    }
    if !ps.is_empty() {
        return problems(ps);
    }
    let (doc, read) = policies.swap_remove(chosen.expect("checked above"));
    let mut imported = finish(opts, &templates, |ctx| {
        let findings = Findings::new(doc.origin());
        {
            let root = findings.root(&doc.value);
            root.allow(&["apiVersion", "kind"]);
            read(&root, ctx);
        }
        ctx.out.from = doc.origin();
        findings
    })?;
    // The policy's notes first, then the other documents'.
    imported.notes.extend(notes);
    Ok(imported)
}

fn list_or_none(policies: &[(Document, kinds::ReadPolicy)]) -> String {
    if policies.is_empty() {
        "none".into()
    } else {
        policies
            .iter()
            .map(|(d, _)| d.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs a policy reader and gathers what it found: the problems of the document, of
/// the templates it read, and of what nothing used (`--map-metric` mappings); the
/// notes, with the templates nothing used.
fn finish(
    opts: &Options,
    templates: &[Document],
    read: impl FnOnce(&mut Context<'_>) -> Findings,
) -> Result<Import, Problems> {
    let mut ctx = Context {
        out: PolicyDoc::new(),
        options: opts,
        templates,
        used_templates: RefCell::new(BTreeSet::new()),
        used_mappings: RefCell::new(BTreeSet::new()),
        extra: RefCell::new(Vec::new()),
    };
    let findings = read(&mut ctx);
    let (mut ps, mut notes) = findings.into_parts();
    for f in ctx.extra.into_inner() {
        let (p, n) = f.into_parts();
        ps.extend(p);
        notes.extend(n);
    }
    let used = ctx.used_templates.into_inner();
    for (i, t) in templates.iter().enumerate() {
        if !used.contains(&i) {
            notes.push(Note {
                origin: t.origin(),
                key: String::new(),
                text: "not simulated: no policy in the files refers to this template".into(),
            });
        }
    }
    let used = ctx.used_mappings.into_inner();
    for (i, m) in opts.map_metric.iter().enumerate() {
        if !used.contains(&i) {
            ps.push(Problem {
                origin: "--map-metric".into(),
                key: m.raw.clone(),
                reason: format!(
                    "no metric {} of a template {} was read for the policy; nothing it maps is used",
                    m.metric, m.template
                ),
            });
        }
    }
    if !ps.is_empty() {
        return problems(ps);
    }
    let out = ctx.out;
    Ok(Import {
        table: out.table,
        notes,
        replicas: out.replicas,
        from: out.from,
        origins: out.origins,
    })
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

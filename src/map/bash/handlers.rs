//! The rule handlers: values that need a transformation on their way to a variable.

use super::rules::{ACCELERATORS, CONTAINER_FIELDS, GATEWAY_CLASSES, ImageVars};
use super::{Axis, Fate, Handler, Item, Mapper, stage_var, vars};
use crate::model::Sourced;
use crate::model::scenario::Value;

impl<'a> Mapper<'a> {
    pub(super) fn handle(
        &mut self,
        handler: Handler,
        path: &str,
        stage: Option<&'static str>,
        item: Item<'a>,
    ) {
        let st = stage.unwrap_or("decode");
        match handler {
            Handler::Model(var) => self.model(item, var),
            Handler::Image(prefix) => {
                let reference = self.text_of(&self.dep.networking.proxy.image, item);
                self.image(item, reference, prefix)
            }
            Handler::StageImage(prefix) => {
                let reference = self.text_of(&self.stage_model(st).image, item);
                self.image(item, reference, prefix)
            }
            Handler::GaieImage(vars) => self.gaie_image(item, vars),
            Handler::AcceleratorType(var) => self.accelerator_type(item, var),
            Handler::Create(var) => self.create(item, st, &stage_var(var, stage)),
            Handler::Replicas(var) => self.replicas(item, st, &stage_var(var, stage)),
            Handler::Parallelism(axis, var) => {
                let p = &self.stage_model(st).parallelism;
                let field = match axis {
                    Axis::Tensor => &p.tensor,
                    Axis::Data => &p.data,
                    Axis::DataLocal => &p.data_local,
                    Axis::Workers => &p.workers,
                };
                let value = self.text_of(field, item);
                self.text_to(item, value, &stage_var(var, stage))
            }
            Handler::Annotations(var) => self.annotations(item, &stage_var(var, stage)),
            Handler::Resources => self.resources(item, st),
            Handler::NodeSelector => self.node_selector(item),
            Handler::PyBool(var) => self.boolean(item, var, ["True", "False"]),
            Handler::Switch(var) => self.boolean(item, var, ["1", "0"]),
            Handler::UrlWithPort(var) => self.url_with_port(item, var),
            Handler::ContainerConfig => {
                let field = path.rsplit('.').next().unwrap_or_default().to_string();
                if CONTAINER_FIELDS.contains(&field.as_str()) || field == "extraConfig" {
                    self.container_config.push((st, field, item));
                } else {
                    self.fate(
                        item,
                        Fate::Unmapped(format!(
                            "`{field}` is not a Kubernetes container field llm-d-benchmark can pass on"
                        )),
                    );
                }
            }
            Handler::RoutingSidecar(var) => self.routing_sidecar(item, var),
            Handler::EppVerbosity(var) => self.epp_verbosity(item, var),
            Handler::GaieSidecar => self.gaie_sidecar(path, item),
            Handler::GatewayClass(var) => self.gateway_class(item, var),
            Handler::Affinity(why) => self.affinity(item, why),
            Handler::InitContainers(var) => {
                let var = stage_var(var, stage);
                if self.knows_all(&[&var], &[item]) {
                    let model = self.stage_model(st);
                    self.list_file(&var, item, &model.init_containers, &|_| None);
                }
            }
            Handler::Collect => {
                self.collected.insert(path.to_string(), item);
            }
        }
    }

    /// The model: LLMDBENCH_DEPLOY_MODEL_LIST is a comma-separated list, and
    /// setup/functions.py's model_attribute reads `name:id`, so a name holding `,` or `:`
    /// would deploy other models than the guide's.
    fn model(&mut self, item: Item<'a>, var: &str) {
        let name = self.text_of(&self.dep.model.name, item);
        match name {
            Some(name) if name.contains([',', ':']) => {
                let why = format!(
                    "refused: the model name {} holds `,` or `:`, which llm-d-benchmark reads as a list of models or as `model:id`; name one model without them",
                    crate::error::excerpt(&name, 60)
                );
                let o = self.origin(item);
                self.warn(format!("{}:{}: {why}", o.file, o.first));
                self.fate(item, Fate::Unmapped(why));
            }
            name => self.text_to(item, name, var),
        }
    }

    /// Set `var` to a scalar's text (`None`: the node is no single value).
    fn text_to(&mut self, item: Item<'a>, value: Option<String>, var: &str) {
        match value {
            Some(v) => self.set(var, Value::Text(v), &[item], None),
            None => self.fate(
                item,
                Fate::Unmapped(format!("expected a single value for {var}")),
            ),
        }
    }

    /// Whether the guide creates the stage: unless its `create` is false.
    pub(super) fn created(&self, stage: &str) -> bool {
        self.stage_model(stage).create.as_ref().map(|c| c.value) != Some(false)
    }

    fn create(&mut self, item: Item<'a>, stage: &str, var: &str) {
        let create = self.typed(&self.stage_model(stage).create, item).copied();
        match create.or_else(|| item.node.as_bool()) {
            Some(false) => self.set(
                var,
                Value::Text("0".into()),
                &[item],
                Some("create: false".into()),
            ),
            Some(true) if self.stage_model(stage).replicas.is_none() => self.set(
                var,
                Value::Text("1".into()),
                &[item],
                Some("create: true without replicas: one".into()),
            ),
            Some(true) => self.fate(item, Fate::Mapped(var.to_string())),
            None => self.fate(item, Fate::Unmapped("create takes true or false".into())),
        }
    }

    fn replicas(&mut self, item: Item<'a>, stage: &str, var: &str) {
        if self.created(stage) {
            let replicas = self.text_of(&self.stage_model(stage).replicas, item);
            self.text_to(item, replicas, var);
        } else {
            self.fate(item, Fate::Mapped(var.to_string()));
        }
    }

    /// An image reference (`reference`, the item's value) as registry, repository, name
    /// and tag.
    pub(super) fn image(&mut self, item: Item<'a>, reference: Option<String>, vars: &ImageVars) {
        let Some(reference) = reference else {
            return self.fate(item, Fate::Unmapped("expected an image reference".into()));
        };
        let Some(parts) = parse_image(&reference) else {
            let family = vars.registry.trim_end_matches("_REGISTRY");
            return self.fate(
                item,
                Fate::Unmapped(format!(
                    "not expressible: {family}_* name an image by registry, repository, name and tag; a digest cannot be given"
                )),
            );
        };
        for (var, value) in vars.all().into_iter().zip(parts) {
            self.set(var, Value::Text(value), &[item], None);
        }
    }

    fn gaie_image(&mut self, item: Item<'a>, vars: &ImageVars) {
        let Some(entries) = item.node.as_map() else {
            return self.fate(item, Fate::Unmapped("expected name, hub and tag".into()));
        };
        let parts = &self.dep.router.image_parts;
        for e in entries {
            let child = Item {
                doc: item.doc,
                key_line: Some(e.line),
                node: &e.value,
            };
            let field = match e.key.as_str() {
                "hub" => &parts.hub,
                "name" => &parts.name,
                "tag" => &parts.tag,
                _ => &None,
            };
            let Some(value) = self.text_of(field, child) else {
                self.fate(child, Fate::Unmapped("expected a single value".into()));
                continue;
            };
            match e.key.as_str() {
                "hub" => {
                    // `ghcr.io/llm-d`: registry, then repository.
                    let (registry, repo) = value.split_once('/').unwrap_or((value.as_str(), ""));
                    self.set(vars.registry, Value::Text(registry.into()), &[child], None);
                    self.set(vars.repo, Value::Text(repo.into()), &[child], None);
                }
                "name" => self.set(vars.name, Value::Text(value), &[child], None),
                "tag" => self.set(vars.tag, Value::Text(value), &[child], None),
                _ => self.fate(
                    child,
                    Fate::Unmapped(
                        "no llm-d-benchmark variable sets this for the EPP image".into(),
                    ),
                ),
            }
        }
    }

    fn accelerator_type(&mut self, item: Item<'a>, var: &str) {
        let value = self
            .text_of(&self.dep.accelerator_type, item)
            .unwrap_or_default();
        let value = value.as_str();
        if value == "cpu" {
            // No accelerator: finish_accelerator sets the stages' count to 0.
            return self.fate(
                item,
                Fate::Mapped(vars::stage(vars::ACCELERATOR_NR, "decode")),
            );
        }
        match ACCELERATORS.iter().find(|(t, _)| *t == value) {
            Some((_, resource)) => {
                let note = format!("accelerator type {value}");
                self.set(var, Value::Text((*resource).into()), &[item], Some(note))
            }
            None => self.fate(
                item,
                Fate::Unmapped(format!(
                    "unknown accelerator type {}",
                    crate::error::excerpt(value, 60)
                )),
            ),
        }
    }

    /// The guide's gateway class as one llm-d-benchmark installs; any other is reported
    /// (the benchmark would configure a gateway nothing installs).
    fn gateway_class(&mut self, item: Item<'a>, var: &str) {
        let Some(value) = self.text_of(&self.dep.gateway_class, item) else {
            return self.fate(item, Fate::Unmapped("expected a gateway class name".into()));
        };
        let found = GATEWAY_CLASSES.iter().find(|(name, _, _)| {
            value == *name || (name.ends_with('-') && value.starts_with(name))
        });
        match found {
            Some((_, class, why)) => {
                let note = (*class != value)
                    .then(|| format!("the guide's {value}, as llm-d-benchmark names it"));
                if let Some(why) = why {
                    let o = self.origin(item);
                    let warning = crate::diag::Diagnostic::warning(
                        "mapping",
                        format!("gateway class {value}: {why}"),
                    )
                    .at(&o.file, o.first, None);
                    if !self.warnings.contains(&warning) {
                        self.warnings.push(warning);
                    }
                }
                let note = match why {
                    Some(why) => Some(format!("the guide's {value}: {why}")),
                    None => note,
                };
                self.set(var, Value::Text((*class).to_string()), &[item], note);
            }
            None => {
                let o = self.origin(item);
                self.warn(format!(
                    "{}:{}: gateway class {}: llm-d-benchmark installs only istio, kgateway and gke; {var} keeps its default",
                    o.file,
                    o.first,
                    crate::error::excerpt(&value, 60)
                ));
                self.fate(
                    item,
                    Fate::Unmapped(
                        "not expressible: llm-d-benchmark installs only the istio, kgateway and gke gateway classes".into(),
                    ),
                );
            }
        }
    }

    fn annotations(&mut self, item: Item<'a>, var: &str) {
        let Some(entries) = item.node.as_map() else {
            return self.fate(item, Fate::Unmapped("expected a map of annotations".into()));
        };
        let mut pairs = Vec::new();
        for e in entries {
            match e.value.as_str() {
                Some(v) if !v.contains([',', '\n']) && !e.key.contains([',', ':']) => {
                    pairs.push(format!("{}:{v}", e.key))
                }
                _ => {
                    return self.fate(
                        item,
                        Fate::Unmapped(format!(
                            "not expressible: {var} is a comma-separated list of key:value, and {} does not fit it",
                            crate::error::excerpt(&e.key, 60)
                        )),
                    );
                }
            }
        }
        self.set(var, Value::Text(pairs.join(",")), &[item], None);
    }

    /// A stage's `resources`: each limit and request, read from the model's
    /// (`Stage::accelerator`, `Stage::resources`), into the stage's variables.
    fn resources(&mut self, item: Item<'a>, stage: &str) {
        let Some(sections) = item.node.as_map() else {
            return self.fate(item, Fate::Unmapped("expected limits and requests".into()));
        };
        let requests = item.node.entry("requests");
        for section in sections {
            let sec_item = Item {
                doc: item.doc,
                key_line: Some(section.line),
                node: &section.value,
            };
            let is_limit = match section.key.as_str() {
                "requests" => false,
                "limits" => true,
                _ => {
                    self.fate(
                        sec_item,
                        Fate::Unmapped("llm-d-benchmark sets only requests and limits".into()),
                    );
                    continue;
                }
            };
            for e in section.value.as_map().unwrap_or_default() {
                let child = Item {
                    doc: item.doc,
                    key_line: Some(e.line),
                    node: &e.value,
                };
                let field = self.resource_field(stage, &section.key, &e.key);
                let Some(value) = self.text_of(&field, child) else {
                    self.fate(child, Fate::Unmapped("expected a quantity".into()));
                    continue;
                };
                let request = requests
                    .filter(|_| is_limit)
                    .and_then(|r| r.value.entry(&e.key))
                    .map(|r| {
                        let request = Item {
                            doc: item.doc,
                            key_line: Some(r.line),
                            node: &r.value,
                        };
                        let field = self.resource_field(stage, "requests", &e.key);
                        self.text_of(&field, request)
                    });
                match request {
                    Some(request) => self.limit(stage, child, &e.key, &value, request),
                    None => self.resource(stage, child, &e.key, value),
                }
            }
        }
    }

    /// The model's field for `section.key` of a stage's resources: the accelerator's limit or
    /// request, or another resource (`limits.cpu`).
    fn resource_field(&self, stage: &str, section: &str, key: &str) -> Option<Sourced<String>> {
        let s = self.stage_model(stage);
        if let Some(a) = &s.accelerator
            && a.resource == key
        {
            return match section {
                "limits" => a.limit.clone(),
                _ => a.request.clone(),
            };
        }
        let path = format!("{section}.{key}");
        s.resources
            .iter()
            .find(|(k, _)| *k == path)
            .map(|(_, v)| v.clone())
    }

    /// A limit the guide also requests: llm-d-benchmark sets both from one variable.
    fn limit(
        &mut self,
        stage: &str,
        child: Item<'a>,
        key: &str,
        value: &str,
        request: Option<String>,
    ) {
        let fate = if request.as_deref() == Some(value) {
            Fate::Framework(
                "llm-d-benchmark sets the limit from the same variable as the request".into(),
            )
        } else {
            let o = self.origin(child);
            self.warn(format!(
                "{}:{}: {stage}: the guide's {key} limit {value} differs from its request {}; llm-d-benchmark sets both from one variable, so both are the request",
                o.file,
                o.first,
                request.as_deref().unwrap_or("?")
            ));
            Fate::Unmapped(format!(
                "not expressible: llm-d-benchmark sets limit and request of {key} from one variable, and the guide's differ"
            ))
        };
        self.fate(child, fate);
    }

    /// One resource quantity into the stage's variable (vars::RESOURCES); any other resource
    /// (rdma/ib, ...) is the stage's network resource.
    fn resource(&mut self, stage: &str, child: Item<'a>, key: &str, value: String) {
        if ACCELERATORS.iter().any(|(_, r)| *r == key) {
            let accelerators = self.accelerators_per_pod(stage);
            if value.parse::<u64>().ok() == Some(accelerators) {
                self.fate(
                    child,
                    Fate::Framework(format!(
                        "llm-d-benchmark requests tensor x data-local parallelism ({accelerators}) accelerators per pod"
                    )),
                );
            } else {
                let var = vars::stage(vars::ACCELERATOR_NR, stage);
                self.set(&var, Value::Text(value), &[child], None);
            }
            return;
        }
        match vars::RESOURCES.iter().find(|(name, _)| *name == key) {
            Some((_, template)) => {
                let var = vars::stage(template, stage);
                self.set(&var, Value::Text(value), &[child], None)
            }
            None => {
                let resource = vars::stage(vars::NETWORK_RESOURCE, stage);
                self.set(&resource, Value::Text(key.to_string()), &[child], None);
                let count = vars::stage(vars::NETWORK_NR, stage);
                self.set(&count, Value::Text(value), &[child], None);
            }
        }
    }

    /// llm-d-benchmark's affinity is one `key:value`: the accelerator label when there
    /// are several (the others are reported).
    fn node_selector(&mut self, item: Item<'a>) {
        const VAR: &str = vars::AFFINITY;
        let Some(entries) = item.node.as_map() else {
            return self.fate(item, Fate::Unmapped("expected a map of node labels".into()));
        };
        let chosen = entries
            .iter()
            .position(|e| e.key.contains("accelerator") || e.key.contains("gpu.product"))
            .unwrap_or(0);
        for (i, e) in entries.iter().enumerate() {
            let child = Item {
                doc: item.doc,
                key_line: Some(e.line),
                node: &e.value,
            };
            match e.value.as_str() {
                Some(v) if i == chosen => {
                    let note = "node selector, as llm-d-benchmark's affinity (one key:value)".to_string();
                    self.set(VAR, Value::Text(format!("{}:{v}", e.key)), &[child], Some(note));
                }
                _ => self.fate(
                    child,
                    Fate::Unmapped(format!(
                        "not expressible: {VAR} holds one node label, and {} holds the accelerator's",
                        entries[chosen].key
                    )),
                ),
            }
        }
    }

    pub(super) fn boolean(&mut self, item: Item<'a>, var: &str, spelling: [&str; 2]) {
        match item.node.as_bool() {
            Some(b) => {
                let text = if b { spelling[0] } else { spelling[1] };
                let note = format!("{b}, spelled {text} as setup/env.sh spells it");
                self.set(var, Value::Text(text.into()), &[item], Some(note))
            }
            None => self.fate(
                item,
                Fate::Unmapped(format!("expected true or false for {var}")),
            ),
        }
    }

    fn url_with_port(&mut self, item: Item<'a>, var: &str) {
        let Some(url) = item.node.as_str().map(str::to_string) else {
            return self.fate(item, Fate::Unmapped("expected a URL".into()));
        };
        let port = url.rsplit_once(':').filter(|(head, port)| {
            head.contains("://") && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
        });
        match port {
            Some((base, port)) => {
                let (base, port) = (base.to_string(), port.to_string());
                self.set(var, Value::Text(base), &[item], None);
                self.set(&format!("{var}_PORT"), Value::Text(port), &[item], None);
            }
            None => self.set(var, Value::Text(url), &[item], None),
        }
    }

    /// Accelerators per pod as the chart derives them: tensor x data-local parallelism.
    fn accelerators_per_pod(&self, stage: &str) -> u64 {
        let p = &self.stage_model(stage).parallelism;
        let get = |v: &Option<crate::model::Sourced<String>>| {
            v.as_ref()
                .and_then(|v| v.value.parse::<u64>().ok())
                .unwrap_or(1)
        };
        get(&p.tensor).saturating_mul(get(&p.data_local))
    }
}

/// `ghcr.io/llm-d/llm-d-cuda:v0.5.0` -> registry, repository, name, tag. Docker Hub names
/// (`vllm/vllm-tpu:x`) get `docker.io`; no tag means `latest`. A digest cannot be expressed.
pub fn parse_image(reference: &str) -> Option<[String; 4]> {
    if reference.contains('@') || reference.is_empty() || reference.contains(char::is_whitespace) {
        return None;
    }
    let (path, tag) = match reference.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => (p, t),
        _ => (reference, "latest"),
    };
    let mut parts: Vec<&str> = path.split('/').collect();
    let registry = if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost")
    {
        parts.remove(0)
    } else {
        "docker.io"
    };
    let name = parts.pop()?;
    let repo = if parts.is_empty() && registry == "docker.io" {
        "library".to_string()
    } else {
        parts.join("/")
    };
    Some([
        registry.to_string(),
        repo,
        name.to_string(),
        tag.to_string(),
    ])
}

#[cfg(test)]
mod tests {
    use super::parse_image;

    #[test]
    fn image_references() {
        let p = |s| parse_image(s).map(|a| a.join(" "));
        assert_eq!(
            p("ghcr.io/llm-d/llm-d-cuda:v0.5.0").as_deref(),
            Some("ghcr.io llm-d llm-d-cuda v0.5.0")
        );
        assert_eq!(
            p("vllm/vllm-tpu:v0.13.2-ironwood").as_deref(),
            Some("docker.io vllm vllm-tpu v0.13.2-ironwood")
        );
        assert_eq!(
            p("ubuntu").as_deref(),
            Some("docker.io library ubuntu latest")
        );
        assert_eq!(
            p("localhost:5000/a/b").as_deref(),
            Some("localhost:5000 a b latest")
        );
        assert_eq!(p("x@sha256:abc"), None);
    }
}

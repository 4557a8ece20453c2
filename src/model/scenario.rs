//! The scenario model: what the mapping decided, before any text is rendered.

pub use crate::read::origin::Origin;

/// Sections of the scenario file, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Model,
    Images,
    Common,
    Decode,
    Prefill,
    Routing,
    Charts,
    Workload,
    Control,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Model => "Model parameters",
            Section::Images => "Image parameters",
            Section::Common => "Common vLLM parameters",
            Section::Decode => "Decode parameters",
            Section::Prefill => "Prefill parameters",
            Section::Routing => "Routing, gateway and GAIE parameters",
            Section::Charts => "Chart versions",
            Section::Workload => "Workload parameters",
            Section::Control => "Local directory for results",
        }
    }

    /// The section a variable belongs in, by its name.
    pub fn of(var: &str) -> Section {
        const BY_PART: &[(&str, Section)] = &[
            ("CHART_VERSION", Section::Charts),
            ("_HARNESS_", Section::Workload),
            ("_CONTROL_", Section::Control),
            ("_MODELSERVICE_DECODE_", Section::Decode),
            ("_MODELSERVICE_PREFILL_", Section::Prefill),
            ("_GAIE_", Section::Routing),
            ("_INFERENCESCHEDULER_", Section::Routing),
            ("_ROUTINGSIDECAR_", Section::Routing),
            ("_GATEWAY_", Section::Routing),
            ("_INFERENCE_POOL_", Section::Routing),
            ("_INFERENCE_PORT", Section::Routing),
            ("_IMAGE_", Section::Images),
            ("_DEPLOY_", Section::Model),
            ("_PVC_", Section::Model),
            ("_HF_TOKEN", Section::Model),
            ("_URI_", Section::Model),
        ];
        BY_PART
            .iter()
            .find(|(part, _)| var.contains(part))
            .map(|(_, s)| *s)
            .unwrap_or(Section::Common)
    }
}

/// The value of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A plain string, quoted for bash as needed.
    Text(String),
    /// A path under the user's home folder, written with `~/` so bash expands it.
    Home(String),
    /// A file the scenario writes (`$(mktemp)` + heredoc), kept byte for byte.
    File(String),
    /// A command line written over several lines with `\` continuations that bash joins
    /// into the one line llm-d-benchmark needs. Each element is one line's words, already
    /// quoted for `/bin/sh`.
    Command(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub var: String,
    pub value: Value,
    pub origins: Vec<Origin>,
    /// Said in the comment above the export (why the value looks the way it does).
    pub note: Option<String>,
}

/// What happened to one guide value (a leaf of the YAML) that was not exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Dotted path in the guide, such as `decode.containers[0].startupProbe`.
    pub path: String,
    pub origin: Origin,
    pub reason: String,
}

/// How many guide values ended in each place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub mapped: usize,
    pub defaulted: usize,
    pub framework: usize,
    pub unmapped: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} mapped, {} at default, {} handled by llm-d-benchmark, {} unmapped",
            self.mapped, self.defaulted, self.framework, self.unmapped
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub name: String,
    /// "Based on ..." line.
    pub origin: String,
    /// The helmfile environment converted, if the guide has one.
    pub variant: Option<String>,
    /// What the variant is, when not a helmfile environment (`kustomize overlay DIR`).
    pub variant_kind: Option<String>,
    /// Which defaults were used.
    pub defaults: String,
    pub exports: Vec<Export>,
    /// Values equal to the benchmark default: variable, value, origin.
    pub defaulted: Vec<(String, String, Origin)>,
    pub framework: Vec<Note>,
    pub unmapped: Vec<Note>,
    /// Values a later source of the same release replaced (Helm order), not counted.
    pub overridden: Vec<Note>,
    pub warnings: Vec<crate::diag::Diagnostic>,
    pub counts: Counts,
    /// The benchmark the guide itself recommends, for the header (whatever workload is used).
    pub benchmark: Option<String>,
}

impl Scenario {
    pub fn export(&self, var: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.var == var)
    }
}

//! `kustomize build`, in process: the subset of kustomize v5.5 that llm-d guides use, read
//! through a [`Source`] so local folders, GitHub and the cache all work, and checked against
//! `kubectl kustomize` by the tests.
//!
//! Unlike kubectl's output, every node of the built resources keeps the file and line it came
//! from ([`Node::src`] indexes [`Build::sources`]): a value a patch set cites the patch.
//! Node ids are unique across a build (a patch applied to two resources is copied with fresh
//! ids), so later stages can tell the copies apart.
//!
//! Supported: `resources` (files, folders, remote URLs when a fetcher is given), `bases`,
//! `components`, `patches` (inline or `path:`, JSON 6902 or strategic merge, `target` by
//! group/version/kind/name/namespace/labelSelector/annotationSelector), `patchesStrategicMerge`,
//! `patchesJson6902`, `namespace`, `namePrefix`, `nameSuffix`, `commonLabels`, `labels`,
//! `commonAnnotations`, `replicas`, `images`, `sortOptions`. Any other field is an error
//! naming the field and the file: a build that silently differs from kubectl's would convert
//! the wrong values.

mod data;
mod images;
mod merge;
mod names;
mod patch;
mod patches;
mod paths;
mod resources;
mod select;
mod sort;
mod transform;
pub mod values;

pub use data::{canonical, same_data};
pub(crate) use patches::PatchOptions;
use paths::{is_remote, remote_url};
pub use paths::{join, normalize};

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::load::source::{Entry as SourceEntry, Opened, Source};
use crate::read::yaml::Overridden;
use crate::read::yaml::{self, Doc, Entry, Kind, Node, Scalar};
use select::Selector;

/// Deepest nesting of kustomizations (resources and components); deeper is an error.
pub const MAX_NESTING: usize = 32;
/// Most resources one build may hold.
pub const MAX_RESOURCES: usize = 2_000;
/// Most patches (each document of each patch counts) one build may apply.
pub const MAX_PATCHES: usize = 2_000;
/// Most files one build may read.
pub const MAX_FILES: usize = 2_000;
/// Node ids of a build start here, far above any id a parser hands out.
const FIRST_ID: usize = 1 << 28;

/// The names kustomize accepts for a kustomization file.
pub const KUSTOMIZATION_FILES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Opens a remote resource (a kustomize URL turned into a convert-guide URL): the remote
/// sources of [`crate::load::remote`].
pub type Fetch<'a> = dyn Fn(&str) -> Result<Opened> + 'a;

/// How a build reaches what is outside its source.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// Fetches remote resources; `None`: a remote resource is an error saying so.
    pub fetch: Option<&'a Fetch<'a>>,
}

/// The result of a build.
#[derive(Debug, Clone)]
pub struct Build {
    /// Every file read, in order; `Node::src` of every resource node indexes this.
    pub sources: Vec<Doc>,
    /// The resources, in kustomize's output order.
    pub resources: Vec<Resource>,
    /// The next unused node id (ids of this build are unique across all its sources).
    pub next_id: usize,
    /// Values a patch replaced: where they were, and the patch line that replaced them.
    pub overridden: Vec<Overridden>,
    /// The folders of the kustomizations read, the built one first (relative to the source).
    pub dirs: Vec<String>,
    /// Things worth knowing that kubectl does silently (a patch target matching nothing).
    pub warnings: Vec<String>,
}

/// A built resource.
#[derive(Debug, Clone)]
pub struct Resource {
    pub node: Node,
    /// The id the resource had in its file: patch targets match it as well as the current one.
    pub org: Id,
    /// Every name the resource had, oldest first (name references follow them).
    names: Vec<String>,
}

/// What identifies a resource: group, version, kind, name and namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Id {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

impl Id {
    pub fn of(node: &Node) -> Id {
        let text = |path: &str| {
            node.at(path)
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string()
        };
        let api = text("apiVersion");
        let (group, version) = match api.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api),
        };
        Id {
            group,
            version,
            kind: text("kind"),
            name: text("metadata.name"),
            namespace: text("metadata.namespace"),
        }
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)?;
        if !self.namespace.is_empty() {
            write!(f, " in namespace {}", self.namespace)?;
        }
        Ok(())
    }
}

impl Resource {
    pub fn id(&self) -> Id {
        Id::of(&self.node)
    }
}

/// Build the kustomization in folder `dir` of `source` (`""`: its root).
pub fn build(source: &dyn Source, dir: &str, options: Options<'_>) -> Result<Build> {
    let mut b = Builder {
        places: vec![Place::Main(source)],
        sources: Vec::new(),
        next_id: FIRST_ID,
        stack: Vec::new(),
        files: 0,
        patches: 0,
        overridden: Vec::new(),
        dirs: Vec::new(),
        warnings: Vec::new(),
        options,
        config: transform::Config::default(),
    };
    let top = Loc {
        place: 0,
        path: normalize(dir),
    };
    let mut acc = Vec::new();
    let k = b.target(&top, &mut acc, Role::Top)?;
    b.fix_name_references(&mut acc);
    b.sort(&k, &mut acc)?;
    Ok(Build {
        sources: b.sources,
        resources: acc,
        next_id: b.next_id,
        overridden: b.overridden,
        dirs: b.dirs,
        warnings: b.warnings,
    })
}

/// Whether a folder listing holds a kustomization file.
pub fn has_kustomization(listing: &[String]) -> bool {
    listing
        .iter()
        .any(|e| KUSTOMIZATION_FILES.contains(&e.as_str()))
}

/// Where files are read from: the guide's source, or a remote one a resource URL opened.
enum Place<'s> {
    Main(&'s dyn Source),
    Remote {
        source: Box<dyn Source>,
        url: String,
    },
}

/// A file or folder: which source, and the path in it (normalized, `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Loc {
    place: usize,
    path: String,
}

impl Loc {
    fn join(&self, rel: &str) -> Loc {
        Loc {
            place: self.place,
            path: join(&self.path, rel),
        }
    }
}

/// What a kustomization is listed as: `resources` want a Kustomization, `components` a Component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Kustomization,
    Component,
    /// The folder built: `kubectl kustomize` builds a Component there too.
    Top,
}

/// A kustomization file, read.
#[derive(Debug, Clone)]
struct Kust {
    loc: Loc,
    /// Index of the file in `sources`.
    src: usize,
    root: Node,
}

impl Kust {
    fn get(&self, key: &str) -> Option<&Entry> {
        self.root.entry(key)
    }
}

/// The fields kustomize knows that this build does not implement.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "generators",
    "transformers",
    "validators",
    "replacements",
    "vars",
    "crds",
    "openapi",
    "helmCharts",
    "helmGlobals",
    "helmChartInflationGenerator",
    "imageTags",
    "buildMetadata",
];

const SUPPORTED: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "replicas",
    "images",
    "sortOptions",
    "configurations",
];

/// One transformer step: kustomize runs them in a fixed order (see [`STEPS`]).
type Step = fn(&mut Builder<'_>, &Kust, &mut Vec<Resource>) -> Result<()>;

/// kustomize's builtin transformer order (api/internal/target/kusttarget.go,
/// configureBuiltinTransformers). The order is visible in the output: patches see the names
/// the file gave (prefixes come later), a JSON 6902 patch sees the prefixed name and the
/// labels already added, and `images` rewrites images that patches put in.
const STEPS: &[(&str, Step)] = &[
    ("patchesStrategicMerge", |b, k, acc| {
        b.patches_strategic_merge(k, acc)
    }),
    ("patches", |b, k, acc| b.patches(k, acc)),
    ("namespace", transform::namespace),
    ("namePrefix", transform::name_prefix),
    ("nameSuffix", transform::name_suffix),
    ("labels", transform::labels),
    ("commonAnnotations", transform::common_annotations),
    ("patchesJson6902", |b, k, acc| b.patches_json6902(k, acc)),
    ("replicas", transform::replicas),
    ("images", images::images),
];

struct Builder<'s> {
    places: Vec<Place<'s>>,
    sources: Vec<Doc>,
    next_id: usize,
    /// Kustomizations being built, outermost first: a folder met again is a cycle.
    stack: Vec<Loc>,
    files: usize,
    patches: usize,
    overridden: Vec<Overridden>,
    dirs: Vec<String>,
    warnings: Vec<String>,
    options: Options<'s>,
    /// Transformer configuration the kustomizations added (`configurations`): it applies
    /// to the whole build, as kustomize merges it up into the including kustomizations.
    config: transform::Config,
}

impl<'s> Builder<'s> {
    // -------------------------------------------------------------------------------------
    // Reading

    fn source(&self, place: usize) -> &dyn Source {
        match &self.places[place] {
            Place::Main(s) => *s,
            Place::Remote { source, .. } => source.as_ref(),
        }
    }

    /// A path as provenance shows it: relative to the guide, or the remote URL and path.
    fn shown(&self, loc: &Loc) -> String {
        match &self.places[loc.place] {
            Place::Main(_) => loc.path.clone(),
            Place::Remote { url, .. } => {
                if loc.path.is_empty() {
                    url.clone()
                } else {
                    format!("{}/{}", url.trim_end_matches('/'), loc.path)
                }
            }
        }
    }

    /// Read a file and register it as a source; returns its index and its documents.
    fn read(&mut self, loc: &Loc) -> Result<(usize, Vec<Node>)> {
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(Error::Invalid(format!(
                "{}: the build reads more than {MAX_FILES} files; a guide needs a handful",
                self.shown(loc)
            )));
        }
        let text = self.source(loc.place).read(&loc.path)?;
        let file = self.shown(loc);
        let docs = yaml::parse(&file, &text)?;
        let src = self.sources.len();
        let mut roots = Vec::new();
        for mut d in docs {
            d.root.set_src(src);
            self.renumber(&mut d.root);
            roots.push(d.root);
        }
        self.sources.push(Doc::new(&file, &text, roots_null(src)));
        Ok((src, roots))
    }

    /// Whether `loc` is a folder (`Some(true)`), a file (`Some(false)`), or absent.
    fn kind_of(&self, loc: &Loc) -> Result<Option<bool>> {
        let (parent, name) = match loc.path.rsplit_once('/') {
            Some((p, n)) => (p.to_string(), n.to_string()),
            None => (String::new(), loc.path.clone()),
        };
        if name.is_empty() || name == ".." {
            return Ok(Some(true));
        }
        let listing = match self.source(loc.place).list(&parent) {
            Ok(l) => l,
            Err(_) => return Ok(None),
        };
        if listing.iter().any(|e| *e == format!("{name}/")) {
            Ok(Some(true))
        } else if listing.contains(&name) {
            Ok(Some(false))
        } else {
            Ok(None)
        }
    }

    /// Give every node of a tree a fresh id.
    fn renumber(&mut self, node: &mut Node) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            n.id = self.next_id;
            self.next_id += 1;
            match &mut n.kind {
                Kind::Scalar(_) => {}
                Kind::Seq(items) => stack.extend(items.iter_mut()),
                Kind::Map(entries) => stack.extend(entries.iter_mut().map(|e| &mut e.value)),
            }
        }
    }

    /// A copy of `node` with fresh ids (a patch value applied to one more resource).
    fn copy(&mut self, node: &Node) -> Node {
        let mut n = node.clone();
        self.renumber(&mut n);
        n
    }

    /// An error at a line of a source file, with the line quoted.
    fn error_at(&self, src: usize, line: usize, message: impl Into<String>) -> Error {
        match self.sources.get(src) {
            Some(d) => {
                let column = d
                    .lines(line, line)
                    .first()
                    .map_or(1, |l| l.len() - l.trim_start().len() + 1);
                Error::syntax(&d.file, &d.text, line, column, message)
            }
            None => Error::Invalid(message.into()),
        }
    }

    /// An error about a field of a kustomization.
    fn field_error(&self, k: &Kust, node: &Node, message: impl Into<String>) -> Error {
        let line = if node.src == k.src { node.line } else { 1 };
        self.error_at(k.src, line, message)
    }

    // -------------------------------------------------------------------------------------
    // Kustomizations

    /// Read the kustomization in folder `dir`.
    fn kustomization(&mut self, dir: &Loc, role: Role) -> Result<Kust> {
        let listing = self.source(dir.place).list(&dir.path).map_err(|_| {
            Error::Invalid(format!(
                "{}: no such folder (named by a kustomization)",
                self.shown(dir)
            ))
        })?;
        let found: Vec<&String> = listing
            .iter()
            .filter(|e| KUSTOMIZATION_FILES.contains(&e.as_str()))
            .collect();
        let name = match found.as_slice() {
            [one] => (*one).clone(),
            [] => {
                return Err(Error::Invalid(format!(
                    "{}: no kustomization.yaml in this folder\n  hint: a folder listed under `resources` or `components` must hold a kustomization",
                    self.shown(dir)
                )));
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "{}: more than one kustomization file ({}); kustomize refuses that too, keep one",
                    self.shown(dir),
                    found
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        };
        let loc = dir.join(&name);
        let (src, roots) = self.read(&loc)?;
        let root = match roots.len() {
            0 => roots_null(src),
            1 => roots.into_iter().next().unwrap_or_else(|| roots_null(src)),
            _ => {
                return Err(self.error_at(
                    src,
                    roots[1].line,
                    "a kustomization holds one YAML document",
                ));
            }
        };
        if !root.is_null() && root.as_map().is_none() {
            return Err(self.error_at(src, root.line, "a kustomization is a mapping of fields"));
        }
        let k = Kust {
            loc: dir.clone(),
            src,
            root,
        };
        self.check_fields(&k, role)?;
        Ok(k)
    }

    /// Every field must be one this build implements: anything else is an error, never
    /// silently left out.
    fn check_fields(&self, k: &Kust, role: Role) -> Result<()> {
        for e in k.root.as_map().unwrap_or_default() {
            let key = e.key.as_str();
            if SUPPORTED.contains(&key) {
                continue;
            }
            let message = if KNOWN_UNSUPPORTED.contains(&key) {
                format!(
                    "kustomization field `{key}` is not supported by convert-guide's kustomize build\n  hint: supported fields: {}",
                    SUPPORTED.join(", ")
                )
            } else {
                format!(
                    "unknown kustomization field `{key}` (kustomize refuses it too)\n  hint: supported fields: {}",
                    SUPPORTED.join(", ")
                )
            };
            return Err(self.error_at(k.src, e.line, message));
        }
        let kind = k.get("kind").and_then(|e| e.value.as_str());
        let line = k.get("kind").map_or(1, |e| e.line);
        match (role, kind) {
            (Role::Kustomization | Role::Top, None | Some("Kustomization")) => Ok(()),
            (Role::Component | Role::Top, Some("Component")) => Ok(()),
            (Role::Kustomization, Some("Component")) => Err(self.error_at(
                k.src,
                line,
                "a Component is listed under `resources`; kustomize takes components under `components` only",
            )),
            (Role::Component, _) => Err(self.error_at(
                k.src,
                line,
                "listed under `components`, but this is not a Component (kind: Component)",
            )),
            (_, Some(other)) => Err(self.error_at(
                k.src,
                line,
                format!("kind {other:?}: a kustomization is a Kustomization or a Component"),
            )),
        }
    }

    /// Build the kustomization in `dir` into `acc`: kustomize's accumulateTarget.
    fn target(&mut self, dir: &Loc, acc: &mut Vec<Resource>, role: Role) -> Result<Kust> {
        if let Some(pos) = self.stack.iter().position(|l| l == dir) {
            let cycle: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(dir))
                .map(|l| self.shown(l))
                .collect();
            return Err(Error::Invalid(format!(
                "kustomizations include each other in a cycle: {}",
                cycle.join(" -> ")
            )));
        }
        if self.stack.len() >= MAX_NESTING {
            return Err(Error::Invalid(format!(
                "{}: kustomizations nested more than {MAX_NESTING} deep",
                self.shown(dir)
            )));
        }
        self.stack.push(dir.clone());
        let k = self.kustomization(dir, role)?;
        if dir.place == 0 {
            self.dirs.push(dir.path.clone());
        }
        self.configurations(&k)?;
        // kustomize's fixed order: resources first, so components and transformers see all
        // that the bases built; components next (a component transforms what the including
        // kustomization accumulated); then the transformers, each over every resource.
        self.resources(&k, acc)?;
        self.components(&k, acc)?;
        for (_, step) in STEPS {
            step(self, &k, acc)?;
        }
        self.stack.pop();
        Ok(k)
    }

    /// The entries of a list field, as strings with their nodes.
    fn string_list(&self, k: &Kust, field: &str) -> Result<Vec<(String, Node)>> {
        let Some(e) = k.get(field) else {
            return Ok(Vec::new());
        };
        if e.value.is_null() {
            return Ok(Vec::new());
        }
        let Some(items) = e.value.as_seq() else {
            return Err(self.error_at(k.src, e.line, format!("`{field}` is a list")));
        };
        items
            .iter()
            .map(|n| match n.as_str() {
                Some(s) => Ok((s.to_string(), n.clone())),
                None => Err(self.field_error(k, n, format!("an entry of `{field}` is a path"))),
            })
            .collect()
    }

    // -------------------------------------------------------------------------------------
    // After the transformers

    fn fix_name_references(&mut self, acc: &mut [Resource]) {
        names::name_references(acc, &self.config.name_refs);
    }

    /// `configurations`: transformer configuration files (`nameReference`, `commonLabels`
    /// field specs), each in or below the kustomization's folder.
    fn configurations(&mut self, k: &Kust) -> Result<()> {
        for (entry, node) in self.string_list(k, "configurations")? {
            if is_remote(&entry) {
                return Err(self.field_error(
                    k,
                    &node,
                    format!("remote configuration {entry}: not supported; use a local file"),
                ));
            }
            let loc = k.loc.join(&entry);
            if self.kind_of(&loc)? != Some(false) {
                return Err(self.field_error(
                    k,
                    &node,
                    format!("configuration {entry:?}: no such file"),
                ));
            }
            self.check_within(k, &node, &loc, "configurations")?;
            let (src, roots) = self.read(&loc)?;
            for root in roots {
                transform::read_config(self, src, &root)?;
            }
        }
        Ok(())
    }
}

/// An empty root citing line 1 of source `src`: the tree of a file with no document.
fn roots_null(src: usize) -> Node {
    Node {
        id: 0,
        src,
        line: 1,
        end_line: 1,
        column: 1,
        kind: Kind::Scalar(Scalar {
            value: String::new(),
            plain: true,
        }),
    }
}

//! What a kustomization accumulates: `resources` (files, folders, remote URLs) and
//! `components`, each document checked, ids kept unique, files kept within the
//! kustomization's folder as kustomize's load restrictor asks.

use super::*;

impl Builder<'_> {
    /// `resources` (and the deprecated `bases`): files, folders and remote URLs, in order.
    pub(super) fn resources(&mut self, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
        let mut entries = self.string_list(k, "resources")?;
        entries.extend(self.string_list(k, "bases")?);
        for (entry, node) in entries {
            if is_remote(&entry) {
                self.remote(k, &entry, &node, acc)?;
                continue;
            }
            let loc = k.loc.join(&entry);
            match self.kind_of(&loc)? {
                Some(true) => {
                    let mut sub = Vec::new();
                    self.target(&loc, &mut sub, Role::Kustomization)?;
                    self.add(k, &node, acc, sub)?;
                }
                Some(false) => {
                    self.check_within(k, &node, &loc, "resources")?;
                    let loaded = self.load_resources(&loc)?;
                    self.add(k, &node, acc, loaded)?;
                }
                None => {
                    return Err(self.field_error(
                        k,
                        &node,
                        format!("resource {entry:?}: no such file or folder"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// kustomize's load restrictor (the kubectl default): files must lie in or below the
    /// kustomization's folder; only folders may be reached with `../`.
    pub(super) fn check_within(&self, k: &Kust, node: &Node, loc: &Loc, field: &str) -> Result<()> {
        let inside = k.loc.path.is_empty() && !loc.path.starts_with("..")
            || loc.path.starts_with(&format!("{}/", k.loc.path));
        if inside {
            return Ok(());
        }
        Err(self.field_error(
            k,
            node,
            format!(
                "`{field}` names file {}, which is not in or below {}: kustomize refuses that (security)\n  hint: list the folder holding it (with its own kustomization) instead",
                self.shown(loc),
                self.shown(&k.loc)
            ),
        ))
    }

    /// A remote resource: a kustomize URL, fetched with the remote sources.
    fn remote(
        &mut self,
        k: &Kust,
        entry: &str,
        node: &Node,
        acc: &mut Vec<Resource>,
    ) -> Result<()> {
        let url = remote_url(entry).map_err(|why| self.field_error(k, node, why))?;
        let Some(fetch) = self.options.fetch else {
            return Err(self.field_error(
                k,
                node,
                format!(
                    "remote resource {entry}: remote resources are fetched only when converting (convert-guide GUIDE); this build has no fetcher"
                ),
            ));
        };
        let opened = fetch(&url)?;
        let place = self.places.len();
        self.places.push(Place::Remote {
            source: opened.source,
            url: url.clone(),
        });
        match opened.entry {
            SourceEntry::Folder => {
                let mut sub = Vec::new();
                let loc = Loc {
                    place,
                    path: String::new(),
                };
                self.target(&loc, &mut sub, Role::Kustomization)?;
                self.add(k, node, acc, sub)?;
            }
            SourceEntry::File { rel, .. } => {
                let loc = Loc { place, path: rel };
                let loaded = self.load_resources(&loc)?;
                self.add(k, node, acc, loaded)?;
            }
        }
        Ok(())
    }

    /// The resources of a file: every non-empty document (a `List` gives its items).
    fn load_resources(&mut self, loc: &Loc) -> Result<Vec<Resource>> {
        let (src, roots) = self.read(loc)?;
        let mut out = Vec::new();
        for root in roots {
            if root.is_null() {
                continue;
            }
            let is_list = root.get("kind").and_then(Node::as_str) == Some("List");
            let items = match (is_list, root.get("items").and_then(Node::as_seq)) {
                (true, Some(items)) => items.to_vec(),
                _ => vec![root],
            };
            for node in items {
                out.push(self.resource(src, node)?);
            }
        }
        Ok(out)
    }

    /// Check a resource document: a mapping with a kind and a name.
    fn resource(&self, src: usize, node: Node) -> Result<Resource> {
        if node.as_map().is_none() {
            return Err(self.error_at(src, node.line, "a resource is a mapping"));
        }
        let id = Id::of(&node);
        if id.kind.is_empty() {
            return Err(self.error_at(src, node.line, "resource without `kind`"));
        }
        if id.name.is_empty() {
            return Err(self.error_at(src, node.line, "resource without `metadata.name`"));
        }
        Ok(Resource {
            names: vec![id.name.clone()],
            org: id,
            node,
        })
    }

    /// Add resources, refusing a second one with the same id (kustomize does).
    fn add(
        &self,
        k: &Kust,
        node: &Node,
        acc: &mut Vec<Resource>,
        batch: Vec<Resource>,
    ) -> Result<()> {
        let mut ids: HashSet<Id> = acc.iter().map(Resource::id).collect();
        for r in batch {
            let id = r.id();
            if acc.len() >= MAX_RESOURCES {
                return Err(self.field_error(
                    k,
                    node,
                    format!("more than {MAX_RESOURCES} resources"),
                ));
            }
            if !ids.insert(id.clone()) {
                return Err(self.field_error(
                    k,
                    node,
                    format!("{id} is there twice (kustomize refuses resources with the same id)"),
                ));
            }
            acc.push(r);
        }
        Ok(())
    }

    /// `components`: each runs over what this kustomization has accumulated so far.
    pub(super) fn components(&mut self, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
        for (entry, node) in self.string_list(k, "components")? {
            if is_remote(&entry) {
                return Err(self.field_error(
                    k,
                    &node,
                    format!("remote component {entry}: not supported; use a local folder"),
                ));
            }
            let loc = k.loc.join(&entry);
            if self.kind_of(&loc)? != Some(true) {
                return Err(self.field_error(
                    k,
                    &node,
                    format!("component {entry:?}: no such folder"),
                ));
            }
            self.target(&loc, acc, Role::Component)?;
        }
        Ok(())
    }
}

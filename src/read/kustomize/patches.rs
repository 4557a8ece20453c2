//! The patch fields of a kustomization (`patches`, `patchesStrategicMerge`,
//! `patchesJson6902`): their documents read, their targets selected, each applied to the
//! resources built so far ([`super::patch`] and [`super::merge`] do the applying).

use super::*;

impl Builder<'_> {
    /// The documents of a patch given inline (`patch:`) or by file (`path:`).
    fn patch_docs(&mut self, k: &Kust, spec: &Node, field: &str) -> Result<(Vec<Node>, usize)> {
        match (spec.get("patch"), spec.get("path")) {
            (Some(inline), None) => Ok((self.embedded(k, inline)?, inline.line)),
            (None, Some(path)) => {
                let rel = path
                    .as_str()
                    .ok_or_else(|| self.field_error(k, path, "`path` names a file"))?;
                let loc = k.loc.join(rel);
                self.check_within(k, path, &loc, field)?;
                if self.kind_of(&loc)? != Some(false) {
                    return Err(self.field_error(
                        k,
                        path,
                        format!("patch file {rel:?}: no such file"),
                    ));
                }
                let (_, docs) = self.read(&loc)?;
                Ok((docs, path.line))
            }
            (Some(_), Some(_)) => {
                Err(self.field_error(k, spec, "a patch has `patch` or `path`, not both"))
            }
            (None, None) => Err(self.field_error(k, spec, "a patch needs `patch` or `path`")),
        }
    }

    /// `patches`: JSON 6902 operation lists or strategic-merge documents, with an optional
    /// target selector, applied in order.
    pub(super) fn patches(&mut self, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
        let Some(e) = k.get("patches").filter(|e| !e.value.is_null()) else {
            return Ok(());
        };
        let Some(items) = e.value.as_seq() else {
            return Err(self.error_at(k.src, e.line, "`patches` is a list"));
        };
        for spec in items {
            self.check_keys(k, spec, &["patch", "path", "target", "options"], "a patch")?;
            let (docs, line) = self.patch_docs(k, spec, "patches")?;
            let target = match spec.get("target") {
                Some(t) => Some(Selector::parse(t).map_err(|why| self.field_error(k, t, why))?),
                None => None,
            };
            let options = PatchOptions::parse(spec.get("options"))
                .map_err(|why| self.field_error(k, spec, why))?;
            let docs: Vec<Node> = docs.into_iter().filter(|d| !d.is_null()).collect();
            match docs.as_slice() {
                [ops] if ops.as_seq().is_some() => {
                    let Some(target) = target else {
                        return Err(self.field_error(
                            k,
                            spec,
                            "a JSON 6902 patch (a list of operations) needs a `target`",
                        ));
                    };
                    self.json6902(k, acc, ops, &target, line)?;
                }
                [] => {
                    return Err(self.field_error(k, spec, "this patch is empty"));
                }
                docs if docs.iter().all(|d| d.as_map().is_some()) => {
                    for doc in docs {
                        self.strategic(k, acc, doc, target.as_ref(), options, line)?;
                    }
                }
                _ => {
                    return Err(self.field_error(
                        k,
                        spec,
                        "a patch is a list of JSON 6902 operations or strategic-merge documents",
                    ));
                }
            }
        }
        Ok(())
    }

    /// `patchesStrategicMerge` (deprecated): file paths or inline documents.
    pub(super) fn patches_strategic_merge(
        &mut self,
        k: &Kust,
        acc: &mut Vec<Resource>,
    ) -> Result<()> {
        for (entry, node) in self.string_list(k, "patchesStrategicMerge")? {
            let (docs, line) = if entry.contains('\n') {
                (self.embedded(k, &node)?, node.line)
            } else {
                let loc = k.loc.join(&entry);
                self.check_within(k, &node, &loc, "patchesStrategicMerge")?;
                if self.kind_of(&loc)? != Some(false) {
                    return Err(self.field_error(
                        k,
                        &node,
                        format!("patch file {entry:?}: no such file"),
                    ));
                }
                (self.read(&loc)?.1, node.line)
            };
            for doc in docs.iter().filter(|d| !d.is_null()) {
                if doc.as_map().is_none() {
                    return Err(self.error_at(
                        doc.src,
                        doc.line,
                        "a strategic-merge patch is a mapping",
                    ));
                }
                self.strategic(k, acc, doc, None, PatchOptions::default(), line)?;
            }
        }
        Ok(())
    }

    /// `patchesJson6902` (deprecated): a target and its operations, by file or inline.
    pub(super) fn patches_json6902(&mut self, k: &Kust, acc: &mut [Resource]) -> Result<()> {
        let Some(e) = k.get("patchesJson6902").filter(|e| !e.value.is_null()) else {
            return Ok(());
        };
        let Some(items) = e.value.as_seq() else {
            return Err(self.error_at(k.src, e.line, "`patchesJson6902` is a list"));
        };
        for spec in items {
            self.check_keys(k, spec, &["patch", "path", "target"], "a JSON 6902 patch")?;
            let Some(t) = spec.get("target") else {
                return Err(self.field_error(k, spec, "a JSON 6902 patch needs a `target`"));
            };
            let target = Selector::parse(t).map_err(|why| self.field_error(k, t, why))?;
            let (docs, line) = self.patch_docs(k, spec, "patchesJson6902")?;
            let docs: Vec<Node> = docs.into_iter().filter(|d| !d.is_null()).collect();
            match docs.as_slice() {
                [ops] if ops.as_seq().is_some() => self.json6902(k, acc, ops, &target, line)?,
                _ => {
                    return Err(self.field_error(
                        k,
                        spec,
                        "a JSON 6902 patch is one list of operations",
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_keys(&self, k: &Kust, spec: &Node, allowed: &[&str], what: &str) -> Result<()> {
        let Some(entries) = spec.as_map() else {
            return Err(self.field_error(k, spec, format!("{what} is a mapping")));
        };
        for e in entries {
            if !allowed.contains(&e.key.as_str()) {
                return Err(self.error_at(
                    k.src,
                    e.line,
                    format!(
                        "`{}` in {what} is not supported (allowed: {})",
                        e.key,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn count_patch(&mut self, k: &Kust, line: usize) -> Result<()> {
        self.patches += 1;
        if self.patches > MAX_PATCHES {
            return Err(self.error_at(
                k.src,
                line,
                format!("more than {MAX_PATCHES} patch applications"),
            ));
        }
        Ok(())
    }

    /// Apply JSON 6902 operations to every resource the target selects.
    fn json6902(
        &mut self,
        k: &Kust,
        acc: &mut [Resource],
        ops: &Node,
        target: &Selector,
        line: usize,
    ) -> Result<()> {
        let ops = patch::parse(ops).map_err(|(n, why)| self.error_at(n.src, n.line, why))?;
        let mut matched = 0;
        for r in acc.iter_mut() {
            if !target.matches(r) {
                continue;
            }
            matched += 1;
            self.count_patch(k, line)?;
            let before = r.id();
            patch::apply(self, r, &ops)?;
            self.renamed(r, &before);
        }
        if matched == 0 {
            self.warn_unmatched(k, line);
        }
        Ok(())
    }

    fn warn_unmatched(&mut self, k: &Kust, line: usize) {
        let file = self.sources[k.src].file.clone();
        self.warnings.push(format!(
            "{file}:{line}: the patch's target matches no resource (kustomize ignores it too)"
        ));
    }

    /// A strategic-merge patch document: to every resource the target selects, or without
    /// a target to the one resource with the document's own kind and name.
    fn strategic(
        &mut self,
        k: &Kust,
        acc: &mut Vec<Resource>,
        doc: &Node,
        target: Option<&Selector>,
        options: PatchOptions,
        line: usize,
    ) -> Result<()> {
        let chosen: Vec<usize> = match target {
            Some(t) => acc
                .iter()
                .enumerate()
                .filter(|(_, r)| t.matches(r))
                .map(|(i, _)| i)
                .collect(),
            None => {
                let want = Id::of(doc);
                let found: Vec<usize> = acc
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| select::same_object(&want, r))
                    .map(|(i, _)| i)
                    .collect();
                if found.len() != 1 {
                    let how = if found.is_empty() {
                        "no resource has"
                    } else {
                        "several resources have"
                    };
                    return Err(self.error_at(
                        doc.src,
                        doc.line,
                        format!(
                            "strategic-merge patch for {want}: {how} that kind and name\n  hint: name the resource to patch by its kind and metadata.name, or give the patch a `target`"
                        ),
                    ));
                }
                found
            }
        };
        if chosen.is_empty() {
            self.warn_unmatched(k, line);
        }
        let mut deleted = Vec::new();
        for i in chosen {
            self.count_patch(k, line)?;
            let before = acc[i].id();
            let kept = merge::apply(self, &mut acc[i], doc, options)?;
            if kept {
                self.renamed(&mut acc[i], &before);
            } else {
                deleted.push(i);
            }
        }
        for i in deleted.into_iter().rev() {
            acc.remove(i);
        }
        Ok(())
    }

    /// Remember a resource's new name, so name references follow it.
    fn renamed(&mut self, r: &mut Resource, before: &Id) {
        let now = r.id();
        if now.name != before.name {
            r.names.push(now.name);
        }
    }

    /// Parse YAML text held by a field of a kustomization (an inline patch): lines map onto
    /// the kustomization's own when the text is a literal block, so provenance quotes the
    /// kustomization; otherwise every node gets the field's lines.
    fn embedded(&mut self, k: &Kust, node: &Node) -> Result<Vec<Node>> {
        let text = node.as_str().unwrap_or_default().to_string();
        let host = &self.sources[k.src];
        let first = node.line;
        let exact = text.lines().enumerate().all(|(i, l)| {
            host.lines(first + i, first + i)
                .first()
                .is_some_and(|h| h.trim() == l.trim())
        });
        let docs = yaml::parse(&host.file, &text).map_err(|e| match e {
            Error::Syntax {
                location, message, ..
            } if exact => self.error_at(
                k.src,
                first + location.line.saturating_sub(1),
                format!("in this inline patch: {message}"),
            ),
            Error::Syntax { message, .. } => {
                self.error_at(k.src, first, format!("in this inline patch: {message}"))
            }
            other => other,
        })?;
        let mut out = Vec::new();
        for d in docs {
            let mut root = d.root;
            relocate(&mut root, k.src, |line| {
                if exact {
                    (first + line - 1, first + line - 1)
                } else {
                    (node.line, node.end_line)
                }
            });
            self.renumber(&mut root);
            out.push(root);
        }
        Ok(out)
    }
}

/// `options` of a patch.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PatchOptions {
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
}

impl PatchOptions {
    fn parse(node: Option<&Node>) -> std::result::Result<PatchOptions, String> {
        let mut o = PatchOptions::default();
        for e in node.and_then(Node::as_map).unwrap_or_default() {
            let v = e
                .value
                .as_bool()
                .ok_or_else(|| format!("patch option `{}` takes true or false", e.key))?;
            match e.key.as_str() {
                "allowNameChange" => o.allow_name_change = v,
                "allowKindChange" => o.allow_kind_change = v,
                other => return Err(format!("patch option `{other}` is not supported")),
            }
        }
        Ok(o)
    }
}

/// Move every node of a tree to source `src`, mapping its lines with `map`.
fn relocate(node: &mut Node, src: usize, map: impl Fn(usize) -> (usize, usize)) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        n.src = src;
        let (a, _) = map(n.line);
        let (_, b) = map(n.end_line);
        n.line = a;
        n.end_line = b.max(a);
        match &mut n.kind {
            Kind::Scalar(_) => {}
            Kind::Seq(items) => stack.extend(items.iter_mut()),
            Kind::Map(entries) => {
                for e in entries.iter_mut() {
                    e.line = map(e.line).0;
                }
                stack.extend(entries.iter_mut().map(|e| &mut e.value));
            }
        }
    }
}

//! The GAIE plugin configuration: the file the EPP loads (`pluginsConfigFile`), the guide's
//! own configurations (`pluginsCustomConfig`), and the scheduler's copies of vLLM values in
//! them kept in step with vLLM's (the deployment's coupled values).

use super::stage::token;
use super::{Fate, Item, Mapper};
use crate::error::is_deceptive;
use crate::model::scenario::Value;

use super::vars::{BLOCK_SIZE, MODEL_LIST, PLUGINS_CUSTOM, PLUGINS_FILE};

/// The value text of `key: value` on `line` when it is exactly `scalar` (plain or quoted).
fn value_at<'l>(line: &'l str, key: &str, scalar: &str) -> Option<(usize, &'l str)> {
    let at = line.find(&format!("{key}:"))? + key.len() + 1;
    let rest = line[at..].trim();
    let quoted = [format!("\"{scalar}\""), format!("'{scalar}'")];
    (rest == scalar || quoted.iter().any(|q| q == rest)).then_some((at, rest))
}

/// Why a custom plugins configuration cannot be written as the `<name>: |` block
/// llm-d-benchmark reads, if it cannot.
fn plugins_refusal(name: &str, content: &str) -> Option<String> {
    let plain_name = !name.is_empty()
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain_name {
        return Some(format!(
            "refused: the plugins file name {} is not a plain file name (letters, digits, . _ -)",
            crate::error::excerpt(name, 60)
        ));
    }
    if content.chars().any(is_deceptive) {
        return Some(
            "not expressible: control or bidirectional characters cannot be written in the YAML block llm-d-benchmark reads"
                .into(),
        );
    }
    None
}

/// `|`, with the indentation indicator when the content's first line starts with blanks
/// (or is empty) and the chomping indicator when its final line breaks are not exactly
/// one, so the block reads back as exactly the content.
fn block_header(content: &str) -> String {
    let plain_start = content
        .chars()
        .next()
        .is_some_and(|c| !matches!(c, ' ' | '\t' | '\n'));
    let indent = if plain_start { "" } else { "2" };
    let chomp = if !content.ends_with('\n') {
        "-"
    } else if content.ends_with("\n\n") || content == "\n" {
        "+"
    } else {
        ""
    };
    format!("|{indent}{chomp}")
}

impl<'a> Mapper<'a> {
    /// `pluginsConfigFile` names the EPP configuration (`Router::plugins_file`);
    /// `pluginsCustomConfig` may hold it (`Router::plugins_custom`).
    pub(super) fn finish_plugins(&mut self) {
        let file = self
            .collected
            .remove("inferenceExtension.pluginsConfigFile");
        let custom = self
            .collected
            .remove("inferenceExtension.pluginsCustomConfig");
        let present: Vec<Item<'a>> = [file, custom].into_iter().flatten().collect();
        if custom.is_some() && !self.knows_all(&[PLUGINS_FILE, PLUGINS_CUSTOM], &present) {
            return;
        }
        let chosen = file.and_then(|f| self.text_of(&self.dep.router.plugins_file, f));
        let mut used = false;
        if let Some(custom) = custom {
            let entries = custom.node.as_map().unwrap_or_default();
            for e in entries {
                let item = Item {
                    doc: custom.doc,
                    key_line: Some(e.line),
                    node: &e.value,
                };
                let selected = chosen.as_deref() == Some(e.key.as_str())
                    || (chosen.is_none() && entries.len() == 1);
                let field = self
                    .dep
                    .router
                    .plugins_custom
                    .iter()
                    .find(|(name, _)| *name == e.key)
                    .map(|(_, text)| text.clone());
                let Some(content) = self.text_of(&field, item).filter(|_| selected) else {
                    self.fate(
                        item,
                        Fate::Unmapped("pluginsConfigFile selects another plugins file".into()),
                    );
                    continue;
                };
                used |= self.custom_plugins(file, &e.key, item, &content);
            }
            if !used && entries.is_empty() {
                self.fate(custom, Fate::Framework("empty".into()));
            }
        }
        if let (false, Some(f), Some(name)) = (used, file, chosen) {
            // llm-d-benchmark looks the name up under setup/presets/gaie/: a plain name only.
            if let Some(why) = plugins_refusal(&name, "") {
                self.warn(format!(
                    "GAIE plugins {}: {why}",
                    crate::error::excerpt(&name, 60)
                ));
                self.fate(f, Fate::Unmapped(why));
                return;
            }
            self.set(PLUGINS_FILE, Value::Text(name), &[f], None);
        }
    }

    /// The guide's plugin configuration `key` (`content`, at `item`) as the custom plugins
    /// file and the name the EPP loads. False when it cannot be written.
    fn custom_plugins(
        &mut self,
        file: Option<Item<'a>>,
        key: &str,
        item: Item<'a>,
        content: &str,
    ) -> bool {
        if self.refuse_tokens(item) {
            return false;
        }
        if let Some(why) = plugins_refusal(key, content) {
            self.warn(format!(
                "GAIE plugins {}: {why}",
                crate::error::excerpt(key, 60)
            ));
            self.fate(item, Fate::Unmapped(why));
            return false;
        }
        // A preset of the same name would win over the custom content.
        let (name, note) = if self.options.gaie_presets.iter().any(|p| p == key) {
            let renamed = format!("{}-{key}", self.guide_name);
            let note = format!(
                "renamed from {key}: llm-d-benchmark has a preset of that name, which would replace the guide's configuration"
            );
            (renamed, Some(note))
        } else {
            (key.to_string(), None)
        };
        let (content, coupled) = self.coupled_plugins(&name, content);
        let content = content.as_str();
        let mut text = format!("{name}: {}\n", block_header(content));
        for line in content.lines() {
            if line.is_empty() {
                text.push('\n');
            } else {
                text.push_str(&format!("  {line}\n"));
            }
        }
        match file {
            Some(f) => self.set(PLUGINS_FILE, Value::Text(name), &[f], note),
            None => self.set_derived(PLUGINS_FILE, Value::Text(name), Vec::new(), note),
        }
        self.fate(item, Fate::Mapped(PLUGINS_CUSTOM.into()));
        let origins = self.origins(item);
        let note = (!coupled.is_empty()).then(|| {
            format!(
                "{}, so a sweep keeps the scheduler and vLLM in step",
                coupled.join(", ")
            )
        });
        self.set_derived(PLUGINS_CUSTOM, Value::File(text), origins, note);
        true
    }

    /// The scheduler's copies of vLLM values in a plugin configuration (`blockSize`, the
    /// tokenizer's `modelName`) written as the tokens of the variables that set vLLM's, so
    /// that they stay equal when an experiment sweeps them; `hashSeed` is compared with the
    /// guide's PYTHONHASHSEED (no variable sets that). The model servers' side of block size
    /// and hash seed is the deployment's (`Deployment::coupled`); the tokenizer's model is
    /// compared with the model the scenario deploys (LLMDBENCH_DEPLOY_MODEL_LIST, which a
    /// custom command may have set). The content and notes.
    pub(super) fn coupled_plugins(&mut self, name: &str, content: &str) -> (String, Vec<String>) {
        let mut notes = Vec::new();
        let Ok(doc) = crate::read::yaml::parse_one(name, content) else {
            return (content.to_string(), notes);
        };
        let servers = self.servers_side();
        let mut found: Vec<(usize, String, String)> = Vec::new();
        doc.root.walk(|n| {
            for e in n.as_map().unwrap_or_default() {
                if let Some(s) = e.value.as_scalar()
                    && matches!(e.key.as_str(), "blockSize" | "modelName" | "hashSeed")
                    && e.line == e.value.end_line
                {
                    found.push((e.line, e.key.clone(), s.value.clone()));
                }
            }
        });
        let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
        for (line_no, key, value) in found {
            let Some(line) = lines.get_mut(line_no.wrapping_sub(1)) else {
                continue;
            };
            let replacement = self.coupled_value(name, &servers, &key, &value);
            if let Some(new) = replacement
                && let Some((at, rest)) = value_at(line, &key, &value)
            {
                notes.push(format!("{key} follows {}", new.trim_matches('"')));
                let tail = line[at..].replacen(rest, &new, 1);
                line.replace_range(at.., &tail);
            }
        }
        let mut out = lines.join("\n");
        if content.ends_with('\n') {
            out.push('\n');
        }
        (out, notes)
    }

    /// What the scheduler's copies are compared with.
    fn servers_side(&self) -> ServersSide {
        let text_of = |v: Option<&(Value, String)>| match v {
            Some((Value::Text(t), _)) => Some(t.clone()),
            _ => None,
        };
        let servers = |c: &Option<crate::model::Coupled<String>>| {
            c.as_ref()
                .and_then(|c| c.servers.as_ref())
                .map(|s| s.value.clone())
        };
        let coupled = &self.dep.coupled;
        // The token only where the variable carries vLLM's value. A command the model keeps
        // as a script (`set -x; exec vllm serve ...`) states its block size only to the
        // custom command's own reading, which set the variable.
        let block_var = text_of(self.values.get(BLOCK_SIZE));
        ServersSide {
            block: servers(&coupled.block_size).or_else(|| block_var.clone()),
            block_var,
            model: text_of(self.values.get(MODEL_LIST)),
            seed: servers(&coupled.hash_seed),
        }
    }

    /// The replacement of the scheduler's `key: value` (a token), with a warning when it
    /// disagrees with the model servers'.
    fn coupled_value(
        &mut self,
        name: &str,
        servers: &ServersSide,
        key: &str,
        value: &str,
    ) -> Option<String> {
        match key {
            "blockSize" => match &servers.block {
                Some(b) if *b == value => {
                    (servers.block_var.as_ref() == Some(b)).then(|| token(BLOCK_SIZE))
                }
                Some(b) => {
                    self.warn(format!(
                        "GAIE plugins {name}: the scheduler's blockSize {value} differs from vLLM's --block-size {b}: prefix-cache hits will not match"
                    ));
                    None
                }
                None => None,
            },
            "modelName" => {
                let m = servers.model.as_ref()?;
                if *m != value {
                    self.warn(format!(
                        "GAIE plugins {name}: the scheduler's tokenizer model {value} is not the model vLLM serves ({m}); the scenario gives it the deployed model"
                    ));
                }
                Some(format!("\"{}\"", token(MODEL_LIST)))
            }
            _ => {
                if servers.seed.as_deref() != Some(value) {
                    self.warn(format!(
                        "GAIE plugins {name}: the scheduler's hashSeed {value} is not vLLM's PYTHONHASHSEED ({}): prefix-cache hashes will not match",
                        servers.seed.as_deref().unwrap_or("unset")
                    ));
                }
                None
            }
        }
    }
}

/// The model servers' side of the values a plugin configuration copies.
struct ServersSide {
    /// vLLM's block size (`Deployment::coupled`, else the variable's).
    block: Option<String>,
    /// The block-size variable's value, when set.
    block_var: Option<String>,
    /// The model the scenario deploys.
    model: Option<String>,
    /// vLLM's PYTHONHASHSEED (`Deployment::coupled`).
    seed: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::yaml::parse_one;

    /// The block written for `content` reads back as exactly `content`.
    fn round_trip(content: &str) -> String {
        let mut text = format!("p.yaml: {}\n", block_header(content));
        for line in content.lines() {
            if line.is_empty() {
                text.push('\n');
            } else {
                text.push_str(&format!("  {line}\n"));
            }
        }
        let doc = parse_one("t", &text).unwrap_or_else(|e| panic!("{content:?}: {e}\n{text}"));
        doc.root
            .get("p.yaml")
            .and_then(|n| n.as_scalar())
            .map(|s| s.value.clone())
            .unwrap_or_default()
    }

    #[test]
    fn plugin_blocks_read_back_exactly() {
        assert_eq!(block_header("a: 1\n"), "|");
        for content in [
            "a: 1\n",
            "  indented: first\nb: 2\n",
            "\n\nlate: start\n",
            "no final newline",
            "two\n\n",
            "\n",
            "",
            "\tx\n",
            "   \n x\n",
            "---\n...\n# not a comment\n",
        ] {
            assert_eq!(round_trip(content), content, "{content:?}");
        }
    }

    #[test]
    fn plugin_configs_that_cannot_be_written_are_refused() {
        assert!(plugins_refusal("custom.yaml", "a: 1\n").is_none());
        assert!(plugins_refusal("../x.yaml", "a").is_some());
        assert!(plugins_refusal("x y.yaml", "a").is_some());
        assert!(plugins_refusal("x.yaml", "a\r\nb").is_some());
        assert!(plugins_refusal("x.yaml", "# \u{202e}evil").is_some());
    }
}

//! Finding and reading a guide: a values file, or a guide folder with `ms-*/`, `gaie-*/`
//! and `helmfile.yaml.gotmpl`. Remote sources (later) produce the same [`Guide`].

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Largest file read, so a wrong path (a disk image, say) fails fast instead of filling memory.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What a guide file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Values of the llm-d-modelservice chart (`ms-*/values*.yaml`).
    ModelService,
    /// Values of the GAIE inferencepool chart (`gaie-*/values*.yaml`).
    Gaie,
    /// `helmfile.yaml.gotmpl`: chart versions.
    Helmfile,
    /// A values file given directly, whose chart is told by its keys.
    Values,
}

#[derive(Debug, Clone)]
pub struct GuideFile {
    /// Path relative to the guide root, with `/` separators: what provenance comments show.
    pub rel: String,
    pub role: Role,
    pub text: String,
}

/// A guide, read: its name, where it came from, and its files in a fixed order.
#[derive(Debug, Clone)]
pub struct Guide {
    pub name: String,
    /// Shown in the scenario header as "Based on ...".
    pub origin: String,
    pub files: Vec<GuideFile>,
    /// Values files found but not used (another variant), for the notes.
    pub skipped: Vec<String>,
}

const LOOKED_FOR: &str = "ms-*/values.yaml, gaie-*/values.yaml, helmfile.yaml.gotmpl";

/// Read a local guide folder or values file.
pub fn load_local(path: &Path) -> Result<Guide> {
    let meta = std::fs::metadata(path).map_err(|_| Error::NotFound {
        path: path.to_path_buf(),
    })?;
    if meta.is_dir() {
        load_folder(path)
    } else {
        load_file(path)
    }
}

fn load_folder(root: &Path) -> Result<Guide> {
    let mut entries: Vec<String> = std::fs::read_dir(root)
        .map_err(|source| Error::Read {
            path: root.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    entries.sort();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (prefix, role) in [("ms-", Role::ModelService), ("gaie-", Role::Gaie)] {
        let found: Vec<&String> = entries
            .iter()
            .filter(|d| d.starts_with(prefix) && root.join(d).join("values.yaml").is_file())
            .collect();
        // Several folders (precise-prefix-cache-aware has two gaie-*): the shortest name is
        // the base one, the others are alternatives that the helmfile picks by environment.
        if let Some(chosen) = found.iter().min_by_key(|d| (d.len(), d.as_str())) {
            let rel = format!("{chosen}/values.yaml");
            files.push(GuideFile {
                text: read(&root.join(&rel))?,
                rel,
                role,
            });
            skipped.extend(
                found
                    .iter()
                    .filter(|d| *d != chosen)
                    .map(|d| format!("{d}/values.yaml")),
            );
        }
    }
    if files.is_empty() {
        return Err(Error::NoValues {
            path: root.to_path_buf(),
            looked_for: LOOKED_FOR.to_string(),
        });
    }
    let helmfile = root.join("helmfile.yaml.gotmpl");
    if helmfile.is_file() {
        files.push(GuideFile {
            text: read(&helmfile)?,
            rel: "helmfile.yaml.gotmpl".into(),
            role: Role::Helmfile,
        });
    }
    Ok(Guide {
        name: name_of_folder(root),
        origin: root.display().to_string(),
        files,
        skipped,
    })
}

fn load_file(path: &Path) -> Result<Guide> {
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("values.yaml");
    // A file inside ms-*/ or gaie-*/ is shown relative to the guide root, as in a folder.
    let (rel, role) = if parent.starts_with("ms-") {
        (format!("{parent}/{file_name}"), Role::ModelService)
    } else if parent.starts_with("gaie-") {
        (format!("{parent}/{file_name}"), Role::Gaie)
    } else {
        (file_name.to_string(), Role::Values)
    };
    let text = read(path)?;
    Ok(Guide {
        name: name_of_file(path),
        origin: path.display().to_string(),
        files: vec![GuideFile { rel, role, text }],
        skipped: Vec::new(),
    })
}

fn read(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::Read {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "file is {} bytes, more than the {MAX_FILE_BYTES} a guide file may have",
                meta.len()
            )),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!(
            "not UTF-8 text (invalid byte at offset {}); guides are YAML text",
            e.utf8_error().valid_up_to()
        )),
    })
}

fn name_of_folder(root: &Path) -> String {
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| PathBuf::from(root));
    sanitize(abs.file_name().and_then(|n| n.to_str()).unwrap_or("guide"))
}

/// `guide/values.yaml` -> `guide`; `ms-guide/values_xpu.yaml` -> `guide-xpu`; `x/my-guide.yaml` -> `my-guide`.
pub fn name_of_file(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("guide");
    let stem = stem.strip_suffix(".yaml").unwrap_or(stem);
    let variant = stem
        .strip_prefix("values")
        .map(|v| v.trim_start_matches(['_', '-', '.']));
    let variant = variant.or_else(|| {
        stem.strip_suffix("values")
            .map(|v| v.trim_end_matches(['_', '-', '.']))
    });
    let Some(variant) = variant else {
        return sanitize(stem);
    };
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
    let parent = abs
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("guide");
    let parent = parent
        .strip_prefix("ms-")
        .or_else(|| parent.strip_prefix("gaie-"))
        .unwrap_or(parent);
    if variant.is_empty() {
        sanitize(parent)
    } else {
        sanitize(&format!("{parent}-{variant}"))
    }
}

/// Lowercase; anything but letters, digits and `.` becomes `-`; no leading dots, no `..`.
/// The result is always a plain file name: never empty, never a path.
pub fn sanitize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            c
        } else {
            '-'
        };
        if (c == '-' && out.ends_with('-')) || (c == '.' && out.ends_with('.')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_matches(['-', '.']).to_string();
    if out.is_empty() {
        "guide".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_seed_rules() {
        assert_eq!(name_of_file(Path::new("/p/to/my-guide.yaml")), "my-guide");
        assert_eq!(
            name_of_file(Path::new("/p/inference-scheduling/values.yaml")),
            "inference-scheduling"
        );
        assert_eq!(
            name_of_file(Path::new("/p/ms-pd/values_xpu.yaml")),
            "pd-xpu"
        );
        assert_eq!(
            name_of_file(Path::new("/p/ms-is/digitalocean-values.yaml")),
            "is-digitalocean"
        );
        assert_eq!(name_of_file(Path::new("/p/gaie-pd/values.yaml")), "pd");
    }

    #[test]
    fn sanitized_names_are_plain_file_names() {
        assert_eq!(sanitize("My Guide!"), "my-guide");
        assert_eq!(sanitize("../../etc/passwd"), "etc-passwd");
        assert_eq!(sanitize(".."), "guide");
        assert_eq!(sanitize("a/b\\c"), "a-b-c");
        assert_eq!(sanitize("v1..2"), "v1.2");
        for hostile in ["..", "/", "a/../b", "~", "", " . ", "\u{202e}x"] {
            let s = sanitize(hostile);
            assert!(
                !s.contains('/') && !s.contains("..") && !s.is_empty(),
                "{hostile:?} -> {s:?}"
            );
        }
    }
}

//! Finding and reading a guide: a values file, or a guide folder with `ms-*/`, `gaie-*/`
//! and `helmfile.yaml.gotmpl`. Remote sources (`crate::load::remote`) produce the same [`Guide`].

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Largest file read, so a wrong path (a disk image, say) fails fast instead of filling memory.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// All files of one guide together (values, helmfile, environment files): a guide is a
/// handful of small files. Local and remote guides have the same budget.
pub const MAX_GUIDE_BYTES: u64 = 16 * 1024 * 1024;

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

/// Where a guide's files come from: a local folder, a GitHub repository, a cache.
/// Paths are relative to the guide root with `/` separators; `../` reaches the rest of the
/// repository (helmfile environments use shared files there).
pub trait Source {
    /// Shown in the scenario header as "Based on ...".
    fn origin(&self) -> String;
    /// The text of a file.
    fn read(&self, rel: &str) -> Result<String>;
    /// The entries of a folder (`""` is the guide root), sorted; folder names end in `/`.
    fn list(&self, rel: &str) -> Result<Vec<String>>;
}

/// What the user pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A guide folder.
    Folder,
    /// One values file, relative to the guide root, and what it is for.
    File { rel: String, role: Role },
}

/// A guide opened from a source: nothing read yet but what was needed to find it.
pub struct Opened {
    pub name: String,
    pub source: Box<dyn Source>,
    pub entry: Entry,
}

/// A guide folder or file on the local disk.
///
/// Reads stay inside the guide's repository: `../` paths (helmfile environments, kustomize
/// bases) and symbolic links are followed only while they resolve inside it, so a hostile
/// guide cannot have its scenario quote `/etc/passwd` or a key file. The repository is the
/// nearest folder upward named `guides` (llm-d's layout: `guides/prereq`, `guides/recipes`
/// and `guides/benchmark` are what guides reach), else the nearest holding `.git`, else the
/// folder holding the guide.
pub struct LocalDir {
    root: PathBuf,
    shown: String,
    /// The folder reads are confined to (canonical); see the type's documentation.
    jail: Option<PathBuf>,
    /// The file the user named (canonical), readable wherever it is.
    entry: Option<PathBuf>,
    /// Bytes of the distinct files read so far, against [`MAX_GUIDE_BYTES`]: a shared file
    /// read again (every helmfile environment naming it) is counted once.
    spent: AtomicU64,
    /// The files counted in `spent`, by canonical path.
    counted: Mutex<HashSet<PathBuf>>,
    /// Folder listings, by path: a kustomization naming 2,000 files lists its folder once.
    lists: Mutex<HashMap<PathBuf, Vec<String>>>,
}

impl LocalDir {
    fn new(root: PathBuf, shown: String, entry: Option<&Path>) -> LocalDir {
        let canonical = std::fs::canonicalize(&root).ok();
        let jail = canonical.map(|c| {
            c.ancestors()
                .find(|a| a.file_name().is_some_and(|n| n == "guides"))
                .or_else(|| c.ancestors().find(|a| a.join(".git").exists()))
                .map(Path::to_path_buf)
                .or_else(|| c.parent().map(Path::to_path_buf))
                .unwrap_or(c)
        });
        LocalDir {
            root,
            shown,
            jail,
            entry: entry.and_then(|e| std::fs::canonicalize(e).ok()),
            spent: AtomicU64::new(0),
            counted: Mutex::new(HashSet::new()),
            lists: Mutex::new(HashMap::new()),
        }
    }

    /// `path`, unless it resolves outside the guide's repository.
    fn confined(&self, path: PathBuf) -> Result<PathBuf> {
        let Ok(real) = std::fs::canonicalize(&path) else {
            // Missing: the read itself says so.
            return Ok(path);
        };
        let inside = match &self.jail {
            Some(jail) => real.starts_with(jail),
            None => true,
        };
        if inside || self.entry.as_ref() == Some(&real) {
            return Ok(path);
        }
        let jail = self.jail.as_deref().unwrap_or(Path::new("/"));
        Err(Error::Read {
            source: std::io::Error::other(format!(
                "resolves to {}, outside the guide's repository {}; a guide reads only its own files (a symbolic link or a `../` path leaving it?)",
                real.display(),
                jail.display()
            )),
            path,
        })
    }
}

impl Source for LocalDir {
    fn origin(&self) -> String {
        self.shown.clone()
    }

    fn read(&self, rel: &str) -> Result<String> {
        let path = self.confined(self.root.join(rel))?;
        let text = read(&path)?;
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !lock(&self.counted).insert(key) {
            return Ok(text);
        }
        let total = self
            .spent
            .fetch_add(text.len() as u64, Ordering::Relaxed)
            .saturating_add(text.len() as u64);
        if total > MAX_GUIDE_BYTES {
            return Err(Error::Read {
                path,
                source: std::io::Error::other(format!(
                    "the guide's files add up to more than {MAX_GUIDE_BYTES} bytes, the most a guide may have"
                )),
            });
        }
        Ok(text)
    }

    fn list(&self, rel: &str) -> Result<Vec<String>> {
        let dir = self.confined(self.root.join(rel))?;
        if let Some(names) = lock(&self.lists).get(&dir) {
            return Ok(names.clone());
        }
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|source| Error::Read {
                path: dir.clone(),
                source,
            })?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                Some(if e.path().is_dir() {
                    format!("{name}/")
                } else {
                    name
                })
            })
            .collect();
        names.sort();
        lock(&self.lists).insert(dir, names.clone());
        Ok(names)
    }
}

/// A poisoned memo is still a valid memo (it only ever gains complete entries).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Open a local guide folder or values file.
pub fn open_local(path: &Path) -> Result<Opened> {
    let meta = std::fs::metadata(path).map_err(|_| Error::NotFound {
        path: path.to_path_buf(),
    })?;
    let shown = path.display().to_string();
    if meta.is_dir() {
        return Ok(Opened {
            name: name_of_folder(path),
            source: Box::new(LocalDir::new(path.to_path_buf(), shown, None)),
            entry: Entry::Folder,
        });
    }
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("values.yaml")
        .to_string();
    let parent_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let parent = parent_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    // A file inside ms-*/ or gaie-*/ is shown relative to the guide root, as in a folder.
    let role = role_of_folder(&parent);
    let (root, rel) = match role {
        Role::Values => (parent_dir, file_name),
        _ => (
            parent_dir
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            format!("{parent}/{file_name}"),
        ),
    };
    Ok(Opened {
        name: name_of_file(path),
        source: Box::new(LocalDir::new(root, shown, Some(path))),
        entry: Entry::File { rel, role },
    })
}

/// `ms-*` folders hold modelservice values, `gaie-*` folders GAIE values.
pub fn role_of_folder(folder: &str) -> Role {
    if folder.starts_with("ms-") {
        Role::ModelService
    } else if folder.starts_with("gaie-") {
        Role::Gaie
    } else {
        Role::Values
    }
}

/// Read a local guide folder or values file (the files of its base variant).
pub fn load_local(path: &Path) -> Result<Guide> {
    load(&open_local(path)?)
}

/// The files of a guide without evaluating its helmfile: each `ms-*/values.yaml` and
/// `gaie-*/values.yaml` (the shortest folder name when there are several), and the helmfile.
pub fn load(opened: &Opened) -> Result<Guide> {
    let src = opened.source.as_ref();
    if let Entry::File { rel, role } = &opened.entry {
        return Ok(Guide {
            name: opened.name.clone(),
            origin: src.origin(),
            files: vec![GuideFile {
                text: src.read(rel)?,
                rel: rel.clone(),
                role: *role,
            }],
            skipped: Vec::new(),
        });
    }
    let entries = src.list("")?;
    let folders: Vec<&str> = entries.iter().filter_map(|e| e.strip_suffix('/')).collect();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (prefix, role) in [("ms-", Role::ModelService), ("gaie-", Role::Gaie)] {
        let mut found = Vec::new();
        for d in folders.iter().filter(|d| d.starts_with(prefix)) {
            if src.list(d)?.iter().any(|f| f == "values.yaml") {
                found.push(*d);
            }
        }
        // Several folders (precise-prefix-cache-aware has two gaie-*): the shortest name is
        // the base one, the others are alternatives that the helmfile picks by environment.
        if let Some(chosen) = found.iter().min_by_key(|d| (d.len(), **d)) {
            let rel = format!("{chosen}/values.yaml");
            files.push(GuideFile {
                text: src.read(&rel)?,
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
            path: PathBuf::from(src.origin()),
            looked_for: LOOKED_FOR.to_string(),
        });
    }
    if entries.iter().any(|e| e == HELMFILE) {
        files.push(GuideFile {
            text: src.read(HELMFILE)?,
            rel: HELMFILE.into(),
            role: Role::Helmfile,
        });
    }
    Ok(Guide {
        name: opened.name.clone(),
        origin: src.origin(),
        files,
        skipped,
    })
}

pub const HELMFILE: &str = "helmfile.yaml.gotmpl";

/// A regular file of at most [`MAX_FILE_BYTES`], as UTF-8 text: how every input file is
/// read (guide files, env.sh, profiles, experiments, treatment lists). Devices and pipes
/// are refused (`/dev/zero` never ends), and the read stops at the cap whatever the size
/// the file system reported (a file can grow while it is read).
pub fn read_file(path: &Path) -> Result<String> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!(
            "not UTF-8 text (invalid byte at offset {}); guides are YAML text",
            e.utf8_error().valid_up_to()
        )),
    })
}

fn read(path: &Path) -> Result<String> {
    read_file(path)
}

/// The bytes of a regular file of at most [`MAX_FILE_BYTES`] (see [`read_file`]).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let fail = |source: std::io::Error| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(fail)?;
    if !meta.is_file() {
        return Err(fail(std::io::Error::other(
            "not a regular file (a device, pipe or socket); a guide file is YAML text",
        )));
    }
    let too_large = |len: u64| {
        fail(std::io::Error::other(format!(
            "file is {len} bytes, more than the {MAX_FILE_BYTES} a guide file may have"
        )))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(std::io::Error::other(format!(
            "file grew past the {MAX_FILE_BYTES} bytes a guide file may have while it was read"
        ))));
    }
    Ok(bytes)
}

fn name_of_folder(root: &Path) -> String {
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| PathBuf::from(root));
    sanitize(abs.file_name().and_then(|n| n.to_str()).unwrap_or("guide"))
}

/// `guide/values.yaml` -> `guide`; `ms-guide/values_xpu.yaml` -> `guide-xpu`; `x/my-guide.yaml` -> `my-guide`.
pub fn name_of_file(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
    let parent = abs
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("guide");
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("guide");
    name_of_file_in(parent, file)
}

/// [`name_of_file`] for a file named `file` in a folder named `parent`, without touching the
/// disk (remote guides).
pub fn name_of_file_in(parent: &str, file: &str) -> String {
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("guide");
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

/// Lowercase; anything but letters, digits, `_` and `.` becomes `-`; no leading dots, no `..`.
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

//! Writing the output files: where they go, what changes, and atomic replacement.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where the scenario and experiment of `name` go: under `out`, else the benchmark
/// checkout, else the current folder.
pub fn targets(base: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        base.join("scenarios")
            .join("guides")
            .join(format!("{name}.sh")),
        base.join("experiments").join(format!("{name}.yaml")),
    )
}

/// How a planned file relates to what is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    New,
    Unchanged,
    /// The file exists with other content: a unified diff from it to the new content.
    Modified(String),
}

pub fn change(path: &Path, new: &str) -> Change {
    match std::fs::read(path) {
        Err(_) => Change::New,
        Ok(old) if old == new.as_bytes() => Change::Unchanged,
        Ok(old) => {
            let old = String::from_utf8_lossy(&old);
            let diff = similar::TextDiff::configure()
                .timeout(std::time::Duration::from_secs(1))
                .diff_lines(old.as_ref(), new);
            let label = path.display().to_string();
            Change::Modified(
                diff.unified_diff()
                    .context_radius(3)
                    .header(&label, &label)
                    .to_string(),
            )
        }
    }
}

/// Write `content` to `path` atomically: a temporary file in the same folder, flushed, then
/// renamed over the target, so readers see the old file or the new one, never a part.
/// Refuses to write through a symbolic link.
pub fn write_atomic(path: &Path, content: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(fail(std::io::Error::other(
            "is a symbolic link; refusing to write through it",
        )));
    }
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_reports_changes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("scenarios/guides/x.sh");
        assert_eq!(change(&path, "a\n"), Change::New);
        write_atomic(&path, "a\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(change(&path, "a\n"), Change::Unchanged);
        match change(&path, "b\n") {
            Change::Modified(d) => assert!(d.contains("-a\n+b\n"), "{d}"),
            other => panic!("{other:?}"),
        }
        write_atomic(&path, "b\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "b\n");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap_or(dir.path()))
            .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "keep").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.path().join("x.sh");
        std::os::unix::fs::symlink(&outside, &link).unwrap_or_else(|e| panic!("{e}"));
        assert!(write_atomic(&link, "new").is_err());
        assert_eq!(
            std::fs::read_to_string(&outside).unwrap_or_default(),
            "keep"
        );
    }
}

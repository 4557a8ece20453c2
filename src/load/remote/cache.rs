//! The offline cache of GitHub guides, keyed by API host and commit SHA (content at a
//! commit never changes, so entries never expire; a GitHub Enterprise or a test server with
//! the same owner, repository and SHA is another repository):
//!
//! ```text
//! <cache-dir>/<%host>/<owner>/<repo>/<sha>/<path>     file contents, verified on each use
//! <cache-dir>/<%host>/<owner>/<repo>/trees/<sha>      the tree listing: path, blob SHA, size
//! <cache-dir>/<%host>/<owner>/<repo>/refs/<%ref>      the commit a branch or tag had last
//! ```
//!
//! A cached file is used only when its git blob SHA is the one the tree listing gives;
//! otherwise it is removed and fetched again (see `github.rs`).
//!
//! `<%x>` is `x` percent-encoded into one file name, so no host or ref can collide with
//! another. Writes are atomic (temporary file + rename); a failed write only loses caching.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::url::{encode_segment, is_full_sha};
use crate::load::source::MAX_FILE_BYTES;

pub struct Cache {
    /// `<cache-dir>/<%host>/<owner>/<repo>`; owner and repo were checked to be plain names.
    repo_dir: PathBuf,
}

impl Cache {
    /// `host` is the API host with its port (`api.github.com`, `127.0.0.1:8080`).
    pub fn new(cache_dir: &Path, host: &str, owner: &str, repo: &str) -> Cache {
        Cache {
            repo_dir: cache_dir.join(flat(host)).join(owner).join(repo),
        }
    }

    /// Forget a cached file that failed its check.
    pub fn remove_file(&self, sha: &str, path: &[String]) {
        if let Some(p) = self.file_path(sha, path) {
            let _ = std::fs::remove_file(p);
        }
    }

    /// The tree listing of commit `sha`, as [`Cache::put_tree`] wrote it.
    pub fn tree(&self, sha: &str) -> Option<String> {
        is_full_sha(sha)
            .then(|| read(&self.repo_dir.join("trees").join(sha)))
            .flatten()
    }

    pub fn put_tree(&self, sha: &str, text: &str) {
        if is_full_sha(sha) {
            write_atomic(&self.repo_dir.join("trees").join(sha), text);
        }
    }

    /// The file at `path` (segments checked by [`super::url::join`]) of commit `sha`.
    pub fn file(&self, sha: &str, path: &[String]) -> Option<String> {
        read(&self.file_path(sha, path)?)
    }

    pub fn put_file(&self, sha: &str, path: &[String], text: &str) {
        if let Some(p) = self.file_path(sha, path) {
            write_atomic(&p, text);
        }
    }

    /// The commit `reference` (branch, tag, short SHA) resolved to when last online.
    pub fn commit_of(&self, reference: &str) -> Option<String> {
        let sha = read(&self.repo_dir.join("refs").join(flat(reference)))?;
        let sha = sha.trim();
        is_full_sha(sha).then(|| sha.to_string())
    }

    pub fn put_commit_of(&self, reference: &str, sha: &str) {
        write_atomic(&self.repo_dir.join("refs").join(flat(reference)), sha);
    }

    fn file_path(&self, sha: &str, path: &[String]) -> Option<PathBuf> {
        if !is_full_sha(sha) || path.is_empty() {
            return None;
        }
        Some(path.iter().fold(self.repo_dir.join(sha), |p, s| p.join(s)))
    }
}

/// One file name for a whole path: `/` and `%` are encoded, so the mapping is one to one.
fn flat(s: &str) -> String {
    encode_segment(s)
}

fn read(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

fn write_atomic(path: &Path, text: &str) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.{}-{n}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    if std::fs::write(&tmp, text).is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn round_trips_files_listings_and_refs() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = Cache::new(dir.path(), "h", "o", "r");
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(cache.file(sha, &segs("g/v.yaml")), None);
        cache.put_file(sha, &segs("g/v.yaml"), "a: 1\n");
        assert_eq!(
            cache.file(sha, &segs("g/v.yaml")).as_deref(),
            Some("a: 1\n")
        );
        assert!(
            dir.path()
                .join("h/o/r")
                .join(sha)
                .join("g/v.yaml")
                .is_file()
        );
        cache.remove_file(sha, &segs("g/v.yaml"));
        assert_eq!(cache.file(sha, &segs("g/v.yaml")), None);
        assert_eq!(cache.tree(sha), None);
        cache.put_tree(sha, "g/v.yaml\tabc\t5\n");
        assert_eq!(cache.tree(sha).as_deref(), Some("g/v.yaml\tabc\t5\n"));
        // Another host is another cache.
        let other = Cache::new(dir.path(), "h2", "o", "r");
        assert_eq!(other.tree(sha), None);
        cache.put_commit_of("release/v1", sha);
        assert_eq!(cache.commit_of("release/v1").as_deref(), Some(sha));
        assert_eq!(cache.commit_of("release"), None);
        // Nothing is kept for a SHA that is not one (it would name a path).
        cache.put_file("../x", &segs("v.yaml"), "x");
        assert!(!dir.path().join("h/o/x").exists());
    }
}

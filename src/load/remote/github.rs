//! A guide in a GitHub repository at one commit: the REST API resolves the ref and lists
//! folders, raw URLs give the files; both go through the cache and are memoized.

use std::collections::HashMap;
use std::sync::Mutex;

use super::cache::Cache;
use super::http::{Client, Kind, Reply};
use super::url::{self, encode_path, is_full_sha};
use crate::error::{Error, Result};
use crate::load::source::Source;

/// A ref is tried with at most this many leading segments (`a`, `a/b`, ...).
const MAX_REF_SEGMENTS: usize = 10;

/// A repository, as reached through the configured API and raw bases.
pub struct Repo {
    pub client: Client,
    /// API base without a trailing `/` (`https://api.github.com`).
    pub api: String,
    /// Raw base without a trailing `/` (`https://raw.githubusercontent.com`).
    pub raw: String,
    pub owner: String,
    pub name: String,
    pub cache: Option<Cache>,
    pub offline: bool,
    /// The URL the user gave: what messages and the scenario header show.
    pub shown: String,
}

impl Repo {
    /// Split `REF/PATH` segments into the commit and the path. Branches may contain slashes,
    /// so, as `gh` does, longer and longer prefixes are asked for (`release`, then
    /// `release/v1`, ...), the shortest existing one winning. A full SHA needs no question.
    pub fn resolve(&self, rest: &[String], file: bool) -> Result<(String, Vec<String>)> {
        let most = rest.len().saturating_sub(usize::from(file));
        for k in 1..=most.min(MAX_REF_SEGMENTS) {
            let candidate = rest[..k].join("/");
            let found = if is_full_sha(&candidate) {
                Some(candidate.clone())
            } else if self.offline {
                self.cache.as_ref().and_then(|c| c.commit_of(&candidate))
            } else {
                self.commit(&candidate)?
            };
            if let Some(sha) = found {
                if !self.offline
                    && sha != candidate
                    && let Some(cache) = &self.cache
                {
                    cache.put_commit_of(&candidate, &sha);
                }
                return Ok((sha, rest[k..].to_vec()));
            }
        }
        if self.offline {
            return Err(self.not_cached(&format!("the commit of ref `{}`", rest[0])));
        }
        Err(self.no_such_ref(&rest[0]))
    }

    /// The commit `reference` names, or `None` when it names none (404, 422).
    fn commit(&self, reference: &str) -> Result<Option<String>> {
        let refs: Vec<String> = reference.split('/').map(String::from).collect();
        let address = format!(
            "{}/repos/{}/{}/commits/{}",
            self.api,
            self.owner,
            self.name,
            encode_path(&refs)
        );
        // The sha media type answers 40 bytes instead of a whole commit with its diff.
        let what = format!("{}/{}@{reference}", self.owner, self.name);
        let reply = self
            .client
            .get(&address, Kind::Api, "application/vnd.github.sha", &what)?;
        match reply.status {
            200..=299 => parse_sha(&reply.body).map(Some).ok_or_else(|| {
                self.unexpected(&format!("the commit of `{reference}` is not a commit SHA"))
            }),
            404 | 422 => Ok(None),
            _ => Err(self.error(&reply, &format!("the commit of ref `{reference}`"))),
        }
    }

    /// No prefix was a ref: say whether the repository or the ref is missing.
    fn no_such_ref(&self, first: &str) -> Error {
        let address = format!("{}/repos/{}/{}", self.api, self.owner, self.name);
        let what = format!("{}/{}", self.owner, self.name);
        let missing_repo =
            match self
                .client
                .get(&address, Kind::Api, "application/vnd.github+json", &what)
            {
                Ok(reply) if reply.status == 404 => true,
                Ok(reply) if !reply.ok() => {
                    return self.error(&reply, &format!("repository {what}"));
                }
                Ok(_) => false,
                Err(e) => return e,
            };
        let token = if self.client.has_token() {
            ""
        } else {
            "; a private repository answers 404 unless GITHUB_TOKEN is set"
        };
        if missing_repo {
            return Error::RemoteNotFound {
                url: self.shown.clone(),
                what: format!("repository {what}"),
                hint: format!("check the owner and repository name in the URL{token}"),
            };
        }
        Error::RemoteNotFound {
            url: self.shown.clone(),
            what: format!("branch, tag or commit `{first}` (or a longer ref with slashes)"),
            hint: "check the ref in the URL: a branch, a tag or a commit SHA".to_string(),
        }
    }

    fn error(&self, reply: &Reply, what: &str) -> Error {
        reply.error(&self.shown, what, self.client.has_token())
    }

    fn unexpected(&self, message: &str) -> Error {
        Error::Network {
            url: self.shown.clone(),
            message: format!("unexpected answer from the GitHub API: {message}"),
            hint: "check --github-api (it should be https://api.github.com or a GitHub Enterprise https://HOST/api/v3)".to_string(),
        }
    }

    fn not_cached(&self, what: &str) -> Error {
        let hint = match &self.cache {
            Some(_) => "run once without --offline to fetch the guide into the cache".to_string(),
            None => "no cache folder is known: give --cache-dir".to_string(),
        };
        Error::Network {
            url: self.shown.clone(),
            message: format!("{what} is not in the cache (--offline)"),
            hint,
        }
    }
}

/// A commit SHA from either the sha media type or a JSON commit (`{"sha": ...}`).
fn parse_sha(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if is_full_sha(text) {
        return Some(text.to_string());
    }
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let sha = json.get("sha")?.as_str()?;
    is_full_sha(sha).then(|| sha.to_string())
}

/// The repository at one commit, as the git trees API lists it (recursively, in one
/// request): every file with its blob SHA and size, every folder with its entries.
#[derive(Debug, Default)]
struct Tree {
    /// Path from the repository root -> (blob SHA, size).
    files: HashMap<String, (String, u64)>,
    /// Path from the repository root (`""`: the root) -> entries, sorted, folders with `/`.
    dirs: HashMap<String, Vec<String>>,
}

impl Tree {
    /// From `path\tsha\tsize` lines (folders: `path/`); what [`parse_tree`] and the cache hold.
    fn from_lines(text: &str) -> Option<Tree> {
        let mut tree = Tree::default();
        tree.dirs.insert(String::new(), Vec::new());
        for line in text.lines() {
            let mut parts = line.split('\t');
            let (path, sha, size) = (parts.next()?, parts.next()?, parts.next()?);
            let (path, is_dir) = match path.strip_suffix('/') {
                Some(p) => (p, true),
                None => (path, false),
            };
            let segs: Vec<String> = path.split('/').map(String::from).collect();
            if url::join(&[], path).is_none_or(|p| p != segs) {
                return None;
            }
            let (name, parent) = match path.rsplit_once('/') {
                Some((parent, name)) => (name, parent),
                None => (path, ""),
            };
            let shown = if is_dir {
                tree.dirs.entry(path.to_string()).or_default();
                format!("{name}/")
            } else {
                if !is_blob_sha(sha) {
                    return None;
                }
                tree.files
                    .insert(path.to_string(), (sha.to_string(), size.parse().ok()?));
                name.to_string()
            };
            tree.dirs.entry(parent.to_string()).or_default().push(shown);
        }
        for names in tree.dirs.values_mut() {
            names.sort();
        }
        Some(tree)
    }
}

fn is_blob_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A recursive git trees answer as `path\tsha\tsize` lines; `Err` with a reason when the
/// answer is not one or GitHub cut it short (`truncated`).
fn parse_tree(body: &[u8]) -> std::result::Result<String, String> {
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "not a tree listing".to_string())?;
    if json.get("truncated").and_then(|t| t.as_bool()) == Some(true) {
        return Err(
            "the repository is too large for one tree listing (GitHub truncated it)".into(),
        );
    }
    let entries = json
        .get("tree")
        .and_then(|t| t.as_array())
        .ok_or("not a tree listing")?;
    let mut out = String::new();
    for e in entries {
        let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        let path = field("path");
        // Names that could not be a path segment are left out (as no local file has them).
        let segs: Vec<String> = path.split('/').map(String::from).collect();
        if path.contains(['\t', '\n']) || url::join(&[], path).is_none_or(|p| p != segs) {
            continue;
        }
        match field("type") {
            "tree" => out.push_str(&format!("{path}/\t-\t0\n")),
            "blob" => {
                let sha = field("sha");
                let size = e.get("size").and_then(|v| v.as_u64()).unwrap_or(0);
                if is_blob_sha(sha) {
                    out.push_str(&format!("{path}\t{sha}\t{size}\n"));
                }
            }
            // Submodules (`commit`) have no content here.
            _ => {}
        }
    }
    Ok(out)
}

/// The git blob SHA of `bytes`: SHA-1 of `blob <len>\0` and the bytes.
pub fn blob_sha(bytes: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(format!("blob {}\0", bytes.len()).as_bytes());
    ctx.update(bytes);
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A guide folder (or a file's folder) in a repository at one commit.
pub struct GitHub {
    pub repo: Repo,
    pub sha: String,
    /// The guide root inside the repository.
    pub root: Vec<String>,
    files: Mutex<HashMap<String, String>>,
    tree: Mutex<Option<std::sync::Arc<Tree>>>,
}

impl GitHub {
    pub fn new(repo: Repo, sha: String, root: Vec<String>) -> GitHub {
        GitHub {
            repo,
            sha,
            root,
            files: Mutex::new(HashMap::new()),
            tree: Mutex::new(None),
        }
    }

    /// `rel` inside the repository; `../` may climb up to the repository root, not beyond.
    fn path(&self, rel: &str) -> Result<Vec<String>> {
        url::join(&self.root, rel).ok_or_else(|| Error::Read {
            path: rel.into(),
            source: std::io::Error::other(format!(
                "leaves the repository {}/{}: a guide may only read files of its own repository",
                self.repo.owner, self.repo.name
            )),
        })
    }

    fn at(&self, what: &str, path: &[String]) -> String {
        let short = self.sha.get(..12).unwrap_or(&self.sha);
        format!("{what} {} at commit {short}", path.join("/"))
    }

    fn not_found(&self, what: &str, path: &[String]) -> Error {
        Error::RemoteNotFound {
            url: self.repo.shown.clone(),
            what: self.at(what, path),
            hint: "check the ref (branch, tag or commit) and the path in the URL".to_string(),
        }
    }

    /// The repository's tree at the commit: listed once (one API request however many
    /// folders the guide has), from the cache when it is there.
    fn tree(&self) -> Result<std::sync::Arc<Tree>> {
        let mut memo = lock(&self.tree);
        if let Some(t) = memo.as_ref() {
            return Ok(std::sync::Arc::clone(t));
        }
        let r = &self.repo;
        let cached = r.cache.as_ref().and_then(|c| c.tree(&self.sha));
        let tree = match cached.as_deref().and_then(Tree::from_lines) {
            Some(t) => t,
            None => {
                if r.offline {
                    return Err(r.not_cached(&format!("the file listing of commit {}", self.sha)));
                }
                let address = format!(
                    "{}/repos/{}/{}/git/trees/{}?recursive=1",
                    r.api, r.owner, r.name, self.sha
                );
                let shown = format!("{}/{} file listing", r.owner, r.name);
                let reply =
                    r.client
                        .get(&address, Kind::Api, "application/vnd.github+json", &shown)?;
                if !reply.ok() {
                    return Err(
                        r.error(&reply, &format!("the file listing of commit {}", self.sha))
                    );
                }
                let lines = parse_tree(&reply.body).map_err(|m| r.unexpected(&m))?;
                let tree = Tree::from_lines(&lines)
                    .ok_or_else(|| r.unexpected("the file listing has unusable entries"))?;
                if let Some(cache) = &r.cache {
                    cache.put_tree(&self.sha, &lines);
                }
                tree
            }
        };
        let tree = std::sync::Arc::new(tree);
        *memo = Some(std::sync::Arc::clone(&tree));
        Ok(tree)
    }

    /// The file at `path`, whose blob is `sha`: from the cache when the cached copy hashes to
    /// it, else fetched; a body that does not hash to it (cut short, altered) is refused and
    /// never cached.
    fn fetch_file(&self, path: &[String], blob: &str, size: u64) -> Result<String> {
        let r = &self.repo;
        if let Some(cache) = &r.cache
            && let Some(text) = cache.file(&self.sha, path)
        {
            if blob_sha(text.as_bytes()) == blob {
                r.client
                    .budget()
                    .charge(&path.join("/"), text.len() as u64)?;
                return Ok(text);
            }
            // Cut short or changed since: never used, fetched again.
            cache.remove_file(&self.sha, path);
        }
        if r.offline {
            return Err(r.not_cached(&self.at("file", path)));
        }
        let address = format!(
            "{}/{}/{}/{}/{}",
            r.raw,
            r.owner,
            r.name,
            self.sha,
            encode_path(path)
        );
        let reply = r.client.get(&address, Kind::Raw, "*/*", &path.join("/"))?;
        if !reply.ok() {
            return Err(r.error(&reply, &self.at("file", path)));
        }
        let got = blob_sha(&reply.body);
        if got != blob {
            return Err(Error::Network {
                url: r.shown.clone(),
                message: format!(
                    "{}: the server sent {} bytes whose blob SHA is {got}, but the repository's listing gives {blob} ({size} bytes): refused (cut short or altered)",
                    self.at("file", path),
                    reply.body.len()
                ),
                hint: "try again; if it persists, check --github-raw (it must serve the same repository as --github-api)".to_string(),
            });
        }
        let text = super::text_of(&address, &reply)?;
        if let Some(cache) = &r.cache {
            cache.put_file(&self.sha, path, &text);
        }
        Ok(text)
    }
}

impl Source for GitHub {
    fn origin(&self) -> String {
        format!("{} (commit {})", self.repo.shown, self.sha)
    }

    fn read(&self, rel: &str) -> Result<String> {
        let path = self.path(rel)?;
        let key = path.join("/");
        if let Some(text) = lock(&self.files).get(&key) {
            return Ok(text.clone());
        }
        let tree = self.tree()?;
        let Some((blob, size)) = tree.files.get(&key) else {
            return Err(self.not_found("file", &path));
        };
        let text = self.fetch_file(&path, blob, *size)?;
        lock(&self.files).insert(key, text.clone());
        Ok(text)
    }

    fn list(&self, rel: &str) -> Result<Vec<String>> {
        let path = self.path(rel)?;
        let key = path.join("/");
        let tree = self.tree()?;
        if let Some(names) = tree.dirs.get(&key) {
            return Ok(names.clone());
        }
        if tree.files.contains_key(&key) {
            return Err(Error::request_hint(
                "url",
                format!("{}: {} is a file, not a folder", self.repo.shown, key),
                "use its blob URL (.../blob/REF/PATH) to convert one values file",
            ));
        }
        Err(self.not_found("folder", &path))
    }
}

/// A poisoned memo is still a valid memo (it only ever gains complete entries).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shas_from_either_media_type() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            parse_sha(format!("{sha}\n").as_bytes()).as_deref(),
            Some(sha)
        );
        let json = format!(r#"{{"sha": "{sha}", "commit": {{}}}}"#);
        assert_eq!(parse_sha(json.as_bytes()).as_deref(), Some(sha));
        assert_eq!(parse_sha(br#"{"sha": "../../etc"}"#), None);
        assert_eq!(parse_sha(b"<html>"), None);
    }

    #[test]
    fn blob_shas_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn tree_listings_keep_plain_names() {
        let sha = "ce013625030ba8dba906f756967f9e9ca394464a";
        let body = format!(
            r#"{{"sha": "x", "truncated": false, "tree": [
            {{"path": "g", "type": "tree", "sha": "{sha}"}},
            {{"path": "g/ms-x", "type": "tree", "sha": "{sha}"}},
            {{"path": "g/ms-x/values.yaml", "type": "blob", "sha": "{sha}", "size": 6}},
            {{"path": "g/../x", "type": "blob", "sha": "{sha}", "size": 1}},
            {{"path": "sub", "type": "commit", "sha": "{sha}"}}
        ]}}"#
        );
        let lines = parse_tree(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let tree = Tree::from_lines(&lines).unwrap_or_else(|| panic!("{lines}"));
        assert_eq!(tree.dirs.get(""), Some(&vec!["g/".to_string()]));
        assert_eq!(tree.dirs.get("g"), Some(&vec!["ms-x/".to_string()]));
        assert_eq!(
            tree.files.get("g/ms-x/values.yaml"),
            Some(&(sha.to_string(), 6))
        );
        assert_eq!(tree.files.len(), 1);
        assert!(parse_tree(br#"{"truncated": true, "tree": []}"#).is_err());
        assert!(parse_tree(b"not json").is_err());
    }
}

//! A guide in a GitHub repository at one commit: the REST API resolves the ref and lists
//! folders, raw URLs give the files; both go through the cache and are memoized.

use std::collections::HashMap;
use std::sync::Mutex;

use super::cache::Cache;
use super::http::{Client, Kind, Reply};
use super::url::{self, encode_path, is_full_sha};
use crate::error::{Error, Result};
use crate::source::Source;

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

/// What the contents API says about a path.
#[derive(Debug, PartialEq, Eq)]
enum Listing {
    Folder(Vec<String>),
    File,
}

/// Entry names of a contents listing, folders with a trailing `/`, sorted. Names that could
/// not be a path segment are left out.
fn parse_listing(body: &[u8]) -> Option<Listing> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    if json.get("type").and_then(|t| t.as_str()).is_some() {
        return Some(Listing::File);
    }
    let mut names = Vec::new();
    for entry in json.as_array()? {
        let name = entry.get("name")?.as_str()?;
        let kind = entry.get("type")?.as_str()?;
        if url::join(&[], name).is_none_or(|p| p.len() != 1 || p[0] != name) || name.contains('\n')
        {
            continue;
        }
        names.push(if kind == "dir" {
            format!("{name}/")
        } else {
            name.to_string()
        });
    }
    names.sort();
    Some(Listing::Folder(names))
}

/// A guide folder (or a file's folder) in a repository at one commit.
pub struct GitHub {
    pub repo: Repo,
    pub sha: String,
    /// The guide root inside the repository.
    pub root: Vec<String>,
    files: Mutex<HashMap<String, String>>,
    lists: Mutex<HashMap<String, Vec<String>>>,
}

impl GitHub {
    pub fn new(repo: Repo, sha: String, root: Vec<String>) -> GitHub {
        GitHub {
            repo,
            sha,
            root,
            files: Mutex::new(HashMap::new()),
            lists: Mutex::new(HashMap::new()),
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

    fn fetch_file(&self, path: &[String]) -> Result<String> {
        let r = &self.repo;
        if let Some(text) = r.cache.as_ref().and_then(|c| c.file(&self.sha, path)) {
            return Ok(text);
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
        let text = super::text_of(&address, &reply)?;
        if let Some(cache) = &r.cache {
            cache.put_file(&self.sha, path, &text);
        }
        Ok(text)
    }

    fn fetch_listing(&self, path: &[String]) -> Result<Vec<String>> {
        let r = &self.repo;
        if let Some(names) = r.cache.as_ref().and_then(|c| c.listing(&self.sha, path)) {
            return Ok(names);
        }
        if r.offline {
            return Err(r.not_cached(&self.at("the listing of folder", path)));
        }
        let contents = if path.is_empty() {
            String::new()
        } else {
            format!("/{}", encode_path(path))
        };
        let address = format!(
            "{}/repos/{}/{}/contents{contents}?ref={}",
            r.api, r.owner, r.name, self.sha
        );
        let shown = format!("{}/", path.join("/"));
        let reply = r
            .client
            .get(&address, Kind::Api, "application/vnd.github+json", &shown)?;
        if !reply.ok() {
            return Err(r.error(&reply, &self.at("folder", path)));
        }
        let names = match parse_listing(&reply.body) {
            Some(Listing::Folder(names)) => names,
            Some(Listing::File) => {
                return Err(Error::Usage(format!(
                    "{}: {} is a file, not a folder\n  hint: use its blob URL (.../blob/REF/PATH) to convert one values file",
                    r.shown,
                    path.join("/")
                )));
            }
            None => return Err(r.unexpected(&format!("{shown} is not a folder listing"))),
        };
        if let Some(cache) = &r.cache {
            cache.put_listing(&self.sha, path, &names);
        }
        Ok(names)
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
        let text = self.fetch_file(&path)?;
        lock(&self.files).insert(key, text.clone());
        Ok(text)
    }

    fn list(&self, rel: &str) -> Result<Vec<String>> {
        let path = self.path(rel)?;
        let key = path.join("/");
        if let Some(names) = lock(&self.lists).get(&key) {
            return Ok(names.clone());
        }
        let names = self.fetch_listing(&path)?;
        lock(&self.lists).insert(key, names.clone());
        Ok(names)
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
    fn listings_keep_plain_names() {
        let body = br#"[
            {"name": "ms-x", "path": "g/ms-x", "type": "dir"},
            {"name": "helmfile.yaml.gotmpl", "path": "g/helmfile.yaml.gotmpl", "type": "file"},
            {"name": "..", "path": "..", "type": "dir"},
            {"name": "a/b", "path": "g/a/b", "type": "file"}
        ]"#;
        assert_eq!(
            parse_listing(body),
            Some(Listing::Folder(vec![
                "helmfile.yaml.gotmpl".to_string(),
                "ms-x/".to_string()
            ]))
        );
        assert_eq!(
            parse_listing(br#"{"name": "v.yaml", "type": "file"}"#),
            Some(Listing::File)
        );
        assert_eq!(parse_listing(b"{}"), None);
        assert_eq!(parse_listing(b"not json"), None);
    }
}

//! Guides from GitHub (tree, blob and raw URLs, resolved to a commit) and from any https URL
//! of a values file, as [`Source`](crate::load::source::Source)s: the rest of the pipeline cannot tell them from a folder.

mod cache;
mod github;
mod http;
mod plain;
mod url;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::load::source::{self, Entry, Opened, Role};
use github::{GitHub, Repo};
use http::{Client, Reply};
use url::{Target, Url};

pub use http::{
    Budget, DEADLINE_TIMEOUTS, MAX_API_CALLS, MAX_FILE_CALLS, MAX_GUIDE_BYTES, MAX_REDIRECTS,
    USER_AGENT,
};

pub const DEFAULT_GITHUB_API: &str = "https://api.github.com";
pub const DEFAULT_GITHUB_RAW: &str = "https://raw.githubusercontent.com";
/// Per request, redirects and body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How remote guides are fetched.
#[derive(Clone)]
pub struct RemoteOptions {
    /// REST API base: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise.
    pub github_api: String,
    /// Raw file base: `https://raw.githubusercontent.com`, or `https://HOST/raw`.
    pub github_raw: String,
    /// Where fetched guides are kept by commit; `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// Read only from the cache.
    pub offline: bool,
    /// No progress line.
    pub quiet: bool,
    /// Sent as `Authorization` to the API host only. Never printed: see the Debug impl.
    pub token: Option<String>,
    /// Total time for one request; one conversion's requests together get
    /// [`DEADLINE_TIMEOUTS`] times it.
    pub timeout: Duration,
    /// What one conversion may spend, shared by every source opened with (clones of) these
    /// options: the guide and the remote resources its kustomizations name.
    pub budget: Arc<Budget>,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            github_api: DEFAULT_GITHUB_API.to_string(),
            github_raw: DEFAULT_GITHUB_RAW.to_string(),
            cache_dir: None,
            offline: false,
            quiet: false,
            token: None,
            timeout: DEFAULT_TIMEOUT,
            budget: Budget::new(),
        }
    }
}

impl fmt::Debug for RemoteOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteOptions")
            .field("github_api", &self.github_api)
            .field("github_raw", &self.github_raw)
            .field("cache_dir", &self.cache_dir)
            .field("offline", &self.offline)
            .field("quiet", &self.quiet)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Whether the input is a URL rather than a local path.
pub fn is_url(input: &str) -> bool {
    let lower = input.get(..8).unwrap_or(input).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `$XDG_CACHE_HOME/convert-guide`, `~/.cache/convert-guide` (macOS: `~/Library/Caches`,
/// Windows: `%LOCALAPPDATA%`); `None` when no home folder is known.
pub fn default_cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("convert-guide"))
}

/// Open a guide at a URL: find out what it names (resolving a GitHub ref to its commit),
/// reading nothing else yet.
pub fn open(input: &str, opts: &RemoteOptions) -> Result<Opened> {
    let api = base(&opts.github_api, "--github-api")?;
    let raw = base(&opts.github_raw, "--github-raw")?;
    let api_url = Url::parse(&api)?;
    let api_host = api_url.host.clone();
    // The cache is per API host (and port): another server's repository is another one.
    let cache_host = match api_url.port {
        Some(p) => format!("{api_host}:{p}"),
        None => api_host.clone(),
    };
    let client = Client::new(
        &api,
        opts.token.clone(),
        opts.timeout,
        opts.quiet,
        Arc::clone(&opts.budget),
    )?;
    match url::target(input, &api_host)? {
        Target::GitHub {
            owner,
            repo,
            file,
            rest,
        } => {
            let repo = Repo {
                client,
                api,
                raw,
                cache: opts
                    .cache_dir
                    .as_deref()
                    .map(|d| cache::Cache::new(d, &cache_host, &owner, &repo)),
                owner,
                name: repo,
                offline: opts.offline,
                shown: input.to_string(),
            };
            let (sha, path) = repo.resolve(&rest, file)?;
            Ok(open_github(repo, sha, path, file))
        }
        Target::Plain { url, segments } => {
            if opts.offline {
                return Err(Error::request_hint(
                    "url",
                    format!("{input}: --offline works with GitHub URLs only"),
                    "the cache is keyed by commit, and a plain URL has none",
                ));
            }
            Ok(open_plain(client, url, segments, input))
        }
    }
}

/// A base URL of a flag, checked, without a trailing `/`.
fn base(value: &str, flag: &str) -> Result<String> {
    let url = Url::parse(value).map_err(|e| Error::request("option", format!("{flag}: {e}")))?;
    url.check_scheme()?;
    Ok(value.trim_end_matches('/').to_string())
}

fn open_github(repo: Repo, sha: String, path: Vec<String>, file: bool) -> Opened {
    if !file {
        let name = source::sanitize(path.last().unwrap_or(&repo.name));
        return Opened {
            name,
            source: Box::new(GitHub::new(repo, sha, path)),
            entry: Entry::Folder,
        };
    }
    let (root, rel, role, name) = file_entry(&path, &repo.name);
    Opened {
        name,
        source: Box::new(GitHub::new(repo, sha, root)),
        entry: Entry::File { rel, role },
    }
}

fn open_plain(client: Client, url: Url, segments: Vec<String>, input: &str) -> Opened {
    let (root, rel, role, name) = file_entry(&segments, "guide");
    Opened {
        name,
        source: Box::new(plain::Plain {
            client,
            url,
            root,
            entry: segments,
            shown: input.to_string(),
            memo: Mutex::new(HashMap::new()),
        }),
        entry: Entry::File { rel, role },
    }
}

/// For a file path: the guide root, the file relative to it, its role and the guide name,
/// as for a local file (a file in `ms-*/` or `gaie-*/` is shown relative to the guide).
fn file_entry(path: &[String], fallback: &str) -> (Vec<String>, String, Role, String) {
    let (file, folders) = match path.split_last() {
        Some((f, rest)) => (f.as_str(), rest),
        None => ("values.yaml", &[][..]),
    };
    let parent = folders.last().map_or(fallback, String::as_str);
    let name = source::name_of_file_in(parent, file);
    let role = match folders.last() {
        Some(p) => source::role_of_folder(p),
        None => Role::Values,
    };
    match role {
        Role::Values => (folders.to_vec(), file.to_string(), role, name),
        _ => (
            folders[..folders.len() - 1].to_vec(),
            format!("{parent}/{file}"),
            role,
            name,
        ),
    }
}

/// A fetched body as guide text: UTF-8, and not an HTML page (a login or error page served
/// with status 200 would otherwise parse as a YAML string).
fn text_of(address: &str, reply: &Reply) -> Result<String> {
    let invalid = |message: String| Error::Read {
        path: PathBuf::from(address),
        source: std::io::Error::other(message),
    };
    let head = String::from_utf8_lossy(&reply.body[..reply.body.len().min(256)])
        .trim_start()
        .to_ascii_lowercase();
    if reply
        .content_type
        .to_ascii_lowercase()
        .starts_with("text/html")
        || head.starts_with("<!doctype html")
        || head.starts_with("<html")
    {
        return Err(invalid(
            "the server sent an HTML page, not YAML\n  hint: for a file on github.com, use its blob or raw URL".to_string(),
        ));
    }
    String::from_utf8(reply.body.clone()).map_err(|e| {
        invalid(format!(
            "not UTF-8 text (invalid byte at offset {}); guides are YAML text",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/').map(String::from).collect()
    }

    #[test]
    fn file_entries_match_local_ones() {
        let (root, rel, role, name) =
            file_entry(&segs("guides/pd-disaggregation/ms-pd/values_xpu.yaml"), "r");
        assert_eq!(root, segs("guides/pd-disaggregation"));
        assert_eq!(
            (rel.as_str(), role, name.as_str()),
            ("ms-pd/values_xpu.yaml", Role::ModelService, "pd-xpu")
        );
        let (root, rel, role, name) = file_entry(&segs("pd-disaggregation/values.yaml"), "guide");
        assert_eq!(root, segs("pd-disaggregation"));
        assert_eq!(
            (rel.as_str(), role, name.as_str()),
            ("values.yaml", Role::Values, "pd-disaggregation")
        );
        let (root, rel, _, name) = file_entry(&segs("values.yaml"), "my-repo");
        assert!(root.is_empty());
        assert_eq!((rel.as_str(), name.as_str()), ("values.yaml", "my-repo"));
        let (_, rel, role, name) = file_entry(&segs("g/gaie-x/values.yaml"), "r");
        assert_eq!(
            (rel.as_str(), role, name.as_str()),
            ("gaie-x/values.yaml", Role::Gaie, "x")
        );
    }

    #[test]
    fn the_token_is_never_debug_printed() {
        let opts = RemoteOptions {
            token: Some("ghp_secret123".into()),
            ..Default::default()
        };
        let shown = format!("{opts:?}");
        assert!(
            !shown.contains("ghp_secret123") && shown.contains("<hidden>"),
            "{shown}"
        );
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("https://github.com/o/r"));
        assert!(is_url("HTTP://127.0.0.1/x.yaml"));
        assert!(!is_url("guides/x"));
        assert!(!is_url("https"));
    }

    #[test]
    fn offline_plain_urls_and_bad_bases_are_refused_before_any_request() {
        let opts = RemoteOptions {
            offline: true,
            ..Default::default()
        };
        let e = open("https://example.com/x/values.yaml", &opts)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("--offline works with GitHub URLs only")));
        let opts = RemoteOptions {
            github_api: "http://api.example.com".into(),
            ..Default::default()
        };
        let e = open("https://github.com/o/r/tree/main/g", &opts)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("plain http is refused")));
    }

    #[test]
    fn offline_without_cache_names_the_ref() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let opts = RemoteOptions {
            offline: true,
            cache_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let e = open("https://github.com/o/r/tree/main/guides/x", &opts)
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(e.exit_code(), crate::error::exit::NETWORK);
        let text = e.to_string();
        assert!(
            text.contains("ref `main` is not in the cache (--offline)"),
            "{text}"
        );
        assert!(text.contains("run once without --offline"), "{text}");
    }
}

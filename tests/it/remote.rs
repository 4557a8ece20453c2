//! Guides by URL, fetched from a GitHub look-alike on 127.0.0.1 (see `remote/server.rs`):
//! the same scenarios as from the local folders, the commit in the header, the token only
//! on API requests, the offline cache, and one clear error per way the network can fail.
//! No test reaches a host outside this machine: the GitHub URLs given are only parsed, and
//! every request goes to the `--github-api`/`--github-raw` bases of the test server.

pub(crate) mod server;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use convert_guide::convert::{self, Conversion, Request};
use convert_guide::load::remote::{self, RemoteOptions};
use convert_guide::load::source::Entry;
use server::{REFS, SHA, Server};

use crate::common;

const TOKEN: &str = "ghp_TESTtoken0123456789";

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn options(server: &Server, cache: &Path) -> RemoteOptions {
    RemoteOptions {
        github_api: server.base(),
        github_raw: server.base(),
        cache_dir: Some(cache.to_path_buf()),
        quiet: true,
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Convert `input` (a path or a URL) with built-in defaults, from an empty folder.
fn convert_input(input: &str, remote: RemoteOptions) -> convert_guide::Result<Conversion> {
    let cwd = tmp();
    convert::convert(&Request {
        input: PathBuf::from(input),
        remote,
        cwd: cwd.path().to_path_buf(),
        ..Default::default()
    })
}

fn source_line(text: &str) -> &str {
    text.lines()
        .find(|l| l.starts_with("# Based on "))
        .expect("a `# Based on` line")
}

fn without_source_line(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("# Based on "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Remote and local conversions agree byte for byte, but for the source line.
fn assert_same_as_local(url: &str, local: &Path, server: &Server, cache: &Path) {
    let remote =
        convert_input(url, options(server, cache)).unwrap_or_else(|e| panic!("{url}: {e}"));
    let local = common::convert_builtin(local);
    assert_eq!(remote.name, local.name, "{url}");
    assert_eq!(
        source_line(&remote.scenario_text),
        format!("# Based on {url} (commit {SHA})"),
        "{url}"
    );
    assert!(
        without_source_line(&remote.scenario_text) == without_source_line(&local.scenario_text),
        "{url}: the scenario differs from the local one"
    );
}

fn rel_of(path: &Path) -> String {
    path.strip_prefix(server::repo_root())
        .expect("inside the corpus")
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn every_helm_guide_converts_as_from_its_local_folder() {
    let server = Server::start();
    let cache = tmp();
    for (i, guide) in common::HELM_GUIDES.iter().enumerate() {
        // Each ref form: a branch, a branch with a slash, a tag, the commit itself.
        let reference = [REFS, &[SHA]].concat()[i % (REFS.len() + 1)];
        let url = format!("https://github.com/llm-d/llm-d/tree/{reference}/guides/{guide}");
        assert_same_as_local(
            &url,
            &common::corpus_guides().join(guide),
            &server,
            cache.path(),
        );
    }
}

/// Kustomize guides build over the remote source too (their bases in `../recipes` included).
#[test]
fn kustomize_guides_convert_as_from_their_local_folders() {
    let server = Server::start();
    let cache = tmp();
    for guide in common::KUSTOMIZE_GUIDES {
        let url = format!("https://github.com/llm-d/llm-d/tree/main/guides/{guide}");
        assert_same_as_local(
            &url,
            &common::corpus_guides().join(guide),
            &server,
            cache.path(),
        );
    }
}

#[test]
fn every_values_file_converts_as_from_disk_by_blob_and_raw_urls() {
    let server = Server::start();
    let cache = tmp();
    for (i, file) in common::values_files().iter().enumerate() {
        let rel = rel_of(file);
        let url = match i % 3 {
            0 => format!("https://github.com/llm-d/llm-d/blob/main/{rel}"),
            1 => format!("https://github.com/llm-d/llm-d/blob/release/v1.0/{rel}"),
            _ => format!("https://raw.githubusercontent.com/llm-d/llm-d/v0.5.0/{rel}"),
        };
        assert_same_as_local(&url, file, &server, cache.path());
    }
}

#[test]
fn a_plain_url_of_a_values_file_converts_as_the_file() {
    let server = Server::start();
    let file = common::corpus_guides().join("pd-disaggregation/ms-pd/values.yaml");
    let url = format!("{}/plain/{}", server.base(), rel_of(&file));
    let remote =
        convert_input(&url, options(&server, tmp().path())).unwrap_or_else(|e| panic!("{e}"));
    let local = common::convert_builtin(&file);
    assert_eq!(remote.name, "pd");
    assert_eq!(
        source_line(&remote.scenario_text),
        format!("# Based on {url}")
    );
    assert!(
        without_source_line(&remote.scenario_text) == without_source_line(&local.scenario_text)
    );
}

#[test]
fn reads_reach_the_repository_but_never_leave_it() {
    let server = Server::start();
    let cache = tmp();
    let url = "https://github.com/llm-d/llm-d/tree/main/guides/pd-disaggregation";
    let opened =
        remote::open(url, &options(&server, cache.path())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.name, "pd-disaggregation");
    assert_eq!(opened.entry, Entry::Folder);
    let src = opened.source.as_ref();
    assert_eq!(src.origin(), format!("{url} (commit {SHA})"));
    let prereq = "../prereq/gateway-provider/istio.helmfile.yaml";
    let expected = std::fs::read_to_string(
        common::corpus_guides().join("prereq/gateway-provider/istio.helmfile.yaml"),
    )
    .expect("corpus file");
    assert_eq!(src.read(prereq).unwrap_or_else(|e| panic!("{e}")), expected);
    let before = server.requests().len();
    // Memoized: the same file (by another spelling) costs no request.
    assert_eq!(
        src.read("ms-pd/../../prereq/gateway-provider/istio.helmfile.yaml")
            .ok(),
        Some(expected)
    );
    assert_eq!(server.requests().len(), before);
    let escape = src
        .read("../../../etc/passwd")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        escape.contains("leaves the repository llm-d/llm-d"),
        "{escape}"
    );
    assert_eq!(
        server.requests().len(),
        before,
        "a refused path is never requested"
    );
    let names = src.list("").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        names.contains(&"ms-pd/".to_string())
            && names.contains(&"helmfile.yaml.gotmpl".to_string()),
        "{names:?}"
    );
    // Both the file and the tree listing are in the cache, by API host and commit.
    let repo = cache
        .path()
        .join(format!("127.0.0.1:{}", server.port))
        .join("llm-d/llm-d");
    assert!(
        repo.join(SHA)
            .join("guides/prereq/gateway-provider/istio.helmfile.yaml")
            .is_file()
    );
    assert!(repo.join("trees").join(SHA).is_file());
    assert_eq!(
        std::fs::read_to_string(repo.join("refs/main"))
            .ok()
            .as_deref(),
        Some(SHA)
    );
}

// ---------------------------------------------------------------------------------------
// The binary

/// Address space each run may use: whatever a server sends, the client stays small.
const MEMORY_BYTES: u64 = 128 * 1024 * 1024;

/// The binary with a clean environment (no token, proxy or base URL from the caller's) and
/// its address space capped at [`MEMORY_BYTES`].
fn cg(cwd: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    let mut std_cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("convert-guide"));
    // SAFETY: setrlimit is async-signal-safe and touches only the child being started.
    unsafe {
        std_cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_BYTES as libc::rlim_t,
                rlim_max: MEMORY_BYTES as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut cmd = Command::from_std(std_cmd);
    cmd.current_dir(cwd);
    for var in [
        "GITHUB_TOKEN",
        "CONVERT_GUIDE_GITHUB_API",
        "CONVERT_GUIDE_GITHUB_RAW",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// A run against `server`, writing under `out`, caching in `cache`.
fn run(server_base: &str, url: &str, out: &Path, cache: &Path, extra: &[&str]) -> Command {
    let mut cmd = cg(out);
    cmd.args([
        url,
        "--yes",
        "--github-api",
        server_base,
        "--github-raw",
        server_base,
    ])
    .arg("--out")
    .arg(out)
    .arg("--cache-dir")
    .arg(cache)
    .args(extra);
    if !extra.contains(&"--timeout") {
        cmd.args(["--timeout", "2"]);
    }
    cmd
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// Run `url` expecting exit `code` and every needle in stderr, with nothing written.
fn fails(server_base: &str, url: &str, extra: &[&str], code: i32, needles: &[&str]) -> String {
    let (out, cache) = (tmp(), tmp());
    let started = Instant::now();
    let result = run(server_base, url, out.path(), cache.path(), extra)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&result.stderr).to_string();
    assert_eq!(result.status.code(), Some(code), "{url}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{url}: expected {needle:?} in:\n{stderr}"
        );
    }
    assert!(
        result.stdout.is_empty(),
        "{url}: stdout {:?}",
        String::from_utf8_lossy(&result.stdout)
    );
    assert!(
        files_under(out.path()).is_empty(),
        "{url}: something was written"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{url}: took {:?}",
        started.elapsed()
    );
    stderr
}

const GUIDE: &str = "https://github.com/llm-d/llm-d/tree/main/guides/inference-scheduling";

#[test]
fn the_token_goes_to_the_api_host_only_and_is_never_shown_or_written() {
    let server = Server::start();
    let (out, cache) = (tmp(), tmp());
    let result = run(&server.base(), GUIDE, out.path(), cache.path(), &[])
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .expect("run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr),
    );
    assert_eq!(result.status.code(), Some(0), "{stderr}");
    let requests = server.requests();
    let api: Vec<_> = requests
        .iter()
        .filter(|r| r.target.starts_with("/repos/"))
        .collect();
    let raw: Vec<_> = requests
        .iter()
        .filter(|r| !r.target.starts_with("/repos/"))
        .collect();
    // The ref and one tree listing (issue 13: list once); the files by raw URL.
    assert!(api.len() >= 2 && raw.len() >= 3, "{requests:#?}");
    let bearer = format!("Bearer {TOKEN}");
    for r in &api {
        assert_eq!(
            r.header("authorization"),
            Some(bearer.as_str()),
            "{}",
            r.target
        );
    }
    for r in &requests {
        let agent = r.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("convert-guide/"), "{agent}");
    }
    for r in &raw {
        assert_eq!(
            r.header("authorization"),
            None,
            "raw request {} carried the token",
            r.target
        );
    }
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    // stderr is not a terminal: no progress line.
    assert!(
        !stderr.contains("fetching") && !stderr.contains('\r'),
        "{stderr}"
    );
    let written: Vec<PathBuf> = [files_under(out.path()), files_under(cache.path())].concat();
    let scenario = out.path().join("scenarios/guides/inference-scheduling.sh");
    assert!(written.contains(&scenario), "{written:?}");
    for f in &written {
        let bytes = std::fs::read(f).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "{} holds the token",
            f.display()
        );
    }
    let text = std::fs::read_to_string(&scenario).expect("scenario");
    assert!(
        text.contains(&format!("# Based on {GUIDE} (commit {SHA})")),
        "{text}"
    );
}

#[test]
fn a_redirect_to_another_host_drops_the_token() {
    let elsewhere = Server::start();
    let server = Server::start_with(Some(elsewhere.base()));
    let (out, cache) = (tmp(), tmp());
    let url = "https://github.com/moved/llm-d/tree/main/guides/inference-scheduling";
    let result = run(&server.base(), url, out.path(), cache.path(), &[])
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .expect("run");
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let followed = elsewhere.requests();
    assert!(!followed.is_empty());
    assert!(
        followed.iter().all(|r| r.header("authorization").is_none()),
        "{followed:#?}"
    );
    let api = server.requests();
    let api: Vec<_> = api
        .iter()
        .filter(|r| r.target.starts_with("/repos/"))
        .collect();
    assert!(!api.is_empty() && api.iter().all(|r| r.header("authorization").is_some()));
}

/// Whatever the redirect status, a hop to another host carries no token.
#[test]
fn no_redirect_status_carries_the_token_to_another_host() {
    for status in [302, 303, 307, 308] {
        let elsewhere = Server::start();
        let server = Server::start_with(Some(elsewhere.base()));
        let (out, cache) = (tmp(), tmp());
        let url = format!(
            "https://github.com/moved-{status}/llm-d/tree/main/guides/inference-scheduling"
        );
        let result = run(&server.base(), &url, out.path(), cache.path(), &["-q"])
            .env("GITHUB_TOKEN", TOKEN)
            .output()
            .expect("run");
        assert_eq!(
            result.status.code(),
            Some(0),
            "{status}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let followed = elsewhere.requests();
        assert!(!followed.is_empty(), "{status}: not followed");
        for r in &followed {
            assert!(
                r.headers.iter().all(|(_, v)| !v.contains(TOKEN)),
                "{status}: the token reached another host: {r:#?}"
            );
        }
    }
}

/// Servers that misbehave on purpose: each is cut off within the time and memory bounds
/// (the `fails` helper checks under 3 s; `cg` caps the address space at 128 MiB).
#[test]
fn hostile_servers_are_cut_off_in_bounded_time_and_memory() {
    let server = Server::start();
    let base = server.base();
    // Slowloris: headers (or a body) dripping one byte at a time never end; the total
    // timeout does.
    for path in ["slowloris", "slowbody"] {
        let started = Instant::now();
        fails(
            &base,
            &format!("{base}/{path}/values.yaml"),
            &["--timeout", "1"],
            7,
            &["timed out waiting for 127.0.0.1:", "raise --timeout"],
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{path}: {:?}",
            started.elapsed()
        );
    }
    // An endless chunked body stops at the file cap.
    fails(
        &base,
        &format!("{base}/endless/values.yaml"),
        &[],
        4,
        &["more than 4194304 bytes"],
    );
    // A gzip bomb is never inflated: no gzip support is compiled in and none is asked for,
    // so the compressed bytes are what they are (not text).
    fails(
        &base,
        &format!("{base}/gzip-bomb/values.yaml"),
        &[],
        4,
        &["not UTF-8"],
    );
    for r in server.requests() {
        assert!(
            r.header("accept-encoding")
                .is_none_or(|v| !v.contains("gzip")),
            "{r:#?}"
        );
    }
}

#[test]
fn offline_converts_what_a_run_cached_and_fails_clearly_otherwise() {
    let server = Server::start();
    let (out, cache) = (tmp(), tmp());
    let online = run(
        &server.base(),
        GUIDE,
        out.path(),
        cache.path(),
        &["--dry-run", "-q"],
    )
    .output()
    .expect("run");
    assert_eq!(online.status.code(), Some(0));
    // Offline makes no request (the cache is per API host, so the same base is given).
    let before = server.requests().len();
    let offline = run(
        &server.base(),
        GUIDE,
        out.path(),
        cache.path(),
        &["--dry-run", "-q", "--offline"],
    )
    .output()
    .expect("run");
    assert_eq!(
        offline.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
    assert_eq!(offline.stdout, online.stdout);
    assert_eq!(server.requests().len(), before, "offline made a request");
    let dead = dead_base();
    fails(
        &dead,
        GUIDE,
        &["--offline"],
        7,
        &[
            "ref `main` is not in the cache (--offline)",
            "run once without --offline",
        ],
    );
    let other = "https://github.com/llm-d/llm-d/tree/main/guides/pd-disaggregation";
    let result = run(
        &server.base(),
        other,
        out.path(),
        cache.path(),
        &["--offline"],
    )
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains("guides/pd-disaggregation") && stderr.contains("is not in the cache"),
        "{stderr}"
    );
    fails(
        &dead,
        &format!("{}/plain/values.yaml", server.base()),
        &["--offline"],
        2,
        &["--offline works with GitHub URLs only"],
    );
}

/// A base URL where nothing listens (connection refused).
fn dead_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn rate_limiting_says_when_it_resets_and_what_a_token_does() {
    let server = Server::start();
    let url = "https://github.com/ratelimited/llm-d/tree/main/guides/x";
    fails(
        &server.base(),
        url,
        &[],
        7,
        &[
            "rate limit exceeded (HTTP 403)",
            "; it resets at 2",
            " UTC (in 30 minutes)",
            "set GITHUB_TOKEN",
            "5,000 requests an hour",
        ],
    );
}

#[test]
fn missing_folders_files_refs_and_repositories_are_named() {
    let server = Server::start();
    let base = server.base();
    fails(
        &base,
        "https://github.com/llm-d/llm-d/tree/main/guides/no-such-guide",
        &[],
        3,
        &[
            "folder guides/no-such-guide at commit 5eed0c0ffee5 not found (HTTP 404)",
            "check the ref (branch, tag or commit) and the path",
        ],
    );
    fails(
        &base,
        "https://github.com/llm-d/llm-d/blob/release/v1.0/guides/pd-disaggregation/ms-pd/nope.yaml",
        &[],
        3,
        &[
            "file guides/pd-disaggregation/ms-pd/nope.yaml at commit",
            "check the ref",
        ],
    );
    fails(
        &base,
        "https://github.com/llm-d/llm-d/tree/no-such-branch/guides/x",
        &[],
        3,
        &["branch, tag or commit `no-such-branch`", "check the ref"],
    );
    fails(
        &base,
        "https://github.com/nobody/nothing/tree/main/g",
        &[],
        3,
        &["repository nobody/nothing not found"],
    );
    fails(
        &base,
        "https://github.com/llm-d/llm-d/tree/main/guides/benchmark",
        &[],
        3,
        &["no guide values found", "ms-*/values.yaml"],
    );
}

#[test]
fn server_failures_and_redirect_loops_are_network_errors() {
    let server = Server::start();
    let base = server.base();
    fails(
        &base,
        "https://github.com/broken/x/tree/main/g",
        &[],
        7,
        &["HTTP 500", "try again later"],
    );
    fails(
        &base,
        &format!("{base}/loop/values.yaml"),
        &[],
        7,
        &["too many redirects (more than 3)"],
    );
    let loops = server
        .requests()
        .iter()
        .filter(|r| r.target.starts_with("/loop"))
        .count();
    assert_eq!(loops, remote::MAX_REDIRECTS + 1);
    fails(
        &dead_base(),
        GUIDE,
        &[],
        7,
        &["connection refused by 127.0.0.1:", "proxy settings"],
    );
}

#[test]
fn a_slow_server_hits_the_timeout() {
    let server = Server::start();
    let started = Instant::now();
    fails(
        &server.base(),
        "https://github.com/slow/x/tree/main/g",
        &["--timeout", "0.5"],
        7,
        &["timed out waiting for 127.0.0.1:", "raise --timeout"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn oversized_and_non_yaml_bodies_are_refused() {
    let server = Server::start();
    let base = server.base();
    let cap = format!(
        "more than the {}",
        convert_guide::load::source::MAX_FILE_BYTES
    );
    fails(
        &base,
        &format!("{base}/huge-declared/values.yaml"),
        &[],
        4,
        &[cap.as_str()],
    );
    fails(
        &base,
        &format!("{base}/huge/values.yaml"),
        &[],
        4,
        &["more than 4194304 bytes"],
    );
    fails(
        &base,
        &format!("{base}/html/values.yaml"),
        &[],
        4,
        &["an HTML page, not YAML"],
    );
    fails(
        &base,
        &format!("{base}/binary/values.yaml"),
        &[],
        4,
        &["not UTF-8"],
    );
}

#[test]
fn bad_urls_fail_before_any_request() {
    let server = Server::start();
    let base = server.base();
    fails(&base, "https://", &[], 2, &["malformed URL"]);
    fails(
        &base,
        "https://github.com/llm-d/llm-d",
        &[],
        2,
        &["unsupported URL form", "tree/REF/PATH"],
    );
    fails(
        &base,
        "https://example.com/guides/x",
        &[],
        2,
        &["must name a values file"],
    );
    fails(
        &base,
        "http://example.com/values.yaml",
        &[],
        2,
        &["plain http is refused"],
    );
    fails(
        &base,
        "https://u:secret@example.com/values.yaml",
        &[],
        2,
        &["credentials"],
    );
    fails(
        "http://example.com",
        GUIDE,
        &[],
        2,
        &["plain http is refused"],
    );
    fails(&base, GUIDE, &["--timeout", "0"], 2, &["--timeout 0"]);
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
    fails(
        &base,
        "https://github.com/llm-d/llm-d/tree/main/guides/pd-disaggregation/ms-pd/values.yaml",
        &[],
        2,
        &["is a file, not a folder", "blob URL"],
    );
}

#[test]
fn proxy_variables_are_respected() {
    // The test server plays a proxy that refuses: the request must reach it, and no
    // connection to the real host is made (the proxy, not this machine, would resolve it).
    let proxy = Server::start();
    let (out, cache) = (tmp(), tmp());
    let result = run(
        &proxy.base(),
        "https://example.com/guide/values.yaml",
        out.path(),
        cache.path(),
        &[],
    )
    .env("HTTPS_PROXY", proxy.base())
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("request to example.com failed"), "{stderr}");
    let requests = proxy.requests();
    assert!(
        requests.iter().any(|r| r.target == "example.com:443"),
        "{requests:#?}"
    );
    assert!(files_under(out.path()).is_empty());
}

// ---------------------------------------------------------------------------------------
// Issue 13: cache integrity and work limits

/// The cache is keyed by API host: a guide cached from one server is not served for another
/// with the same owner, repository and commit.
#[test]
fn the_cache_is_per_api_host() {
    let (first, second) = (Server::start(), Server::start());
    let cache = tmp();
    let url = "https://github.com/llm-d/llm-d/tree/main/guides/inference-scheduling";
    convert_input(url, options(&first, cache.path())).unwrap_or_else(|e| panic!("{e}"));
    let offline = RemoteOptions {
        offline: true,
        ..options(&second, cache.path())
    };
    let e = convert_input(url, offline)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("is not in the cache (--offline)"), "{e}");
    assert!(second.requests().is_empty());
    // Online, the second host is asked itself.
    convert_input(url, options(&second, cache.path())).unwrap_or_else(|e| panic!("{e}"));
    assert!(!second.requests().is_empty());
}

/// Every cached file is checked against the blob SHA of the tree listing: a cached copy
/// cut short or altered is never used (it is fetched again), and a body that arrives cut
/// short is refused and never cached.
#[test]
fn cached_and_fetched_files_are_verified_against_their_blob_sha() {
    let server = Server::start();
    let cache = tmp();
    let url = "https://github.com/llm-d/llm-d/tree/main/guides/inference-scheduling";
    let good = convert_input(url, options(&server, cache.path()))
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario_text;
    let repo = cache
        .path()
        .join(format!("127.0.0.1:{}", server.port))
        .join("llm-d/llm-d");
    let cached = repo
        .join(SHA)
        .join("guides/inference-scheduling/ms-inference-scheduling/values.yaml");
    let full = std::fs::read_to_string(&cached).expect("cached values");
    // Cut short in the cache: offline it is refused, not used ...
    std::fs::write(&cached, &full[..full.len() / 2]).expect("truncate");
    let offline = RemoteOptions {
        offline: true,
        ..options(&server, cache.path())
    };
    let e = convert_input(url, offline)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("is not in the cache"), "{e}");
    // ... online it is fetched again, and the result is the good one.
    let before = server.requests().len();
    let again = convert_input(url, options(&server, cache.path()))
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario_text;
    assert_eq!(again, good);
    let refetched: Vec<String> = server.requests()[before..]
        .iter()
        .filter(|r| !r.target.starts_with("/repos/"))
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        refetched,
        [format!(
            "/llm-d/llm-d/{SHA}/guides/inference-scheduling/ms-inference-scheduling/values.yaml"
        )],
        "only the bad file is fetched again"
    );
    assert_eq!(std::fs::read_to_string(&cached).expect("cached"), full);
    // A server that cuts bodies short: refused, and nothing of it cached.
    let fresh = tmp();
    let cut = "https://github.com/truncating/llm-d/tree/main/guides/inference-scheduling";
    let e = convert_input(cut, options(&server, fresh.path()))
        .err()
        .unwrap_or_else(|| panic!("a truncated body was accepted"));
    assert_eq!(e.exit_code(), 7, "{e}");
    let text = e.to_string();
    assert!(text.contains("refused (cut short or altered)"), "{text}");
    let kept: Vec<PathBuf> = files_under(fresh.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&format!("/{SHA}/")) && p.is_file())
        .collect();
    assert!(kept.is_empty(), "{kept:?}");
}

/// A guide listing 1,000 `ms-*` folders costs one listing request, not one per folder.
#[test]
fn a_thousand_folders_cost_one_listing() {
    let server = Server::start();
    let cache = tmp();
    let url = "https://github.com/wide/wide/tree/main/g";
    convert_input(url, options(&server, cache.path())).unwrap_or_else(|e| panic!("{e}"));
    let requests = server.requests();
    let api = requests
        .iter()
        .filter(|r| r.target.starts_with("/repos/"))
        .count();
    assert!(api <= 3, "{api} API requests: {requests:#?}");
    // Only the values file used is fetched (the shortest folder name, ms-0).
    let files: Vec<&str> = requests
        .iter()
        .filter(|r| !r.target.starts_with("/repos/"))
        .map(|r| r.target.as_str())
        .collect();
    assert_eq!(
        files,
        [format!("/wide/wide/{SHA}/g/ms-0/values.yaml")],
        "{files:?}"
    );
}

/// One conversion's requests share one budget: the API request cap is stated in the
/// error, and the byte budget and the deadline are shared likewise (see `Budget`).
#[test]
fn api_requests_are_capped_per_conversion() {
    let server = Server::start();
    let opts = options(&server, tmp().path());
    // Each open resolves a ref (one API request) and shares the options' budget.
    let url = "https://github.com/llm-d/llm-d/tree/main/guides/inference-scheduling";
    let mut last = None;
    for _ in 0..=remote::MAX_API_CALLS {
        if let Err(e) = remote::open(url, &opts) {
            last = Some(e.to_string());
            break;
        }
    }
    let e = last.unwrap_or_else(|| panic!("no cap on API requests"));
    assert!(
        e.contains(&format!("more than {} API requests", remote::MAX_API_CALLS)),
        "{e}"
    );
    // A fresh budget (another conversion) may ask again.
    let fresh = RemoteOptions {
        budget: remote::Budget::new(),
        ..opts
    };
    assert!(remote::open(url, &fresh).is_ok());
}

/// Remote kustomize resources count against the one guide budget of the conversion: six
/// remote bases of 3 MiB each (18 MiB) exceed the 16 MiB a guide may have, although each
/// alone is well under it (each used to get a fresh budget and a fresh deadline).
#[test]
fn remote_kustomize_resources_share_the_conversions_budget() {
    let server = Server::start();
    let dir = tmp();
    let guide = dir.path().join("repo/g");
    std::fs::create_dir_all(dir.path().join("repo/.git")).expect(".git");
    std::fs::create_dir_all(&guide).expect("guide");
    let resources: String = (0..server::BIG_FOLDERS)
        .map(|n| format!("- https://github.com/big/big//r{n}?ref=main\n"))
        .collect();
    std::fs::write(
        guide.join("kustomization.yaml"),
        format!("resources:\n{resources}"),
    )
    .expect("kustomization");
    // A debug build parses 3 MiB slowly: the deadline (4 x --timeout) must not come first.
    let opts = RemoteOptions {
        timeout: Duration::from_secs(120),
        ..options(&server, tmp().path())
    };
    let e = convert_input(guide.to_str().expect("UTF-8 path"), opts)
        .err()
        .unwrap_or_else(|| panic!("18 MiB of remote resources were accepted"));
    let text = e.to_string();
    assert_eq!(e.exit_code(), 4, "{text}");
    assert!(
        text.contains(&format!(
            "the guide's files add up to more than {} bytes",
            remote::MAX_GUIDE_BYTES
        )),
        "{text}"
    );
}

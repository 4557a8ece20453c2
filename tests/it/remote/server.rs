//! A GitHub look-alike on 127.0.0.1: the corpus as repository `llm-d/llm-d` under the REST
//! API's paths (`/repos/O/R/commits/REF`, `/repos/O/R/contents/PATH?ref=SHA`) and raw paths
//! (`/O/R/SHA/PATH`), plus endpoints that misbehave. Every request is logged with its headers.
//!
//! Hand-written on `std::net`: one thread per connection, `Connection: close`, and every
//! handler ends by itself (the slow ones after at most 20 s, the endless ones when the
//! client hangs up or after 1 GiB).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::common;

/// The commit every ref of the fake repository points at.
pub const SHA: &str = "5eed0c0ffee5eed0c0ffee5eed0c0ffee5eed0c0";
/// Branches and tags of the fake repository (one with a slash).
pub const REFS: &[&str] = &["main", "release/v1.0", "v0.5.0"];
/// The rate limit resets this long after a request.
pub const RESET_AFTER_SECS: u64 = 30 * 60;

#[derive(Debug, Clone)]
pub struct Logged {
    /// Path and query as requested.
    pub target: String,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
}

impl Logged {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Server {
    pub port: u16,
    log: Arc<Mutex<Vec<Logged>>>,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
}

enum Body {
    Bytes(Vec<u8>),
    /// Lines of YAML until `n` bytes were sent or the client hung up, without a length.
    Endless(usize),
    /// A `Content-Length` that is never sent.
    Declared(u64),
    /// Nothing for this long, then a small valid body.
    Late(Duration),
    /// Slowloris: the status line and headers one byte at a time, this far apart.
    DripHead(Duration),
    /// A declared body of 1000 bytes sent one byte at a time, this far apart.
    DripContent(Duration),
    /// A chunked body that never ends.
    EndlessChunked,
    /// A gzip bomb: these compressed bytes, sent with `Content-Encoding: gzip`.
    Gzip(&'static [u8]),
}

/// Most a drip lasts, so every handler ends by itself.
const DRIP_FOR: Duration = Duration::from_secs(20);

/// 64 MiB of zeros, gzipped (about 64 KB): sixteen times the file cap once inflated.
pub fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("head -c 67108864 /dev/zero | gzip -c -9")
            .output()
            .expect("gzip (Debian's gzip package) builds the bomb");
        assert!(out.status.success() && out.stdout.len() < 200_000);
        out.stdout
    })
}

impl Server {
    /// Start serving; `moved_to` is where the `moved` owner's API requests are redirected.
    pub fn start_with(moved_to: Option<String>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&shared);
                let moved_to = moved_to.clone();
                std::thread::spawn(move || handle(stream, &log, moved_to.as_deref()));
            }
        });
        Server { port, log }
    }

    pub fn start() -> Server {
        Server::start_with(None)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().expect("log").clone()
    }
}

/// The repository root of the fake `llm-d/llm-d` (holding `guides/`).
pub fn repo_root() -> PathBuf {
    common::corpus_guides()
        .parent()
        .expect("corpus has a root")
        .to_path_buf()
}

fn handle(mut stream: TcpStream, log: &Mutex<Vec<Logged>>, moved_to: Option<&str>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(request) = read_head(&stream) else {
        return;
    };
    log.lock().expect("log").push(request.clone());
    let reply = route(&request.target, moved_to);
    let _ = write_reply(&mut stream, reply);
}

fn read_head(stream: &TcpStream) -> Option<Logged> {
    let mut reader = BufReader::new(stream.take(64 * 1024));
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Some(Logged { target, headers })
}

fn write_reply(stream: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    let reason = match reply.status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nConnection: close\r\n",
        reply.status
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match reply.body {
        Body::Bytes(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            stream.write_all(head.as_bytes())?;
            stream.write_all(&bytes)
        }
        Body::Endless(max) => {
            stream.write_all(format!("{head}\r\n").as_bytes())?;
            let chunk = "key: value\n".repeat(6000);
            let mut sent = 0;
            while sent < max {
                stream.write_all(chunk.as_bytes())?;
                sent += chunk.len();
            }
            Ok(())
        }
        Body::Declared(len) => {
            stream.write_all(format!("{head}Content-Length: {len}\r\n\r\n").as_bytes())?;
            std::thread::sleep(Duration::from_secs(2));
            Ok(())
        }
        Body::Late(delay) => {
            std::thread::sleep(delay);
            let body = "a: 1\n";
            let head = format!("{head}Content-Length: {}\r\n\r\n{body}", body.len());
            stream.write_all(head.as_bytes())
        }
        Body::DripHead(delay) => {
            let started = Instant::now();
            // Headers without end: `X-Pad-N: ...` lines, one byte at a time.
            let endless = (0..).flat_map(|n| format!("X-Pad-{n}: a\r\n").into_bytes());
            for b in head.into_bytes().into_iter().chain(endless) {
                if started.elapsed() > DRIP_FOR {
                    break;
                }
                stream.write_all(&[b])?;
                std::thread::sleep(delay);
            }
            Ok(())
        }
        Body::DripContent(delay) => {
            let started = Instant::now();
            stream.write_all(format!("{head}Content-Length: 1000\r\n\r\n").as_bytes())?;
            for _ in 0..1000 {
                if started.elapsed() > DRIP_FOR {
                    break;
                }
                stream.write_all(b"a")?;
                std::thread::sleep(delay);
            }
            Ok(())
        }
        Body::EndlessChunked => {
            stream.write_all(format!("{head}Transfer-Encoding: chunked\r\n\r\n").as_bytes())?;
            let data = "key: value\n".repeat(6000);
            let chunk = format!("{:x}\r\n{data}\r\n", data.len());
            let mut sent = 0usize;
            while sent < 1 << 30 {
                stream.write_all(chunk.as_bytes())?;
                sent += data.len();
            }
            Ok(())
        }
        Body::Gzip(bytes) => {
            head.push_str(&format!(
                "Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            ));
            stream.write_all(head.as_bytes())?;
            stream.write_all(bytes)
        }
    }
}

fn reply(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: Body::Bytes(body.into()),
    }
}

fn json(status: u16, body: String) -> Reply {
    reply(status, "application/json; charset=utf-8", body)
}

fn not_found() -> Reply {
    json(404, r#"{"message": "Not Found"}"#.into())
}

fn route(target: &str, moved_to: Option<&str>) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    match seg.as_slice() {
        ["repos", "slow", ..] | ["slow", ..] => Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Late(Duration::from_secs(5)),
        },
        ["repos", "ratelimited", ..] => Reply {
            status: 403,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-RateLimit-Limit".into(), "60".into()),
                ("X-RateLimit-Remaining".into(), "0".into()),
                (
                    "X-RateLimit-Reset".into(),
                    (now() + RESET_AFTER_SECS).to_string(),
                ),
            ],
            body: Body::Bytes(br#"{"message": "API rate limit exceeded"}"#.to_vec()),
        },
        ["repos", "broken", ..] | ["broken", ..] => json(500, r#"{"message": "boom"}"#.into()),
        ["repos", owner, _, rest @ ..] if owner.starts_with("moved") => match moved_to {
            // `moved` answers 301, `moved-307` 307, and so on.
            Some(to) => Reply {
                status: owner
                    .strip_prefix("moved-")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(301),
                headers: vec![(
                    "Location".into(),
                    format!("{to}/repos/llm-d/llm-d/{}?{query}", rest.join("/")),
                )],
                body: Body::Bytes(Vec::new()),
            },
            None => not_found(),
        },
        ["loop", ..] => Reply {
            status: 302,
            headers: vec![("Location".into(), path.to_string())],
            body: Body::Bytes(Vec::new()),
        },
        ["slowloris", ..] => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Body::DripHead(Duration::from_millis(50)),
        },
        ["slowbody", ..] => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Body::DripContent(Duration::from_millis(50)),
        },
        ["endless", ..] => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Body::EndlessChunked,
        },
        ["gzip-bomb", ..] => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Body::Gzip(gzip_bomb()),
        },
        ["huge", ..] => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Body::Endless(8 * 1024 * 1024),
        },
        ["huge-declared", ..] => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: Body::Declared(1_000_000_000),
        },
        ["html", ..] => reply(
            200,
            "text/html",
            "<!DOCTYPE html>\n<html><body>sign in</body></html>\n",
        ),
        ["binary", ..] => reply(200, "text/plain", b"a: \xff\xfe\n".to_vec()),
        ["plain", rest @ ..] => raw_file(rest),
        // `truncating`: the same repository, whose raw files arrive cut in half.
        ["repos", "truncating", "llm-d", rest @ ..] => {
            let mut same = vec!["repos", "llm-d", "llm-d"];
            same.extend(rest);
            let target = format!("/{}?{query}", same.join("/"));
            route(&target, moved_to)
        }
        ["truncating", "llm-d", sha, rest @ ..] if *sha == SHA => {
            let mut r = raw_file(rest);
            if let Body::Bytes(b) = &mut r.body {
                b.truncate(b.len() / 2);
            }
            r
        }
        // `big`: folders r0..r{BIG_FOLDERS}, each a kustomization of one 3 MiB ConfigMap.
        ["repos", "big", "big", "commits", reference @ ..] => commit(&reference.join("/")),
        ["repos", "big", "big", "git", "trees", sha] if *sha == SHA => big_tree(),
        ["big", "big", sha, folder, file] if *sha == SHA => match big_file(folder, file) {
            Some(text) => reply(200, "text/plain", text),
            None => reply(404, "text/plain", "404: Not Found"),
        },
        // `wide`: a guide with WIDE_FOLDERS `ms-*` folders.
        ["repos", "wide", "wide"] => json(200, r#"{"full_name": "wide/wide"}"#.into()),
        ["repos", "wide", "wide", "commits", reference @ ..] => commit(&reference.join("/")),
        ["repos", "wide", "wide", "git", "trees", sha] if *sha == SHA => wide_tree(),
        ["wide", "wide", sha, "g", folder, "values.yaml"] if *sha == SHA => {
            match wide_values(folder) {
                Some(text) => reply(200, "text/plain", text),
                None => reply(404, "text/plain", "404: Not Found"),
            }
        }
        ["repos", "llm-d", "llm-d", "git", "trees", sha] => {
            if *sha != SHA || query != "recursive=1" {
                return not_found();
            }
            tree()
        }
        ["repos", "llm-d", "llm-d"] => json(200, r#"{"full_name": "llm-d/llm-d"}"#.into()),
        ["repos", "llm-d", "llm-d", "commits", reference @ ..] => commit(&reference.join("/")),
        ["repos", "llm-d", "llm-d", "contents", rest @ ..] => {
            if query != format!("ref={SHA}") {
                return not_found();
            }
            contents(rest)
        }
        // Raw files of `moved` are the same repository (only its API requests move).
        [owner, "llm-d", sha, rest @ ..]
            if *sha == SHA && (*owner == "llm-d" || owner.starts_with("moved")) =>
        {
            raw_file(rest)
        }
        _ => not_found(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn commit(reference: &str) -> Reply {
    if REFS.contains(&reference) || reference == SHA {
        return json(
            200,
            format!(r#"{{"sha": "{SHA}", "commit": {{"message": "snapshot"}}}}"#),
        );
    }
    json(
        422,
        format!(r#"{{"message": "No commit found for SHA: {reference}"}}"#),
    )
}

/// The corpus path for URL segments, refusing anything that could climb out.
fn corpus_path(segments: &[&str]) -> Option<PathBuf> {
    if segments.iter().any(|s| *s == ".." || s.contains('\\')) {
        return None;
    }
    // `current/...`: the 2026-05-01 snapshot of the guides, in the same repository.
    if let Some(rest) = segments.strip_prefix(&["current"]) {
        return Some(rest.iter().fold(current_root(), |p, s| p.join(s)));
    }
    Some(segments.iter().fold(repo_root(), |p, s| p.join(s)))
}

/// The 2026-05-01 llm-d snapshot (holding `guides/`), served under `current/`.
pub fn current_root() -> PathBuf {
    common::crate_root().join("../shared/corpus/llm-d/2026-05-01")
}

fn raw_file(segments: &[&str]) -> Reply {
    match corpus_path(segments).filter(|p| p.is_file()) {
        Some(p) => reply(
            200,
            "text/plain; charset=utf-8",
            std::fs::read(&p).expect("read corpus file"),
        ),
        None => reply(404, "text/plain", "404: Not Found"),
    }
}

fn contents(segments: &[&str]) -> Reply {
    let Some(p) = corpus_path(segments) else {
        return not_found();
    };
    let rel = segments.join("/");
    if p.is_file() {
        return json(200, entry_json(&p, &rel));
    }
    let Ok(read) = std::fs::read_dir(&p) else {
        return not_found();
    };
    let mut entries: Vec<String> = read
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            entry_json(&e.path(), &child)
        })
        .collect();
    entries.sort();
    json(200, format!("[{}]", entries.join(",")))
}

fn entry_json(p: &Path, rel: &str) -> String {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let (kind, size) = if p.is_dir() {
        ("dir", 0)
    } else {
        ("file", p.metadata().map(|m| m.len()).unwrap_or(0))
    };
    format!(r#"{{"name": "{name}", "path": "{rel}", "type": "{kind}", "size": {size}}}"#)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            s.get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok()),
        ) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
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

/// The recursive tree of the corpus repository, as the git trees API answers (the
/// 2026-05-01 snapshot under `current/`, as [`corpus_path`] serves it).
fn tree() -> Reply {
    let mut entries = vec![format!(
        r#"{{"path": "current", "type": "tree", "sha": "{SHA}"}}"#
    )];
    let mut stack = vec![
        (repo_root(), String::new()),
        (current_root(), "current".to_string()),
    ];
    while let Some((dir, rel)) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let p = e.path();
            if p.is_dir() {
                entries.push(format!(
                    r#"{{"path": "{path}", "type": "tree", "sha": "{SHA}"}}"#
                ));
                stack.push((p, path));
            } else {
                let bytes = std::fs::read(&p).expect("read corpus file");
                entries.push(format!(
                    r#"{{"path": "{path}", "type": "blob", "sha": "{}", "size": {}}}"#,
                    blob_sha(&bytes),
                    bytes.len()
                ));
            }
        }
    }
    entries.sort();
    json(
        200,
        format!(
            r#"{{"sha": "{SHA}", "truncated": false, "tree": [{}]}}"#,
            entries.join(",")
        ),
    )
}

/// `ms-*` folders of the `wide` guide `g`.
pub const WIDE_FOLDERS: usize = 1000;

fn wide_values(folder: &str) -> Option<String> {
    let n: usize = folder.strip_prefix("ms-")?.parse().ok()?;
    (n < WIDE_FOLDERS).then(|| format!("decode:\n  replicas: {}\n", n % 7 + 1))
}

fn wide_tree() -> Reply {
    let mut entries = vec![r#"{"path": "g", "type": "tree", "sha": "x"}"#.to_string()];
    for n in 0..WIDE_FOLDERS {
        let folder = format!("ms-{n}");
        let text = wide_values(&folder).unwrap_or_default();
        entries.push(format!(
            r#"{{"path": "g/{folder}", "type": "tree", "sha": "x"}}"#
        ));
        entries.push(format!(
            r#"{{"path": "g/{folder}/values.yaml", "type": "blob", "sha": "{}", "size": {}}}"#,
            blob_sha(text.as_bytes()),
            text.len()
        ));
    }
    json(
        200,
        format!(
            r#"{{"sha": "{SHA}", "truncated": false, "tree": [{}]}}"#,
            entries.join(",")
        ),
    )
}

/// Folders of the `big` repository.
pub const BIG_FOLDERS: usize = 6;

fn big_file(folder: &str, name: &str) -> Option<String> {
    static CM: OnceLock<String> = OnceLock::new();
    match name {
        // A prefix per folder: the six ConfigMaps are distinct resources.
        "kustomization.yaml" => Some(format!("resources:\n- cm.yaml\nnamePrefix: {folder}-\n")),
        "cm.yaml" => Some(
            CM.get_or_init(|| {
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  pad: {}\n",
                    "x".repeat(3 * 1024 * 1024)
                )
            })
            .clone(),
        ),
        _ => None,
    }
}

fn big_tree() -> Reply {
    let cm = big_file("", "cm.yaml").unwrap_or_default();
    let cm_sha = blob_sha(cm.as_bytes());
    let mut entries = Vec::new();
    for n in 0..BIG_FOLDERS {
        let folder = format!("r{n}");
        let k = big_file(&folder, "kustomization.yaml").unwrap_or_default();
        entries.push(format!(
            r#"{{"path": "{folder}", "type": "tree", "sha": "x"}}"#
        ));
        entries.push(format!(
            r#"{{"path": "{folder}/kustomization.yaml", "type": "blob", "sha": "{}", "size": {}}}"#,
            blob_sha(k.as_bytes()),
            k.len()
        ));
        entries.push(format!(
            r#"{{"path": "{folder}/cm.yaml", "type": "blob", "sha": "{cm_sha}", "size": {}}}"#,
            cm.len()
        ));
    }
    json(
        200,
        format!(
            r#"{{"sha": "{SHA}", "truncated": false, "tree": [{}]}}"#,
            entries.join(",")
        ),
    )
}

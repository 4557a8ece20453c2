//! Input URLs: which forms are understood, what they name, and which schemes may be used.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::{Error, Result};

/// An `http(s)` URL cut into the parts this tool looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// Lowercase host; IPv6 addresses keep their brackets.
    pub host: String,
    pub port: Option<u16>,
    /// The path as written (still percent-encoded), starting with `/` (or empty).
    pub path: String,
    /// The query without `?`, as written.
    pub query: Option<String>,
}

impl Url {
    /// Parse an absolute `http://` or `https://` URL. Credentials in the URL are refused,
    /// so no secret is ever echoed in a message or written into a scenario header.
    pub fn parse(input: &str) -> Result<Url> {
        let bad = |why: &str| {
            Error::request(
                "url",
                format!(
                    "malformed URL {}: {why}",
                    crate::error::printable(&redacted(input))
                ),
            )
        };
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains spaces or control characters"));
        }
        let (scheme, rest) = input
            .split_once("://")
            .ok_or_else(|| bad("expected http:// or https://"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad("only http:// and https:// URLs are supported"));
        }
        let rest = rest.split('#').next().unwrap_or("");
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(bad(
                "credentials in URLs are not supported; set GITHUB_TOKEN for the GitHub API",
            ));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("invalid host or port"))?;
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (tail, None),
        };
        Ok(Url {
            scheme,
            host,
            port,
            path: path.to_string(),
            query,
        })
    }

    /// `scheme://host[:port]`: what decides where a credential may go.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The path's segments, percent-decoded; empty segments (`//`, a trailing `/`) dropped.
    pub fn segments(&self) -> Result<Vec<String>> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode_segment)
            .collect()
    }

    /// `localhost`, `127.0.0.0/8` or `[::1]`: the only hosts plain http may reach.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// https everywhere; plain http only on this machine (test servers), because anything
    /// else could be read or changed on the way.
    pub fn check_scheme(&self) -> Result<()> {
        if self.scheme == "https" || self.is_loopback() {
            return Ok(());
        }
        Err(Error::request_hint(
            "url",
            format!("{}: plain http is refused", self.origin()),
            "use https (http is allowed only for loopback addresses such as 127.0.0.1)",
        ))
    }
}

/// The URL with any `user:password@` replaced by `***@`, for messages.
fn redacted(input: &str) -> String {
    let Some((scheme, rest)) = input.split_once("://") else {
        return input.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[end..]),
        None => input.to_string(),
    }
}

fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        (format!("[{inside}]"), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || "-._[]:".contains(c);
    if host.is_empty() || !host.chars().all(valid) {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// Decode `%XX` escapes of one path segment; the result must be a plain name.
pub fn decode_segment(s: &str) -> Result<String> {
    let bad = || Error::request("url", format!("malformed URL: invalid path segment {s:?}"));
    // percent-encoding passes a stray `%` through; a URL we are given must not have one.
    let escapes_ok = s
        .split('%')
        .skip(1)
        .all(|rest| rest.len() >= 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
    if !escapes_ok {
        return Err(bad());
    }
    let text = percent_decode_str(s).decode_utf8().map_err(|_| bad())?;
    if text == "." || text == ".." || text.contains('/') || text.chars().any(char::is_control) {
        return Err(bad());
    }
    Ok(text.into_owned())
}

/// What [`encode_segment`] escapes: everything but unreserved characters and a few safe ones.
const SEGMENT: &AsciiSet = &{
    let safe = b"-._~+@!$&'()*,;=:";
    let mut set = NON_ALPHANUMERIC.remove(safe[0]);
    let mut i = 1;
    while i < safe.len() {
        set = set.remove(safe[i]);
        i += 1;
    }
    set
};

/// Percent-encode one path segment (everything but unreserved characters and a few safe ones).
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Segments joined with `/`, each encoded.
pub fn encode_path(segments: &[String]) -> String {
    segments
        .iter()
        .map(|s| encode_segment(s))
        .collect::<Vec<_>>()
        .join("/")
}

/// What an input URL names, before the ref is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A path in a GitHub repository. `rest` is `REF/PATH` as segments: where the ref ends
    /// is only known once the API has been asked (a branch may contain slashes).
    GitHub {
        owner: String,
        repo: String,
        /// `blob` and raw URLs name a file; `tree` URLs a folder.
        file: bool,
        rest: Vec<String>,
    },
    /// Any other URL of a values file.
    Plain { url: Url, segments: Vec<String> },
}

const FORMS: &str = "use https://github.com/OWNER/REPO/tree/REF/PATH for a guide folder, \
.../blob/REF/PATH or https://raw.githubusercontent.com/OWNER/REPO/REF/PATH for a values file, \
or an https URL ending in .yaml";

/// Classify an input URL. `api_host` is the host of the configured API: a GitHub
/// Enterprise server serves its web pages on the same host.
pub fn target(input: &str, api_host: &str) -> Result<Target> {
    let url = Url::parse(input)?;
    let segments = url.segments()?;
    let unsupported = |why: &str| {
        Error::request_hint(
            "url",
            format!(
                "{}: unsupported URL form: {why}",
                crate::error::printable(input)
            ),
            FORMS,
        )
    };
    let ghe = api_host != "api.github.com" && url.host == api_host;
    let web_kind = segments.get(2).map(String::as_str);
    if url.host == "github.com" || url.host == "www.github.com" || (ghe && is_web_kind(web_kind)) {
        let [owner, repo, kind, rest @ ..] = segments.as_slice() else {
            return Err(unsupported(
                "expected OWNER/REPO/tree/REF/PATH or OWNER/REPO/blob/REF/PATH",
            ));
        };
        let file = match kind.as_str() {
            "tree" => false,
            "blob" | "raw" => true,
            _ => {
                return Err(unsupported(&format!(
                    "a github.com `{kind}` page is not a guide"
                )));
            }
        };
        return github(owner, repo, file, rest, &unsupported);
    }
    if url.host == "raw.githubusercontent.com" {
        let [owner, repo, rest @ ..] = segments.as_slice() else {
            return Err(unsupported("expected OWNER/REPO/REF/PATH"));
        };
        return github(owner, repo, true, rest, &unsupported);
    }
    url.check_scheme()?;
    let is_yaml = segments.last().is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        s.ends_with(".yaml") || s.ends_with(".yml")
    });
    if !is_yaml {
        return Err(unsupported(
            "a URL outside GitHub must name a values file (.yaml)",
        ));
    }
    Ok(Target::Plain { url, segments })
}

fn is_web_kind(kind: Option<&str>) -> bool {
    matches!(kind, Some("tree" | "blob" | "raw"))
}

fn github(
    owner: &str,
    repo: &str,
    file: bool,
    rest: &[String],
    unsupported: &dyn Fn(&str) -> Error,
) -> Result<Target> {
    for name in [owner, repo] {
        let ok = !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok {
            return Err(unsupported(&format!(
                "{name:?} is not a GitHub owner or repository name"
            )));
        }
    }
    let needed = if file { 2 } else { 1 };
    if rest.len() < needed {
        let what = if file {
            "a ref and a file path"
        } else {
            "a ref"
        };
        return Err(unsupported(&format!("{what} must follow OWNER/REPO")));
    }
    Ok(Target::GitHub {
        owner: owner.to_string(),
        repo: repo.to_string(),
        file,
        rest: rest.to_vec(),
    })
}

/// A full commit SHA: 40 lowercase hex digits (GitHub's own spelling).
pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `base` joined with `rel` (relative to the folder `base`), `..` resolved. `None` when the
/// result would leave the root (the repository, or the server's root for a plain URL).
pub fn join(base: &[String], rel: &str) -> Option<Vec<String>> {
    let mut out = base.to_vec();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p if p.chars().any(char::is_control) || p.contains('\\') => return None,
            p => out.push(p.to_string()),
        }
    }
    Some(out)
}

/// The location of a redirect, made absolute against the URL that answered.
pub fn redirect_target(from: &Url, location: &str) -> Option<String> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(location.to_string());
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{}://{rest}", from.scheme));
    }
    if location.starts_with('/') {
        return Some(format!("{}{location}", from.origin()));
    }
    // Relative to the folder of the current path.
    let dir = from.path.rsplit_once('/').map_or("", |(d, _)| d);
    Some(format!("{}{dir}/{location}", from.origin()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "api.github.com";

    fn gh(input: &str) -> (String, String, bool, Vec<String>) {
        match target(input, API) {
            Ok(Target::GitHub {
                owner,
                repo,
                file,
                rest,
            }) => (owner, repo, file, rest),
            other => panic!("{input}: {other:?}"),
        }
    }

    fn err(input: &str) -> String {
        match target(input, API) {
            Err(e) => e.to_string(),
            Ok(t) => panic!("{input}: expected an error, got {t:?}"),
        }
    }

    #[test]
    fn github_tree_blob_and_raw_forms() {
        let (o, r, file, rest) =
            gh("https://github.com/llm-d/llm-d/tree/main/guides/inference-scheduling");
        assert_eq!((o.as_str(), r.as_str(), file), ("llm-d", "llm-d", false));
        assert_eq!(rest, ["main", "guides", "inference-scheduling"]);
        let (_, _, file, rest) =
            gh("https://github.com/o/r/blob/release/v1.0/guides/x/ms-x/values.yaml");
        assert!(file);
        assert_eq!(
            rest,
            ["release", "v1.0", "guides", "x", "ms-x", "values.yaml"]
        );
        let (o, _, file, rest) = gh("https://raw.githubusercontent.com/o/r/abc/g/values.yaml");
        assert_eq!((o.as_str(), file), ("o", true));
        assert_eq!(rest, ["abc", "g", "values.yaml"]);
        // A trailing slash, a query and a fragment change nothing.
        let (_, _, _, rest) = gh("https://github.com/o/r/tree/main/guides/x/?tab=readme#top");
        assert_eq!(rest, ["main", "guides", "x"]);
        // `raw` links of github.com are files too.
        assert!(gh("https://github.com/o/r/raw/main/v.yaml").2);
    }

    #[test]
    fn percent_escapes_are_decoded() {
        let (_, _, _, rest) = gh("https://github.com/o/r/tree/main/my%20guide");
        assert_eq!(rest, ["main", "my guide"]);
        assert!(err("https://github.com/o/r/tree/main/a%2Fb").contains("invalid path segment"));
        assert_eq!(
            decode_segment("my%20guide").ok().as_deref(),
            Some("my guide")
        );
        assert!(decode_segment("%2E%2E").is_err());
        assert!(decode_segment("%zz").is_err());
        assert_eq!(encode_segment("a b/c%"), "a%20b%2Fc%25");
        // Every ASCII byte: kept when unreserved or safe in a path segment, else escaped.
        for b in 0u8..128 {
            let kept = b.is_ascii_alphanumeric() || b"-._~+@!$&'()*,;=:".contains(&b);
            let want = if kept {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            };
            assert_eq!(encode_segment(&(b as char).to_string()), want);
        }
        assert_eq!(encode_segment("é"), "%C3%A9");
        assert_eq!(decode_segment("%C3%A9").ok().as_deref(), Some("é"));
        assert!(decode_segment("a%").is_err() && decode_segment("%4").is_err());
        assert!(decode_segment("%FF").is_err(), "not UTF-8");
    }

    #[test]
    fn github_enterprise_hosts_are_the_api_host() {
        let t = target("https://ghe.corp/o/r/tree/main/guides/x", "ghe.corp");
        assert!(matches!(t, Ok(Target::GitHub { file: false, .. })), "{t:?}");
        // Other pages of that host are plain URLs.
        let t = target("https://ghe.corp/files/x/values.yaml", "ghe.corp");
        assert!(matches!(t, Ok(Target::Plain { .. })), "{t:?}");
    }

    #[test]
    fn plain_urls_of_values_files() {
        match target(
            "https://example.com/pd-disaggregation/values.yaml?sig=1",
            API,
        ) {
            Ok(Target::Plain { url, segments }) => {
                assert_eq!(url.host, "example.com");
                assert_eq!(url.query.as_deref(), Some("sig=1"));
                assert_eq!(segments, ["pd-disaggregation", "values.yaml"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            target("http://127.0.0.1:8080/x/values.yml", API),
            Ok(Target::Plain { .. })
        ));
        assert!(matches!(
            target("http://[::1]:8080/x/values.yaml", API),
            Ok(Target::Plain { .. })
        ));
    }

    #[test]
    fn refused_forms_say_why() {
        assert!(err("ftp://example.com/values.yaml").contains("only http:// and https://"));
        assert!(err("github.com/o/r/tree/main").contains("expected http:// or https://"));
        assert!(err("https://user:pw@example.com/values.yaml").contains("credentials"));
        assert!(!err("https://user:pw@example.com/values.yaml").contains("pw@"));
        assert!(err("https://exa mple.com/values.yaml").contains("spaces"));
        assert!(err("https://example.com:99999/values.yaml").contains("invalid host or port"));
        assert!(err("http://example.com/values.yaml").contains("plain http is refused"));
        assert!(err("https://example.com/guide/").contains("must name a values file"));
        assert!(err("https://github.com/o/r").contains("unsupported URL form"));
        assert!(err("https://github.com/o/r/tree").contains("a ref must follow"));
        assert!(err("https://github.com/o/r/blob/main").contains("a ref and a file path"));
        assert!(err("https://github.com/o/r/pulls/3").contains("`pulls` page"));
        assert!(err("https://github.com/o/r/tree/main/../x").contains("invalid path segment"));
        assert!(err("https://raw.githubusercontent.com/o/r").contains("OWNER/REPO/REF/PATH"));
        assert!(err("https://github.com/.o/r/tree/main").contains("not a GitHub owner"));
    }

    #[test]
    fn joining_stays_inside_the_root() {
        let base = ["guides".to_string(), "x".to_string()];
        assert_eq!(
            join(&base, "ms-x/values.yaml").unwrap(),
            ["guides", "x", "ms-x", "values.yaml"]
        );
        assert_eq!(
            join(&base, "../prereq/a.yaml").unwrap(),
            ["guides", "prereq", "a.yaml"]
        );
        assert_eq!(join(&base, "../../README.md").unwrap(), ["README.md"]);
        assert_eq!(join(&base, ""), Some(base.to_vec()));
        assert_eq!(join(&base, "../../../etc/passwd"), None);
    }

    #[test]
    fn loopback_and_origins() {
        let u = Url::parse("HTTP://LocalHost:8080/a?b").unwrap();
        assert!(u.is_loopback());
        assert_eq!(u.origin(), "http://localhost:8080");
        assert!(Url::parse("http://127.0.0.2/").unwrap().is_loopback());
        assert!(!Url::parse("http://10.0.0.1/").unwrap().is_loopback());
        assert!(
            Url::parse("http://10.0.0.1/")
                .unwrap()
                .check_scheme()
                .is_err()
        );
        assert!(is_full_sha(&"a".repeat(40)));
        assert!(!is_full_sha(&"A".repeat(40)));
        assert!(!is_full_sha("main"));
    }

    #[test]
    fn redirects_become_absolute() {
        let from = Url::parse("https://h.example/a/b?q").unwrap();
        assert_eq!(
            redirect_target(&from, "https://x/y").unwrap(),
            "https://x/y"
        );
        assert_eq!(redirect_target(&from, "/z").unwrap(), "https://h.example/z");
        assert_eq!(redirect_target(&from, "//o/p").unwrap(), "https://o/p");
        assert_eq!(
            redirect_target(&from, "c").unwrap(),
            "https://h.example/a/c"
        );
    }
}

//! HTTP for remote guides: one ureq agent (rustls, proxy variables, timeouts), redirects
//! followed by hand, size caps, the progress line, and failures turned into clear errors.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::url::{self, Url};
use crate::error::{Error, Result};
use crate::load::source::MAX_FILE_BYTES;

/// Sent with every request, so server operators can tell who is calling.
pub const USER_AGENT: &str = concat!(
    "convert-guide/",
    env!("CARGO_PKG_VERSION"),
    " (llm-d guide converter)"
);

/// Redirects followed before giving up: GitHub needs one at most (a renamed repository).
pub const MAX_REDIRECTS: usize = 3;

pub use crate::load::source::MAX_GUIDE_BYTES;

/// Connecting takes at most this long, whatever the total timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Bodies of error answers are read only this far (to reuse the connection), then dropped.
const ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Whether a request goes to the GitHub API (the only one that may carry the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Api,
    Raw,
}

/// An answer that was not a redirect.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    rate_remaining: Option<String>,
    rate_reset: Option<u64>,
    retry_after: Option<u64>,
}

/// Most requests to the API host in one conversion: resolving a ref takes a few, listing the
/// repository one; a guide never needs more.
pub const MAX_API_CALLS: u64 = 25;
/// Most file requests in one conversion (a guide reads a handful of files; a kustomize
/// guide with remote bases some dozens).
pub const MAX_FILE_CALLS: u64 = 400;
/// One conversion's requests together may take this many times `--timeout`.
pub const DEADLINE_TIMEOUTS: u32 = 4;

/// What one conversion may spend on the network, shared by every source it opens (the
/// guide, and each remote resource its kustomizations name): bytes of distinct files
/// against [`MAX_GUIDE_BYTES`], requests against [`MAX_API_CALLS`] and [`MAX_FILE_CALLS`],
/// and one deadline from the first request.
#[derive(Debug, Default)]
pub struct Budget {
    spent: AtomicU64,
    api_calls: AtomicU64,
    file_calls: AtomicU64,
    started: Mutex<Option<Instant>>,
}

impl Budget {
    pub fn new() -> Arc<Budget> {
        Arc::new(Budget::default())
    }

    /// Count `bytes` of a distinct file (fetched, or read from the cache).
    pub fn charge(&self, what: &str, bytes: u64) -> Result<()> {
        let total = self.spent.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total > MAX_GUIDE_BYTES {
            return Err(too_large(
                what,
                format!(
                    "the guide's files add up to more than {MAX_GUIDE_BYTES} bytes, the most a guide may have"
                ),
            ));
        }
        Ok(())
    }

    /// Count one request; the time left of the conversion's deadline, which the first
    /// request starts.
    fn request(&self, address: &str, kind: Kind, timeout: Duration) -> Result<Duration> {
        let (counter, cap, what) = match kind {
            Kind::Api => (&self.api_calls, MAX_API_CALLS, "API requests"),
            Kind::Raw => (&self.file_calls, MAX_FILE_CALLS, "file requests"),
        };
        if counter.fetch_add(1, Ordering::Relaxed) >= cap {
            return Err(too_large(
                address,
                format!(
                    "the guide needs more than {cap} {what}, the most one conversion may make; a guide needs a handful"
                ),
            ));
        }
        let total = timeout * DEADLINE_TIMEOUTS;
        let started = *lock(&self.started).get_or_insert_with(Instant::now);
        let left = total.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(network(
                address,
                &format!(
                    "the conversion's time for fetching is used up ({} s: {DEADLINE_TIMEOUTS} x --timeout, for all requests together)",
                    total.as_secs()
                ),
                "the server is slow; try again, or raise --timeout",
            ));
        }
        Ok(left.min(timeout))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub struct Client {
    agent: ureq::Agent,
    /// The API's `scheme://host:port`: the token goes there and nowhere else.
    api_origin: String,
    token: Option<String>,
    progress: bool,
    budget: Arc<Budget>,
    timeout: Duration,
}

impl Client {
    pub fn new(
        api_base: &str,
        token: Option<String>,
        timeout: Duration,
        quiet: bool,
        budget: Arc<Budget>,
    ) -> Result<Client> {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are followed by hand: scheme checks and the token rule apply to each hop.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(USER_AGENT)
            .proxy(ureq::Proxy::try_from_env())
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
            .build();
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            api_origin: Url::parse(api_base)?.origin(),
            token: token.filter(|t| !t.trim().is_empty()),
            progress: !quiet && std::io::stderr().is_terminal(),
            budget,
            timeout,
        })
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// GET `address`, following at most [`MAX_REDIRECTS`] redirects. Any status comes back
    /// as a [`Reply`]; only transport failures, loops and oversized bodies are errors here.
    pub fn get(&self, address: &str, kind: Kind, accept: &str, what: &str) -> Result<Reply> {
        let left = self.budget.request(address, kind, self.timeout)?;
        self.show(what);
        let reply = self.follow(address, kind, accept, left);
        self.clear();
        let reply = reply?;
        self.budget.charge(address, reply.body.len() as u64)?;
        Ok(reply)
    }

    /// The conversion's budget, for bytes read from the cache.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    fn follow(&self, address: &str, kind: Kind, accept: &str, left: Duration) -> Result<Reply> {
        let mut current = address.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let at = Url::parse(&current)?;
            at.check_scheme()?;
            let response = self.send(&current, &at, kind, accept, left);
            let response = response.map_err(|e| transport(address, &at, e))?;
            if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
                return read_reply(address, &at, response);
            }
            let location = header(&response, "location").unwrap_or_default();
            current = url::redirect_target(&at, &location).ok_or_else(|| {
                network(
                    address,
                    "a redirect without a usable location",
                    "check the URL",
                )
            })?;
        }
        Err(network(
            address,
            &format!("too many redirects (more than {MAX_REDIRECTS})"),
            "the server redirects in a loop or too far; check the URL",
        ))
    }

    fn send(
        &self,
        address: &str,
        at: &Url,
        kind: Kind,
        accept: &str,
        left: Duration,
    ) -> std::result::Result<Response, ureq::Error> {
        let mut request = self.agent.get(address).header("Accept", accept);
        if left < self.timeout {
            // The conversion's deadline is nearer than a whole request's timeout.
            request = request.config().timeout_global(Some(left)).build();
        }
        if at.is_loopback() {
            // As Go's net/http does: a proxy cannot reach this machine's own servers.
            request = request.config().proxy(None).build();
        }
        if kind == Kind::Api {
            request = request.header("X-GitHub-Api-Version", "2022-11-28");
            // By origin, not by request kind alone: a redirect elsewhere loses the token.
            if let Some(token) = &self.token
                && at.origin() == self.api_origin
            {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
        }
        request.call()
    }

    /// The progress line: rewritten in place, only on a terminal, cleared after each request.
    fn show(&self, what: &str) {
        if self.progress {
            let what: String = crate::error::printable(what).chars().take(70).collect();
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2Kfetching {what} ...");
            let _ = err.flush();
        }
    }

    fn clear(&self) {
        if self.progress {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error for a status that is not success. `url` is what the user gave; `what`
    /// names the file or folder ("file guides/x/ms-x/values.yaml at commit 1234abc").
    pub fn error(&self, url: &str, what: &str, has_token: bool) -> Error {
        let status = self.status;
        let limited = matches!(status, 403 | 429)
            && (self.rate_remaining.as_deref() == Some("0") || self.retry_after.is_some());
        if limited || status == 429 {
            return self.rate_limited(url, has_token);
        }
        match status {
            404 | 410 => {
                let private = if has_token {
                    ""
                } else {
                    "; a private repository also answers 404 unless GITHUB_TOKEN is set"
                };
                Error::RemoteNotFound {
                    url: url.to_string(),
                    what: what.to_string(),
                    hint: format!(
                        "check the ref (branch, tag or commit) and the path in the URL{private}"
                    ),
                }
            }
            401 => network(
                url,
                "the GitHub API refused the token (HTTP 401)",
                "check GITHUB_TOKEN, or unset it: public repositories need no token",
            ),
            403 => network(
                url,
                &format!("access to {what} was denied (HTTP 403)"),
                "a private repository needs GITHUB_TOKEN with read access",
            ),
            500..=599 => network(
                url,
                &format!("the server failed while sending {what} (HTTP {status})"),
                "the server is having trouble; try again later",
            ),
            _ => network(
                url,
                &format!("unexpected answer for {what} (HTTP {status})"),
                "check the URL",
            ),
        }
    }

    fn rate_limited(&self, url: &str, has_token: bool) -> Error {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let reset = self.rate_reset.or(self.retry_after.map(|s| now + s));
        let when = match reset {
            Some(at) if at > now => {
                format!("; it resets at {} ({})", utc(at), in_minutes(at - now))
            }
            Some(at) => format!("; it reset at {}", utc(at)),
            None => String::new(),
        };
        let hint = if has_token {
            "the token's quota is used up: wait until the reset"
        } else {
            "set GITHUB_TOKEN to a GitHub token: it raises the limit from 60 to 5,000 requests an hour"
        };
        network(
            url,
            &format!(
                "GitHub API rate limit exceeded (HTTP {}){when}",
                self.status
            ),
            hint,
        )
    }
}

type Response = ureq::http::Response<ureq::Body>;

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The body of a final answer, within the caps: a success body up to a guide file's size,
/// an error body only far enough to keep the connection usable.
fn read_reply(address: &str, at: &Url, mut response: Response) -> Result<Reply> {
    let status = response.status().as_u16();
    let success = (200..300).contains(&status);
    let limit = if success {
        MAX_FILE_BYTES
    } else {
        ERROR_BODY_BYTES
    };
    if let Some(len) = response.body().content_length()
        && len > limit
        && success
    {
        return Err(too_large(address, over_cap(len)));
    }
    let body = match response.body_mut().with_config().limit(limit).read_to_vec() {
        Ok(b) => b,
        Err(ureq::Error::BodyExceedsLimit(_)) if success => {
            return Err(too_large(
                address,
                format!(
                    "the answer is more than {MAX_FILE_BYTES} bytes, the most a guide file may have"
                ),
            ));
        }
        Err(ureq::Error::BodyExceedsLimit(_)) => Vec::new(),
        Err(e) => return Err(transport(address, at, e)),
    };
    Ok(Reply {
        status,
        content_type: header(&response, "content-type").unwrap_or_default(),
        rate_remaining: header(&response, "x-ratelimit-remaining"),
        rate_reset: header(&response, "x-ratelimit-reset").and_then(|v| v.trim().parse().ok()),
        retry_after: header(&response, "retry-after").and_then(|v| v.trim().parse().ok()),
        body,
    })
}

fn network(url: &str, message: &str, hint: &str) -> Error {
    Error::Network {
        url: url.to_string(),
        message: message.to_string(),
        hint: hint.to_string(),
    }
}

fn over_cap(len: u64) -> String {
    format!("the answer is {len} bytes, more than the {MAX_FILE_BYTES} a guide file may have")
}

/// Too large is a property of the input (exit 4, as for a local file), not of the network.
fn too_large(url: &str, message: String) -> Error {
    Error::Read {
        path: PathBuf::from(url),
        source: std::io::Error::other(message),
    }
}

/// A failure below HTTP: name it in words and say what to try.
pub fn transport(url: &str, at: &Url, e: ureq::Error) -> Error {
    let host = match at.port {
        Some(p) => format!("{}:{p}", at.host),
        None => at.host.clone(),
    };
    let check = "check your network connection and proxy settings (HTTPS_PROXY, NO_PROXY); \
--offline converts guides fetched before";
    match e {
        ureq::Error::HostNotFound => network(
            url,
            &format!("cannot resolve host {host} (DNS lookup failed)"),
            &format!("check the host name in the URL; {check}"),
        ),
        ureq::Error::Timeout(phase) => network(
            url,
            &format!(
                "timed out waiting for {host} ({} timeout)",
                phase_name(phase)
            ),
            &format!("the server is slow or unreachable; try again, or raise --timeout; {check}"),
        ),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => network(
            url,
            &format!("connection refused by {host}"),
            &format!("is the address right? {check}"),
        ),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => network(
            url,
            &format!("no answer from {host} in time ({io})"),
            &format!("try again, or raise --timeout; {check}"),
        ),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => network(
            url,
            &format!("secure connection to {host} failed: {e}"),
            "the server's certificate could not be verified; check the URL",
        ),
        other => network(url, &format!("request to {host} failed: {other}"), check),
    }
}

fn phase_name(phase: ureq::Timeout) -> String {
    match phase {
        ureq::Timeout::Global | ureq::Timeout::PerCall => "total".to_string(),
        other => other.to_string(),
    }
}

/// `2026-02-05 14:03:00 UTC` from seconds since the epoch (no calendar crate needed).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn in_minutes(secs: u64) -> String {
    match secs {
        0..=59 => "in less than a minute".to_string(),
        60..=119 => "in 1 minute".to_string(),
        s => format!("in {} minutes", s.div_ceil(60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_770_300_000), "2026-02-05 14:00:00 UTC");
    }

    fn reply(status: u16, headers: (Option<&str>, Option<u64>, Option<u64>)) -> Reply {
        Reply {
            status,
            content_type: String::new(),
            body: Vec::new(),
            rate_remaining: headers.0.map(str::to_string),
            rate_reset: headers.1,
            retry_after: headers.2,
        }
    }

    #[test]
    fn statuses_become_clear_errors() {
        let url = "https://github.com/o/r/tree/main/g";
        let e = reply(404, (None, None, None)).error(url, "folder g at commit 1234567", false);
        assert_eq!(e.exit_code(), crate::error::exit::NOT_FOUND);
        let text = e.to_string();
        assert!(
            text.contains("folder g at commit 1234567 not found"),
            "{text}"
        );
        assert!(text.contains("check the ref"), "{text}");
        let e = reply(502, (None, None, None)).error(url, "file v.yaml", false);
        assert_eq!(e.exit_code(), crate::error::exit::NETWORK);
        assert!(e.to_string().contains("HTTP 502"));
        let e = reply(403, (Some("0"), Some(1_770_300_000), None)).error(url, "x", false);
        let text = e.to_string();
        assert!(
            text.contains("rate limit") && text.contains("reset at 2026-02-05 14:00:00 UTC"),
            "{text}"
        );
        assert!(text.contains("GITHUB_TOKEN"), "{text}");
        let e = reply(403, (Some("12"), None, None)).error(url, "x", true);
        assert!(e.to_string().contains("denied"), "{e}");
        let e = reply(429, (None, None, Some(30))).error(url, "x", true);
        assert!(e.to_string().contains("in less than a minute"), "{e}");
    }

    #[test]
    fn one_budget_one_deadline_and_capped_requests() {
        let budget = Budget::new();
        let timeout = Duration::from_millis(1);
        assert!(budget.request("u", Kind::Api, timeout).is_ok());
        // The deadline runs from the first request, for all of them together.
        std::thread::sleep(Duration::from_millis(10));
        let late = budget.request("u", Kind::Raw, timeout);
        let text = late.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("time for fetching is used up"), "{text}");
        let budget = Budget::new();
        for _ in 0..MAX_API_CALLS {
            assert!(budget.request("u", Kind::Api, DEFAULT).is_ok());
        }
        let text = budget
            .request("u", Kind::Api, DEFAULT)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(text.contains("more than 25 API requests"), "{text}");
        assert!(budget.charge("f", MAX_GUIDE_BYTES).is_ok());
        assert!(budget.charge("g", 1).is_err());
    }

    const DEFAULT: Duration = Duration::from_secs(30);

    #[test]
    fn transport_failures_are_named() {
        let at = Url::parse("https://nowhere.invalid/x").unwrap_or_else(|e| panic!("{e}"));
        let dns = transport("u", &at, ureq::Error::HostNotFound).to_string();
        assert!(dns.contains("cannot resolve host nowhere.invalid"), "{dns}");
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let text = transport("u", &at, ureq::Error::Io(refused)).to_string();
        assert!(
            text.contains("connection refused by nowhere.invalid"),
            "{text}"
        );
        let slow = transport("u", &at, ureq::Error::Timeout(ureq::Timeout::Global));
        assert!(slow.to_string().contains("--timeout"));
        assert_eq!(slow.exit_code(), crate::error::exit::NETWORK);
    }
}

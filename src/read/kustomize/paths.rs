//! Paths inside a guide (joined and normalized lexically) and kustomize's remote targets.

/// `dir` joined with `rel`, `.` and `..` resolved lexically; `..` above the root is kept
/// (guides reach shared folders such as `../recipes`).
pub fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return normalize(rel);
    }
    normalize(&format!("{dir}/{rel}"))
}

/// `a/./b/../c/` -> `a/c`.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|p| *p != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

/// A resource entry that names something remote (kustomize's remote targets).
pub(super) fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("git@")
}

/// A kustomize remote URL as a URL convert-guide's remote sources open:
/// `https://github.com/O/R//PATH?ref=REF` (or `github.com/O/R/PATH?ref=REF`) becomes
/// `https://github.com/O/R/tree/REF/PATH`; an https URL of a file is kept.
pub(super) fn remote_url(entry: &str) -> std::result::Result<String, String> {
    let unsupported = |why: &str| {
        format!(
            "remote resource {entry}: {why}\n  hint: convert-guide fetches https://github.com/OWNER/REPO//PATH?ref=REF and https URLs of files"
        )
    };
    if entry.starts_with("git@") || entry.starts_with("ssh://") || entry.starts_with("git::") {
        return Err(unsupported("git over ssh is not supported"));
    }
    let rest = entry
        .strip_prefix("https://")
        .or_else(|| entry.strip_prefix("http://"))
        .unwrap_or(entry);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut reference = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("ref" | "version", v)) => reference = Some(v.to_string()),
            _ => {
                return Err(unsupported(&format!(
                    "query parameter {pair:?} is not supported"
                )));
            }
        }
    }
    let Some(repo_path) = path
        .strip_prefix("github.com/")
        .or_else(|| path.strip_prefix("www.github.com/"))
    else {
        if entry.starts_with("https://") && query.is_empty() {
            return Ok(entry.to_string());
        }
        return Err(unsupported(
            "only GitHub repositories and https files are supported",
        ));
    };
    let (repo, sub) = match repo_path.split_once("//") {
        Some((r, s)) => (r.to_string(), s.to_string()),
        None => {
            let mut parts = repo_path.splitn(3, '/');
            let owner = parts.next().unwrap_or_default();
            let name = parts.next().unwrap_or_default();
            (
                format!("{owner}/{name}"),
                parts.next().unwrap_or_default().to_string(),
            )
        }
    };
    let repo = repo.trim_end_matches(".git").trim_end_matches('/');
    if repo.split('/').count() != 2 || repo.split('/').any(str::is_empty) {
        return Err(unsupported("expected github.com/OWNER/REPO"));
    }
    let reference = reference.unwrap_or_else(|| "HEAD".to_string());
    let sub = sub.trim_matches('/');
    Ok(format!(
        "https://github.com/{repo}/tree/{reference}{}{sub}",
        if sub.is_empty() { "" } else { "/" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_normalize() {
        assert_eq!(join("a/b", "../c"), "a/c");
        assert_eq!(join("", "../../x/y"), "../../x/y");
        assert_eq!(
            join("g/m/v/base", "../../../../../recipes/vllm"),
            "../recipes/vllm"
        );
        assert_eq!(normalize("./a/./b/"), "a/b");
    }

    #[test]
    fn remote_urls_become_convert_guide_urls() {
        assert_eq!(
            remote_url("https://github.com/o/r//guides/x?ref=v1").as_deref(),
            Ok("https://github.com/o/r/tree/v1/guides/x")
        );
        assert_eq!(
            remote_url("github.com/o/r/guides/x?ref=main").as_deref(),
            Ok("https://github.com/o/r/tree/main/guides/x")
        );
        assert_eq!(
            remote_url("https://github.com/o/r.git").as_deref(),
            Ok("https://github.com/o/r/tree/HEAD")
        );
        assert_eq!(
            remote_url("https://example.com/a/deploy.yaml").as_deref(),
            Ok("https://example.com/a/deploy.yaml")
        );
        assert!(remote_url("git@github.com:o/r.git").is_err());
        assert!(remote_url("https://github.com/o/r?timeout=9").is_err());
    }
}

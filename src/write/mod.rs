//! Writing the output files: where they go, what changes, and atomic replacement.
//!
//! Guarantees, each tested (tests/it/writing.rs and below):
//! - **Only inside the output folder.** Files go to `BASE/scenarios/guides/` and
//!   `BASE/experiments/`. The folders on the way are created one by one, never through a
//!   symbolic link that leads out of `BASE` (a link that stays inside is followed); the file
//!   itself is never written through a link. `BASE` itself is the user's choice (`--out`, the
//!   checkout or the current folder) and may be a link.
//! - **Atomic.** The content goes to a temporary file in the same folder, is flushed to disk,
//!   and is renamed over the target: readers see the old file or the new one, never a part.
//!   SIGINT, SIGTERM, SIGHUP and SIGQUIT wait while a file is written and renamed, so an
//!   interrupted run leaves the old file or the new one and no temporary file. (SIGKILL or a
//!   power cut can leave a `.NAME.*.tmp` file beside the target, never a partial target.)
//! - **Both or neither.** A scenario and its experiment are staged (each a flushed temporary
//!   file, plus a hard-link backup of an existing target) before either is renamed; if the
//!   second rename fails, the first target gets its old content back ([`write_all`]).
//! - **Modes like the neighbours'.** A replaced file keeps its permissions; a new one takes
//!   those of the files with the same extension beside it, else the default of the umask.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// An existing file larger than this is not read to show a diff.
const MAX_COMPARED_BYTES: u64 = 64 * 1024 * 1024;

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
    /// The file exists with other content: a unified diff from it to the new content (or
    /// why it cannot be shown).
    Modified(String),
}

/// What writing `new` to `path` (under `base`) would change. Nothing outside `base` is
/// read: a target that [`check`] refuses counts as new (writing it fails with the reason).
pub fn change(base: &Path, path: &Path, new: &str) -> Change {
    let label = path.display().to_string();
    if check(base, path).is_err() {
        return Change::New;
    }
    let meta = match std::fs::symlink_metadata(path) {
        Err(_) => return Change::New,
        Ok(m) => m,
    };
    if meta.len() > MAX_COMPARED_BYTES {
        return Change::Modified(format!(
            "{label}: {} bytes, too large to compare\n",
            meta.len()
        ));
    }
    match std::fs::read(path) {
        Err(e) => Change::Modified(format!("{label}: cannot be read ({e})\n")),
        Ok(old) if old == new.as_bytes() => Change::Unchanged,
        Ok(old) => {
            let old = String::from_utf8_lossy(&old);
            let diff = similar::TextDiff::configure()
                .timeout(std::time::Duration::from_secs(1))
                .diff_lines(old.as_ref(), new);
            Change::Modified(
                diff.unified_diff()
                    .context_radius(3)
                    .header(&label, &label)
                    .to_string(),
            )
        }
    }
}

/// Whether `path` could be written under `base` (see [`write`]), without creating anything.
pub fn check(base: &Path, path: &Path) -> Result<()> {
    let fail = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    check_inside(base, path, false).map_err(fail)?;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(fail(std::io::Error::other(
            "is a symbolic link; refusing to write through it",
        ))),
        Ok(m) if !m.is_file() => Err(fail(std::io::Error::other("is not a regular file"))),
        _ => Ok(()),
    }
}

/// Write `content` to `path`, which must lie under `base`: the folders between them are
/// created without following links out of `base`, then [`write_atomic`].
pub fn write(base: &Path, path: &Path, content: &str) -> Result<()> {
    check_inside(base, path, true).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    write_atomic(path, content)
}

/// Walk from `base` to the folder of `path`: each existing step must be a folder, and a
/// symbolic link only when it resolves inside `base`; missing steps are created (when
/// `create`). `path` must be `base` joined with plain names.
fn check_inside(base: &Path, path: &Path, create: bool) -> std::io::Result<()> {
    let outside = |what: String| std::io::Error::other(what);
    let rel = path
        .strip_prefix(base)
        .map_err(|_| outside(format!("not inside {}", base.display())))?;
    let names: Vec<&std::ffi::OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(n) => Ok(n),
            _ => Err(outside(format!(
                "{} is not a plain path below {}",
                rel.display(),
                base.display()
            ))),
        })
        .collect::<std::io::Result<_>>()?;
    let Some((_, folders)) = names.split_last() else {
        return Err(outside("no file name".into()));
    };
    if create {
        std::fs::create_dir_all(base)?;
    }
    let Ok(real_base) = std::fs::canonicalize(base) else {
        // No base yet (only when not creating): nothing below it exists either.
        return Ok(());
    };
    let mut at = base.to_path_buf();
    for name in folders {
        at.push(name);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let real = std::fs::canonicalize(&at)?;
                if !real.starts_with(&real_base) || !real.is_dir() {
                    return Err(outside(format!(
                        "{} is a symbolic link to {}, outside {}; refusing to follow it",
                        at.display(),
                        real.display(),
                        real_base.display()
                    )));
                }
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(outside(format!("{} is not a folder", at.display())));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create {
                    return Ok(());
                }
                std::fs::create_dir(&at)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Write `content` to `path` atomically: a temporary file in the same folder, flushed, then
/// renamed over the target, so readers see the old file or the new one, never a part.
/// Refuses to write through a symbolic link. See the module documentation.
pub fn write_atomic(path: &Path, content: &str) -> Result<()> {
    commit(&[(path.to_path_buf(), content.to_string())])
}

/// Write a scenario and its experiment (any files under `base`) both or neither: every
/// file is staged (a flushed temporary file beside its target) before any is renamed into
/// place, and when a rename fails the targets already replaced get their old content back
/// (or are removed when they were new). Termination signals wait until the end.
pub fn write_all(base: &Path, files: &[(PathBuf, String)]) -> Result<()> {
    for (path, _) in files {
        check_inside(base, path, true).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
    }
    commit(files)
}

/// A file staged for [`commit`]: its temporary file, and a backup of the old target.
struct Staged {
    tmp: PathBuf,
    backup: Option<PathBuf>,
}

fn commit(files: &[(PathBuf, String)]) -> Result<()> {
    let fail = |path: &Path, source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    for (path, _) in files {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(fail(
                path,
                std::io::Error::other("is a symbolic link; refusing to write through it"),
            ));
        }
    }
    hook::pause("before-write");
    let _quiet = signals::Deferred::new();
    let mut staged: Vec<Staged> = Vec::new();
    let cleanup = |staged: &[Staged]| {
        for s in staged {
            let _ = std::fs::remove_file(&s.tmp);
            if let Some(b) = &s.backup {
                let _ = std::fs::remove_file(b);
            }
        }
    };
    for (path, content) in files {
        match stage(path, content) {
            Ok(s) => staged.push(s),
            Err(e) => {
                cleanup(&staged);
                return Err(fail(path, e));
            }
        }
    }
    hook::pause("before-rename");
    for (k, ((path, _), s)) in files.iter().zip(&staged).enumerate() {
        if k > 0 {
            hook::pause("between-renames");
        }
        if let Err(e) = std::fs::rename(&s.tmp, path) {
            // Put back what was already replaced: both or neither.
            for ((done, _), d) in files.iter().zip(&staged).take(k) {
                match &d.backup {
                    Some(b) => {
                        let _ = std::fs::rename(b, done);
                    }
                    None => {
                        let _ = std::fs::remove_file(done);
                    }
                }
            }
            cleanup(&staged);
            return Err(fail(path, e));
        }
    }
    cleanup(&staged);
    // The renames reach the disk with their folders.
    for (path, _) in files {
        if let Some(dir) = path.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// The temporary file of `path`, written and flushed, and a backup (hard link, else copy) of
/// the existing target so a failed batch can put it back.
fn stage(path: &Path, content: &str) -> std::io::Result<Staged> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let permissions = permissions_for(path);
    let (tmp, mut file) = temp_file(dir, file_name, "tmp")?;
    let written = (|| {
        if let Some(p) = permissions {
            file.set_permissions(p)?;
        }
        file.write_all(content.as_bytes())?;
        file.sync_all()
    })();
    drop(file);
    let backup = match written {
        Ok(()) if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) => {
            backup_of(dir, file_name, path)
        }
        Ok(()) => Ok(None),
        Err(e) => Err(e),
    };
    match backup {
        Ok(backup) => Ok(Staged { tmp, backup }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn backup_of(dir: &Path, file_name: &str, path: &Path) -> std::io::Result<Option<PathBuf>> {
    let (backup, file) = temp_file(dir, file_name, "bak")?;
    drop(file);
    let _ = std::fs::remove_file(&backup);
    if std::fs::hard_link(path, &backup).is_err()
        && let Err(e) = std::fs::copy(path, &backup)
    {
        let _ = std::fs::remove_file(&backup);
        return Err(e);
    }
    Ok(Some(backup))
}

/// A new temporary file `.NAME.PID.N.EXT` beside the target (never an existing one).
fn temp_file(dir: &Path, file_name: &str, ext: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut n = 0u32;
    loop {
        let tmp = dir.join(format!(".{file_name}.{}.{n}.{ext}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// The permissions the file at `path` should have: its own when it exists, else those of
/// a regular file with the same extension in its folder (the first by name), else `None`
/// (the default of the umask).
fn permissions_for(path: &Path) -> Option<std::fs::Permissions> {
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && meta.is_file()
    {
        return Some(meta.permissions());
    }
    let dir = path.parent()?;
    let ext = path.extension();
    let mut siblings: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.extension() == ext)
        .collect();
    siblings.sort();
    siblings.into_iter().find_map(|p| {
        let meta = std::fs::symlink_metadata(&p).ok()?;
        meta.is_file().then(|| masked(meta.permissions()))
    })
}

/// Read, write and execute bits only: no set-id or sticky bit is copied from a neighbour.
#[cfg(unix)]
fn masked(p: std::fs::Permissions) -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(p.mode() & 0o777)
}

#[cfg(not(unix))]
fn masked(p: std::fs::Permissions) -> std::fs::Permissions {
    p
}

/// A test hook, in debug builds only: with `CONVERT_GUIDE_TEST_PAUSE=FOLDER` and
/// `CONVERT_GUIDE_TEST_PAUSE_AT=POINT` the writer stops at that point (`before-write`,
/// `before-rename`, `between-renames`), creates `FOLDER/POINT.reached` and waits for
/// `FOLDER/POINT.go`, so a test can interrupt it at an exact moment (no timing guesses).
mod hook {
    #[cfg(debug_assertions)]
    pub fn pause(point: &str) {
        let Some(dir) = std::env::var_os("CONVERT_GUIDE_TEST_PAUSE") else {
            return;
        };
        if std::env::var_os("CONVERT_GUIDE_TEST_PAUSE_AT").is_none_or(|p| p != point) {
            return;
        }
        let dir = std::path::PathBuf::from(dir);
        if std::fs::write(dir.join(format!("{point}.reached")), "").is_err() {
            return;
        }
        let go = dir.join(format!("{point}.go"));
        // At most ten minutes: a test that never says go must not leave a process behind.
        for _ in 0..120_000 {
            if go.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[cfg(not(debug_assertions))]
    pub fn pause(_point: &str) {}
}

/// Termination signals held back while a file is written and renamed.
mod signals {
    /// While alive, SIGINT, SIGTERM, SIGHUP and SIGQUIT stay pending; dropping it restores
    /// the previous mask, and a pending signal then takes its usual effect.
    pub struct Deferred {
        #[cfg(unix)]
        old: Option<libc::sigset_t>,
    }

    #[cfg(unix)]
    impl Deferred {
        pub fn new() -> Deferred {
            // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it, and
            // pthread_sigmask only reads `set` and writes `old`.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                let mut old: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                    libc::sigaddset(&mut set, s);
                }
                let ok = libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) == 0;
                Deferred {
                    old: ok.then_some(old),
                }
            }
        }
    }

    #[cfg(unix)]
    impl Drop for Deferred {
        fn drop(&mut self) {
            if let Some(old) = self.old {
                // SAFETY: restores the mask saved by `new`.
                unsafe {
                    libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
                }
            }
        }
    }

    #[cfg(not(unix))]
    impl Deferred {
        pub fn new() -> Deferred {
            Deferred {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn atomic_write_replaces_and_reports_changes() {
        let dir = tmp();
        let base = dir.path();
        let path = base.join("scenarios/guides/x.sh");
        assert_eq!(change(base, &path, "a\n"), Change::New);
        write(base, &path, "a\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(change(base, &path, "a\n"), Change::Unchanged);
        match change(base, &path, "b\n") {
            Change::Modified(d) => assert!(d.contains("-a\n+b\n"), "{d}"),
            other => panic!("{other:?}"),
        }
        write(base, &path, "b\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "b\n");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap_or(base))
            .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks() {
        let dir = tmp();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "keep").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.path().join("x.sh");
        std::os::unix::fs::symlink(&outside, &link).unwrap_or_else(|e| panic!("{e}"));
        assert!(write_atomic(&link, "new").is_err());
        assert_eq!(
            std::fs::read_to_string(&outside).unwrap_or_default(),
            "keep"
        );
        assert_eq!(change(dir.path(), &link, "new"), Change::New);
        assert!(
            check(dir.path(), &link)
                .is_err_and(|e| e.to_string().contains("refusing to write through it"))
        );
    }

    #[test]
    fn paths_must_be_plain_and_below_the_base() {
        let dir = tmp();
        let base = dir.path().join("out");
        for bad in [
            dir.path().join("elsewhere/x.sh"),
            base.join("../x.sh"),
            base.clone(),
        ] {
            assert!(write(&base, &bad, "x").is_err(), "{}", bad.display());
        }
    }
}

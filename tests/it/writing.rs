//! Filesystem safety of the binary: writes stay in the output folders, symbolic links out
//! of them are refused, files are replaced atomically (also when the run is interrupted by
//! SIGINT at any moment), and new files take the modes of the files around them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn example() -> PathBuf {
    crate::common::crate_root().join("examples/guides/small-scheduling")
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("convert-guide")
}

/// `convert-guide SOURCE --out OUT ARGS` from an empty folder.
fn run(source: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    let cwd = tmp();
    Command::new(bin())
        .arg(source)
        .arg("--out")
        .arg(out)
        .args(args)
        .current_dir(cwd.path())
        .output()
        .expect("run convert-guide")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn symlinked_folders_leading_out_are_refused_before_anything_is_written() {
    for link in ["scenarios", "scenarios/guides", "experiments"] {
        let (out, outside) = (tmp(), tmp());
        let at = out.path().join(link);
        std::fs::create_dir_all(at.parent().expect("parent")).expect("folders");
        std::os::unix::fs::symlink(outside.path(), &at).expect("symlink");
        let r = run(
            &example(),
            out.path(),
            &[
                "--yes",
                "varying",
                "decode_replicas",
                "from",
                "1",
                "to",
                "2",
            ],
        );
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(6), "{link}: {stderr}");
        assert!(
            stderr.contains("is a symbolic link to") && stderr.contains("refusing to follow it"),
            "{link}: {stderr}"
        );
        assert!(
            files_under(outside.path()).is_empty(),
            "{link}: written outside"
        );
        // Neither file of the pair was written.
        let written: Vec<PathBuf> = files_under(out.path())
            .into_iter()
            .filter(|p| p.is_file() && !p.is_symlink())
            .collect();
        assert!(written.is_empty(), "{link}: {written:?}");
    }
}

#[test]
fn links_that_stay_inside_and_a_linked_output_folder_are_followed() {
    let out = tmp();
    std::fs::create_dir_all(out.path().join("real")).expect("folder");
    std::os::unix::fs::symlink(out.path().join("real"), out.path().join("scenarios"))
        .expect("symlink");
    let r = run(&example(), out.path(), &["--yes"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(out.path().join("real/guides/small-scheduling.sh").is_file());
    // --out itself may be a link: it is the user's choice.
    let (elsewhere, holder) = (tmp(), tmp());
    let link = holder.path().join("out");
    std::os::unix::fs::symlink(elsewhere.path(), &link).expect("symlink");
    let r = run(&example(), &link, &["--yes"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(
        elsewhere
            .path()
            .join("scenarios/guides/small-scheduling.sh")
            .is_file()
    );
}

#[test]
fn a_target_that_is_a_link_is_neither_read_nor_written_through() {
    let (out, outside) = (tmp(), tmp());
    let secret = outside.path().join("secret");
    std::fs::write(&secret, "SECRET=do-not-show\n").expect("write");
    let dir = out.path().join("scenarios/guides");
    std::fs::create_dir_all(&dir).expect("folders");
    std::os::unix::fs::symlink(&secret, dir.join("small-scheduling.sh")).expect("symlink");
    let r = run(&example(), out.path(), &["--yes", "--force"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr),
    );
    assert_eq!(r.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("refusing to write through it"), "{stderr}");
    assert!(!stdout.contains("do-not-show") && !stderr.contains("do-not-show"));
    assert_eq!(
        std::fs::read_to_string(&secret).expect("read"),
        "SECRET=do-not-show\n"
    );
}

#[test]
fn modes_follow_the_file_replaced_or_its_neighbours() {
    let out = tmp();
    let dir = out.path().join("scenarios/guides");
    std::fs::create_dir_all(&dir).expect("folders");
    // A replaced file keeps its mode.
    let target = dir.join("small-scheduling.sh");
    std::fs::write(&target, "old\n").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let r = run(&example(), out.path(), &["--yes", "--force"]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(mode(&target), 0o600);
    assert_ne!(std::fs::read_to_string(&target).expect("read"), "old\n");
    // A new file takes the mode of the scenarios beside it (not their set-id bits).
    let out = tmp();
    let dir = out.path().join("scenarios/guides");
    std::fs::create_dir_all(&dir).expect("folders");
    let neighbour = dir.join("another.sh");
    std::fs::write(&neighbour, "x\n").expect("write");
    std::fs::set_permissions(&neighbour, std::fs::Permissions::from_mode(0o2750)).expect("chmod");
    std::fs::write(dir.join("notes.txt"), "x\n").expect("write");
    let r = run(&example(), out.path(), &["--yes"]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(mode(&dir.join("small-scheduling.sh")), 0o750);
    // Without neighbours: the umask's default, never executable.
    let out = tmp();
    let r = run(&example(), out.path(), &["--yes"]);
    assert_eq!(r.status.code(), Some(0));
    let m = mode(&out.path().join("scenarios/guides/small-scheduling.sh"));
    assert_eq!(m & 0o111, 0, "{m:o}");
    assert_eq!(m & 0o600, 0o600, "{m:o}");
}

/// A guide whose scenario is about 2 MB (a large GAIE plugin configuration), so writing it
/// takes long enough to be interrupted in the middle.
fn large_guide(dir: &Path, flavour: &str) -> PathBuf {
    let root = dir.join("big");
    let plugins: String = (0..30_000)
        .map(|i| format!("      - name: {flavour}-{i}\n        type: some-plugin-type\n"))
        .collect();
    for (rel, text) in [
        (
            "gaie-b/values.yaml",
            format!(
                "inferenceExtension:\n  pluginsConfigFile: big.yaml\n  pluginsCustomConfig:\n    big.yaml: |\n      plugins:\n{plugins}"
            ),
        ),
        (
            "ms-b/values.yaml",
            "modelArtifacts:\n  name: Qwen/Qwen3-0.6B\ndecode:\n  replicas: 1\n".to_string(),
        ),
    ] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("folder")).expect("folders");
        std::fs::write(path, text).expect("write");
    }
    root
}

/// SIGINT at many moments of a run that replaces a 2 MB scenario: half at moments spread
/// over the whole run, half the instant the temporary file appears (in the middle of the
/// write). Every time, the target is exactly the old file or exactly the new one, and no
/// temporary file is left.
#[test]
fn sigint_at_any_moment_leaves_the_old_file_or_the_new_one() {
    let work = tmp();
    let old_guide = large_guide(&work.path().join("old"), "old");
    let new_guide = large_guide(&work.path().join("new"), "new");
    let out = work.path().join("out");
    let target = out.join("scenarios/guides/big.sh");
    let r = run(&old_guide, &out, &["--yes", "-q"]);
    assert_eq!(r.status.code(), Some(0));
    let old = std::fs::read(&target).expect("old scenario");
    let r = run(&new_guide, &out, &["--yes", "--force", "-q", "--dry-run"]);
    assert_eq!(r.status.code(), Some(0));
    // The new content, as a separate run writes it.
    let side = work.path().join("side");
    assert_eq!(
        run(&new_guide, &side, &["--yes", "-q"]).status.code(),
        Some(0)
    );
    let new = std::fs::read(side.join("scenarios/guides/big.sh")).expect("new scenario");
    assert!(old.len() > 1_000_000 && new.len() > 1_000_000 && old != new);

    // How long a run takes, to spread the interrupts over it.
    let started = Instant::now();
    assert_eq!(
        run(&new_guide, &side, &["--yes", "--force", "-q"])
            .status
            .code(),
        Some(0)
    );
    let span = started.elapsed();

    let folder = target.parent().expect("folder").to_path_buf();
    let (mut saw_old, mut saw_new, mut mid_write) = (0, 0, 0);
    let rounds = 24;
    let mut seed: u64 = 0x5eed;
    for round in 0..rounds {
        std::fs::write(&target, &old).expect("restore the old file");
        let mut child = Command::new(bin())
            .arg(&new_guide)
            .arg("--out")
            .arg(&out)
            .args(["--yes", "--force", "-q"])
            .current_dir(work.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let pid = child.id() as libc::pid_t;
        if round % 2 == 0 {
            // A moment spread over the run, jittered.
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let jitter = (seed >> 33) % 1000;
            let at = span.mul_f64((round as f64 + jitter as f64 / 1000.0) / rounds as f64);
            std::thread::sleep(at);
        } else {
            // The instant the temporary file appears.
            let deadline = Instant::now() + 10 * span + Duration::from_secs(2);
            'wait: while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                for e in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                    if e.file_name().to_string_lossy().ends_with(".tmp") {
                        mid_write += 1;
                        break 'wait;
                    }
                }
            }
        }
        // SAFETY: signals a child this test spawned and has not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        let status = child.wait().expect("wait");
        let now = std::fs::read(&target).expect("the target is always there");
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
        } else {
            panic!(
                "round {round} ({status}): a partial file of {} bytes",
                now.len()
            );
        }
        let leftovers: Vec<String> = std::fs::read_dir(&folder)
            .expect("folder")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "big.sh")
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
    eprintln!(
        "SIGINT: {rounds} rounds, {saw_old} left the old file, {saw_new} the new one, {mid_write} interrupted mid-write"
    );
    assert!(
        mid_write >= rounds / 4,
        "too few interrupts landed mid-write: {mid_write}"
    );
    assert!(saw_old > 0, "no interrupt landed before the write");
}

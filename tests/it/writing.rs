//! Filesystem safety of the binary: writes stay in the output folders, symbolic links out
//! of them are refused, files are replaced atomically (also when the run is interrupted by
//! SIGINT at any moment), and new files take the modes of the files around them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

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

/// A run of `convert-guide GUIDE --out OUT --yes --force ARGS` that the writer's test hook
/// (`CONVERT_GUIDE_TEST_PAUSE`, debug builds) stops at `point`: the child, once it has
/// reached the point, and the hook folder.
fn paused_at(
    guide: &Path,
    out: &Path,
    args: &[&str],
    point: &str,
) -> (std::process::Child, tempfile::TempDir) {
    let hook = tmp();
    let mut child = Command::new(bin())
        .arg(guide)
        .arg("--out")
        .arg(out)
        .args(["--yes", "--force", "-q"])
        .args(args)
        .env("CONVERT_GUIDE_TEST_PAUSE", hook.path())
        .env("CONVERT_GUIDE_TEST_PAUSE_AT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let reached = hook.path().join(format!("{point}.reached"));
    // Waits for an event, not for a time: the child creates the file when it gets there.
    while !reached.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("the run ended ({status}) before reaching {point}: {err}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (child, hook)
}

fn go(hook: &tempfile::TempDir, point: &str) {
    std::fs::write(hook.path().join(format!("{point}.go")), "").expect("release the hook");
}

fn leftovers(folder: &Path, keep: &str) -> Vec<String> {
    std::fs::read_dir(folder)
        .expect("folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != keep)
        .collect()
}

/// SIGINT at each moment of a run that replaces a 2 MB scenario, deterministically (the
/// writer's test hook stops it there, so no moment depends on timing): before the write
/// the old file stays; once the new file is staged, the signal waits until it is renamed
/// into place. Every time the target is exactly the old file or exactly the new one, and no
/// temporary file is left.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "drives the writer's test hook, which exists in debug builds only"
)]
fn sigint_at_any_moment_leaves_the_old_file_or_the_new_one() {
    let work = tmp();
    let old_guide = large_guide(&work.path().join("old"), "old");
    let new_guide = large_guide(&work.path().join("new"), "new");
    let out = work.path().join("out");
    let target = out.join("scenarios/guides/big.sh");
    let r = run(&old_guide, &out, &["--yes", "-q"]);
    assert_eq!(r.status.code(), Some(0));
    let old = std::fs::read(&target).expect("old scenario");
    // The new content, as a separate run writes it.
    let side = work.path().join("side");
    assert_eq!(
        run(&new_guide, &side, &["--yes", "-q"]).status.code(),
        Some(0)
    );
    let new = std::fs::read(side.join("scenarios/guides/big.sh")).expect("new scenario");
    assert!(old.len() > 1_000_000 && new.len() > 1_000_000 && old != new);
    let folder = target.parent().expect("folder").to_path_buf();
    for (point, expect_new) in [("before-write", false), ("before-rename", true)] {
        std::fs::write(&target, &old).expect("restore the old file");
        let (mut child, hook) = paused_at(&new_guide, &out, &[], point);
        let pid = child.id() as libc::pid_t;
        // SAFETY: signals a child this test spawned and has not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        go(&hook, point);
        let status = child.wait().expect("wait");
        assert!(!status.success(), "{point}: the signal ended the run");
        let now = std::fs::read(&target).expect("the target is always there");
        assert!(
            now == if expect_new { new.clone() } else { old.clone() },
            "{point}: expected the {} file, got {} bytes",
            if expect_new { "new" } else { "old" },
            now.len()
        );
        assert_eq!(
            leftovers(&folder, "big.sh"),
            Vec::<String>::new(),
            "{point}"
        );
    }
}

/// Issue 13: a scenario and its experiment are written both or neither. The hook stops the
/// run after the scenario is renamed into place; the experiment's target is then made
/// unwritable (a folder), its rename fails, and the scenario gets its old content back.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "drives the writer's test hook, which exists in debug builds only"
)]
fn a_pair_is_written_both_or_neither_even_when_the_second_rename_fails() {
    let out = tmp();
    let sweep = ["varying", "decode_replicas", "from", "1", "to", "2"];
    let mut first = vec!["--yes", "-q"];
    first.extend(sweep);
    let r = run(&example(), out.path(), &first);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let scenario = out.path().join("scenarios/guides/small-scheduling.sh");
    let experiment = out.path().join("experiments/small-scheduling.yaml");
    // Both files differ from what the run writes: the scenario is replaced, the
    // experiment is new.
    let old_scenario = b"# an older scenario\n".to_vec();
    std::fs::write(&scenario, &old_scenario).expect("an older scenario");
    std::fs::remove_file(&experiment).expect("remove the experiment");
    let (child, hook) = paused_at(&example(), out.path(), &sweep, "between-renames");
    // The experiment cannot be renamed over a folder that holds a file.
    std::fs::create_dir_all(experiment.join("x")).expect("a folder in the way");
    go(&hook, "between-renames");
    let r = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("small-scheduling.yaml"), "{stderr}");
    assert_eq!(
        std::fs::read(&scenario).expect("scenario"),
        old_scenario,
        "the scenario was put back"
    );
    assert_eq!(
        leftovers(scenario.parent().expect("folder"), "small-scheduling.sh"),
        Vec::<String>::new()
    );
    assert_eq!(
        leftovers(
            experiment.parent().expect("folder"),
            "small-scheduling.yaml"
        ),
        Vec::<String>::new()
    );
}

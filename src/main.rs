//! The `convert-guide` command: parse arguments, run the library, show, confirm, write.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use convert_guide::convert::{self, Conversion, Outcome, Request, Target};
use convert_guide::emit::v2;
use convert_guide::error::Error;
use convert_guide::experiment::check::{self, Severity};
use convert_guide::experiment::grammar;
use convert_guide::experiment::scenario_text::ScenarioText;
use convert_guide::experiment::{Design, TreatmentList, Variation};
use convert_guide::load::remote::{self, RemoteOptions};
use convert_guide::read::helmfile::Chart;
use convert_guide::write::Change;

mod cli;

use cli::{CheckExperiment, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::CheckExperiment(args)) => check_experiment(args),
        Some(Command::Completions { shell }) => completions(*shell),
        Some(Command::Man) => man_page(),
        None => run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Pipe) => ExitCode::SUCCESS,
        Err(Failure::Error(e)) => {
            eprintln!("error: {}", shown(&e.to_string()));
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}

/// `completions SHELL`: clap_complete's script, written through our error handling (a closed
/// pipe ends quietly instead of panicking inside the generator).
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "convert-guide", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(())
}

/// `man`: the man page, from the same definitions as `--help` (its long form).
fn man_page() -> Result<(), Failure> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    std::io::stdout().lock().write_all(&page)?;
    Ok(())
}

enum Failure {
    Error(Error),
    /// stdout closed (`| head`): stop quietly.
    Pipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::Pipe
        } else {
            Failure::Error(Error::Write {
                path: PathBuf::from("<stdout>"),
                source: e,
            })
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: PathBuf::from("."),
        source,
    })?;
    let request = request(cli, cwd.clone())?;
    if cli.list_variants {
        return list_variants(&request);
    }
    if cli.all {
        return run_all(cli, &request, &cwd);
    }
    let conversion = convert::convert(&request)?;
    let base = cli
        .out
        .clone()
        .or(conversion.bench_dir.clone())
        .unwrap_or(cwd);
    let planned = files(&base, &conversion);
    report(cli, &conversion)?;
    let count = conversion
        .experiment_text
        .as_ref()
        .map_or(0, |_| conversion.experiment.treatment_count());
    let big = cli.max_treatments != 0 && count > cli.max_treatments;
    let changes: Vec<Change> = planned
        .iter()
        .map(|(p, t)| convert_guide::write::change(&base, p, t))
        .collect();
    if !cli.quiet {
        // A closed stdout (`| head`) ends the display, not the run: writing still happens.
        if let Err(e) = show(&conversion, &planned, &changes)
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(e.into());
        }
    }
    if cli.dry_run {
        if !cli.quiet {
            if big {
                eprintln!(
                    "experiment: {count} treatments is more than --max-treatments {}: writing would ask first",
                    cli.max_treatments
                );
            }
            eprintln!("dry run: nothing written");
        }
        return Ok(());
    }
    if changes.iter().all(|c| *c == Change::Unchanged) {
        if !cli.quiet {
            eprintln!("files are up to date: nothing to write");
        }
        return Ok(());
    }
    confirm_and_write(cli, &base, &planned, &changes, (count, big))
}

/// After the display: ask (or check `--yes`, `--max-treatments`, `--force`), then write the
/// scenario and the experiment, both or neither. `treatments`: the experiment's count and
/// whether it is over `--max-treatments`.
fn confirm_and_write(
    cli: &Cli,
    base: &Path,
    planned: &[(PathBuf, String)],
    changes: &[Change],
    (count, big): (usize, bool),
) -> Result<(), Failure> {
    // A target that cannot be written (a link out of the output folder) fails before asking.
    for (path, _) in planned {
        convert_guide::write::check(base, path)?;
    }
    let overwrites: Vec<&Path> = planned
        .iter()
        .zip(changes)
        .filter(|(_, c)| matches!(c, Change::Modified(_)))
        .map(|((p, _), _)| p.as_path())
        .collect();
    if !cli.yes {
        confirm(big.then_some((count, cli.max_treatments)))?;
    } else if big {
        return Err(Error::NotConfirmed(format!(
            "the experiment has {count} treatments, more than --max-treatments {}: nothing written\n  hint: pass --max-treatments {count} (or 0 for no limit) to write it",
            cli.max_treatments
        ))
        .into());
    } else if !overwrites.is_empty() && !cli.force {
        let list: Vec<String> = overwrites.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NotConfirmed(format!(
            "{} already exists with other content: nothing written\n  hint: pass --force to overwrite (the diff is shown above)",
            list.join(" and ")
        ))
        .into());
    }
    // The scenario and the experiment are written both or neither.
    let todo: Vec<(PathBuf, String)> = planned
        .iter()
        .zip(changes)
        .filter(|(_, c)| **c != Change::Unchanged)
        .map(|(f, _)| f.clone())
        .collect();
    convert_guide::write::write_all(base, &todo)?;
    for (path, _) in &todo {
        // The file is written; a closed stdout only loses this line.
        let _ = writeln!(std::io::stdout(), "wrote {}", path.display());
    }
    Ok(())
}

/// The files a conversion writes under `base`: the scenario (and, for v2, its
/// specification), then the experiment if there is one.
fn files(base: &Path, c: &Conversion) -> Vec<(PathBuf, String)> {
    let mut planned = Vec::new();
    match c.target {
        Target::V2 => {
            let [scenario, spec, experiment] = v2::targets(base, &c.name);
            planned.push((scenario, c.scenario_text.clone()));
            if let Some(text) = &c.specification_text {
                planned.push((spec, text.clone()));
            }
            if let Some(text) = &c.experiment_text {
                planned.push((experiment, text.clone()));
            }
        }
        _ => {
            let (scenario, experiment) = convert_guide::write::targets(base, &c.name);
            planned.push((scenario, c.scenario_text.clone()));
            if let Some(text) = &c.experiment_text {
                planned.push((experiment, text.clone()));
            }
        }
    }
    planned
}

/// Text for the terminal: every line with its control and bidirectional characters escaped
/// (messages quote paths, URLs and guide values).
fn shown(text: &str) -> String {
    text.lines()
        .map(convert_guide::error::printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `check-experiment FILE [--scenario S] [--bench-dir D]`: the findings on stdout, one a
/// line, then a summary; exit 8 when there are errors.
fn check_experiment(args: &CheckExperiment) -> Result<(), Failure> {
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: PathBuf::from("."),
        source,
    })?;
    let bench = convert::Bench::locate(args.bench_dir.as_deref(), &cwd)?;
    let read = |path: &Path| -> Result<String, Error> {
        convert_guide::load::source::read_file(path).map_err(|e| match e {
            Error::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::NotFound {
                    path: path.to_path_buf(),
                }
            }
            other => other,
        })
    };
    let text = read(&args.file)?;
    let scenario_text = args.scenario.as_deref().map(read).transpose()?;
    let file_name = args.file.display().to_string();
    let scenario_name = args
        .scenario
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let ctx = check::Context {
        defaults: &bench.defaults,
        catalog: &bench.catalog,
        scenario: scenario_text
            .as_deref()
            .map(|t| ScenarioText::new(&scenario_name, t)),
    };
    let report = check::check(&file_name, &text, &ctx);
    let mut out = std::io::stdout().lock();
    for f in &report.findings {
        writeln!(out, "{f}")?;
    }
    writeln!(out, "{}", report.summary())?;
    out.flush()?;
    let errors = report.count(Severity::Error);
    if errors > 0 {
        return Err(Error::CheckFailed(format!(
            "{file_name}: {errors} error{}: {} would not run this experiment as designed",
            if errors == 1 { "" } else { "s" },
            if report.v2 { "llmdbenchmark" } else { "e2e.sh" }
        ))
        .into());
    }
    Ok(())
}

fn request(cli: &Cli, cwd: PathBuf) -> Result<Request, Error> {
    let clauses = grammar::parse(&cli.words)?;
    if clauses.harness.is_some() && (cli.harness.is_some() || cli.profile.is_some()) {
        return Err(Error::request(
            "option",
            "give the harness either as `with <harness> <profile>` or with --harness/--profile, not both",
        ));
    }
    let mut variations = clauses.variations;
    for spec in &cli.vary {
        variations.push(Variation::parse_flag(spec)?);
    }
    let treatments = match &cli.treatments {
        Some(path) => {
            let text = convert_guide::load::source::read_file(path)?;
            Some(TreatmentList::parse(&path.display().to_string(), &text)?)
        }
        None => None,
    };
    let design = Design::from_args(cli.design.as_deref(), treatments)?;
    Ok(Request {
        design,
        input: cli.source.clone().unwrap_or_default(),
        remote: remote_options(cli)?,
        bench_dir: cli.bench_dir.clone(),
        cwd,
        guide_workload: clauses.guide || cli.workload.is_some(),
        harness: clauses.harness.or(cli.harness.clone()),
        profile: clauses.profile.or(cli.profile.clone()),
        variations,
        name: cli.name.clone(),
        variant: cli.variant.clone(),
        target: match cli.target.as_deref() {
            Some("v2") => Target::V2,
            Some("bash") => Target::Bash,
            _ => Target::Auto,
        },
    })
}

/// `--list-variants`: each variant and the values files it uses.
fn list_variants(request: &Request) -> Result<(), Failure> {
    let opened = convert::open(request)?;
    let rows = convert::list_variants(&opened)?;
    // Overlay names of kustomize guides are longer than helmfile environments.
    let w = rows.iter().map(|(v, _)| v.len()).max().unwrap_or(0).max(16);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<w$} {:<48} GAIE VALUES",
        "VARIANT", "MODELSERVICE VALUES (OR OVERLAY)"
    )?;
    for (variant, used) in rows {
        match used {
            Ok(used) => {
                let of = |chart: Chart| {
                    let files: Vec<&str> = used
                        .iter()
                        .filter(|(c, _)| *c == chart)
                        .map(|(_, f)| f.as_str())
                        .collect();
                    if files.is_empty() {
                        "-".to_string()
                    } else {
                        files.join(", ")
                    }
                };
                writeln!(
                    out,
                    "{variant:<w$} {:<48} {}",
                    of(Chart::ModelService),
                    of(Chart::Gaie)
                )?;
            }
            Err(e) => writeln!(
                out,
                "{variant:<w$} error: {}",
                shown(e.to_string().lines().next().unwrap_or_default())
            )?,
        }
    }
    Ok(())
}

/// `--all`: convert every guide and variant, show a table, then write what converted.
fn run_all(cli: &Cli, request: &Request, cwd: &Path) -> Result<(), Failure> {
    let bench = convert::Bench::locate(cli.bench_dir.as_deref(), cwd)?;
    let items = convert::convert_tree(&request.input, &bench, request)?;
    let base = cli
        .out
        .clone()
        .or(bench.dir.clone())
        .unwrap_or_else(|| cwd.to_path_buf());
    // Per converted variant, its scenario and experiment: written both or neither.
    let (planned, mut failed) = table(&items, &base)?;
    let changes: Vec<Vec<Change>> = planned
        .iter()
        .map(|pair| {
            pair.iter()
                .map(|(p, t)| convert_guide::write::change(&base, p, t))
                .collect()
        })
        .collect();
    let converted = items
        .iter()
        .filter(|i| matches!(i.outcome, Outcome::Converted(_)))
        .count();
    eprintln!(
        "{converted} converted, {failed} failed, {} skipped",
        items.len() - converted - failed
    );
    if !cli.dry_run && changes.iter().flatten().any(|c| *c != Change::Unchanged) {
        failed += write_pairs(cli, &base, &items, &planned, &changes)?;
    }
    if failed > 0 {
        return Err(Error::Batch(format!(
            "{failed} of {} guide variants failed or were not written",
            items.len()
        ))
        .into());
    }
    Ok(())
}

/// The files of one conversion, each with its text: written both or neither.
type Planned = Vec<(PathBuf, String)>;

/// `--all`: the table of every guide variant on stdout; returns, per converted variant, its
/// files, and how many failed.
fn table(items: &[convert::BatchItem], base: &Path) -> std::io::Result<(Vec<Planned>, usize)> {
    let mut planned: Vec<Vec<(PathBuf, String)>> = Vec::new();
    let mut failed = 0;
    let shown_path = |c: &Conversion| {
        let scenario = files(base, c).swap_remove(0).0;
        scenario
            .strip_prefix(base)
            .unwrap_or(&scenario)
            .display()
            .to_string()
    };
    let width = items
        .iter()
        .filter_map(|i| match &i.outcome {
            Outcome::Converted(c) => Some(shown_path(c).len()),
            _ => None,
        })
        .max()
        .unwrap_or(6);
    // Overlay names of kustomize guides are longer than helmfile environments.
    let vwidth = items
        .iter()
        .map(|i| i.variant.len())
        .max()
        .unwrap_or(0)
        .max(14);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<28} {:<vwidth$} {:<width$} {:>6} {:>7} {:>9} {:>8}  NOTES",
        "GUIDE", "VARIANT", "OUTPUT", "MAPPED", "DEFAULT", "FRAMEWORK", "UNMAPPED"
    )?;
    for item in items {
        match &item.outcome {
            Outcome::Converted(c) => {
                let shown = shown_path(c);
                let n = c.scenario.counts;
                let notes = match c.warnings.len() {
                    0 => String::new(),
                    1 => "1 warning".to_string(),
                    k => format!("{k} warnings"),
                };
                writeln!(
                    out,
                    "{:<28} {:<vwidth$} {:<width$} {:>6} {:>7} {:>9} {:>8}  {notes}",
                    item.guide, item.variant, shown, n.mapped, n.defaulted, n.framework, n.unmapped
                )?;
                planned.push(files(base, c));
            }
            Outcome::Failed(e) => {
                failed += 1;
                let first = shown(e.to_string().lines().next().unwrap_or_default());
                writeln!(
                    out,
                    "{:<28} {:<vwidth$} FAILED: {first}",
                    item.guide, item.variant
                )?;
            }
            Outcome::Skipped(why) => writeln!(
                out,
                "{:<28} {:<vwidth$} skipped: {why}",
                item.guide, item.variant
            )?,
        }
    }
    Ok((planned, failed))
}

/// `--all`, after the table: confirm once (the largest experiment decides whether its
/// treatment count needs it), then write each variant's files, both or neither. Returns how
/// many variants were not written.
fn write_pairs(
    cli: &Cli,
    base: &Path,
    items: &[convert::BatchItem],
    planned: &[Planned],
    changes: &[Vec<Change>],
) -> Result<usize, Failure> {
    let mut failed = 0;
    // The largest experiment decides whether the treatment count needs confirming.
    let most = items
        .iter()
        .filter_map(|i| match &i.outcome {
            Outcome::Converted(c) if c.experiment_text.is_some() => {
                Some(c.experiment.treatment_count())
            }
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let big = cli.max_treatments != 0 && most > cli.max_treatments;
    if !cli.yes {
        confirm(big.then_some((most, cli.max_treatments)))?;
    } else if big {
        return Err(Error::NotConfirmed(format!(
            "an experiment has {most} treatments, more than --max-treatments {}: nothing written\n  hint: pass --max-treatments {most} (or 0 for no limit) to write it",
            cli.max_treatments
        ))
        .into());
    }
    for (pair, pair_changes) in planned.iter().zip(changes) {
        let kept: Vec<String> = pair
            .iter()
            .zip(pair_changes)
            .filter(|(_, c)| matches!(c, Change::Modified(_)))
            .map(|((p, _), _)| p.display().to_string())
            .collect();
        if !kept.is_empty() && !cli.force {
            // Both or neither: the other file of the pair is not written either.
            eprintln!(
                "{}: exists with other content; kept, and its pair not written (use --force)",
                kept.join(" and ")
            );
            failed += 1;
            continue;
        }
        let todo: Vec<(PathBuf, String)> = pair
            .iter()
            .zip(pair_changes)
            .filter(|(_, c)| **c != Change::Unchanged)
            .map(|(f, _)| f.clone())
            .collect();
        if todo.is_empty() {
            continue;
        }
        // One pair that cannot be written is reported; the others are still written.
        match convert_guide::write::write_all(base, &todo) {
            Ok(()) => {
                for (path, _) in &todo {
                    let _ = writeln!(std::io::stdout(), "wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("error: {}", shown(&e.to_string()));
                failed += 1;
            }
        }
    }
    Ok(failed)
}

/// Fetching options for a guide given by URL. The token comes from the environment only, so
/// it never appears in a command line (shell history, process list).
fn remote_options(cli: &Cli) -> Result<RemoteOptions, Error> {
    let timeout = Duration::try_from_secs_f64(cli.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            Error::request(
                "option",
                format!(
                    "--timeout {}: expected a positive number of seconds",
                    cli.timeout
                ),
            )
        })?;
    Ok(RemoteOptions {
        github_api: cli.github_api.clone(),
        github_raw: cli.github_raw.clone(),
        cache_dir: cli.cache_dir.clone().or_else(remote::default_cache_dir),
        offline: cli.offline,
        quiet: cli.quiet,
        token: std::env::var("GITHUB_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty()),
        timeout,
        budget: remote::Budget::new(),
    })
}

/// The one-line summary and the warnings, on stderr.
fn report(cli: &Cli, c: &Conversion) -> Result<(), Failure> {
    let mut err = std::io::stderr().lock();
    for w in &c.warnings {
        writeln!(
            err,
            "{}: {}",
            w.severity,
            convert_guide::emit::bash::comment(&w.plain().to_string()).trim_start_matches("# ")
        )?;
    }
    if !cli.quiet {
        writeln!(err, "{}: {}", c.name, c.scenario.counts)?;
        if c.experiment_text.is_none() {
            writeln!(err, "no variations given: no experiment file")?;
        } else {
            writeln!(err, "experiment: {}", c.experiment.describe_count())?;
        }
    }
    Ok(())
}

fn show(c: &Conversion, planned: &[(PathBuf, String)], changes: &[Change]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let titles: &[&str] = match c.target {
        Target::V2 if c.specification_text.is_some() => {
            &["Scenario", "Specification", "Experiment"]
        }
        _ => &["Scenario", "Experiment"],
    };
    for (((path, text), change), title) in planned.iter().zip(changes).zip(titles) {
        writeln!(out, "=== Generated {title} File ===")?;
        writeln!(out, "File: {}", path.display())?;
        match change {
            Change::New => writeln!(out, "\n{text}")?,
            Change::Unchanged => writeln!(out, "(unchanged)\n")?,
            Change::Modified(diff) => writeln!(out, "(exists; changes below)\n\n{diff}")?,
        }
    }
    if c.experiment_text.is_none() {
        writeln!(out, "=== No Experiment File (no variations given) ===\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Ask on the terminal; without one, refuse (scripts pass --yes). `big`: the treatment
/// count and the limit it exceeds, said in the question.
fn confirm(big: Option<(usize, usize)>) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NotConfirmed(
            "standard input is not a terminal, so nobody can confirm: nothing written\n  hint: pass --yes to write, or --dry-run to only show".into(),
        )
        .into());
    }
    if let Some((count, limit)) = big {
        eprintln!(
            "The experiment has {count} treatments (more than --max-treatments {limit}); each setup treatment is a stand-up."
        );
    }
    eprint!("Would you like me to write these files? (yes/no) ");
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Error::NotConfirmed("not confirmed: nothing written".into()).into()),
    }
}

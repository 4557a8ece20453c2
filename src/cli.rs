//! The command line: arguments, subcommands and the help texts (`-h` short, `--help` long).

use std::path::PathBuf;

use clap::Parser;
use convert_guide::load::remote;

/// After `-h`: a few examples and where the rest is.
pub(crate) const SHORT_HELP: &str = "\
Examples:
  convert-guide guides/inference-scheduling
  convert-guide guides/inference-scheduling varying decode_replicas from 1 to 4
  convert-guide guides/inference-scheduling --list-variants
  convert-guide check-experiment experiments/x.yaml \\
      --scenario scenarios/guides/x.sh

More examples, the words after the source, designs and exit codes: --help";

/// After `--help`. Every line fits 80 columns, so clap never wraps a command in two; a long
/// command continues on the next line after ` \`, as a shell reads it.
pub(crate) const LONG_HELP: &str = "\
Examples:
  convert-guide guides/inference-scheduling
  convert-guide https://github.com/llm-d/llm-d/tree/main/guides/x
  convert-guide guides/x with inference-perf shared_prefix_synthetic
  convert-guide guides/inference-scheduling varying decode_replicas from 1 to 4
  convert-guide guides/x varying max_model_len from 4096 to 16384 by 4096
  convert-guide guides/x --harness guidellm --profile chatbot_synthetic \\
      --vary max_model_len=8192,16384 --yes
  convert-guide guides/inference-scheduling --list-variants
  convert-guide guides/x --variant xpu        # writes x.xpu.sh
  convert-guide guides --all --yes            # every guide and variant
  convert-guide guides/x varying max_num_seqs from 16 to 256 doubling \\
      varying decode_replicas over 1,2,4 --design ofat
  convert-guide guides/x varying decode_replicas over 1,2,4 \\
      varying max_model_len over 8192,16384 --treatments mine.txt
  convert-guide check-experiment experiments/x.yaml \\
      --scenario scenarios/guides/x.sh
  convert-guide completions zsh > ~/.zfunc/_convert-guide
  convert-guide man > ~/.local/share/man/man1/convert-guide.1

Words after the source (combine freely):
  with <harness> [<profile>]
      load generator and workload profile
  with guide
      the guide's own benchmark (its template)
  varying <param> from <start> to <end> [by <step>]
      a swept factor (integers: step 1 by default)
  varying <param> from <start> to <end> doubling
      a swept factor: start, 2 x start, ... up to end
  varying <param> over <v1,v2,...>
      a swept factor with listed levels

Parameters: friendly names (decode_replicas, prefill_replicas,
decode_tensor_parallelism, max_model_len, block_size, gpu_memory_utilization,
gaie_plugins, ...) and LLMDBENCH_* variables are setup factors; keys of the
workload profile (question_len, output_len, num_groups, max-concurrency,
num-prompts, rate, ...) are run factors. Levels of a known parameter must have
its type and range (decode_replicas: whole numbers >= 1;
gpu_memory_utilization: above 0, at most 1; ...); docs/experiments.md lists
them.

Designs (--design): full (default; every combination); ofat (one factor at a
time: a center treatment at the guide's own values, then each other level of one
factor at a time); list (--treatments FILE: one treatment a line,
`[name:] v1,v2,...` in the order the factors were given, NA where a factor does
not apply). The treatment count is shown before writing; above --max-treatments
(default 50) the question says so, and --yes refuses (exit 5) unless
--max-treatments is raised (0: no limit).

Exit codes:
  0  files written, or shown with --dry-run
  2  bad command line (unknown flag, harness, profile or parameter; malformed
     or unsupported URL)
  3  the source does not exist (a URL: HTTP 404) or holds no guide values
  4  a file cannot be used: the guide (invalid YAML, unreadable file, too large,
     over a limit, not YAML, a values file or overlay it names is missing), a
     --treatments file, an llm-d-benchmark checkout without profiles
  5  nothing written: not confirmed, no terminal to ask on, or a file exists
     (use --force)
  6  writing failed
  7  network: the guide could not be fetched (or, with --offline, is not cached)
  8  check-experiment found errors (printed one `file:line: error: ...` a line)
  9  --all: some guide variants failed (the others were converted and written)";

/// Turn an llm-d guide into an llm-d-benchmark scenario (and, with variations, an experiment).
#[derive(Parser, Debug)]
#[command(
    name = "convert-guide",
    version,
    after_help = SHORT_HELP,
    after_long_help = LONG_HELP,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    /// Guide folder (holding ms-*/values.yaml, gaie-*/values.yaml, helmfile.yaml.gotmpl) or a values file, or its URL (github.com tree/blob, raw.githubusercontent.com, https://.../values.yaml).
    #[arg(required = true)]
    pub(crate) source: Option<PathBuf>,

    /// `with <harness> <profile>`, `with guide`, `varying <param> from <a> to <b> [by <s>]`,
    /// `varying <param> over <list>`.
    #[arg(value_name = "WORDS", allow_negative_numbers = true)]
    pub(crate) words: Vec<String>,

    /// Harness (load generator): inference-perf, guidellm, vllm-benchmark, nop, ...
    #[arg(long)]
    pub(crate) harness: Option<String>,

    /// Workload profile of the harness (`.yaml` optional). Default: sanity_random.
    #[arg(long)]
    pub(crate) profile: Option<String>,

    /// `guide`: the guide's own benchmark, as the words `with guide` (its template's harness,
    /// the closest profile, its workload parameters).
    #[arg(hide_short_help = true, long, value_name = "WORKLOAD", value_parser = ["guide"], conflicts_with_all = ["harness", "profile"])]
    pub(crate) workload: Option<String>,

    /// A swept factor: PARAM=V1,V2,... or PARAM=START..END or PARAM=START..END/STEP. Repeatable.
    #[arg(hide_short_help = true, long, value_name = "PARAM=VALUES")]
    pub(crate) vary: Vec<String>,

    /// llm-d-benchmark checkout (default: search upward from the current folder for setup/env.sh).
    #[arg(long, value_name = "DIR")]
    pub(crate) bench_dir: Option<PathBuf>,

    /// Write under DIR/scenarios/guides and DIR/experiments instead of the checkout.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    /// Name of the output files (default: derived from the source).
    #[arg(long)]
    pub(crate) name: Option<String>,

    /// Write without asking.
    #[arg(short = 'y', long)]
    pub(crate) yes: bool,

    /// Show the files and write nothing.
    #[arg(short = 'n', long)]
    pub(crate) dry_run: bool,

    /// Overwrite existing files that differ.
    #[arg(long)]
    pub(crate) force: bool,

    /// Print only errors and the paths written.
    #[arg(short, long)]
    pub(crate) quiet: bool,

    /// The guide's variant: a helmfile environment (xpu, cpu, gke, ...). Default: default.
    #[arg(long, value_name = "NAME")]
    pub(crate) variant: Option<String>,

    /// List the guide's variants with the values files each one uses, and exit.
    #[arg(long, conflicts_with_all = ["variant", "all"])]
    pub(crate) list_variants: bool,

    /// Convert every guide under SOURCE (a guides folder, or one guide) and every variant.
    #[arg(long)]
    pub(crate) all: bool,

    /// Scenario format: v2 (YAML) or bash (default: what the checkout reads).
    ///
    /// Default: v2 for a checkout with config/templates/values/defaults.yaml (llm-d-benchmark
    /// from 2026-03-30), else bash (also without a checkout).
    #[arg(long, value_name = "FORMAT", value_parser = ["v2", "bash"])]
    pub(crate) target: Option<String>,
    /// GitHub REST API base (GitHub Enterprise: https://HOST/api/v3).
    #[arg(hide_short_help = true, long, value_name = "URL", env = "CONVERT_GUIDE_GITHUB_API", default_value = remote::DEFAULT_GITHUB_API)]
    pub(crate) github_api: String,

    /// Base of raw file URLs (GitHub Enterprise: https://HOST/raw).
    #[arg(hide_short_help = true, long, value_name = "URL", env = "CONVERT_GUIDE_GITHUB_RAW", default_value = remote::DEFAULT_GITHUB_RAW)]
    pub(crate) github_raw: String,

    /// Keep guides fetched from GitHub here, by commit (default: convert-guide in the user's cache folder).
    #[arg(hide_short_help = true, long, value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,

    /// Convert a GitHub guide from the cache only, without network access.
    #[arg(hide_short_help = true, long)]
    pub(crate) offline: bool,

    /// Seconds one request may take, body included (connecting: at most 10).
    #[arg(
        hide_short_help = true,
        long,
        value_name = "SECONDS",
        default_value_t = 30.0
    )]
    pub(crate) timeout: f64,

    /// How treatments are chosen: full (every combination), ofat (one factor at a time around the guide's values), list (with --treatments).
    #[arg(hide_short_help = true, long, value_name = "DESIGN")]
    pub(crate) design: Option<String>,

    /// The treatments to run, one a line: `[name:] v1,v2,...` in the order the factors were given (implies --design list).
    #[arg(hide_short_help = true, long, value_name = "FILE")]
    pub(crate) treatments: Option<PathBuf>,

    /// Ask (or, with --yes, refuse) when the experiment has more treatments than this; 0: no limit.
    #[arg(hide_short_help = true, long, value_name = "N", default_value_t = 50)]
    pub(crate) max_treatments: usize,
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum Command {
    /// Check an experiment file: treatments against levels, factors against setup/env.sh,
    /// the workload profile and the scenario.
    CheckExperiment(CheckExperiment),
    /// Print a shell completion script on stdout (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    Man,
}

#[derive(clap::Args, Debug)]
pub(crate) struct CheckExperiment {
    /// The experiment file (YAML with setup/run sections).
    pub(crate) file: PathBuf,
    /// The scenario the experiment runs with.
    #[arg(long, value_name = "FILE")]
    pub(crate) scenario: Option<PathBuf>,
    /// llm-d-benchmark checkout (default: search upward from the current folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) bench_dir: Option<PathBuf>,
}

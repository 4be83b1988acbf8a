//! The command line. Each subcommand is a thin call into the library; the
//! arguments live here, the work in [`crate::commands`].
//!
//! Exit codes, the same in every command (README, "Exit codes"): 0
//! success, 1 the command ran and found a problem (an invalid chat file, an
//! unhealthy daemon), 2 a usage error (clap's own, or a chat or account
//! argument that names nothing: [`commands::UsageError`]), 3 the command
//! could not run (unreadable settings, no state database).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;
use crate::text::PlatformKind;

#[derive(Debug, Parser)]
#[command(
    name = "tweetchat",
    version,
    about = "Hosts scheduled tweet chats on X, Mastodon and Bluesky"
)]
pub struct Cli {
    /// Settings directory holding default.toml and local.toml.
    #[arg(
        long,
        global = true,
        env = "TWEETCHAT_CONFIG_DIR",
        default_value = "config"
    )]
    pub config_dir: PathBuf,
    /// Read `NAME=value` lines from this file (a systemd EnvironmentFile or
    /// a Compose env_file) over the process environment, as the service does.
    #[arg(long, global = true, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// The schema of a session file (`chats/NAME/DATE.yaml`) instead.
    #[arg(long)]
    pub session: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: post every chat in the chats folder on schedule.
    Run(RunArgs),
    /// Validate chat files (default: the chats folder). Exit 0 valid, 1 invalid.
    Check(CheckArgs),
    /// Show every upcoming post with its instant, text and length.
    Plan(PlanArgs),
    /// Run one chat's whole timeline now, accelerated, on the console.
    Rehearse(RehearseArgs),
    /// Count a text as a platform counts it, and show the limit.
    Count(CountArgs),
    /// Upcoming slots and recent results from the state database.
    Status(StatusArgs),
    /// Write a chat's calendar (.ics), the file the daemon serves at /chats/CHAT.ics.
    Calendar(CalendarArgs),
    /// Rebuild one occurrence's transcript (JSON, Markdown, HTML).
    Transcript(TranscriptArgs),
    /// Call the daemon's /healthz; exit 0 healthy, 1 not (for HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
    /// Print the JSON Schema of the chat file (or, with --session, of a
    /// session file `chats/NAME/DATE.yaml`).
    Schema(SchemaArgs),
    /// Authorize an account once and store its tokens in the state database.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Manage the state database (copy SQLite's state into PostgreSQL).
    #[command(subcommand)]
    Store(StoreCommand),
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy the SQLite state in `state_dir` into an empty PostgreSQL
    /// database, for several replicas. Stop the daemon first. Running it
    /// again with the same state is harmless; a target holding other
    /// state is refused.
    Migrate(StoreMigrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct StoreMigrateArgs {
    /// The target, `postgres://USER@HOST:5432/DATABASE` (`?sslmode=require`
    /// for TLS); default: the `[store] url` setting.
    #[arg(long)]
    pub to: Option<String>,
    /// A file holding the target's password (default: `[store]
    /// password_file`, or the password in the URL).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// State folder to copy from (overrides the `state_dir` setting).
    #[arg(long)]
    pub state: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// OAuth 2.0 (PKCE) for an X account with a `client_id`: prints the
    /// address to open, takes the code, stores the rotating tokens.
    X(AuthXArgs),
}

#[derive(Debug, clap::Args)]
pub struct AuthXArgs {
    /// The account (default: the only X account with a `client_id`).
    #[arg(long)]
    pub account: Option<String>,
    /// Do not listen for the browser's redirect; paste the address the
    /// browser ends up on (or just its code) instead.
    #[arg(long)]
    pub no_browser_callback: bool,
    /// The callback registered for the app in X's developer portal; must be
    /// http on a loopback address to be listened on.
    #[arg(long, default_value = "http://127.0.0.1:8765/callback")]
    pub redirect_uri: String,
    /// State folder (overrides the `state_dir` setting).
    #[arg(long)]
    pub state: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Chats folder (overrides the `chats_dir` setting).
    #[arg(long)]
    pub chats: Option<PathBuf>,
    /// State folder (overrides the `state_dir` setting).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Start although state.db is not the state this folder last had
    /// (emptied, replaced or restored from an older copy): every post still
    /// inside its grace window is looked up on its platform before it is
    /// posted.
    #[arg(long)]
    pub accept_state_change: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Chat files or folders, or chat ids (`hcsmbm` for `chats/hcsmbm.yaml`);
    /// default: the `chats_dir` setting.
    pub paths: Vec<PathBuf>,
    /// Also list every setting that a file or a variable sets over the
    /// defaults, and where each came from.
    #[arg(long)]
    pub settings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Chat files or folders, or chat ids (`hcsmbm` for `chats/hcsmbm.yaml`);
    /// default: the `chats_dir` setting.
    pub paths: Vec<PathBuf>,
    /// From this instant (RFC 3339, `2027-01-13T18:00:00Z`) or local date
    /// (`2027-01-13`, in each chat's zone); default: now.
    #[arg(long)]
    pub from: Option<String>,
    /// Until this instant or local date (exclusive); default: 8 days after --from.
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct RehearseArgs {
    /// Chat id (file name without .yaml) or path to a chat file.
    pub chat: String,
    /// How many times faster than real time.
    #[arg(long, default_value_t = 60.0)]
    pub speed: f64,
}

#[derive(Debug, clap::Args)]
pub struct CountArgs {
    /// Whose counting rules and limit apply.
    #[arg(long, value_parser = counted_platform())]
    pub platform: PlatformKind,
    /// The text to count (quote it).
    pub text: String,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// State folder (overrides the `state_dir` setting).
    #[arg(long)]
    pub state: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct TranscriptArgs {
    /// Chat id (file name without .yaml) or path to a chat file.
    pub chat: String,
    /// Local date of the occurrence (`2026-12-02`); default: the latest one
    /// with a saved search.
    #[arg(long, value_parser = parse_date)]
    pub date: Option<jiff::civil::Date>,
    /// Search the platform again instead of rebuilding from the saved search.
    #[arg(long)]
    pub refetch: bool,
    /// State folder (overrides the `state_dir` setting).
    #[arg(long)]
    pub state: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// Chat id (file name without .yaml) or path to a chat file.
    pub chat: String,
    /// Write the file here instead of to standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Chats folder (overrides the `chats_dir` setting).
    #[arg(long)]
    pub chats: Option<PathBuf>,
    /// State folder, where the calendar's version is kept (overrides the `state_dir` setting).
    #[arg(long)]
    pub state: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// Address of the daemon's HTTP listener; default: the `http.listen` setting.
    #[arg(long)]
    pub url: Option<String>,
}

/// The platforms `count` measures, listed in `--help` and in the error for
/// any other value.
fn counted_platform() -> impl clap::builder::TypedValueParser<Value = PlatformKind> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(["x", "mastodon", "bluesky"])
        .map(|name| name.parse::<PlatformKind>().unwrap_or(PlatformKind::X))
}

fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    s.parse()
        .map_err(|err| format!("expected a date such as 2026-12-02: {err}"))
}

/// Parses the command line and runs it; prints errors with their whole chain.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code,
        // `tweetchat plan | head`: the reader has all it wanted.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<commands::UsageError>().is_some() => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(3)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|json| json.io_error_kind() == Some(BrokenPipe))
    })
}

//! One file per subcommand: load what it needs, call the library, print.

pub mod auth;
pub mod calendar;
pub mod check;
pub mod count;
pub mod healthcheck;
pub mod plan;
pub mod rehearse;
pub mod run;
pub mod schema;
pub mod status;
pub mod transcript;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let config_dir = cli.config_dir;
    match cli.command {
        Command::Run(args) => run::run(&config_dir, args),
        Command::Check(args) => check::run(&config_dir, args),
        Command::Calendar(args) => calendar::run(&config_dir, args),
        Command::Plan(args) => plan::run(&config_dir, args),
        Command::Rehearse(args) => rehearse::run(&config_dir, args),
        Command::Count(args) => count::run(args),
        Command::Status(args) => status::run(&config_dir, args),
        Command::Transcript(args) => transcript::run(&config_dir, args),
        Command::Healthcheck(args) => healthcheck::run(&config_dir, args),
        Command::Schema => schema::run(),
        Command::Auth(command) => auth::run(&config_dir, command),
    }
}

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

use std::path::{Path, PathBuf};
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
        Command::Schema(args) => schema::run(args),
        Command::Auth(command) => auth::run(&config_dir, command),
    }
}

/// The chat files or folders a command was given, or `chats_dir` when none.
/// A bare name that is not a file but names a chat in `chats_dir`
/// (`tweetchat plan hcsmbm`, as `status` and `rehearse` take it) is that
/// chat's file; anything else is passed on as written, so a missing path is
/// still reported by the loader.
pub fn chat_paths(paths: Vec<PathBuf>, chats_dir: &Path) -> Vec<PathBuf> {
    if paths.is_empty() {
        return vec![chats_dir.to_path_buf()];
    }
    paths
        .into_iter()
        .map(|path| {
            let bare = path.components().count() == 1 && path.extension().is_none();
            if !bare || path.exists() {
                return path;
            }
            ["yaml", "yml"]
                .iter()
                .map(|ext| chats_dir.join(&path).with_extension(ext))
                .find(|file| file.is_file())
                .unwrap_or(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_id_names_its_file_in_the_chats_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("edchat.yml"), "").unwrap();
        std::fs::write(dir.path().join("hcsmbm.yaml"), "").unwrap();
        let paths =
            |args: &[&str]| chat_paths(args.iter().map(PathBuf::from).collect(), dir.path());
        assert_eq!(paths(&[]), [dir.path().to_path_buf()]);
        assert_eq!(
            paths(&["hcsmbm", "edchat"]),
            [
                dir.path().join("hcsmbm.yaml"),
                dir.path().join("edchat.yml")
            ]
        );
        // Not a chat there: left as written for the loader to report.
        assert_eq!(paths(&["nochat"]), [PathBuf::from("nochat")]);
        assert_eq!(paths(&["other/hcsmbm"]), [PathBuf::from("other/hcsmbm")]);
    }
}

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
pub mod store;
pub mod transcript;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// A mistake in the command line found after parsing (a chat that does not
/// exist, an account not in the settings): exit 2, as clap's own usage
/// errors, in every command.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A [`UsageError`] as an `anyhow::Error`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

/// One chat argument, as every command takes it: a path to a chat file
/// (`chats/hcsmbm.yaml`), or a chat id (`hcsmbm`) naming
/// `chats_dir/ID.yaml` (or `.yml`). Neither is a usage error.
pub fn chat_file(chat: &str, chats_dir: &Path) -> anyhow::Result<PathBuf> {
    let given = PathBuf::from(chat);
    if given.is_file() {
        return Ok(given);
    }
    let plain = !chat.is_empty() && !chat.contains(['/', '\\', '\0']) && chat != "..";
    if plain {
        // `hcsmbm`, or its file name `hcsmbm.yaml` in the chats folder.
        let names = [
            format!("{chat}.yaml"),
            format!("{chat}.yml"),
            chat.to_string(),
        ];
        for name in names {
            let candidate = chats_dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(usage(format!(
        "no chat `{chat}`: expected a chat file path or a chat id such as hcsmbm (for {}/hcsmbm.yaml)",
        chats_dir.display()
    )))
}

/// The chat id of a chat argument: a path's file name without `.yaml` /
/// `.yml`, or the id as given.
pub fn chat_id(chat: &str) -> String {
    let path = Path::new(chat);
    let is_file_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    match path.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if is_file_name => stem.to_string(),
        _ => chat.to_string(),
    }
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let config_dir = cli.config_dir;
    if let Some(path) = &cli.env_file {
        crate::settings::env_file::use_env_file(path)?;
    }
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
        Command::Store(command) => store::run(&config_dir, command),
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
    fn a_chat_argument_is_a_path_or_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hcsmbm.yaml");
        std::fs::write(&file, "").unwrap();
        let path = file.display().to_string();
        assert_eq!(chat_file("hcsmbm", dir.path()).unwrap(), file);
        assert_eq!(chat_file(&path, Path::new("elsewhere")).unwrap(), file);
        assert_eq!(chat_file("hcsmbm.yaml", dir.path()).unwrap(), file);
        let err = chat_file("nochat", dir.path()).unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some(), "{err:#}");
        assert_eq!(chat_id(&path), "hcsmbm");
        assert_eq!(chat_id("hcsmbm"), "hcsmbm");
    }

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

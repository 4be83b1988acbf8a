//! A located problem in a chat file, printed the way compilers print them:
//! `chats/x.yaml:8:5: unknown field `txt`` followed by what to write instead.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one file. Lines and columns are 1-based; `0` means the
/// problem concerns the file as a whole (unreadable, duplicate id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// What is wrong, lowercase, concrete.
    pub message: String,
    /// What to write instead, when there is something to say.
    pub help: Option<String>,
    /// A warning: the file loads and runs, but probably not as meant.
    pub warning: bool,
}

impl Diagnostic {
    pub fn new(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            help: None,
            warning: false,
        }
    }

    /// The same problem as a warning: reported, but the plan still loads.
    pub fn warning(mut self) -> Self {
        self.warning = true;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.warning { "warning: " } else { "" };
        if self.line == 0 {
            write!(f, "{}: {kind}{}", self.path.display(), self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {kind}{}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_a_compiler_and_file_level_without_position() {
        let located = Diagnostic::new(Path::new("chats/a.yaml"), 8, 5, "unknown key `txt`")
            .help("did you mean `text`?");
        assert_eq!(
            located.to_string(),
            "chats/a.yaml:8:5: unknown key `txt`\n  help: did you mean `text`?"
        );
        let file = Diagnostic::new(
            Path::new("chats/a.yml"),
            0,
            0,
            "chat id `a` is already used",
        );
        assert_eq!(file.to_string(), "chats/a.yml: chat id `a` is already used");
        let warning = Diagnostic::new(Path::new("chats/a.yaml"), 3, 11, "`EST` never changes")
            .help("write `America/New_York`")
            .warning();
        assert_eq!(
            warning.to_string(),
            "chats/a.yaml:3:11: warning: `EST` never changes\n  help: write `America/New_York`"
        );
    }
}

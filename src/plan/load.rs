//! Reading chat files from disk.
//!
//! Each file is read, parsed and validated on its own, so one bad file never
//! hides the others; across files the only rule is that chat ids (file names
//! without `.yaml`/`.yml`) are unique, because they key every post.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::raw::Reader;
use super::{ChatPlan, Diagnostic, node, validate};

/// What loading a set of paths found: the good plans and every problem.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub plans: Vec<ChatPlan>,
    pub errors: Vec<Diagnostic>,
    /// Chat files looked at.
    pub files: usize,
}

impl LoadReport {
    /// Files that had at least one problem.
    pub fn invalid_files(&self) -> usize {
        let mut paths: Vec<&Path> = self.errors.iter().map(|d| d.path.as_path()).collect();
        paths.sort();
        paths.dedup();
        paths.len()
    }
}

/// Loads one file: the plan, or every problem in it.
pub fn load_file(path: &Path) -> Result<ChatPlan, Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|err| {
        vec![
            Diagnostic::new(path, 0, 0, format!("cannot read the chat file: {err}"))
                .help("check the path and its permissions"),
        ]
    })?;
    let src = String::from_utf8(bytes).map_err(|err| {
        let (line, column) = super::templates::line_column(
            &String::from_utf8_lossy(err.as_bytes()),
            err.utf8_error().valid_up_to(),
        );
        vec![
            Diagnostic::new(path, line, column, "the chat file is not valid UTF-8")
                .help("save the file as UTF-8"),
        ]
    })?;
    load_str(path, &src)
}

/// Parses and validates `src` as if read from `path`.
pub fn load_str(path: &Path, src: &str) -> Result<ChatPlan, Vec<Diagnostic>> {
    let root = node::parse(src).map_err(|(loc, message)| {
        vec![
            Diagnostic::new(path, loc.line.max(1), loc.column.max(1), format!("invalid YAML: {message}"))
                .help("fix the YAML syntax here (indentation, quotes, `key: value`); quote text that contains `: ` or starts with `#`"),
        ]
    })?;
    let mut reader = Reader::new(path, src);
    let raw = reader.chat(&root);
    validate::build(reader, &raw, &chat_id(path))
}

/// The chat id: the file name without its extension.
pub fn chat_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_chat_file(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Chat files directly in `dir`, in name order.
fn chat_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        Diagnostic::new(dir, 0, 0, format!("cannot read the chats folder: {err}"))
            .help("check the path, or pass chat files explicitly")
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_chat_file(p))
        .collect();
    files.sort();
    Ok(files)
}

/// Loads every `*.yaml`/`*.yml` directly in `dir`, in name order.
pub fn load_dir(dir: &Path) -> LoadReport {
    load_paths(&[dir.to_path_buf()])
}

/// Loads files and directories; reports duplicate chat ids across them.
pub fn load_paths(paths: &[PathBuf]) -> LoadReport {
    let mut report = LoadReport::default();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            match chat_files(path) {
                Ok(found) => files.extend(found),
                Err(diag) => report.errors.push(diag),
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            report.errors.push(
                Diagnostic::new(path, 0, 0, "no such file or folder")
                    .help("pass a chat file (`chats/NAME.yaml`) or a folder of them"),
            );
        }
    }
    dedup_same_file(&mut files);
    let mut first_by_id: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        report.files += 1;
        let id = chat_id(&file);
        if let Some(first) = first_by_id.get(&id) {
            report.errors.push(
                Diagnostic::new(
                    &file,
                    0,
                    0,
                    format!("chat id `{id}` is already used by {}", first.display()),
                )
                .help("rename one of the files: the file name is the chat's id"),
            );
            continue;
        }
        first_by_id.insert(id, file.clone());
        match load_file(&file) {
            Ok(plan) => report.plans.push(plan),
            Err(diags) => report.errors.extend(diags),
        }
    }
    report
}

/// The same file named twice (`chats/` and `chats/a.yaml`) is one file.
fn dedup_same_file(files: &mut Vec<PathBuf>) {
    let mut seen = Vec::new();
    files.retain(|f| {
        let key = f.canonicalize().unwrap_or_else(|_| f.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
}

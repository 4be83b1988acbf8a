//! Reading chat files from disk.
//!
//! Each file is read, parsed and validated on its own, so one bad file never
//! hides the others; across files the only rule is that chat ids (file names
//! without `.yaml`/`.yml`) are unique, because they key every post.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::raw::{At, RawSession, Reader};
use super::season::SessionFile;
use super::{ChatPlan, Diagnostic, PlanSpans, bounds, node, validate};

/// What loading a set of paths found: the good plans and every problem.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub plans: Vec<ChatPlan>,
    pub errors: Vec<Diagnostic>,
    /// Problems that did not stop a plan from loading (YAML traps, zone
    /// abbreviations, a repeated hashtag …).
    pub warnings: Vec<Diagnostic>,
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
    load_file_spanned(path).map(|(plan, _)| plan)
}

/// [`load_file`], and where each text sits in the file (for `check`).
pub fn load_file_spanned(path: &Path) -> Result<(ChatPlan, PlanSpans), Vec<Diagnostic>> {
    load_file_warned(path).plan
}

/// One file read: the plan and its spans (or every error), and the
/// warnings either way.
#[derive(Debug)]
pub struct Loaded {
    pub plan: Result<(ChatPlan, PlanSpans), Vec<Diagnostic>>,
    pub warnings: Vec<Diagnostic>,
}

/// [`load_file_spanned`] with the warnings. Session files in the folder
/// beside it (`chats/NAME/DATE.yaml`) are read with it.
pub fn load_file_warned(path: &Path) -> Loaded {
    match read_source(path) {
        Ok(src) => {
            let files = read_session_files(path);
            load_str_with_sessions(path, &src, &files)
        }
        Err(diags) => Loaded {
            plan: Err(diags),
            warnings: Vec::new(),
        },
    }
}

/// The folder that holds a chat's session files: `chats/NAME/` beside
/// `chats/NAME.yaml`.
pub fn session_dir(chat: &Path) -> PathBuf {
    chat.with_extension("")
}

/// Every session file of the chat at `chat` (none without the folder),
/// read and parsed, in name order.
pub fn read_session_files(chat: &Path) -> Vec<SessionFile> {
    let dir = session_dir(chat);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| is_chat_name(&e.file_name()))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths.iter().map(|p| session_file(p)).collect()
}

/// One session file read into its raw session; problems stay with it.
pub fn session_file(path: &Path) -> SessionFile {
    let date = At {
        value: chat_id(path),
        loc: super::Loc {
            line: 1,
            column: 1,
            bytes: None,
        },
    };
    let shared: std::sync::Arc<Path> = std::sync::Arc::from(path);
    let src = match read_source(path) {
        Ok(src) => src,
        Err(diags) => {
            return SessionFile {
                path: shared,
                src: String::new(),
                raw: RawSession::default(),
                diags,
                warnings: Vec::new(),
            };
        }
    };
    let (raw, diags, warnings) = match node::parse(&src) {
        Ok(mut root) => {
            let mut reader = Reader::new(path, &src);
            if bounds::check(&mut reader, &mut root) {
                let raw = reader.session(&root, date);
                (raw, reader.diags, reader.warnings)
            } else {
                (RawSession::default(), reader.diags, Vec::new())
            }
        }
        Err((loc, message)) => {
            let (message, help) = super::wording::yaml_error(&message);
            let diag =
                Diagnostic::new(path, loc.line.max(1), loc.column.max(1), message).help(help);
            (RawSession::default(), vec![diag], Vec::new())
        }
    };
    SessionFile {
        path: shared,
        src,
        raw,
        diags,
        warnings,
    }
}

/// The file's text: a regular file (a FIFO or a device would hang the read
/// or never end) of at most [`bounds::MAX_FILE_BYTES`], in UTF-8.
fn read_source(path: &Path) -> Result<String, Vec<Diagnostic>> {
    let unreadable = |err: std::io::Error| {
        vec![
            Diagnostic::new(path, 0, 0, format!("cannot read the chat file: {err}"))
                .help("check the path and its permissions"),
        ]
    };
    let limit = bounds::MAX_FILE_BYTES;
    let too_big = |size: u64| {
        vec![
            Diagnostic::new(
                path,
                0,
                0,
                format!("the chat file is {size} bytes, over the limit of {limit} (1 MiB)"),
            )
            .help("split the chat into several files"),
        ]
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(vec![
            Diagnostic::new(path, 0, 0, "the chat file is not a regular file")
                .help("point at a plain file, not a pipe, a device or a folder"),
        ]);
    }
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    // The file may grow between the look and the read: read one byte past
    // the limit at most.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::fs::File::open(path)
        .and_then(|file| file.take(limit + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
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
    Ok(src)
}

/// Parses and validates `src` as if read from `path`.
pub fn load_str(path: &Path, src: &str) -> Result<ChatPlan, Vec<Diagnostic>> {
    load_str_spanned(path, src).map(|(plan, _)| plan)
}

/// [`load_str`], and where each text sits in the file.
pub fn load_str_spanned(path: &Path, src: &str) -> Result<(ChatPlan, PlanSpans), Vec<Diagnostic>> {
    load_str_warned(path, src).plan
}

/// [`load_str_spanned`] with the warnings.
pub fn load_str_warned(path: &Path, src: &str) -> Loaded {
    load_str_with_sessions(path, src, &[])
}

/// [`load_str_warned`] with the chat's session files.
pub fn load_str_with_sessions(path: &Path, src: &str, files: &[SessionFile]) -> Loaded {
    let mut root = match node::parse(src) {
        Ok(root) => root,
        Err((loc, message)) => {
            return Loaded {
                plan: Err(yaml_diagnostics(path, src, loc, &message)),
                warnings: Vec::new(),
            };
        }
    };
    let mut reader = Reader::new(path, src);
    if !bounds::check(&mut reader, &mut root) {
        return Loaded {
            plan: Err(reader.diags),
            warnings: Vec::new(),
        };
    }
    let raw = reader.chat(&root);
    super::traps::check(&mut reader, &raw);
    let id = chat_id(path);
    if let Some((message, help)) = super::chat_id::problem(&id) {
        reader
            .diags
            .push(Diagnostic::new(path, 0, 0, message).help(help));
    }
    let (plan, warnings) = validate::build_with_sessions(reader, &raw, &id, files);
    let plan = plan.and_then(|(plan, spans)| match bounds::rendered(&plan, &spans) {
        problems if problems.is_empty() => Ok((plan, spans)),
        problems => Err(problems),
    });
    Loaded { plan, warnings }
}

/// The YAML parser stops at its first error; in our words, and completed
/// where the parser says too little: every line indented with a tab (not
/// only the first), and where a key written twice was written first.
fn yaml_diagnostics(path: &Path, src: &str, loc: super::Loc, parser: &str) -> Vec<Diagnostic> {
    let (mut message, help) = super::wording::yaml_error(parser);
    let (line, column) = (loc.line.max(1), loc.column.max(1));
    let tabbed: Vec<(usize, usize)> = src
        .lines()
        .enumerate()
        .filter_map(|(i, text)| {
            let indent = &text[..text.len() - text.trim_start_matches([' ', '\t']).len()];
            indent.find('\t').map(|at| (i + 1, at + 1))
        })
        .collect();
    if message == "a tab is used for indentation" && !tabbed.is_empty() {
        return tabbed
            .into_iter()
            .map(|(line, column)| {
                Diagnostic::new(path, line, column, message.clone()).help(help.clone())
            })
            .collect();
    }
    if let Some(key) = message
        .strip_prefix('`')
        .and_then(|rest| rest.split_once("` is written twice"))
        .map(|(key, _)| key.to_string())
        && let Some((first_line, first_column)) = first_key(src, &key, line)
    {
        message =
            format!("{message}: first on line {first_line}, column {first_column}, again here");
    }
    vec![Diagnostic::new(path, line, column, message).help(help)]
}

/// Where `key:` was first written in the mapping that holds it again on
/// line `again`: the nearest line above at the same column, within the
/// same mapping (the scan stops at its parent, or at the dash of its own
/// list item).
fn first_key(src: &str, key: &str, again: usize) -> Option<(usize, usize)> {
    let lines: Vec<&str> = src.lines().collect();
    let column = key_at(lines.get(again.checked_sub(1)?)?, key)?;
    for i in (0..again - 1).rev() {
        let text = lines[i];
        let body = text.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if key_at(text, key) == Some(column) {
            return Some((i + 1, column + 1));
        }
        let dashed = body.starts_with("- ");
        let body_column = text.len() - body.len() + if dashed { 2 } else { 0 };
        if body_column < column || (dashed && body_column == column) {
            return None;
        }
    }
    None
}

/// The column (0-based) of `key:` on `text`, if the line holds that key
/// (after a list dash, or quoted).
fn key_at(text: &str, key: &str) -> Option<usize> {
    let body = text.trim_start();
    let body = body.strip_prefix("- ").map_or(body, str::trim_start);
    let at = text.len() - body.len();
    let after = ["\"", "'"]
        .iter()
        .find_map(|q| body.strip_prefix(q)?.strip_prefix(key)?.strip_prefix(q))
        .or_else(|| body.strip_prefix(key))?;
    after.trim_start().starts_with(':').then_some(at)
}

/// The chat id: the file name without its extension.
pub fn chat_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Modification time and size: a file whose stamp is unchanged since the
/// last look need not be read again.
pub type Stamp = (Option<SystemTime>, u64);

/// A chat file found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatFile {
    pub path: PathBuf,
    pub stamp: Stamp,
}

/// Whether a directory entry named `name` is a chat file by its name:
/// `*.yaml` or `*.yml` in any case, and not hidden (editors and sync tools
/// leave `.name.yaml` files behind).
pub fn is_chat_name(name: &OsStr) -> bool {
    let path = Path::new(name);
    !name.as_encoded_bytes().starts_with(b".")
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// The chat files directly in `dir`, in name order: the one definition of
/// a chat file, used by `check`, `plan` and the daemon's rescans alike.
/// Symbolic links to files count; folders do not.
pub fn discover(dir: &Path) -> std::io::Result<Vec<ChatFile>> {
    let mut entries = Vec::new();
    let mut session_dirs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if is_chat_name(&name) {
            entries.push(entry);
        } else if !name.as_encoded_bytes().starts_with(b".")
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            session_dirs.push(entry.path());
        }
    }
    // One `statx` per file is most of an unchanged rescan: spread them
    // over the cores like the loading itself.
    let mut found: Vec<ChatFile> = crate::parallel::map_in_order(&entries, chat_file)
        .into_iter()
        .flatten()
        .collect();
    // One folder: the bytes of the names order them as the paths would,
    // without comparing path components.
    found.sort_unstable_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    // A chat with a folder of session files changes when any of them does:
    // its stamp takes theirs in (only such chats pay for the listing).
    for dir in session_dirs {
        if let Some(chat) = found.iter_mut().find(|f| session_dir(&f.path) == dir) {
            chat.stamp = with_sessions(chat.stamp, &dir);
        }
    }
    Ok(found)
}

/// `stamp` folded with the folder of session files: the latest
/// modification time (the folder's own changes when a file comes or goes)
/// and the sizes and count of its files.
fn with_sessions(stamp: Stamp, dir: &Path) -> Stamp {
    let (mut modified, mut size) = stamp;
    let mut newest = |time: Option<SystemTime>| {
        if time > modified {
            modified = time;
        }
    };
    newest(std::fs::metadata(dir).and_then(|m| m.modified()).ok());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if let Ok(meta) = entry.metadata() {
                newest(meta.modified().ok());
                size = size.wrapping_add(meta.len()).wrapping_add(1 << 40);
            }
        }
    }
    (modified, size)
}

/// The entry as a chat file, if it is a file or a link to one. A plain file
/// is looked at relative to the open folder (no walk down the whole path
/// for each of 10,000 files); a symbolic link is followed, and a dangling
/// one skipped.
fn chat_file(entry: &std::fs::DirEntry) -> Option<ChatFile> {
    let meta = match entry.file_type() {
        Ok(kind) if kind.is_symlink() => std::fs::metadata(entry.path()),
        _ => entry.metadata(),
    }
    .ok()?;
    meta.is_file().then(|| ChatFile {
        path: entry.path(),
        stamp: (meta.modified().ok(), meta.len()),
    })
}

/// Drops the files whose chat id an earlier file already has (`a.yml`
/// beside `a.yaml`, or the same name in two folders), with a problem for
/// each: ids key every post, so they must be unique.
pub fn without_duplicate_ids<T>(
    files: Vec<T>,
    path: impl Fn(&T) -> &Path,
) -> (Vec<T>, Vec<Diagnostic>) {
    // Ids borrowed from the paths: every rescan runs this over every file.
    let mut first_by_id: HashMap<Cow<'_, str>, usize> = HashMap::with_capacity(files.len());
    let mut keep = vec![true; files.len()];
    let mut problems = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let id = path(file).file_stem().unwrap_or_default().to_string_lossy();
        match first_by_id.entry(id) {
            Entry::Occupied(first) => {
                keep[i] = false;
                problems.push(
                    Diagnostic::new(
                        path(file),
                        0,
                        0,
                        format!(
                            "chat id `{}` is already used by {}",
                            first.key(),
                            path(&files[*first.get()]).display()
                        ),
                    )
                    .help("rename one of the files: the file name is the chat's id"),
                );
            }
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
    }
    let unique = files
        .into_iter()
        .zip(keep)
        .filter_map(|(file, keep)| keep.then_some(file))
        .collect();
    (unique, problems)
}

/// Loads every chat file directly in `dir`, in name order.
pub fn load_dir(dir: &Path) -> LoadReport {
    load_paths(&[dir.to_path_buf()])
}

/// The chat files that `paths` name (files, and folders of them), each
/// once, without duplicate ids; `report` gets the problems and the count.
pub fn collect_files(paths: &[PathBuf], report: &mut LoadReport) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for path in paths {
        // One `canonicalize` per argument, not per file: the same file named
        // twice (`chats/` and `chats/a.yaml`) is still loaded once.
        let real = path.canonicalize().unwrap_or_else(|_| path.clone());
        if path.is_dir() {
            match discover(path) {
                Ok(found) => {
                    for file in found {
                        let key = file.path.file_name().map(|name| real.join(name));
                        if key.is_none_or(|key| seen.insert(key)) {
                            files.push(file.path);
                        }
                    }
                }
                Err(err) => report.errors.push(
                    Diagnostic::new(path, 0, 0, format!("cannot read the chats folder: {err}"))
                        .help("check the path, or pass chat files explicitly"),
                ),
            }
        } else if path.exists() {
            // A session file names its chat: check the chat, sessions and all.
            let (path, real) = match chat_of_session(path) {
                Some(chat) => {
                    let real = chat.canonicalize().unwrap_or_else(|_| chat.clone());
                    (chat, real)
                }
                None => (path.clone(), real),
            };
            if seen.insert(real) {
                files.push(path);
            }
        } else {
            report.errors.push(
                Diagnostic::new(path, 0, 0, "no such file or folder")
                    .help("pass a chat file (`chats/NAME.yaml`) or a folder of them"),
            );
        }
    }
    report.files += files.len();
    let (unique, duplicates) = without_duplicate_ids(files, |p| p.as_path());
    report.errors.extend(duplicates);
    unique
}

/// The chat a session file belongs to: `chats/NAME.yaml` (or `.yml`) for
/// `chats/NAME/DATE.yaml`.
pub fn chat_of_session(path: &Path) -> Option<PathBuf> {
    if !is_chat_name(path.file_name()?) {
        return None;
    }
    let dir = path.parent()?;
    let name = dir.file_name()?;
    let parent = dir.parent()?;
    ["yaml", "yml", "YAML", "YML"]
        .iter()
        .map(|ext| {
            let mut file = name.to_os_string();
            file.push(".");
            file.push(ext);
            parent.join(file)
        })
        .find(|chat| chat.is_file())
}

/// Loads files and directories; reports duplicate chat ids across them.
pub fn load_paths(paths: &[PathBuf]) -> LoadReport {
    let mut report = LoadReport::default();
    let files = collect_files(paths, &mut report);
    for loaded in crate::parallel::map_in_order(&files, |file| load_file_warned(file)) {
        report.warnings.extend(loaded.warnings);
        match loaded.plan.map(|(plan, _)| plan) {
            Ok(plan) => report.plans.push(plan),
            Err(diags) => report.errors.extend(diags),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::plan::validate::tests::BASE;

    #[test]
    fn every_tab_indented_line_is_reported() {
        let src = BASE
            .replace("  - at: 5m", "\t- at: 5m")
            .replace("  - at: 15m", "\t- at: 15m");
        let errors = load_str(Path::new("t.yaml"), &src).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|d| d.line).collect();
        assert_eq!(lines, [7, 9], "{errors:#?}");
        assert!(
            errors
                .iter()
                .all(|d| d.message == "a tab is used for indentation")
        );
    }

    #[test]
    fn a_key_written_twice_names_both_places() {
        let src = BASE.replace("duration: 1h", "duration: 1h\ntitle: Again");
        let errors = load_str(Path::new("t.yaml"), &src).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].line, 6, "{errors:#?}");
        assert!(
            errors[0].message.starts_with(
                "`title` is written twice in the same mapping: first on line 1, column 1"
            ),
            "{errors:#?}"
        );
        // Inside one question, not the question before.
        let src = BASE.replace("    text: Second?", "    text: Second?\n    text: Third?");
        let errors = load_str(Path::new("t.yaml"), &src).unwrap_err();
        assert!(
            errors[0].message.contains("first on line 10, column 5"),
            "{errors:#?}"
        );
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_bad_file_never_hides_the_others() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", BASE);
        write(dir.path(), "b.yml", "title: [unclosed\n");
        write(
            dir.path(),
            "c.yaml",
            &BASE.replace("America/Chicago", "Mars/Base"),
        );
        write(dir.path(), "notes.txt", "not a chat");
        let report = load_dir(dir.path());
        assert_eq!(report.files, 3);
        assert_eq!(report.plans.len(), 1);
        assert_eq!(report.plans[0].id, "a");
        // Hidden files and other extensions are not chats; the case of the
        // extension does not matter.
        write(dir.path(), ".d.yaml", BASE);
        write(dir.path(), "E.YML", BASE);
        let names: Vec<String> = discover(dir.path())
            .unwrap()
            .iter()
            .map(|f| chat_id(&f.path))
            .collect();
        assert_eq!(names, ["E", "a", "b", "c"]);
        assert_eq!(report.invalid_files(), 2);
        assert!(report.errors[0].path.ends_with("b.yml"));
        assert!(report.errors[0].message.starts_with("invalid YAML"));
        assert!(report.errors[0].line >= 1);
        assert!(report.errors[1].path.ends_with("c.yaml"));
        assert_eq!(report.errors[1].line, 3);
    }

    #[test]
    fn links_to_files_are_chats_and_folders_and_dangling_links_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        write(elsewhere.path(), "real.yaml", BASE);
        write(dir.path(), "plain.yaml", BASE);
        std::os::unix::fs::symlink(
            elsewhere.path().join("real.yaml"),
            dir.path().join("linked.yaml"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("missing.yaml"),
            dir.path().join("dangling.yaml"),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("folder.yaml")).unwrap();
        let found = discover(dir.path()).unwrap();
        let names: Vec<String> = found.iter().map(|f| chat_id(&f.path)).collect();
        assert_eq!(names, ["linked", "plain"]);
        // The link's stamp is its target's: editing the target is a change.
        let target = std::fs::metadata(elsewhere.path().join("real.yaml")).unwrap();
        assert_eq!(found[0].stamp, (target.modified().ok(), target.len()));
    }

    #[test]
    fn duplicate_ids_across_extensions_and_folders_are_reported() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        write(one.path(), "a.yaml", BASE);
        write(one.path(), "a.yml", BASE);
        write(two.path(), "a.yaml", BASE);
        let report = load_paths(&[one.path().to_path_buf(), two.path().to_path_buf()]);
        assert_eq!(report.files, 3);
        assert_eq!(report.plans.len(), 1);
        assert_eq!(report.errors.len(), 2);
        for diag in &report.errors {
            assert_eq!(diag.line, 0, "file-level");
            assert!(diag.message.contains("chat id `a` is already used by"));
            assert!(diag.help.as_deref().unwrap().contains("rename"));
        }
    }

    #[test]
    fn the_same_file_named_twice_is_loaded_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "a.yaml", BASE);
        let report = load_paths(&[dir.path().to_path_buf(), file]);
        assert_eq!((report.files, report.plans.len()), (1, 1));
        assert!(report.errors.is_empty());
    }

    #[test]
    fn missing_paths_and_bad_encodings_are_file_level_or_located() {
        let dir = tempfile::tempdir().unwrap();
        let report = load_paths(&[dir.path().join("nope")]);
        assert_eq!(report.errors[0].line, 0);
        assert!(report.errors[0].message.contains("no such file"));
        let bad = dir.path().join("latin1.yaml");
        fs::write(&bad, b"title: caf\xe9\n").unwrap();
        let diags = load_file(&bad).unwrap_err();
        assert_eq!((diags[0].line, diags[0].column), (1, 11));
        assert!(diags[0].message.contains("UTF-8"));
    }

    #[test]
    fn the_example_chats_are_valid() {
        // By name: an organizer's own chats in the same folder are not ours
        // to judge, and must never make the tests fail.
        let chats = Path::new(env!("CARGO_MANIFEST_DIR")).join("chats");
        let shipped = [chats.join("hcsmbm.yaml"), chats.join("rarediseaseday.yaml")];
        let report = load_paths(&shipped);
        assert!(report.errors.is_empty(), "{:#?}", report.errors);
        assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
        // tweetchat.schema.json sits beside them and is not a chat.
        assert!(chats.join("tweetchat.schema.json").is_file());
        assert_eq!((report.files, report.plans.len()), (2, 2));
        let hcsmbm = report.plans.iter().find(|p| p.id == "hcsmbm").unwrap();
        assert_eq!(hcsmbm.questions.len(), 4);
        assert_eq!(
            hcsmbm.question_text(&hcsmbm.questions[2]),
            "How can we categorize what a doctor and a mentor offer, to match patient's individual needs?"
        );
        assert_eq!(hcsmbm.show_times_in.len(), 5);
        // Examples never reach a real account by accident.
        for plan in &report.plans {
            assert_eq!(
                plan.accounts.as_deref(),
                Some(&["console".to_string()][..]),
                "{}",
                plan.id
            );
        }
    }
}

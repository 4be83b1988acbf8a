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

/// One file read: the plan (or every error in it) and its warnings.
#[derive(Debug)]
pub struct Loaded {
    pub plan: Result<ChatPlan, Vec<Diagnostic>>,
    pub warnings: Vec<Diagnostic>,
}

/// Loads one file: the plan, or every problem in it. Warnings are dropped;
/// [`load_file_warned`] keeps them.
pub fn load_file(path: &Path) -> Result<ChatPlan, Vec<Diagnostic>> {
    load_file_warned(path).plan
}

/// Loads one file with its warnings.
pub fn load_file_warned(path: &Path) -> Loaded {
    match read_source(path) {
        Ok(src) => load_str_warned(path, &src),
        Err(diags) => Loaded {
            plan: Err(diags),
            warnings: Vec::new(),
        },
    }
}

fn read_source(path: &Path) -> Result<String, Vec<Diagnostic>> {
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
    Ok(src)
}

/// Parses and validates `src` as if read from `path`.
pub fn load_str(path: &Path, src: &str) -> Result<ChatPlan, Vec<Diagnostic>> {
    load_str_warned(path, src).plan
}

/// [`load_str`] with the warnings.
pub fn load_str_warned(path: &Path, src: &str) -> Loaded {
    let root = match node::parse(src) {
        Ok(root) => root,
        Err((loc, message)) => {
            let (message, help) = super::wording::yaml_error(&message);
            let diag =
                Diagnostic::new(path, loc.line.max(1), loc.column.max(1), message).help(help);
            return Loaded {
                plan: Err(vec![diag]),
                warnings: Vec::new(),
            };
        }
    };
    let mut reader = Reader::new(path, src);
    let raw = reader.chat(&root);
    super::traps::check(&mut reader, &raw);
    let (plan, warnings) = validate::build(reader, &raw, &chat_id(path));
    Loaded { plan, warnings }
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
    let mut unique = Vec::with_capacity(files.len());
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
        unique.push(file);
    }
    for loaded in crate::parallel::map_in_order(&unique, |file| load_file_warned(file)) {
        report.warnings.extend(loaded.warnings);
        match loaded.plan {
            Ok(plan) => report.plans.push(plan),
            Err(diags) => report.errors.extend(diags),
        }
    }
    report
}

/// The same file named twice (`chats/` and `chats/a.yaml`) is one file.
/// A set, not a list: `check` over 10,000 files spent seconds comparing
/// every path with every other (benches/run.sh).
fn dedup_same_file(files: &mut Vec<PathBuf>) {
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::plan::validate::tests::BASE;

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
        assert_eq!(report.invalid_files(), 2);
        assert!(report.errors[0].path.ends_with("b.yml"));
        assert!(report.errors[0].message.starts_with("invalid YAML"));
        assert!(report.errors[0].line >= 1);
        assert!(report.errors[1].path.ends_with("c.yaml"));
        assert_eq!(report.errors[1].line, 3);
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
            hcsmbm.questions[2].text,
            "How can we categorize what a doctor and a mentor offer, to match patient's individual needs?"
        );
        assert_eq!(hcsmbm.show_times_in.len(), 5);
        // Examples never reach a real account by accident.
        for plan in &report.plans {
            assert_eq!(
                plan.accounts,
                Some(vec!["console".to_string()]),
                "{}",
                plan.id
            );
        }
    }
}

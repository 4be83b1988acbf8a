//! Every example chat a user can copy is valid, by both judges.
//!
//! The examples are the chats shipped in `chats/` (by name) and every
//! fenced ```` ```yaml ```` (or ```` ```yml ````) block in `README.md`. Each must
//! (a) pass `tweetchat check`, run as a process: `chats/` files from the
//! repository root with its settings (as a user runs it), README blocks
//! written to a temporary folder as `readme_line_N.yaml` (N: the fence's
//! line) and checked on their own, without settings, because they may name
//! accounts the reader sets up in their own `config/local.toml`; and
//! (b) validate against the JSON Schema `tweetchat schema` prints, read as
//! JSON the way an editor's YAML language server reads it.
//!
//! A README block that is not a whole chat file (a fragment, a compose
//! file) is skipped when the line before its fence (blank lines between
//! are allowed) is the HTML comment `<!-- not-a-chat -->`, which Markdown
//! renders as nothing.
//!
//! Until README.md exists (or has chat blocks) only `chats/` is checked;
//! the test fails if nothing at all was checked.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const MARKER: &str = "<!-- not-a-chat -->";
const MODELINE: &str = "# yaml-language-server: $schema=./tweetchat.schema.json";

/// One example: where it came from and its text.
struct Example {
    origin: String,
    text: String,
}

/// The chat blocks of a Markdown text: (line of the opening fence, body).
fn yaml_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    let mut last_text = "";
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        match &mut open {
            Some((start, body)) => {
                if trimmed.starts_with("```") {
                    blocks.push((*start, std::mem::take(body)));
                    open = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            None if trimmed.starts_with("```") => {
                let lang = trimmed.trim_start_matches('`').trim();
                let is_yaml = lang == "yaml" || lang == "yml";
                if is_yaml && last_text != MARKER {
                    open = Some((i + 1, String::new()));
                } else {
                    // Not a chat: skip to its closing fence.
                    open = Some((0, String::new()));
                }
            }
            None => {}
        }
        if !trimmed.is_empty() {
            last_text = trimmed;
        }
    }
    blocks.retain(|(start, _)| *start > 0);
    blocks
}

/// The example chats shipped in `chats/`, by name: an organizer adds their
/// own chats to the same folder, and those are not this test's business.
const SHIPPED: [&str; 2] = ["hcsmbm.yaml", "rarediseaseday.yaml"];

fn chat_files() -> Vec<PathBuf> {
    SHIPPED
        .iter()
        .map(|name| Path::new(ROOT).join("chats").join(name))
        .inspect(|path| assert!(path.is_file(), "{} is shipped", path.display()))
        .collect()
}

fn readme_examples() -> Vec<Example> {
    let Ok(readme) = std::fs::read_to_string(Path::new(ROOT).join("README.md")) else {
        return Vec::new();
    };
    yaml_blocks(&readme)
        .into_iter()
        .map(|(line, text)| Example {
            origin: format!("README.md line {line}"),
            text,
        })
        .collect()
}

fn tweetchat(args: &[&str], config_dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(config_dir)
        .args(args)
        .current_dir(ROOT)
        .output()
        .unwrap()
}

fn assert_checks(path: &Path, config_dir: &Path, origin: &str, text: &str) {
    let out = tweetchat(&["check", path.to_str().unwrap()], config_dir);
    assert!(
        out.status.success(),
        "`tweetchat check` rejects {origin}:\n{}\n--- the example ---\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_fits_schema(validator: &jsonschema::Validator, origin: &str, text: &str) {
    let doc: Value =
        serde_saphyr::from_str(text).unwrap_or_else(|err| panic!("{origin} is not YAML: {err}"));
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} (at `{}`)", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{origin} does not fit `tweetchat schema`: {errors:#?}\n--- the example ---\n{text}"
    );
}

fn schema_validator() -> jsonschema::Validator {
    let out = tweetchat(&["schema"], Path::new("config"));
    assert!(out.status.success());
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn every_example_checks_and_fits_the_schema() {
    let validator = schema_validator();
    let mut checked = 0;
    for path in chat_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let origin = path.strip_prefix(ROOT).unwrap().display().to_string();
        assert_eq!(
            text.lines().next(),
            Some(MODELINE),
            "{origin} should start with the editor modeline"
        );
        assert_checks(&path, Path::new("config"), &origin, &text);
        assert_fits_schema(&validator, &origin, &text);
        checked += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let no_settings = dir.path().join("no-config");
    for example in readme_examples() {
        let line = example.origin.rsplit(' ').next().unwrap();
        let path = dir.path().join(format!("readme_line_{line}.yaml"));
        std::fs::write(&path, &example.text).unwrap();
        assert_checks(&path, &no_settings, &example.origin, &example.text);
        assert_fits_schema(&validator, &example.origin, &example.text);
        checked += 1;
    }
    assert!(checked > 0, "no example chat found to check");
}

#[test]
fn the_checks_can_fail() {
    let validator = schema_validator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.yaml");
    let text = std::fs::read_to_string(&chat_files()[0])
        .unwrap()
        .replace("title:", "titel:");
    std::fs::write(&path, &text).unwrap();
    let out = tweetchat(&["check", path.to_str().unwrap()], Path::new("config"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key `titel`"));
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    assert!(!validator.is_valid(&doc));
}

#[test]
fn readme_blocks_are_found_and_marked_ones_skipped() {
    let markdown = "Intro\n\n```yaml\ntitle: A\n```\n\n<!-- not-a-chat -->\n\n```yaml\nannounce: false\n```\n\n```toml\nx = 1\n```\n```yml\ntitle: B\n```\n";
    let blocks = yaml_blocks(markdown);
    assert_eq!(
        blocks,
        vec![
            (3, "title: A\n".to_string()),
            (16, "title: B\n".to_string())
        ]
    );
}

/// The keys named in the first column of the README's "Every key" table.
fn readme_key_table(markdown: &str) -> Option<Vec<String>> {
    let section = markdown.split("### Every key").nth(1)?;
    let mut names: Vec<String> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| row.split('|').nth(1))
        .flat_map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    names.sort();
    Some(names)
}

#[test]
fn the_readme_key_table_names_every_top_level_key() {
    let Ok(readme) = std::fs::read_to_string(Path::new(ROOT).join("README.md")) else {
        eprintln!("no README.md yet: nothing to compare");
        return;
    };
    let Some(found) = readme_key_table(&readme) else {
        eprintln!("README.md has no \"### Every key\" table: nothing to compare");
        return;
    };
    let mut expected: Vec<String> = tweetchat::plan::keys::names(tweetchat::plan::keys::TOP)
        .into_iter()
        .map(String::from)
        .collect();
    expected.sort();
    assert_eq!(
        found, expected,
        "README.md's \"Every key\" table and plan::keys differ"
    );
}

#[test]
fn the_key_table_reader_reads_combined_rows() {
    let markdown = "### Every key\n\n| key | what |\n| --- | --- |\n| `title` | The `{title}`. |\n| `from`, `until` | Dates. |\n\nAfter.\n";
    assert_eq!(
        readme_key_table(markdown),
        Some(vec!["from".into(), "title".into(), "until".into()])
    );
}

//! The event builder against serde-saphyr, the oracle: whenever the builder
//! gives a tree, serde-saphyr gives the same tree (values and every
//! location), and whenever serde-saphyr fails, the builder gave up. Checked
//! on every YAML file of the repository, a table of tricky snippets and
//! random files spliced from fragments.

use std::path::Path;

use proptest::prelude::*;

use super::{events, parse, parse_with_serde_saphyr};

/// Whether the builder decided `src` itself; panics if it disagrees.
fn agrees(src: &str) -> bool {
    if events::refused(src, crate::plan::bounds::MAX_VALUES).is_some() {
        // Refused before serde-saphyr's recursion, which it may accept.
        assert!(parse(src).is_err() && events::build(src).is_none());
        return false;
    }
    let oracle = parse_with_serde_saphyr(src);
    assert_eq!(parse(src), oracle, "parse differs for {src:?}");
    match events::build(src) {
        Some(tree) => {
            assert_eq!(Ok(tree), oracle, "the builder differs for {src:?}");
            true
        }
        None => false,
    }
}

/// Scalars of every kind serde-saphyr resolves, as values and as keys.
const SCALARS: &[&str] = &[
    "",
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "False",
    "FALSE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "0",
    "-0",
    "+0",
    "00",
    "007",
    "-007",
    "+007",
    "08",
    "12",
    "+12",
    "-12",
    "1_000",
    "1__0",
    "_1",
    "1_",
    "0x1F",
    "0x1f",
    "0X1F",
    "-0x1F",
    "+0x1F",
    "0x",
    "0x_1",
    "0o17",
    "0O17",
    "0o8",
    "0b101",
    "0B101",
    "0b2",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "170141183460469231731687303715884105727",
    "99999999999999999999",
    "-99999999999999999999",
    "1.5",
    "-1.5",
    "+1.5",
    ".5",
    "5.",
    "1e3",
    "1E3",
    "1e-3",
    "1.5e+3",
    "1_000.5",
    "01.5",
    "00.5",
    "01e2",
    "1e999",
    "-1e999",
    ".inf",
    "-.inf",
    "+.inf",
    ".Inf",
    ".INF",
    ".nan",
    ".NaN",
    ".NAN",
    "+.nan",
    "-.nan",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "infinity",
    "Infinity",
    "1.0.0",
    "2027-01-05",
    "2027-01-05 18:00",
    "12:30",
    "1h30m",
    "5m",
    "-5m",
    "#x",
    "a#b",
    "é🎉",
    "0.",
    "-.",
    "+",
    "-",
    ".",
    "e5",
    "1e",
    "0x1.8p3",
    "1,000",
    "$1",
    "1/2",
];

/// Whole files: structure, quoting, anchors, and what serde-saphyr rejects
/// or treats specially (the builder must give up on those).
const FILES: &[&str] = &[
    "",
    "\n",
    "# only a comment\n",
    "# one\n# two\n\n",
    "---\n",
    "---\n...\n",
    "--- 5\n",
    "a: 1\n...\n# after the end\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n---\n",
    "--- a\n--- b\n",
    "%YAML 1.2\n---\na: 1\n",
    "\u{feff}a: 1\n",
    "a: 1",
    "a: 1\r\nb: 2\r\n",
    "a: 1\rb: 2\r",
    "plain text\n",
    "\"quoted\"\n",
    "[1, 2, 3]\n",
    "{a: 1, b: [x, y], c: {d: e}}\n",
    "- a\n- - b\n  - c\n- d: e\n  f: g\n",
    "a:\n  - 1\n  - 2\nb:\n  c: d\n",
    "a:\n- 1\n- 2\n",
    "a:\nb:\n",
    "a: ''\nb: \"\"\nc: ~\nd:\n",
    "? a\n: b\n",
    "? a\n",
    ": v\n",
    "{? a}\n",
    "[a: b]\n",
    "{a, b: c}\n",
    "{a: }\n",
    "[,]\n",
    "a: 'it''s'\nb: \"x {y}\"\nc: \"\\u00e9\\n\\t\"\n",
    "a: \"multi\n  line\"\nb: 'one\n\n  two'\n",
    "a: plain\n  continued\n  lines\n",
    "a: |\n  line 1\n  line 2\nb: >\n  folded\n  text\n\n  para\n",
    "a: |-\n  x\nb: |+\n  y\n\nc: >2\n   z\n",
    "a: |\n  true\nb: >\n  12\n",
    "a: |\n  text",
    "a: 'true'\nb: \"12\"\nc: 'null'\nd: \"\"\n",
    "title: Hi there\nn: 12\nq:\n  - a\n  - at: 5m\n    text: \"x {y}\"\nw: false\n",
    "text: Hi all # a comment\n",
    "text: \"Hi: it is #edchat time!\"\n",
    "- é🎉: \"日本語\"\n  ü: ß\n",
    "a: &x 1\nb: *x\n",
    "a: &x [1, {b: c}]\nd: *x\ne: *x\n",
    "a: &x {b: &y [1, 2], c: *y}\nd: *x\n",
    "a: &x 1\nb: &x 2\nc: *x\n",
    "base: &b {at: 5m, text: hi}\nlist: [*b, *b, {at: 6m}]\n",
    "a: *nope\n",
    "a: &x [*x]\n",
    "a: &x\nb: *x\n",
    "&r {a: 1}\n",
    "*x\n",
    "? &k key\n: *k\n",
    "&k key: 1\nother: *k\n",
    "*k : 1\n",
    "a: &k x\n*k : 1\n",
    "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
    "c:\n  <<: {x: 1}\n",
    "\"<<\": 1\n",
    "a: !!str 12\n",
    "a: !!int '12'\n",
    "a: !custom x\n",
    "a: ! 12\n",
    "!!map {a: 1}\n",
    "a: 1\na: 2\n",
    "a: 1\n\"a\": 2\n",
    "11: a\n0xB: b\n",
    "1: a\n'1': b\n",
    "1.0: a\n1.00: b\n",
    "true: a\nTrue: b\n",
    "~: a\nnull: b\n",
    ": a\n: b\n",
    "[a]: 1\n",
    "{a: 1}: 2\n",
    "a: .inf\n",
    "a: [.nan]\n",
    "a: 1e999\n",
    "title: a\n  bad: [\n",
    "title: Broken\nhashtag: \"#broken\"\nquestions: [\n  - not closed\n",
    "a: b: c\n",
    "a: 'unclosed\n",
    "a: \"unclosed\n",
    "a:\n\t- x\n",
    "a:\n  b: 1\n c: 2\n",
    "- a\nb: c\n",
    "[a, b\n",
    "{a: 1\n",
    "a: @x\n",
    "a: `x\n",
    "a: %x\n",
    "key: value\n  - item\n",
    "questions:\n  - What is one thing: your answer?\n",
    "a: [1, 2]]\n",
    "...\n",
    "a: b\n---\n",
    "- # c\n  a\n- b # c\n",
    "a: # c\n  b\n",
    "a: # c\n  - b\n",
    "[a, # c\n b]\n",
    "{a: 1, # c\n b: 2}\n",
    "a: |  # c\n  text\n",
    "a: 'x' # c\n",
    "# c\n---\n# c\na: 1\n",
];

/// `runs` comments in a row where the parser buffers them (after `key:`),
/// and as many between entries where it does not.
fn comment_runs(runs: usize) -> [String; 2] {
    let many = "  # c\n".repeat(runs);
    [format!("q:\n{many}  - a\n"), format!("a: 1\n{many}b: 2\n")]
}

#[test]
fn comments_in_a_row_are_limited_as_serde_saphyr_limits_them() {
    for runs in [0, 1, 30, 31, 32, 33, 40] {
        let [buffered, between] = comment_runs(runs);
        assert!(agrees(&between), "{between}");
        // serde-saphyr: "too many buffered comments while looking ahead".
        assert_eq!(agrees(&buffered), runs <= 32, "{buffered}");
    }
}

#[test]
fn scalars_resolve_as_serde_saphyr_resolves_them() {
    let mut built = 0;
    for scalar in SCALARS {
        for src in [
            format!("v: {scalar}\n"),
            format!("{scalar}: v\n"),
            format!("[{scalar}]\n"),
            format!("{scalar}\n"),
            format!("v: '{scalar}'\n"),
            format!("v: \"{scalar}\"\n"),
            format!("v: |\n  {scalar}\n"),
        ] {
            built += usize::from(agrees(&src));
        }
    }
    // Most are the builder's own; the rest (`.inf`, `#x` keys, ...) serde-saphyr's.
    assert!(built > SCALARS.len() * 6, "{built}");
}

/// Lists nested `depth` deep, and an alias bomb of `levels` levels.
fn deep_and_bombs(depth: usize, levels: usize) -> (String, String) {
    let deep = "[".repeat(depth) + &"]".repeat(depth) + "\n";
    let mut bomb = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
    for level in 1..levels {
        let aliases = vec![format!("*l{}", level - 1); 10].join(", ");
        bomb += &format!("l{level}: &l{level} [{aliases}]\n");
    }
    (deep, bomb)
}

#[test]
fn deep_files_and_alias_bombs_are_left_to_serde_saphyr() {
    // serde-saphyr recurses per level, deeply in a debug build.
    let big_stack = std::thread::Builder::new().stack_size(64 << 20);
    let checks = big_stack.spawn(|| {
        let (deep, bomb) = deep_and_bombs(30, 3);
        assert!(agrees(&deep) && agrees(&bomb));
        let (deep, bomb) = deep_and_bombs(50, 7);
        assert!(!agrees(&deep) && !agrees(&bomb));
        assert!(parse(&bomb).is_err());
        // Nested past 40: refused by us, before serde-saphyr recurses.
        let (line, message) = parse(&deep).map(|_| ()).unwrap_err();
        assert!(
            line.line >= 1 && message.contains("nested more than 40 deep"),
            "{message}"
        );
        let (deep, _) = deep_and_bombs(70, 0);
        assert!(!agrees(&deep) && parse(&deep).is_err());
    });
    checks.unwrap().join().unwrap();
}

#[test]
fn files_read_as_serde_saphyr_reads_them() {
    let mut built = Vec::new();
    for src in FILES {
        if agrees(src) {
            built.push(*src);
        }
    }
    // The builder takes aliases and every plain shape itself.
    for src in [
        "a: &x [1, {b: c}]\nd: *x\ne: *x\n",
        "a: &x 1\nb: &x 2\nc: *x\n",
        "a: |-\n  x\nb: |+\n  y\n\nc: >2\n   z\n",
        "? a\n: b\n",
        "{a, b: c}\n",
        "---\n",
        "a: 1\n...\n# after the end\n",
        "\u{feff}a: 1\n",
    ] {
        assert!(built.contains(&src), "left to serde-saphyr: {src:?}");
    }
    // And gives up on what serde-saphyr rejects or treats specially.
    for src in [
        "",
        "a: 1\na: 2\n",
        "a: !!str 12\n",
        "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
        "a: .inf\n",
        "a: &x [*x]\n",
        "a: 1\n---\nb: 2\n",
        "title: a\n  bad: [\n",
    ] {
        assert!(!built.contains(&src), "built: {src:?}");
    }
}

/// Every `.yaml`/`.yml` file below `dir`, but the build output.
fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
        {
            out.push(path);
        }
    }
}

#[test]
fn every_yaml_file_of_the_repository_reads_the_same() {
    let mut files = Vec::new();
    yaml_files(Path::new(env!("CARGO_MANIFEST_DIR")), &mut files);
    assert!(files.len() >= 20, "{files:?}");
    let mut built = 0;
    for file in &files {
        let src = std::fs::read_to_string(file).unwrap();
        built += usize::from(agrees(&src));
    }
    assert!(built >= files.len() / 2, "{built} of {}", files.len());
}

/// Pieces of YAML that, spliced at random, make nested, quoted, anchored
/// and broken files.
fn piece() -> impl Strategy<Value = String> {
    let scalar = prop::sample::select(SCALARS).prop_map(str::to_string);
    prop_oneof![
        scalar,
        "[a-z]{1,3}",
        Just(": ".to_string()),
        Just(":".to_string()),
        Just("\n".to_string()),
        Just("\n  ".to_string()),
        Just("\n- ".to_string()),
        Just("\n  - ".to_string()),
        Just("- ".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(", ".to_string()),
        Just("? ".to_string()),
        Just("&a ".to_string()),
        Just("&b ".to_string()),
        Just("*a".to_string()),
        Just("*b".to_string()),
        Just("'q'".to_string()),
        Just("\"d\\t\"".to_string()),
        Just("|\n  lit\n".to_string()),
        Just(">-\n  fold\n".to_string()),
        Just(" # c\n".to_string()),
        Just("<<: ".to_string()),
        Just("!!str ".to_string()),
        Just("---\n".to_string()),
    ]
}

/// A YAML value to write out in block or flow style.
#[derive(Debug, Clone)]
enum Tree {
    Scalar(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
    Anchored(&'static str, Box<Tree>),
    /// Comments between the key or dash and the value.
    Commented(Box<Tree>),
}

/// A scalar as written: plain, quoted, or an alias.
fn written_scalar() -> impl Strategy<Value = String> {
    let scalar = prop::sample::select(SCALARS);
    prop_oneof![
        6 => scalar.clone().prop_map(str::to_string),
        1 => scalar.clone().prop_map(|s| format!("'{s}'")),
        1 => scalar.prop_map(|s| format!("\"{s}\"")),
        1 => prop::sample::select(vec!["*a", "*b"]).prop_map(str::to_string),
        1 => "[a-z ]{1,6}",
    ]
}

/// A mapping key: mostly a word, sometimes any scalar.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-z]{1,4}", 1 => written_scalar()]
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = written_scalar().prop_map(Tree::Scalar);
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Tree::Seq),
            prop::collection::vec((key(), inner.clone()), 0..5).prop_map(Tree::Map),
            (prop::sample::select(vec!["a", "b"]), inner.clone())
                .prop_map(|(name, t)| Tree::Anchored(name, Box::new(t))),
            inner.prop_map(|t| Tree::Commented(Box::new(t))),
        ]
    })
}

/// `tree` after a `key:` or `- ` at indentation `indent`, block style.
fn block(tree: &Tree, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match tree {
        Tree::Scalar(s) => format!(" {s}\n"),
        Tree::Seq(items) if items.is_empty() => " []\n".into(),
        Tree::Map(entries) if entries.is_empty() => " {}\n".into(),
        Tree::Seq(items) => items
            .iter()
            .map(|item| format!("{pad}-{}", block(item, indent + 2)))
            .fold("\n".to_string(), |acc, line| acc + &line),
        Tree::Map(entries) => entries
            .iter()
            .map(|(k, v)| format!("{pad}{k}:{}", block(v, indent + 2)))
            .fold("\n".to_string(), |acc, line| acc + &line),
        Tree::Anchored(name, t) => format!(" &{name}{}", block(t, indent)),
        Tree::Commented(t) => format!(" # c\n{pad}# d\n{pad}{}", block(t, indent).trim_start()),
    }
}

/// `tree` in flow style.
fn flow(tree: &Tree) -> String {
    match tree {
        Tree::Scalar(s) => s.clone(),
        Tree::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Tree::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Tree::Anchored(name, t) => format!("&{name} {}", flow(t)),
        Tree::Commented(t) => format!("# c\n{}", flow(t)),
    }
}

/// A file of `entries`, each in flow or block style, after two anchors
/// (so that most aliases resolve).
fn file(entries: &[(String, Tree, bool)]) -> String {
    let mut src = "x: &a 1\ny: &b {k: [v, 2]}\n".to_string();
    for (i, (key, tree, as_flow)) in entries.iter().enumerate() {
        if i % 2 == 1 {
            src += "# between entries\n";
        }
        if *as_flow {
            src += &format!("{key}: {}\n", flow(tree));
        } else {
            src += &format!("{key}:{}", block(tree, 2));
        }
    }
    src
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn spliced_files_read_the_same(pieces in prop::collection::vec(piece(), 0..24)) {
        agrees(&pieces.concat());
    }

    #[test]
    fn spliced_mappings_read_the_same(
        entries in prop::collection::vec((piece(), piece(), piece()), 1..8)
    ) {
        let src: String = entries
            .iter()
            .map(|(k, a, b)| format!("{k}: {a}{b}\n"))
            .collect();
        agrees(&src);
    }

    #[test]
    fn written_trees_read_the_same(
        entries in prop::collection::vec((key(), tree(), any::<bool>()), 1..6)
    ) {
        let src = file(&entries);
        agrees(&src);
        // With enough `#` for the parser to see comments again.
        agrees(&("# pad\n".repeat(32) + &src));
    }
}

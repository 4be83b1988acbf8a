//! Hostile chat files and secret files, named for what they inject: each is
//! refused with a located error, with bounded memory and without hanging.
//!
//! Memory is measured, not timed: this test binary counts the bytes its
//! allocator hands out (the peak held at once), and the `check` process runs
//! under a virtual-memory limit that the old behaviour (3.1 GB) would break.
//! Processes that could hang are waited for with a deadline and killed, so
//! a regression fails instead of hanging the suite.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tweetchat::plan::bounds::MAX_FILE_BYTES;
use tweetchat::plan::load::load_file;

/// Counts bytes held and the peak since the last reset.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let held = HELD
            .fetch_add(layout.size(), Ordering::Relaxed)
            .wrapping_add(layout.size());
        PEAK.fetch_max(held, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let grown = new_size - layout.size();
            let held = HELD.fetch_add(grown, Ordering::Relaxed).wrapping_add(grown);
            PEAK.fetch_max(held, Ordering::Relaxed);
        } else {
            HELD.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests that measure the peak run one at a time.
static MEASURING: Mutex<()> = Mutex::new(());

/// What `f` returns, and the most bytes it held at once beyond what was
/// held before it (other threads of this binary allocate little meanwhile).
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}

/// The file that crash-looped the daemon, kept under the 1 MiB file limit:
/// a title of a million characters and a question that repeats `{title}`
/// 3,000 times.
fn amplification_file() -> String {
    let title = "T".repeat(1_000_000);
    let question = "{title} ".repeat(3_000);
    let src = format!(
        "title: {title}\nhashtag: \"#amp\"\ntimezone: UTC\nstart: 2030-01-01 12:00\n\
         questions:\n  - \"{question}\"\n"
    );
    assert!((src.len() as u64) < MAX_FILE_BYTES);
    src
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary with `args`, killed after `limit` (a hang is a failure,
/// not a stuck suite).
fn run_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `tweetchat --config-dir CONFIG check FILE` under a 1 GiB address-space
/// limit (the amplification once reached 3.1 GB).
fn check(config: &Path, file: &Path) -> Output {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" --config-dir \"$1\" check \"$2\"")
        .arg(env!("CARGO_BIN_EXE_tweetchat"))
        .arg(config)
        .arg(file)
        .current_dir(root())
        .env_remove("TWEETCHAT_CONFIG_DIR");
    run_within(command, Duration::from_secs(120))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_amplification_file_is_refused_at_the_title_with_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amp.yaml");
    std::fs::write(&path, amplification_file()).unwrap();
    let (loaded, peak) = peak_of(|| load_file(&path));
    let diags = loaded.unwrap_err();
    let title = diags
        .iter()
        .find(|d| d.message.starts_with("`title` is 1000000 characters long"))
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!((title.line, title.column), (1, 8));
    // The file is a megabyte; reading, parsing and checking it holds a few
    // copies of it at most, never the gigabytes its renders would take.
    assert!(peak < 16 << 20, "peak {peak} bytes");
}

#[test]
fn check_on_the_amplification_file_exits_1_with_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amp.yaml");
    std::fs::write(&path, amplification_file()).unwrap();
    let out = check(&dir.path().join("no-config"), &path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("amp.yaml:1:8: `title` is 1000000 characters long, over the limit of 200"),
        "{stderr}"
    );
}

#[test]
fn a_chat_file_over_1_mib_is_refused_with_its_size_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    // Not even YAML: it is never parsed.
    std::fs::write(&path, vec![b'['; 2 << 20]).unwrap();
    let (loaded, peak) = peak_of(|| load_file(&path));
    let diags = loaded.unwrap_err();
    assert!(peak < 1 << 20, "not read whole: {peak}");
    assert_eq!(diags.len(), 1);
    assert_eq!(
        diags[0].message,
        "the chat file is 2097152 bytes, over the limit of 1048576 (1 MiB)"
    );
}

#[test]
fn a_600_kb_file_of_25000_timed_questions_is_one_located_error_with_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.yaml");
    let mut src = "title: Many\nhashtag: \"#many\"\ntimezone: UTC\nstart: 2030-01-01 12:00\n\
                   duration: 1d\nquestions:\n"
        .to_string();
    for i in 0..25_000 {
        src.push_str(&format!("  - {{at: {i}s, text: \"Q{{x}}?\"}}\n"));
    }
    assert!(src.len() > 600_000);
    std::fs::write(&path, &src).unwrap();
    let (loaded, peak) = peak_of(|| load_file(&path));
    let diags = loaded.unwrap_err();
    assert_eq!(diags.len(), 1, "{:#?}", &diags[..diags.len().min(3)]);
    assert!(
        diags[0]
            .message
            .starts_with("the file holds more than 20000 values"),
        "{}",
        diags[0]
    );
    assert!(diags[0].line > 1, "located where the limit is passed");
    // Not handed to the slow span-carrying reader: a few copies of the file.
    assert!(peak < 32 << 20, "peak {peak} bytes");
}

#[test]
fn crlf_and_nul_in_a_title_are_errors_with_code_point_and_location() {
    let dir = tempfile::tempdir().unwrap();
    let chat = |title: &str| {
        format!(
            "title: {title}\nhashtag: \"#ctl\"\ntimezone: UTC\nstart: 2030-01-01 12:00\n\
             questions:\n  - First?\n"
        )
    };
    let cases = [
        (
            "crlf.yaml",
            chat("\"Chat\\r\\nX-INJECTED: 1\""),
            "U+000D (carriage return)",
        ),
        ("nul.yaml", chat("\"Chat\\0\""), "U+0000 (NUL)"),
        ("esc.yaml", chat("\"Chat\\e[31m\""), "U+001B (escape)"),
        (
            "lf.yaml",
            chat("\"Chat\\nBEGIN:VEVENT\""),
            "U+000A (line break)",
        ),
    ];
    for (name, src, code) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, src).unwrap();
        let out = check(&dir.path().join("no-config"), &path);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        let expected = format!("{name}:1:8: `title` holds the control character {code}");
        assert!(stderr.contains(&expected), "{expected}\n{stderr}");
    }
}

#[test]
fn a_raw_control_character_the_yaml_parser_stops_at_is_named_with_its_code_point() {
    // Written as itself (a bell pasted from a terminal), not as an escape:
    // the YAML reader refuses it before our own check sees the value.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bell.yaml");
    std::fs::write(
        &path,
        "title: \"Bad\x07title\"\nhashtag: \"#ctl\"\ntimezone: UTC\n\
         start: 2030-01-01 12:00\nquestions:\n  - First?\n",
    )
    .unwrap();
    let out = check(&dir.path().join("no-config"), &path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bell.yaml:1:12: the control character U+0007 cannot stand in a chat file"),
        "{stderr}"
    );
    assert!(stderr.contains("help: remove it"), "{stderr}");
}

#[test]
fn a_100000_character_timezone_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zone.yaml");
    let zone = "A".repeat(100_000);
    std::fs::write(
        &path,
        format!(
            "title: Zone\nhashtag: \"#zone\"\ntimezone: {zone}\nstart: 2030-01-01 12:00\n\
             questions:\n  - First?\n"
        ),
    )
    .unwrap();
    let out = check(&dir.path().join("no-config"), &path);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("zone.yaml:3:11: `timezone` is 100000 characters long, over the limit of 64"),
        "{stderr}"
    );
    // The name is cut before it is looked up: no 100,000-character echo.
    assert!(stderr.len() < 10_000, "{} bytes of output", stderr.len());
}

/// A settings folder whose one account reads its token from `secret`.
fn config_with_secret(dir: &Path, secret: &Path) -> PathBuf {
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("local.toml"),
        format!(
            "[accounts.masto]\nplatform = \"mastodon\"\napi_base = \"https://mastodon.example\"\n\
             access_token_file = \"{}\"\n",
            secret.display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn a_fifo_and_dev_zero_as_secret_files_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("token.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let chat = root().join("chats/rarediseaseday.yaml");
    for (secret, expected) in [
        (fifo.as_path(), "is a named pipe (FIFO), not a regular file"),
        (
            Path::new("/dev/zero"),
            "is a character device, not a regular file",
        ),
    ] {
        let config = config_with_secret(dir.path(), secret);
        let out = check(&config, &chat);
        let stderr = text(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("accounts.masto.access_token_file"),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{stderr}");
    }
}

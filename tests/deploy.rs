//! The deploy files run as written: the systemd unit's install header
//! pastes into bash, its check line reads the same environment file as the
//! service, the container image's defaults sit below the operator's
//! `local.toml`, and compose.yaml, the Dockerfile and the README agree.

use std::path::{Path, PathBuf};
use std::process::Command;

use tweetchat::settings::{LogFormat, Settings};

const BIN: &str = env!("CARGO_BIN_EXE_tweetchat");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

/// The shell lines of the unit's header: every comment line indented by
/// three spaces after the `#`, without that prefix.
fn header_commands() -> Vec<String> {
    read("deploy/tweetchat.service")
        .lines()
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| line.strip_prefix("#   "))
        .map(String::from)
        .collect()
}

#[test]
fn the_systemd_header_pastes_into_bash() {
    let commands = header_commands();
    assert!(commands.len() >= 8, "{commands:?}");
    let script = commands.join("\n") + "\n";
    let output = Command::new("bash")
        .args(["-n", "-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "bash -n refused the header:\n{script}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // What a paste runs, in order: install, check, enable.
    let position = |needle: &str| {
        commands
            .iter()
            .position(|c| c.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in {commands:?}"))
    };
    assert!(position("install -m 0755") < position(" check"));
    assert!(position(" check") < position("enable --now"));
}

/// The header's check line, with /etc/tweetchat and /var/lib/tweetchat
/// moved into `root` and `tweetchat` being the built binary.
fn run_header_check(root: &Path) -> std::process::Output {
    let line = header_commands()
        .into_iter()
        .find(|c| c.contains("--env-file") && c.ends_with(" check"))
        .expect("the header checks with --env-file");
    let etc = root.join("etc");
    let line = line
        .replace("/etc/tweetchat", &etc.display().to_string())
        .replace(
            "/var/lib/tweetchat",
            &root.join("state").display().to_string(),
        )
        .replace(" tweetchat --config-dir", &format!(" {BIN} --config-dir"));
    Command::new("bash")
        .args(["-c", &line])
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .output()
        .unwrap()
}

#[test]
fn the_header_check_reads_the_units_environment_file() {
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc");
    std::fs::create_dir_all(etc.join("chats")).unwrap();
    std::fs::copy(
        repo().join("chats/hcsmbm.yaml"),
        etc.join("chats/hcsmbm.yaml"),
    )
    .unwrap();
    // The example file, as installed: every line a comment.
    std::fs::copy(
        repo().join("deploy/tweetchat.env.example"),
        etc.join("tweetchat.env"),
    )
    .unwrap();
    let output = run_header_check(root.path());
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("ok hcsmbm"), "{text}");

    // A variable only the environment file sets reaches the check.
    std::fs::write(
        etc.join("tweetchat.env"),
        "# the service's secrets\nTWEETCHAT__DEFAULT_ACCOUNTS=main_x\n",
    )
    .unwrap();
    let output = run_header_check(root.path());
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("`default_accounts` names `main_x`"), "{text}");
    assert!(
        text.contains("TWEETCHAT__DEFAULT_ACCOUNTS") || text.contains("main_x"),
        "{text}"
    );
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The image's ENV (from the Dockerfile) with its defaults file.
fn image_env() -> Vec<(String, String)> {
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.contains("COPY deploy/image.toml /image.toml"),
        "the Dockerfile copies the image's defaults file"
    );
    let defaults = repo().join("deploy/image.toml").display().to_string();
    env(&[("TWEETCHAT_DEFAULTS_FILE", &defaults)])
}

#[test]
fn the_image_sets_no_setting_that_beats_local_toml() {
    let dockerfile = read("Dockerfile");
    for line in dockerfile
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
    {
        assert!(
            !line.contains("TWEETCHAT__"),
            "a TWEETCHAT__ variable in the Dockerfile beats local.toml: {line}"
        );
    }
    assert!(dockerfile.contains("TWEETCHAT_DEFAULTS_FILE=/image.toml"));
    let compose = read("compose.yaml");
    for line in compose.lines().filter(|l| !l.trim_start().starts_with('#')) {
        assert!(
            !line.contains("TWEETCHAT__") && !line.trim_start().starts_with("environment:"),
            "compose.yaml sets a setting itself: {line}"
        );
    }
}

#[test]
fn image_defaults_then_local_toml_then_the_environment() {
    let config = tempfile::tempdir().unwrap();
    // The image alone.
    let image = Settings::load_from(config.path(), image_env()).unwrap();
    assert_eq!(image.http.listen, "0.0.0.0:9090");
    assert_eq!(image.log.format, LogFormat::Json);
    assert_eq!(image.chats_dir, PathBuf::from("/chats"));
    assert_eq!(image.state_dir, PathBuf::from("/state"));
    // The operator's mounted local.toml wins over the image.
    std::fs::write(
        config.path().join("local.toml"),
        "[http]\nlisten = \"0.0.0.0:8080\"\n[log]\nformat = \"pretty\"\n",
    )
    .unwrap();
    let local = Settings::load_from(config.path(), image_env()).unwrap();
    assert_eq!(local.http.listen, "0.0.0.0:8080");
    assert_eq!(local.log.format, LogFormat::Pretty);
    assert_eq!(local.state_dir, PathBuf::from("/state"));
    // And the environment (compose's env_file) wins over both.
    let mut vars = image_env();
    vars.extend(env(&[("TWEETCHAT__HTTP__LISTEN", "0.0.0.0:7070")]));
    let both = Settings::load_from(config.path(), vars).unwrap();
    assert_eq!(both.http.listen, "0.0.0.0:7070");
    assert_eq!(both.log.format, LogFormat::Pretty);
}

#[test]
fn a_missing_defaults_file_is_named() {
    let config = tempfile::tempdir().unwrap();
    let err = Settings::load_from(
        config.path(),
        env(&[("TWEETCHAT_DEFAULTS_FILE", "/nonexistent/image.toml")]),
    )
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("/nonexistent/image.toml"), "{text}");
}

#[test]
fn check_settings_names_where_each_setting_came_from() {
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("local.toml"),
        "[log]\nformat = \"pretty\"\n",
    )
    .unwrap();
    let chats = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("chats/hcsmbm.yaml"),
        chats.path().join("hcsmbm.yaml"),
    )
    .unwrap();
    let defaults = repo().join("deploy/image.toml");
    let output = Command::new(BIN)
        .arg("--config-dir")
        .arg(config.path())
        .args(["check", "--settings"])
        .arg(chats.path())
        .env("TWEETCHAT_DEFAULTS_FILE", &defaults)
        .env("TWEETCHAT__STATE_DIR", chats.path().join("state"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = |key: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
            .to_string()
    };
    assert!(line("log.format").contains("\"pretty\""), "{out}");
    assert!(line("log.format").contains("local.toml"), "{out}");
    assert!(line("http.listen").contains("image.toml"), "{out}");
    assert!(
        line("state_dir").contains("environment variable TWEETCHAT__STATE_DIR"),
        "{out}"
    );
    assert!(
        !out.contains("retention"),
        "defaults are not listed:\n{out}"
    );
}

#[test]
fn check_warns_about_variables_that_look_like_settings() {
    let chats = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["--config-dir", "/nonexistent/config", "check"])
        .arg(chats.path())
        .env("TWEETCHAT_HTTP__LISTEN", "0.0.0.0:8080")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "a warning only:\n{err}");
    assert!(
        err.contains(
            "settings: warning: environment variable `TWEETCHAT_HTTP__LISTEN` is not read"
        ),
        "{err}"
    );
    assert!(err.contains("write `TWEETCHAT__HTTP__LISTEN`"), "{err}");
    assert!(
        !err.contains("0.0.0.0:8080"),
        "the value is not echoed:\n{err}"
    );
}

#[test]
fn compose_and_the_readme_agree() {
    let compose = read("compose.yaml");
    let readme = read("README.md");
    // The mount the README tells the operator to uncomment.
    let mount = "./config/local.toml:/config/local.toml:ro";
    assert!(compose.contains(mount), "compose.yaml lacks {mount}");
    assert!(readme.contains(mount), "README lacks {mount}");
    // The env file both name.
    assert!(compose.contains("path: tweetchat.env"));
    assert!(readme.contains("tweetchat.env"));
    // Every secret the README names as a file is listed in compose.
    for secret in ["x_consumer_key", "mastodon_token", "bluesky_app_password"] {
        assert!(compose.contains(&format!("- {secret}")), "{secret}");
        assert!(readme.contains(secret), "{secret}");
    }
    // Both give the same order of layers.
    assert!(
        readme.contains("image.toml"),
        "README names the image's defaults file"
    );
    assert!(
        compose.contains("image.toml"),
        "compose.yaml names the image's defaults file"
    );
}

/// A refusal (exit 3) is not restarted in a loop: the unit restarts on
/// failure but not on 3, and the README's exit-code table says so.
#[test]
fn the_unit_does_not_restart_a_refusal() {
    let unit = read("deploy/tweetchat.service");
    let service: Vec<&str> = unit
        .lines()
        .skip_while(|line| *line != "[Service]")
        .take_while(|line| !line.starts_with("[Install]"))
        .collect();
    assert!(service.contains(&"Restart=on-failure"), "{service:?}");
    assert!(
        service.contains(&"RestartPreventExitStatus=3"),
        "{service:?}"
    );
    let readme = read("README.md");
    let row = readme
        .lines()
        .find(|line| line.starts_with("| 3 |"))
        .expect("the exit-code table has a row for 3");
    assert!(row.contains("RestartPreventExitStatus=3"), "{row}");
}

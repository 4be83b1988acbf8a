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

// --- several replicas: compose.ha.yaml and deploy/k8s ---------------------

use serde_json::Value;

/// A YAML file of the repository as JSON values, anchors and merge keys
/// (`<<: *tweetchat`) expanded as compose expands them.
fn yaml(path: &str) -> Value {
    serde_saphyr::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every document of every YAML file in `dir`, with its file name.
fn yaml_docs(dir: &str) -> Vec<(String, Value)> {
    let mut names: Vec<_> = std::fs::read_dir(repo().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .flat_map(|name| {
            let path = format!("{dir}/{name}");
            let docs: Vec<Value> =
                serde_saphyr::from_multiple(&read(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
            docs.into_iter().map(move |doc| (name.clone(), doc))
        })
        .collect()
}

fn str_list(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
        .collect()
}

/// compose.ha.yaml's tweetchat services, by name.
fn ha_replicas(ha: &Value) -> Vec<(&String, &Value)> {
    let replicas: Vec<_> = ha["services"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| s["image"] == "tweetchat:local")
        .collect();
    assert_eq!(replicas.len(), 3, "three tweetchat replicas");
    replicas
}

#[test]
fn compose_ha_runs_three_replicas_as_compose_yaml_runs_one() {
    let ha = yaml("compose.ha.yaml");
    let single = yaml("compose.yaml")["services"]["tweetchat"].clone();
    for (name, replica) in ha_replicas(&ha) {
        // Everything compose.yaml's daemon has: the image, the restart
        // policy, the env file, the health check, the stop signal and
        // grace, the read-only root, no capabilities.
        for key in [
            "build",
            "image",
            "restart",
            "env_file",
            "healthcheck",
            "stop_signal",
            "stop_grace_period",
            "read_only",
            "cap_drop",
            "security_opt",
        ] {
            assert_eq!(replica[key], single[key], "{name}: {key}");
        }
        assert_eq!(
            replica["healthcheck"]["test"],
            serde_json::json!(["CMD", "/tweetchat", "healthcheck"])
        );
        // The same chats, read-only; the operator's local.toml as in compose.yaml.
        let volumes = str_list(&replica["volumes"]);
        assert!(
            volumes.contains(&"./chats:/chats:ro"),
            "{name}: {volumes:?}"
        );
        assert!(
            read("compose.ha.yaml").contains("# - ./config/local.toml:/config/local.toml:ro"),
            "the local.toml mount, commented out as in compose.yaml"
        );
        // Started only once PostgreSQL answers.
        assert_eq!(
            replica["depends_on"]["postgres"]["condition"], "service_healthy",
            "{name}"
        );
    }
}

#[test]
fn compose_ha_replicas_share_one_store_url_and_no_state_volume() {
    let ha = yaml("compose.ha.yaml");
    let mut urls = std::collections::BTreeSet::new();
    let mut mounts_seen: Vec<(String, String)> = Vec::new();
    for (name, replica) in ha_replicas(&ha) {
        // The one setting compose.ha.yaml makes: the store's URL, as a file.
        let environment = replica["environment"].as_object().unwrap();
        let settings: Vec<_> = environment
            .keys()
            .filter(|k| k.starts_with("TWEETCHAT__"))
            .collect();
        assert_eq!(settings, ["TWEETCHAT__STORE__URL_FILE"], "{name}");
        let path = environment["TWEETCHAT__STORE__URL_FILE"].as_str().unwrap();
        let secret = path
            .strip_prefix("/run/secrets/")
            .unwrap_or_else(|| panic!("{name}: {path} is not a compose secret"));
        assert!(
            str_list(&replica["secrets"]).contains(&secret),
            "{name} mounts {secret}"
        );
        urls.insert(ha["secrets"][secret]["file"].as_str().unwrap().to_string());
        // Each mount other than the read-only chats is this replica's own.
        for volume in str_list(&replica["volumes"]) {
            if volume.ends_with(":ro") {
                continue;
            }
            let (source, target) = volume.split_once(':').unwrap();
            assert!(
                ha["volumes"].get(source).is_some(),
                "{name}: {source} is a named volume"
            );
            for (other, seen) in &mounts_seen {
                assert_ne!(seen, source, "{name} and {other} share {source}");
            }
            mounts_seen.push((name.clone(), source.to_string()));
            assert_eq!(target, "/state", "{name}: {volume}");
        }
    }
    assert_eq!(urls.len(), 1, "one store for every replica: {urls:?}");
    assert_eq!(mounts_seen.len(), 3, "a state volume each: {mounts_seen:?}");
}

#[test]
fn compose_ha_postgres_is_official_healthy_and_keeps_its_data() {
    let ha = yaml("compose.ha.yaml");
    let postgres = &ha["services"]["postgres"];
    assert!(
        postgres["image"].as_str().unwrap().starts_with("postgres:"),
        "the official image"
    );
    assert!(
        postgres["healthcheck"]["test"]
            .to_string()
            .contains("pg_isready")
    );
    let volumes = str_list(&postgres["volumes"]);
    let data = volumes
        .iter()
        .find(|v| v.ends_with(":/var/lib/postgresql/data"))
        .expect("a volume for the data");
    let source = data.split(':').next().unwrap();
    assert!(ha["volumes"].get(source).is_some(), "{source} is named");
    let environment = postgres["environment"].as_object().unwrap();
    assert!(!environment.contains_key("POSTGRES_PASSWORD"));
    let path = environment["POSTGRES_PASSWORD_FILE"].as_str().unwrap();
    let secret = path.strip_prefix("/run/secrets/").unwrap();
    assert!(str_list(&postgres["secrets"]).contains(&secret));
    assert!(postgres.get("ports").is_none(), "not published to the host");
}

#[test]
fn compose_ha_holds_no_secret_inline() {
    let ha = yaml("compose.ha.yaml");
    // Every secret is a file beside compose.ha.yaml, not a value in it.
    for (name, secret) in ha["secrets"].as_object().unwrap() {
        let keys: Vec<_> = secret.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["file"], "secret {name}");
    }
    for (name, service) in ha["services"].as_object().unwrap() {
        let Some(environment) = service["environment"].as_object() else {
            continue;
        };
        for (key, value) in environment {
            let value = value.as_str().unwrap_or_default();
            let upper = key.to_ascii_uppercase();
            if ["PASSWORD", "TOKEN", "SECRET", "URL"]
                .iter()
                .any(|word| upper.contains(word))
            {
                assert!(upper.ends_with("_FILE"), "{name}: {key} is inline");
                assert!(value.starts_with("/run/secrets/"), "{name}: {key}");
            }
            assert!(!value.contains("://"), "{name}: {key} holds a URL");
        }
    }
    // Not in a comment-free line either: the URL lives in secrets/store_url.
    let text = read("compose.ha.yaml");
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        assert!(!line.contains("postgres://"), "{line}");
    }
}

/// deploy/k8s's objects of `kind`.
fn k8s<'a>(docs: &'a [(String, Value)], kind: &str) -> Vec<&'a (String, Value)> {
    docs.iter().filter(|(_, d)| d["kind"] == kind).collect()
}

#[test]
fn kubernetes_runs_three_probed_replicas_under_a_disruption_budget() {
    let docs = yaml_docs("deploy/k8s");
    let deployments = k8s(&docs, "Deployment");
    assert_eq!(deployments.len(), 2, "with a ConfigMap, and with git-sync");
    let port: u64 = read("deploy/image.toml")
        .lines()
        .find_map(|l| l.strip_prefix("listen = \"0.0.0.0:"))
        .and_then(|p| p.trim_end_matches('"').parse().ok())
        .expect("the image's port");
    for (file, deployment) in deployments {
        let spec = &deployment["spec"];
        assert_eq!(spec["replicas"], 3, "{file}");
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{file}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{file}");
        let tweetchat = pod["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "tweetchat")
            .unwrap();
        let http = tweetchat["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "http")
            .unwrap();
        assert_eq!(http["containerPort"], port, "{file}");
        for probe in ["readinessProbe", "livenessProbe"] {
            assert_eq!(tweetchat[probe]["httpGet"]["path"], "/healthz", "{file}");
            assert_eq!(tweetchat[probe]["httpGet"]["port"], "http", "{file}");
        }
        let all = pod["containers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(pod["initContainers"].as_array().into_iter().flatten());
        for container in all {
            let name = &container["name"];
            let security = &container["securityContext"];
            assert_eq!(security["readOnlyRootFilesystem"], true, "{file}: {name}");
            assert_eq!(
                security["allowPrivilegeEscalation"], false,
                "{file}: {name}"
            );
            assert_eq!(security["capabilities"]["drop"][0], "ALL", "{file}: {name}");
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        container["resources"][bound][resource].is_string(),
                        "{file}: {name} has {bound}.{resource}"
                    );
                }
            }
        }
        // The budget covers these pods and keeps two of the three.
        let labels = &spec["template"]["metadata"]["labels"];
        let budgets = k8s(&docs, "PodDisruptionBudget");
        assert_eq!(budgets.len(), 1);
        let budget = &budgets[0].1["spec"];
        for (key, value) in budget["selector"]["matchLabels"].as_object().unwrap() {
            assert_eq!(&labels[key], value, "the budget selects the pods");
        }
        assert!(
            budget["minAvailable"] == 2 || budget["maxUnavailable"] == 1,
            "{budget}"
        );
    }
}

#[test]
fn kubernetes_reads_the_store_url_from_a_secret_with_no_real_password() {
    let docs = yaml_docs("deploy/k8s");
    let secrets = k8s(&docs, "Secret");
    assert_eq!(secrets.len(), 1);
    let secret = &secrets[0].1;
    let url = secret["stringData"]["url"].as_str().unwrap();
    assert!(url.starts_with("postgres://tweetchat:REPLACE-ME@"), "{url}");
    let name = secret["metadata"]["name"].as_str().unwrap();
    // Mounted as a file where the settings look for it.
    let settings = k8s(&docs, "ConfigMap")
        .into_iter()
        .find(|(_, d)| d["metadata"]["name"] == "tweetchat-settings")
        .unwrap();
    let local = settings.1["data"]["local.toml"].as_str().unwrap();
    for (file, deployment) in k8s(&docs, "Deployment") {
        let pod = &deployment["spec"]["template"]["spec"];
        let volume = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["secret"]["secretName"] == name)
            .unwrap_or_else(|| panic!("{file} mounts {name}"));
        let mount = pod["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == volume["name"])
            .unwrap();
        let path = format!("{}/url", mount["mountPath"].as_str().unwrap());
        assert!(
            local.contains(&format!("url_file = \"{path}\"")),
            "{file}: local.toml reads {path}:\n{local}"
        );
        // Nothing in the pod's environment carries the URL.
        assert!(!deployment.to_string().contains("postgres://"), "{file}");
    }
}

/// Lays `files` out as the kubelet lays out a ConfigMap volume: each file
/// a link into `..data`, itself a link to a timestamped folder.
fn configmap_volume(dir: &Path, files: &serde_json::Map<String, Value>) {
    let real = dir.join("..2026_12_07_06_00_00.000000001");
    std::fs::create_dir_all(&real).unwrap();
    for (name, text) in files {
        std::fs::write(real.join(name), text.as_str().unwrap()).unwrap();
        std::os::unix::fs::symlink(Path::new("..data").join(name), dir.join(name)).unwrap();
    }
    std::os::unix::fs::symlink(real.file_name().unwrap(), dir.join("..data")).unwrap();
}

#[test]
fn the_chats_configmap_is_the_example_and_loads_as_the_kubelet_mounts_it() {
    let docs = yaml_docs("deploy/k8s");
    let chats = k8s(&docs, "ConfigMap")
        .into_iter()
        .find(|(_, d)| d["metadata"]["name"] == "tweetchat-chats")
        .unwrap();
    let files = chats.1["data"].as_object().unwrap();
    for (name, text) in files {
        assert_eq!(
            text.as_str().unwrap(),
            read(&format!("chats/{name}")),
            "deploy/k8s/chats.yaml's {name} is chats/{name}"
        );
    }
    let mounted = tempfile::tempdir().unwrap();
    configmap_volume(mounted.path(), files);
    let output = Command::new(BIN)
        .args(["--config-dir", "/nonexistent/config", "check"])
        .arg(mounted.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    for name in files.keys() {
        let id = name.trim_end_matches(".yaml");
        assert!(text.contains(&format!("ok {id}")), "{text}");
    }
    assert!(
        !text.contains("..data"),
        "the kubelet's folders are not chats:\n{text}"
    );
}

#[test]
fn git_sync_keeps_the_folder_tweetchat_reads() {
    let docs = yaml_docs("deploy/k8s");
    let (file, deployment) = k8s(&docs, "Deployment")
        .into_iter()
        .find(|(_, d)| d.to_string().contains("git-sync"))
        .expect("a Deployment with git-sync");
    let pod = &deployment["spec"]["template"]["spec"];
    let sync = &pod["initContainers"][0];
    assert!(
        sync["image"]
            .as_str()
            .unwrap()
            .starts_with("registry.k8s.io/git-sync/git-sync:v4."),
        "{file}"
    );
    // A native sidecar: it keeps running beside the daemon.
    assert_eq!(sync["restartPolicy"], "Always", "{file}");
    let args = str_list(&sync["args"]);
    let flag = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("{file}: git-sync --{name}"))
    };
    let root = flag("root");
    let link = flag("link");
    let tweetchat = &pod["containers"][0];
    let chats_dir = tweetchat["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "TWEETCHAT__CHATS_DIR")
        .unwrap()["value"]
        .as_str()
        .unwrap();
    assert_eq!(chats_dir, format!("{root}/{link}"), "{file}");
    // One emptyDir, written by git-sync at its root, read-only for tweetchat.
    let mount_of = |container: &Value| {
        container["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == root)
            .cloned()
            .unwrap_or_else(|| panic!("{file}: {} mounts {root}", container["name"]))
    };
    let (written, read_by) = (mount_of(sync), mount_of(tweetchat));
    assert_eq!(written["name"], read_by["name"]);
    assert_eq!(read_by["readOnly"], true);

    // git-sync's layout (a link to the current worktree) as `check` sees
    // it through the setting the Deployment makes.
    let git = tempfile::tempdir().unwrap();
    let worktree = git.path().join(".worktrees/0123abcd");
    std::fs::create_dir_all(&worktree).unwrap();
    std::fs::copy(
        repo().join("chats/hcsmbm.yaml"),
        worktree.join("hcsmbm.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(".worktrees/0123abcd", git.path().join(link)).unwrap();
    let output = Command::new(BIN)
        .args(["--config-dir", "/nonexistent/config", "check"])
        .env("TWEETCHAT__CHATS_DIR", git.path().join(link))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("ok hcsmbm"), "{text}");
}

#[test]
fn the_readme_points_to_compose_ha_and_the_replicas_guide() {
    let readme = read("README.md");
    assert!(readme.contains("## Running several replicas"));
    assert!(readme.contains("compose.ha.yaml"));
    assert!(readme.contains("docs/replicas.md"));
    let guide = read("docs/replicas.md");
    for name in ["compose.ha.yaml", "deploy/k8s", "store migrate", "git-sync"] {
        assert!(guide.contains(name), "docs/replicas.md names {name}");
    }
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

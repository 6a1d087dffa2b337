//! The deployment configurations in `deploy/` keep least privilege: no password in any file, every
//! database URL verifies the server's certificate, NATS over TLS, the migration owner's secret only in
//! the migration step, and an image without the development token issuer. The compose file and the
//! image are read as text (Docker does not run here). The Helm chart (`deploy/helm/kindpakket`) is
//! linted and rendered offline by Helm's own engine (helm-python-sdk, through `deploy/helm/render.py`),
//! every rendered manifest validated against the Kubernetes API schemas (kubernetes-validate, strict)
//! and the CloudNativePG objects against the subset schemas in `deploy/helm/schemas/`; then the
//! rendered objects are read for what an operator checks. No cluster is needed; the tools come from
//! `scripts/install-test-tools.sh`.

use std::path::PathBuf;

fn deploy(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|error| panic!("{}: {error}", file.display()))
}

/// The services of a compose file: (name, its lines).
fn compose_services(text: &str) -> Vec<(String, Vec<String>)> {
    let mut services: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line == "services:" {
            inside = true;
            continue;
        }
        if inside && !line.starts_with(' ') && !line.is_empty() {
            inside = false;
        }
        if !inside {
            continue;
        }
        if let Some(name) = line
            .strip_prefix("  ")
            .and_then(|rest| rest.strip_suffix(':'))
        {
            if !name.starts_with(' ') {
                services.push((name.to_owned(), Vec::new()));
                continue;
            }
        }
        if let Some((_, lines)) = services.last_mut() {
            lines.push(line.to_owned());
        }
    }
    services
}

const SERVICES: [&str; 5] = [
    "regie",
    "signalling",
    "application",
    "provision",
    "dashboard",
];

#[test]
fn compose_keeps_secrets_out_and_gives_the_owner_only_to_the_migration_step() {
    let compose = deploy("compose/docker-compose.yml");
    assert!(!compose.to_lowercase().contains("change-me"));
    let services = compose_services(&compose);
    for name in SERVICES {
        let lines = |wanted: &str| {
            services
                .iter()
                .find(|(service, _)| service == wanted)
                .map(|(_, lines)| lines.join("\n"))
                .unwrap_or_else(|| panic!("compose has no service {wanted}"))
        };
        let service = lines(name);
        let migrate = lines(&format!("{name}-migrate"));
        assert!(
            migrate.contains("\"migrate\""),
            "{name}-migrate runs migrate"
        );
        assert!(migrate.contains("KINDPAKKET_MIGRATION_PASSWORD"));
        assert!(
            !service.contains("KINDPAKKET_MIGRATION"),
            "{name} itself runs without the owner's secret"
        );
        assert!(service.contains("service_completed_successfully"));
        for (what, text) in [("service", &service), ("migrate", &migrate)] {
            for line in text.lines().filter(|line| line.contains("_DATABASE_URL:")) {
                assert!(
                    line.contains("sslmode=verify-full"),
                    "{name} {what}: {line}"
                );
                assert!(
                    line.contains("${KINDPAKKET_PG_"),
                    "{name} {what}: the password comes from .env"
                );
            }
        }
        assert!(service.contains("KINDPAKKET_NATS_PASSWORD: ${"));
        // The services that seal personal data cannot start, nor migrate, without their master keys;
        // the ones that pseudonymise need the pseudonym key.
        if ["signalling", "application", "provision"].contains(&name) {
            for (what, text) in [("service", &service), ("migrate", &migrate)] {
                assert!(
                    text.contains("KINDPAKKET_MASTER_KEYS: /etc/kindpakket/"),
                    "{name} {what} has its master keys"
                );
            }
            assert!(
                service.contains("KINDPAKKET_PSEUDONYM_KEY: ${KINDPAKKET_PSEUDONYM_KEY:?"),
                "{name} has the pseudonym key"
            );
        }
    }
    // Every variable with a secret in it has no default: compose stops when it is missing.
    for line in compose.lines().filter(|line| line.contains("PASSWORD: ${")) {
        assert!(line.contains(":?"), "{line}");
    }
    assert!(compose.contains("KINDPAKKET_NATS_CA: /etc/kindpakket/tls/ca.crt"));
}

#[test]
fn the_image_holds_the_services_and_not_the_development_token_issuer() {
    let dockerfile = deploy("compose/Dockerfile");
    assert!(!dockerfile.contains("--workspace"), "{dockerfile}");
    assert!(!dockerfile.contains("kindpakket-*"), "{dockerfile}");
    assert!(!dockerfile.contains("kindpakket-dev-issuer"));
    assert!(!dockerfile.contains("dev-issuer\""));
    for name in SERVICES {
        assert!(
            dockerfile.contains(&format!("-p kindpakket-{name}")),
            "{name}"
        );
    }
    let roles = deploy("postgres/least-privilege.sql");
    assert!(
        !roles.contains("PASSWORD '"),
        "role passwords come from psql variables"
    );
}

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Kubernetes versions the chart is linted for and its manifests validated against.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.31.0", "1.33.0"];

/// What a tool said: whether it succeeded, and its output.
struct Outcome {
    success: bool,
    output: String,
}

/// Runs `deploy/helm/render.py` with the Python of kubernetes-validate (PyYAML, jsonschema) and
/// helm-python-sdk on its path.
fn render_py(args: &[&str]) -> Outcome {
    let python = root().join(".tools/kubernetes-validate/bin/python");
    let helm = root().join(".tools/helm");
    assert!(
        helm.join("helm_python").is_dir(),
        "{} is missing: scripts/install-test-tools.sh installs helm-python-sdk",
        helm.display()
    );
    let output = std::process::Command::new(&python)
        .arg(root().join("deploy/helm/render.py"))
        .args(args)
        .env("PYTHONPATH", &helm)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "{}: {error} (scripts/install-test-tools.sh installs it)",
                python.display()
            )
        });
    Outcome {
        success: output.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fn chart() -> String {
    root().join("deploy/helm/kindpakket").display().to_string()
}

/// A rendered release: its objects (as Helm would install them, hooks included) and the files they
/// were written to.
struct Release {
    objects: Vec<serde_json::Value>,
    yaml: PathBuf,
    json: PathBuf,
    _dir: tempfile::TempDir,
}

/// Renders the chart with `values` (a JSON object over values.yaml), or gives Helm's refusal.
fn render(values: &str) -> Result<Release, String> {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("rendered.yaml");
    let json = dir.path().join("rendered.json");
    let outcome = render_py(&[
        "render",
        &chart(),
        "--set-json",
        values,
        "--out-yaml",
        yaml.to_str().unwrap(),
        "--out-json",
        json.to_str().unwrap(),
    ]);
    if !outcome.success {
        return Err(outcome.output);
    }
    let rendered: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    Ok(Release {
        objects: rendered
            .into_iter()
            .map(|entry| entry["object"].clone())
            .collect(),
        yaml,
        json,
        _dir: dir,
    })
}

/// The platform's release with the chart's own values.
fn platform() -> Release {
    render("{}").unwrap_or_else(|refusal| panic!("the chart renders: {refusal}"))
}

/// The database's release: CloudNativePG's Cluster and ScheduledBackup only.
fn database() -> Release {
    render(r#"{"platform": {"enabled": false}, "postgres": {"enabled": true}}"#)
        .unwrap_or_else(|refusal| panic!("the postgres release renders: {refusal}"))
}

impl Release {
    fn of_kind(&self, kind: &str) -> Vec<&serde_json::Value> {
        self.objects
            .iter()
            .filter(|object| object["kind"] == kind)
            .collect()
    }

    fn named(&self, kind: &str, name: &str) -> &serde_json::Value {
        self.of_kind(kind)
            .into_iter()
            .find(|object| object["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} rendered"))
    }
}

/// Validates `manifest` offline with kubernetes-validate (strict: an unknown field is an error)
/// against the schemas of Kubernetes `version`.
fn kubernetes_validate(manifest: &std::path::Path, version: &str) -> Outcome {
    let tool = root().join(".tools/kubernetes-validate/bin/kubernetes-validate");
    let output = std::process::Command::new(&tool)
        .args(["--strict", "-k", version])
        .arg(manifest)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "{}: {error} (scripts/install-test-tools.sh installs it)",
                tool.display()
            )
        });
    Outcome {
        success: output.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// Every string anywhere in `value` that sits under a key named `key`.
fn strings_under<'a>(value: &'a serde_json::Value, key: &str, found: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, inner) in map {
                if name == key {
                    if let Some(text) = inner.as_str() {
                        found.push(text);
                    }
                }
                strings_under(inner, key, found);
            }
        }
        serde_json::Value::Array(items) => {
            for inner in items {
                strings_under(inner, key, found);
            }
        }
        _ => {}
    }
}

/// The names of the Secrets `object` refers to: by secretKeyRef, secretRef, or a secret volume.
fn secrets_referenced(object: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (name, inner) in map {
                    match name.as_str() {
                        "secretKeyRef" | "secretRef" => {
                            found.push(inner["name"].as_str().unwrap_or_default().to_owned())
                        }
                        "secret" if inner.get("secretName").is_some() => {
                            found.push(inner["secretName"].as_str().unwrap().to_owned())
                        }
                        _ => {}
                    }
                    walk(inner, found);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|inner| walk(inner, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(object, &mut found);
    found
}

/// The pod template's one container of a Deployment or Job.
fn container(workload: &serde_json::Value) -> &serde_json::Value {
    let containers = workload["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("a pod template with containers");
    assert_eq!(containers.len(), 1, "{workload}");
    &containers[0]
}

/// The environment variable `name` of `container`, if it has it.
fn env<'a>(container: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    container["env"]
        .as_array()?
        .iter()
        .find(|variable| variable["name"] == name)
}

#[test]
fn the_chart_lints_strictly_and_renders_manifests_valid_against_the_kubernetes_schemas_offline() {
    let release = platform();
    for version in KUBERNETES_VERSIONS {
        let lint = render_py(&["lint", &chart(), "--kube-version", &format!("v{version}")]);
        assert!(
            lint.success,
            "helm lint --strict, Kubernetes {version}:\n{}",
            lint.output
        );
        // The database's release too.
        let lint = render_py(&[
            "lint",
            &chart(),
            "--kube-version",
            &format!("v{version}"),
            "--set-json",
            r#"{"platform": {"enabled": false}, "postgres": {"enabled": true}}"#,
        ]);
        assert!(
            lint.success,
            "the postgres release, Kubernetes {version}:\n{}",
            lint.output
        );
        let validated = kubernetes_validate(&release.yaml, version);
        assert!(
            validated.success,
            "Kubernetes {version}:\n{}",
            validated.output
        );
        // Every object was checked, none skipped for want of a schema.
        assert_eq!(
            validated.output.matches("passed for resource").count(),
            release.objects.len(),
            "{}",
            validated.output
        );
    }
    // Five of each: Deployment, Service, PodDisruptionBudget, migration Job, own ConfigMap (and the
    // shared one).
    for kind in ["Deployment", "Service", "PodDisruptionBudget", "Job"] {
        assert_eq!(release.of_kind(kind).len(), SERVICES.len(), "{kind}");
    }
    assert_eq!(release.of_kind("ConfigMap").len(), SERVICES.len() + 1);
    // The validator does refuse a mistake in a rendered manifest: a misspelt field.
    let misspelt = std::fs::read_to_string(&release.yaml).unwrap().replacen(
        "terminationGracePeriodSeconds",
        "terminationGracePeriod",
        1,
    );
    let broken = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(broken.path(), misspelt).unwrap();
    let refused = kubernetes_validate(broken.path(), "1.33.0");
    assert!(!refused.success, "{}", refused.output);
    assert!(
        refused.output.contains("terminationGracePeriod"),
        "{}",
        refused.output
    );
}

#[test]
fn every_service_runs_two_locked_down_instances_with_both_probes_and_time_to_stop() {
    let release = platform();
    for service in SERVICES {
        let name = format!("kindpakket-{service}");
        let deployment = release.named("Deployment", &name);
        let spec = &deployment["spec"];
        assert!(
            spec["replicas"].as_u64().unwrap() >= 2,
            "{service}: two instances or more"
        );
        let pod = &spec["template"]["spec"];
        let main = container(deployment);
        assert_eq!(main["command"][0], format!("kindpakket-{service}"));
        assert_eq!(
            main["command"].as_array().unwrap().len(),
            1,
            "{service} serves"
        );
        // Ready only with its database and NATS (and migrations done); alive while it answers.
        assert_eq!(
            main["readinessProbe"]["httpGet"]["path"], "/health/ready",
            "{service}"
        );
        assert_eq!(
            main["livenessProbe"]["httpGet"]["path"], "/health/live",
            "{service}"
        );
        // SIGTERM drains requests, the relay's batch and the consumers' acks: give it the time.
        assert!(
            pod["terminationGracePeriodSeconds"].as_u64().unwrap() >= 30,
            "{service}"
        );
        assert!(
            main["lifecycle"]["preStop"]["sleep"]["seconds"]
                .as_u64()
                .unwrap()
                > 0
        );
        // Never root, nothing written outside /tmp, no privileges.
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{service}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{service}");
        let context = &main["securityContext"];
        assert_eq!(context["readOnlyRootFilesystem"], true, "{service}");
        assert_eq!(context["allowPrivilegeEscalation"], false, "{service}");
        assert_eq!(context["capabilities"]["drop"][0], "ALL", "{service}");
        assert!(
            main["resources"]["requests"]["memory"].is_string(),
            "{service}"
        );
        assert!(
            main["resources"]["limits"]["memory"].is_string(),
            "{service}"
        );
        // Its Service reaches its pods on its port; node drains leave one running.
        let labels = &spec["template"]["metadata"]["labels"];
        for selected in [
            &release.named("Service", &name)["spec"]["selector"],
            &release.named("PodDisruptionBudget", &name)["spec"]["selector"]["matchLabels"],
        ] {
            for (label, value) in selected.as_object().unwrap() {
                assert_eq!(&labels[label], value, "{service}: {label}");
            }
        }
        assert_eq!(
            release.named("Service", &name)["spec"]["ports"][0]["targetPort"],
            main["ports"][0]["name"]
        );
        // Its settings: its own ConfigMap names its NATS user and where it listens.
        let config = &release.named("ConfigMap", &name)["data"];
        assert_eq!(config["KINDPAKKET_NATS_USER"], service);
        assert_eq!(
            config["KINDPAKKET_HTTP_ADDR"],
            format!("0.0.0.0:{}", main["ports"][0]["containerPort"])
        );
    }
    let shared = &release.named("ConfigMap", "kindpakket-config")["data"];
    assert_eq!(shared["KINDPAKKET_STREAM_REPLICAS"], "3", "R3 streams");
    assert_eq!(
        shared["KINDPAKKET_NATS_CA"], "/etc/kindpakket/nats/ca.crt",
        "TLS to NATS"
    );
    assert_eq!(
        shared["KINDPAKKET_NATS_URL"]
            .as_str()
            .unwrap()
            .split(',')
            .count(),
        3,
        "the three JetStream nodes"
    );
}

#[test]
fn migrations_run_as_hook_jobs_before_install_and_upgrade_and_only_they_hold_the_owners_secret() {
    let release = platform();
    let owner = "kindpakket-migration";
    for service in SERVICES {
        let job = release.named("Job", &format!("kindpakket-{service}-migrate"));
        let hooks: Vec<&str> = job["metadata"]["annotations"]["helm.sh/hook"]
            .as_str()
            .expect("a Helm hook")
            .split(',')
            .collect();
        assert!(
            hooks.contains(&"pre-install") && hooks.contains(&"pre-upgrade"),
            "{hooks:?}"
        );
        let migrate = container(job);
        assert_eq!(
            migrate["command"],
            serde_json::json!([format!("kindpakket-{service}"), "migrate"])
        );
        for variable in ["KINDPAKKET_MIGRATION_USER", "KINDPAKKET_MIGRATION_PASSWORD"] {
            assert_eq!(
                env(migrate, variable).expect(variable)["valueFrom"]["secretKeyRef"]["name"],
                owner,
                "{service}"
            );
        }
        // It migrates the service's own database (the runtime role's URL names it), and needs no
        // NATS user.
        assert!(env(migrate, "KINDPAKKET_DATABASE_URL").is_some());
        assert!(env(migrate, "KINDPAKKET_NATS_PASSWORD").is_none());
        // The service itself runs without the owner and without a migrating init container.
        let deployment = release.named("Deployment", &format!("kindpakket-{service}"));
        assert!(deployment["spec"]["template"]["spec"]["initContainers"].is_null());
        assert!(env(container(deployment), "KINDPAKKET_MIGRATION_PASSWORD").is_none());
    }
    // No other object of the release refers to the owner's secret.
    for object in &release.objects {
        if secrets_referenced(object).iter().any(|name| name == owner) {
            assert_eq!(object["kind"], "Job", "{object}");
            assert!(object["metadata"]["annotations"]["helm.sh/hook"].is_string());
        }
    }
}

#[test]
fn no_secret_is_rendered_and_every_secret_is_referenced_by_name() {
    let release = platform();
    assert!(
        release.of_kind("Secret").is_empty(),
        "secrets are referenced, never rendered"
    );
    let text = std::fs::read_to_string(&release.yaml).unwrap();
    assert!(
        !text.contains("postgres://"),
        "database URLs only in Secrets"
    );
    assert!(!text.to_lowercase().contains("change-me"));
    // Whatever carries a secret comes from a Secret by name, never as a value, never in a ConfigMap.
    let secret_variables = [
        "KINDPAKKET_DATABASE_URL",
        "KINDPAKKET_VAULT_DATABASE_URL",
        "KINDPAKKET_VAULT_KEYS_DATABASE_URL",
        "KINDPAKKET_KEYS_DATABASE_URL",
        "KINDPAKKET_NATS_PASSWORD",
        "KINDPAKKET_MIGRATION_USER",
        "KINDPAKKET_MIGRATION_PASSWORD",
        "KINDPAKKET_PSEUDONYM_KEY",
    ];
    for config in release.of_kind("ConfigMap") {
        for variable in secret_variables {
            assert!(config["data"][variable].is_null(), "{variable} in {config}");
        }
    }
    for workload in release
        .of_kind("Deployment")
        .into_iter()
        .chain(release.of_kind("Job"))
    {
        for variable in container(workload)["env"].as_array().unwrap() {
            let name = variable["name"].as_str().unwrap();
            if secret_variables.contains(&name) {
                assert!(
                    variable.get("value").is_none(),
                    "{name} inlined: {workload}"
                );
                assert!(variable["valueFrom"]["secretKeyRef"]["name"].is_string());
            }
        }
    }
    // Each service gets what it needs: the services that seal their master keys (a Secret volume) and
    // the pseudonym key; application its vault's databases.
    for service in SERVICES {
        let deployment = release.named("Deployment", &format!("kindpakket-{service}"));
        let main = container(deployment);
        let sealing = ["signalling", "application", "provision"].contains(&service);
        assert_eq!(
            env(main, "KINDPAKKET_PSEUDONYM_KEY").is_some(),
            sealing,
            "{service}"
        );
        let referenced = secrets_referenced(deployment);
        assert_eq!(
            referenced.contains(&"kindpakket-master-keys".to_owned()),
            sealing,
            "{service}"
        );
        for needed in [
            "kindpakket-databases",
            "kindpakket-nats-users",
            "kindpakket-nats-ca",
        ] {
            assert!(
                referenced.contains(&needed.to_owned()),
                "{service}: {needed}"
            );
        }
    }
    let application = container(release.named("Deployment", "kindpakket-application"));
    assert!(env(application, "KINDPAKKET_VAULT_KEYS_DATABASE_URL").is_some());
    // The names are the operator's: values name other Secrets, the manifests follow.
    let renamed = render(r#"{"secrets": {"databases": "gemeente-db-urls"}}"#).unwrap();
    let mut names = Vec::new();
    for object in &renamed.objects {
        names.extend(secrets_referenced(object));
    }
    assert!(names.contains(&"gemeente-db-urls".to_owned()));
    assert!(!names.contains(&"kindpakket-databases".to_owned()));
}

#[test]
fn values_outside_the_schema_are_refused_by_render_and_lint() {
    for (values, says) in [
        (
            r#"{"services": {"regie": {"replicas": "twee"}}}"#,
            "/services/regie/replicas",
        ),
        (
            r#"{"services": {"regie": {"replicas": 1}}}"#,
            "/services/regie/replicas",
        ),
        (r#"{"services": {"regie": {"replica": 3}}}"#, "replica"),
        (
            r#"{"secrets": {"databases": "postgres://u:p@db/x"}}"#,
            "/secrets/databases",
        ),
        (r#"{"config": {"logFormat": "xml"}}"#, "/config/logFormat"),
        (
            r#"{"config": {"otlpEndpoint": "https://collector.example.org"}}"#,
            "/config/otlpEndpoint",
        ),
    ] {
        let refusal = match render(values) {
            Ok(_) => panic!("rendered with {values}"),
            Err(refusal) => refusal,
        };
        assert!(refusal.contains(says), "{values}: {refusal}");
        let lint = render_py(&[
            "lint",
            &chart(),
            "--kube-version",
            "v1.33.0",
            "--set-json",
            values,
        ]);
        assert!(!lint.success, "lint passed {values}:\n{}", lint.output);
    }
    // The database and the platform in one release: the migration Jobs would run before the database.
    let refusal = match render(r#"{"postgres": {"enabled": true}}"#) {
        Ok(_) => panic!("rendered the database with the platform"),
        Err(refusal) => refusal,
    };
    assert!(refusal.contains("release of its own"), "{refusal}");
}

/// Traces are exported only when the operator names a collector; then every service is told where.
#[test]
fn the_otlp_collector_is_configured_for_every_service_only_when_named() {
    let otel = |release: &Release| -> Vec<String> {
        release
            .of_kind("ConfigMap")
            .iter()
            .filter_map(|map| map["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"].as_str())
            .map(str::to_owned)
            .collect()
    };
    assert!(otel(&platform()).is_empty(), "no collector by default");
    let release = render(r#"{"config": {"otlpEndpoint": "http://otel-collector:4318"}}"#)
        .unwrap_or_else(|refusal| panic!("the chart renders: {refusal}"));
    assert_eq!(otel(&release), ["http://otel-collector:4318"]);
    // The shared ConfigMap reaches every service's pods.
    let shared = release
        .of_kind("ConfigMap")
        .into_iter()
        .find(|map| map["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"].is_string())
        .unwrap()["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    for deployment in release.of_kind("Deployment") {
        let sources = serde_json::to_string(&container(deployment)["envFrom"]).unwrap();
        assert!(
            sources.contains(&shared),
            "{} reads {shared}: {sources}",
            deployment["metadata"]["name"]
        );
    }
}

/// The replicated PostgreSQL (CloudNativePG): a custom resource, so kubernetes-validate has no schema
/// for it; checked against the subset schemas of the fields we use (deploy/helm/schemas/, written by
/// us from CloudNativePG's API reference), then read for what matters.
#[test]
fn the_postgres_cluster_is_replicated_synchronously_over_tls_with_backups_and_no_secret_inlined() {
    let release = database();
    let schemas = root().join("deploy/helm/schemas").display().to_string();
    let checked = render_py(&["check-crds", &schemas, release.json.to_str().unwrap()]);
    assert!(checked.success, "{}", checked.output);
    assert!(
        checked.output.contains("2 object(s) checked, 0 error(s)"),
        "{}",
        checked.output
    );
    assert_eq!(release.objects.len(), 2, "only the database in its release");

    let cluster = &release.named("Cluster", "kindpakket-postgres")["spec"];
    assert_eq!(cluster["instances"], 2, "a primary and a replica");
    assert_eq!(
        cluster["minSyncReplicas"], 1,
        "a commit waits for the replica"
    );
    assert_eq!(cluster["maxSyncReplicas"], 1);
    assert_eq!(
        cluster["postgresql"]["pg_hba"],
        serde_json::json!(["hostssl all all all scram-sha-256"]),
        "no plain-text connections"
    );
    let roles = cluster["managed"]["roles"].as_array().unwrap();
    for service in SERVICES {
        let role = roles
            .iter()
            .find(|role| role["name"] == format!("kindpakket_{service}"))
            .unwrap_or_else(|| panic!("{service}'s role"));
        assert_eq!(
            role["passwordSecret"]["name"],
            format!("kindpakket-postgres-{service}")
        );
        assert!(role["createdb"].is_null(), "{service} creates no database");
    }
    let objects = serde_json::json!(release.objects);
    let mut passwords = Vec::new();
    strings_under(&objects, "password", &mut passwords);
    assert!(passwords.is_empty(), "no password inlined: {passwords:?}");
    let backup = &cluster["backup"];
    assert_eq!(
        backup["retentionPolicy"], "14d",
        "keys' backups kept 14 days"
    );
    assert_eq!(backup["barmanObjectStore"]["wal"]["encryption"], "AES256");
    assert_eq!(backup["barmanObjectStore"]["data"]["encryption"], "AES256");
    let nightly = &release.named("ScheduledBackup", "kindpakket-postgres-nightly")["spec"];
    assert_eq!(nightly["cluster"]["name"], "kindpakket-postgres");

    // The subset schema refuses a misspelt field and a wrong type.
    let text = std::fs::read_to_string(&release.json).unwrap();
    for (broken, says) in [
        (
            text.replacen("\"minSyncReplicas\"", "\"minSyncReplica\"", 1),
            "minSyncReplica",
        ),
        (
            text.replacen("\"instances\": 2", "\"instances\": \"2\"", 1),
            "instances",
        ),
    ] {
        assert_ne!(broken, text);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), broken).unwrap();
        let refused = render_py(&["check-crds", &schemas, file.path().to_str().unwrap()]);
        assert!(!refused.success, "{}", refused.output);
        assert!(refused.output.contains(says), "{}", refused.output);
    }
}

/// The NATS cluster is the official chart with our values (not vendored, so not rendered here): three
/// JetStream nodes, R3-capable, fsync always, TLS for clients and routes, and the users file.
#[test]
fn the_nats_values_ask_for_three_jetstream_nodes_over_tls_with_the_users_file() {
    let values = deploy("helm/nats-values.yaml");
    assert!(values.contains("  cluster:\n    enabled: true\n    replicas: 3\n"));
    assert!(values.contains("  jetstream:\n    enabled: true\n"));
    assert!(values.contains("sync_interval: always"));
    for block in ["cluster", "nats"] {
        // config.<block>: its lines up to the next key of config.
        let lines: String = values
            .split(&format!("\n  {block}:\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("config.{block}"))
            .lines()
            .take_while(|line| line.starts_with("   ") || line.is_empty())
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(
            lines.contains("    tls:\n      enabled: true\n"),
            "{block} over TLS: {lines}"
        );
    }
    assert!(values.contains("$include: ../nats-users/users.conf"));
    for user in [
        "REGIE",
        "SIGNALLING",
        "APPLICATION",
        "PROVISION",
        "DASHBOARD",
    ] {
        assert!(
            values.contains(&format!("KINDPAKKET_NATS_{user}_PASSWORD:")),
            "{user}"
        );
    }
    assert!(
        !values.to_lowercase().contains("password: "),
        "no password inlined"
    );
}

/// The migration Jobs get only part of what the services get (no NATS user, no pseudonym key, no
/// identity provider's keys). That part must be enough: each service's `migrate` is run with exactly
/// the variables its rendered Job sets (their values this test platform's) and nothing the Job lacks,
/// against databases that do not exist yet, and prepares them and exits without waiting for NATS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_jobs_environment_is_enough_to_migrate_each_service_from_nothing() {
    use kindpakket_tests::{Platform, ServiceName};

    let release = platform();
    let platform = Platform::start().await.expect("platform starts");
    for (service, name) in [
        ("regie", ServiceName::Regie),
        ("signalling", ServiceName::Signalling),
        ("application", ServiceName::Application),
        ("provision", ServiceName::Provision),
        ("dashboard", ServiceName::Dashboard),
    ] {
        let job = container(release.named("Job", &format!("kindpakket-{service}-migrate")));
        let in_job = |variable: &str| env(job, variable).is_some();
        // Everything the chart gives any running service, by variable name.
        let mut given: Vec<String> = Vec::new();
        for deployment in release.of_kind("Deployment") {
            given.extend(
                container(deployment)["env"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|variable| variable["name"].as_str().unwrap().to_owned()),
            );
        }
        for config in release.of_kind("ConfigMap") {
            given.extend(config["data"].as_object().unwrap().keys().cloned());
        }
        given.sort();
        given.dedup();
        // What the Job lacks is taken away; the databases are new ones.
        let fresh = |suffix: &str| {
            platform.postgres.url_as(
                name.role(),
                &format!("{}_helm_job{suffix}", name.database()),
            )
        };
        let (database, vault, vault_keys) = (fresh(""), fresh("_vault"), fresh("_vault_keys"));
        let mut changes: Vec<(&str, Option<&str>)> = given
            .iter()
            .filter(|variable| !in_job(variable))
            .map(|variable| (variable.as_str(), None))
            .collect();
        changes.push(("KINDPAKKET_DATABASE_URL", Some(&database)));
        if in_job("KINDPAKKET_VAULT_DATABASE_URL") {
            changes.push(("KINDPAKKET_VAULT_DATABASE_URL", Some(&vault)));
            changes.push(("KINDPAKKET_VAULT_KEYS_DATABASE_URL", Some(&vault_keys)));
        }
        assert!(changes
            .iter()
            .any(|(variable, value)| *variable == "KINDPAKKET_NATS_PASSWORD" && value.is_none()));
        let started = std::time::Instant::now();
        let (status, output) = platform
            .service(name)
            .run_once(&["migrate"], &changes)
            .unwrap();
        assert!(
            status.success(),
            "{service} migrate with its Job's variables:\n{output}"
        );
        assert!(output.contains("migrated; exiting"), "{service}: {output}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{service} waited for something"
        );
    }
}

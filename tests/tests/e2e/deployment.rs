//! The deployment configurations in `deploy/` keep least privilege: no password in any file, every
//! database URL verifies the server's certificate, NATS over TLS, the migration owner's secret only in
//! the migration step, and an image without the development token issuer. Read as text: these files
//! are for Docker and Kubernetes, which do not run here; the Kubernetes manifests are also validated
//! offline against the Kubernetes API schemas (kubernetes-validate, strict).

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
    }
    // Every variable with a secret in it has no default: compose stops when it is missing.
    for line in compose.lines().filter(|line| line.contains("PASSWORD: ${")) {
        assert!(line.contains(":?"), "{line}");
    }
    assert!(compose.contains("KINDPAKKET_NATS_CA: /etc/kindpakket/tls/ca.crt"));
}

#[test]
fn the_kubernetes_manifests_reference_secrets_and_migrate_in_an_init_container() {
    let manifests = deploy("kubernetes/kindpakket.yaml");
    assert!(!manifests.to_lowercase().contains("change-me"));
    assert!(
        !manifests.contains("kind: Secret\n"),
        "secrets are referenced, never inlined"
    );
    assert!(manifests.contains("KINDPAKKET_NATS_CA: /etc/kindpakket/tls/ca.crt"));
    for deployment in manifests.split("kind: Deployment").skip(1) {
        let (init, main) = deployment
            .split_once("      containers:")
            .expect("a deployment has containers");
        assert!(init.contains("\"migrate\"]"), "{init}");
        assert!(init.contains("KINDPAKKET_MIGRATION_PASSWORD"));
        let main = main.split("kind: Service").next().unwrap_or(main);
        assert!(!main.contains("KINDPAKKET_MIGRATION"), "{main}");
        assert!(main.contains("KINDPAKKET_NATS_PASSWORD"));
        assert!(main.contains("secretKeyRef: { name: kindpakket-databases"));
        // Ready only with its database and NATS; alive while it answers; time to stop gracefully.
        assert!(
            main.contains("readinessProbe: { httpGet: { path: /health/ready"),
            "{main}"
        );
        assert!(
            main.contains("livenessProbe: { httpGet: { path: /health/live"),
            "{main}"
        );
        assert!(deployment.contains("terminationGracePeriodSeconds: 30"));
    }
    assert_eq!(
        manifests.matches("kind: Deployment").count(),
        SERVICES.len()
    );
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

/// Validates `manifest` offline with kubernetes-validate (strict: an unknown field is an error)
/// against the schemas of Kubernetes `version`; gives whether it passed and what it said.
fn kubernetes_validate(manifest: &std::path::Path, version: &str) -> (bool, String) {
    let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../.tools/kubernetes-validate/bin/kubernetes-validate");
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
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn the_kubernetes_manifests_validate_against_the_kubernetes_schemas_offline() {
    let manifest =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes/kindpakket.yaml");
    for version in ["1.31.0", "1.33.0"] {
        let (valid, report) = kubernetes_validate(&manifest, version);
        assert!(valid, "Kubernetes {version}:\n{report}");
        // Every resource was checked, none skipped for want of a schema.
        assert_eq!(
            report.matches("passed for resource").count(),
            deploy("kubernetes/kindpakket.yaml")
                .matches("\nkind: ")
                .count(),
            "{report}"
        );
    }
    // The validator does refuse a mistake: a misspelt field.
    let misspelt = deploy("kubernetes/kindpakket.yaml").replacen(
        "terminationGracePeriodSeconds",
        "terminationGracePeriod",
        1,
    );
    let broken = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(broken.path(), misspelt).unwrap();
    let (valid, report) = kubernetes_validate(broken.path(), "1.33.0");
    assert!(!valid, "{report}");
    assert!(report.contains("terminationGracePeriod"), "{report}");
}

/// The replicated PostgreSQL (CloudNativePG): a custom resource, so kubernetes-validate has no schema
/// for it; read as text for what matters.
#[test]
fn the_postgres_cluster_is_replicated_synchronously_over_tls_with_backups_and_no_secret_inlined() {
    let cluster = deploy("kubernetes/postgres-cluster.yaml");
    assert!(cluster.contains("kind: Cluster\n"));
    assert!(
        cluster.contains("  instances: 2\n"),
        "a primary and a replica"
    );
    assert!(
        cluster.contains("minSyncReplicas: 1") && cluster.contains("maxSyncReplicas: 1"),
        "a commit is acknowledged once the replica has it"
    );
    assert!(cluster.contains("hostssl all all all scram-sha-256"));
    assert!(!cluster.contains("host all"), "no plain-text connections");
    for service in SERVICES {
        assert!(
            cluster.contains(&format!(
                "passwordSecret: {{ name: kindpakket-postgres-{service} }}"
            )),
            "{service}'s role from a Secret"
        );
    }
    assert!(
        !cluster.to_lowercase().contains("password:"),
        "no password inlined"
    );
    assert!(
        cluster.contains("retentionPolicy: \"14d\""),
        "keys' backups kept 14 days"
    );
    assert!(cluster.contains("encryption: AES256"));
    assert!(cluster.contains("kind: ScheduledBackup"));
}

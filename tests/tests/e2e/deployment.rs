//! The deployment configurations in `deploy/` keep least privilege: no password in any file, every
//! database URL verifies the server's certificate, NATS over TLS, the migration owner's secret only in
//! the migration step, and an image without the development token issuer. Read as text: these files
//! are for Docker and Kubernetes, which do not run here.

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

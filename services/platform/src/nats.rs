//! Connecting to NATS and declaring the JetStream streams.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use async_nats::jetstream::{self, stream};
use async_nats::ServerAddr;
use kindpakket_proto::Service;

/// How long duplicates are recognised by `Nats-Msg-Id`. Long enough to cover a relay that was down
/// for a while and republishes; consumers are idempotent beyond it.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60 * 60);

/// Who a service is to NATS, and how the connection is protected. Without a user the connection is
/// anonymous (a developer's machine); production gives every service its own user, whose subject
/// permissions are in `deploy/nats/users.conf`, and TLS.
#[derive(Debug, Clone, Default)]
pub struct NatsSecurity {
    /// `KINDPAKKET_NATS_USER` and `KINDPAKKET_NATS_PASSWORD`.
    pub user: Option<(String, String)>,
    /// `KINDPAKKET_NATS_CA`: the CA that signed the servers' certificates; TLS is then required.
    pub ca_file: Option<PathBuf>,
    /// `KINDPAKKET_NATS_CERT` and `KINDPAKKET_NATS_KEY`: a client certificate, when the servers ask.
    pub client_certificate: Option<(PathBuf, PathBuf)>,
}

/// Connects to NATS (several servers allowed), retrying until a server answers. Requests and
/// publish acknowledgements time out so that a hung server never blocks a caller forever.
pub async fn connect(urls: &[String]) -> Result<(async_nats::Client, jetstream::Context)> {
    connect_as(urls, &NatsSecurity::default()).await
}

/// [`connect`] as a given user, over TLS when a CA is configured. A user's replies come to its own
/// inbox prefix (`_INBOX_<user>`), so that its subscribe permission cannot reach another's replies.
pub async fn connect_as(
    urls: &[String],
    security: &NatsSecurity,
) -> Result<(async_nats::Client, jetstream::Context)> {
    let addresses: Vec<ServerAddr> = urls
        .iter()
        .map(|url| {
            url.parse()
                .with_context(|| format!("'{url}' is not a NATS url"))
        })
        .collect::<Result<_>>()?;
    let mut options = async_nats::ConnectOptions::new();
    if let Some((user, password)) = &security.user {
        options = options
            .user_and_password(user.clone(), password.clone())
            .custom_inbox_prefix(kindpakket_proto::subjects::inbox_prefix(user));
    }
    if let Some(ca) = &security.ca_file {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let Some((cert, key)) = &security.client_certificate {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let client = options
        .name("kindpakket")
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(10)))
        .max_reconnects(None)
        .event_callback(|event| async move {
            tracing::info!(event = %event, "nats connection event");
        })
        .connect(addresses)
        .await
        .context("connecting to NATS")?;
    let context = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(10))
        .ack_timeout(Duration::from_secs(10))
        .build(client.clone());
    Ok((client, context))
}

/// Creates the stream of one service, or updates it to this configuration.
pub async fn ensure_stream(
    js: &jetstream::Context,
    service: Service,
    replicas: usize,
) -> Result<stream::Stream> {
    let definition = service.stream();
    let config = stream::Config {
        name: definition.name.clone(),
        description: Some(definition.description),
        subjects: definition.subjects,
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        num_replicas: replicas,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    js.create_or_update_stream(config)
        .await
        .with_context(|| format!("declaring stream {}", definition.name))?;
    js.get_stream(&definition.name)
        .await
        .with_context(|| format!("opening stream {}", definition.name))
}

//! Connecting to NATS and declaring the JetStream streams.

use std::time::Duration;

use anyhow::{Context, Result};
use async_nats::jetstream::{self, stream};
use async_nats::ServerAddr;
use kindpakket_proto::Service;

/// How long duplicates are recognised by `Nats-Msg-Id`. Long enough to cover a relay that was down
/// for a while and republishes; consumers are idempotent beyond it.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60 * 60);

/// Connects to NATS (several servers allowed), retrying until a server answers. Requests and
/// publish acknowledgements time out so that a hung server never blocks a caller forever.
pub async fn connect(urls: &[String]) -> Result<(async_nats::Client, jetstream::Context)> {
    let addresses: Vec<ServerAddr> = urls
        .iter()
        .map(|url| {
            url.parse()
                .with_context(|| format!("'{url}' is not a NATS url"))
        })
        .collect::<Result<_>>()?;
    let client = async_nats::ConnectOptions::new()
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

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

/// The default maximum age of a message in a stream that refers to people: one year. Longer than any
/// consumer's catch-up window (a consumer down for days, a regeling year), shorter than every
/// retention period (seven years): the bus is not an archive. Postgres keeps the events.
pub const DEFAULT_STREAM_MAX_AGE_DAYS: u32 = 365;

/// How the streams are kept: replicas, and how long a message stays (`KINDPAKKET_STREAM_REPLICAS`,
/// `KINDPAKKET_STREAM_MAX_AGE_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPolicy {
    /// 1 on a developer machine, 3 in production.
    pub replicas: usize,
    /// Days a message of a stream that refers to people stays; JetStream deletes it after.
    pub max_age_days: u32,
}

impl Default for StreamPolicy {
    fn default() -> Self {
        Self {
            replicas: 1,
            max_age_days: DEFAULT_STREAM_MAX_AGE_DAYS,
        }
    }
}

impl StreamPolicy {
    /// The maximum age of `service`'s messages, or `None` for no limit.
    ///
    /// The signalling, application and provision streams name children and households (by
    /// pseudonym): their messages go after [`StreamPolicy::max_age_days`]. The regie stream names
    /// organisations and regelingen only, nobody in person, and its whole history is what the other
    /// services read the regeling versions and enrolments from (a decision is reproduced under the
    /// version in force then): it is kept without limit.
    pub fn max_age(&self, service: Service) -> Option<Duration> {
        match service {
            Service::Regie => None,
            Service::Signalling | Service::Application | Service::Provision => Some(
                Duration::from_secs(u64::from(self.max_age_days) * 24 * 60 * 60),
            ),
        }
    }
}

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

/// Creates the stream of one service, or updates it to this configuration (a shorter maximum age
/// deletes the messages older than it at once).
pub async fn ensure_stream(
    js: &jetstream::Context,
    service: Service,
    policy: &StreamPolicy,
) -> Result<stream::Stream> {
    let definition = service.stream();
    let config = stream::Config {
        name: definition.name.clone(),
        description: Some(definition.description),
        subjects: definition.subjects,
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        num_replicas: policy.replicas,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: policy.max_age(service).unwrap_or_default(),
        ..Default::default()
    };
    js.create_or_update_stream(config)
        .await
        .with_context(|| format!("declaring stream {}", definition.name))?;
    js.get_stream(&definition.name)
        .await
        .with_context(|| format!("opening stream {}", definition.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_that_name_people_age_and_the_regie_stream_does_not() {
        let policy = StreamPolicy {
            replicas: 3,
            max_age_days: 30,
        };
        let thirty_days = Duration::from_secs(30 * 24 * 3600);
        assert_eq!(policy.max_age(Service::Signalling), Some(thirty_days));
        assert_eq!(policy.max_age(Service::Application), Some(thirty_days));
        assert_eq!(policy.max_age(Service::Provision), Some(thirty_days));
        assert_eq!(policy.max_age(Service::Regie), None);
        assert!(StreamPolicy::default().max_age_days < 2555);
    }
}

use kindpakket_platform::config::{Mode, ServiceConfig};
use kindpakket_platform::telemetry;

/// `kindpakket-dashboard` serves; `migrate` prepares its database and exits; `rebuild` clears the
/// read model for a replay of the streams and exits (see `kindpakket_dashboard::rebuild`).
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("rebuild") && std::env::args().count() == 2 {
        let config = ServiceConfig::load(8080, Mode::Serve)?;
        telemetry::init(config.log_format);
        return kindpakket_dashboard::rebuild::run(config).await;
    }
    let config = ServiceConfig::from_command_line(8080)?;
    telemetry::init(config.log_format);
    kindpakket_dashboard::startup::run(config).await
}

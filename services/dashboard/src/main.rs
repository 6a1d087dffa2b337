use kindpakket_platform::config::{Mode, ServiceConfig};
use kindpakket_platform::telemetry;

/// `kindpakket-dashboard` serves; `migrate` prepares its database and exits; `rebuild` clears the
/// read model for a replay of the streams and exits (see `kindpakket_dashboard::rebuild`).
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("rebuild") && std::env::args().count() == 2 {
        let config = ServiceConfig::load(8080, Mode::Serve)?;
        let telemetry = telemetry::init("kindpakket-dashboard", config.log_format);
        let result = kindpakket_dashboard::rebuild::run(config).await;
        telemetry.shutdown().await;
        return result;
    }
    let config = ServiceConfig::from_command_line(8080)?;
    let telemetry = telemetry::init("kindpakket-dashboard", config.log_format);
    let result = kindpakket_dashboard::startup::run(config).await;
    telemetry.shutdown().await;
    result
}

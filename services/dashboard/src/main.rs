use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::from_command_line(8080)?;
    telemetry::init(config.log_format);
    kindpakket_dashboard::startup::run(config).await
}

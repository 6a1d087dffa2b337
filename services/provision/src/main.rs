use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::from_command_line(8084)?;
    let telemetry = telemetry::init("kindpakket-provision", config.log_format);
    let result = kindpakket_provision::startup::run(config).await;
    telemetry.shutdown().await;
    result
}

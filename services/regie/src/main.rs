use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::from_command_line(8081)?;
    let telemetry = telemetry::init("kindpakket-regie", config.log_format);
    let result = kindpakket_regie::startup::run(config).await;
    telemetry.shutdown().await;
    result
}

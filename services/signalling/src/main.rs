use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::from_command_line(8082)?;
    let telemetry = telemetry::init("kindpakket-signalling", config.log_format);
    let result = kindpakket_signalling::startup::run(config).await;
    telemetry.shutdown().await;
    result
}

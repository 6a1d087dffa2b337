use kindpakket_application::config::ApplicationConfig;
use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::from_command_line(8083)?;
    let application = ApplicationConfig::load()?;
    let telemetry = telemetry::init("kindpakket-application", config.log_format);
    let result = kindpakket_application::startup::run(config, application).await;
    telemetry.shutdown().await;
    result
}

use kindpakket_application::config::ApplicationConfig;
use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::from_command_line(8083)?;
    let application = ApplicationConfig::load()?;
    telemetry::init(config.log_format);
    kindpakket_application::startup::run(config, application).await
}

use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::from_env(8083)?;
    telemetry::init(config.log_format);
    kindpakket_application::startup::run(config).await
}

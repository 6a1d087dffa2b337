use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::load(8081)?;
    telemetry::init(config.log_format);
    kindpakket_regie::startup::run(config).await
}

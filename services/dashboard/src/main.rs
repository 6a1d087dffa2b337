use kindpakket_platform::{config::ServiceConfig, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ServiceConfig::load(8080)?;
    telemetry::init(config.log_format);
    kindpakket_dashboard::startup::run(config).await
}

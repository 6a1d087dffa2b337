//! The operator's check after an incident: is every stored event on its stream exactly once, and has
//! the dashboard applied every one of them? Prints a table and exits 1 on any difference.
//!
//! `kindpakket-check --postgres postgres://postgres@127.0.0.1:15432 --nats nats://127.0.0.1:14222`
//! (the databases are `kindpakket_<service>` on that server, as `scripts/run.sh` sets them up).

use anyhow::Result;
use kindpakket_proto::Service;
use kindpakket_tests::inspect::{compare, compare_consumer, database_of};

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|index| args.get(index + 1).cloned())
            .unwrap_or_else(|| default.to_owned())
    };
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("kindpakket-check --postgres postgres://USER@HOST:PORT --nats nats://HOST:PORT");
        return Ok(());
    }
    let postgres = value("--postgres", "postgres://postgres@127.0.0.1:15432");
    let nats = value("--nats", "nats://127.0.0.1:14222");
    let dashboard_database = format!("{}/kindpakket_dashboard", postgres.trim_end_matches('/'));

    let mut healthy = true;
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>22}  verdict",
        "service", "in store", "on stream", "distinct", "dashboard behind on"
    );
    for service in Service::ALL {
        let store = format!(
            "{}/{}",
            postgres.trim_end_matches('/'),
            database_of(service)
        );
        let stream = compare(service, &store, &nats).await?;
        let consumer = kindpakket_proto::subjects::durable_name("dashboard", service);
        let dashboard = compare_consumer(service, &store, &dashboard_database, &consumer).await?;
        let ok = stream.is_exact() && dashboard.differing_aggregates == 0;
        healthy &= ok;
        println!(
            "{:<12} {:>10} {:>10} {:>10} {:>13} of {:>5}  {}",
            service.as_str(),
            stream.in_store,
            stream.on_stream,
            stream.distinct_on_stream,
            dashboard.differing_aggregates,
            dashboard.aggregates_in_store,
            if ok { "in orde" } else { "VERSCHIL" }
        );
    }
    if healthy {
        println!("Alles in orde: elke opgeslagen gebeurtenis staat precies één keer op haar stroom en is verwerkt in het dashboard.");
        Ok(())
    } else {
        println!("Er zijn verschillen. Een relay of consumer loopt achter of mist iets: kijk in de logs (alert=\"dead_letter\") en draai de check over een minuut opnieuw.");
        std::process::exit(1);
    }
}

//! Measures provision's ledger read on one gemeente with many entitlements, against a throw-away
//! PostgreSQL (from the test harness): the history folded from every event (`ledger::load_folded`,
//! as before issue 17) against the history read from `ledger_state` (`ledger::load`), each followed
//! by the ledger (`History::ledger`) as `GET /grootboek` computes it. Entitlements are opened and
//! delivered on through the real aggregate store, so the trigger keeps the rows as in the service.
//! Checks that both give the same ledger, then prints the median of several runs.
//!
//! `cargo run -p kindpakket-tests --bin bench-ledger -- [entitlements] [runs]` (default 5000 7)

use std::time::Instant;

use anyhow::{ensure, Result};
use kindpakket_platform::store::{AggregateStore, CommandContext, EVENT_STORE_MIGRATION};
use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::{DeliveryForm, Funder, FundingSource};
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, OrganisationId, ProvisionCode, Service};
use kindpakket_provision::domain::entitlement::{
    Entitlement, EntitlementCommand, Open, RecordDelivery,
};
use kindpakket_provision::ledger;
use kindpakket_provision::migrations::PROVISION_MIGRATION;
use kindpakket_provision::read_models::ledger_state::LEDGER_STATE_MIGRATION;
use kindpakket_tests::Postgres;
use time::macros::date;
use uuid::Uuid;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let entitlements: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(5_000);
    let runs: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(7);

    let postgres = Postgres::start_durable().await?;
    let pool = kindpakket_platform::db::connect(&postgres.url("bench")).await?;
    kindpakket_platform::db::migrate(
        &pool,
        &[
            EVENT_STORE_MIGRATION,
            PROVISION_MIGRATION,
            LEDGER_STATE_MIGRATION,
        ],
    )
    .await?;
    let store: AggregateStore<Entitlement> = AggregateStore::new(pool.clone(), ());
    let gemeente = GemeenteCode::parse("GM0855")?;
    let context = CommandContext::system(&gemeente, Service::Provision);
    let partner = OrganisationId::parse("sportclub-noord")?;
    let filled = Instant::now();
    for i in 0..entitlements {
        let id = Uuid::new_v4();
        let open = Open {
            gemeente: gemeente.clone(),
            opened: EntitlementOpened {
                entitlement_id: id,
                application_id: Uuid::new_v4(),
                child: ChildRef(Uuid::new_v4()),
                provision: ProvisionCode::parse("sportcontributie")?,
                amount_cents: Cents(25_000),
                valid_from: date!(2026 - 01 - 01),
                valid_until: date!(2026 - 12 - 31),
                funder: Some(Funder {
                    organisation: OrganisationId::parse("gemeente-tilburg")?,
                    source: FundingSource::Municipal,
                }),
                co_financing: None,
                form: None,
                unit_value_cents: None,
                household_children: vec![],
                regeling_id: None,
            },
            pass: None,
            opened_on: date!(2026 - 01 - 01),
        };
        store
            .execute(id, EntitlementCommand::Open(open), &context)
            .await
            .map_err(|error| anyhow::anyhow!("{error:?}"))?;
        // Two deliveries on most entitlements, as a year goes.
        for day in [10_u8, 20].into_iter().take(i % 3) {
            let delivery = RecordDelivery {
                gemeente: gemeente.clone(),
                delivery_id: Uuid::new_v4(),
                partner: partner.clone(),
                form: DeliveryForm::InKind,
                amount_cents: Cents(5_000),
                full_price_cents: None,
                delivered_on: time::Date::from_calendar_date(2026, time::Month::March, day)?,
                child: None,
            };
            store
                .execute(id, EntitlementCommand::RecordDelivery(delivery), &context)
                .await
                .map_err(|error| anyhow::anyhow!("{error:?}"))?;
        }
    }
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await?;
    eprintln!(
        "{entitlements} entitlements, {events} events written in {:.1} s",
        filled.elapsed().as_secs_f64()
    );

    let folded = ledger::load_folded(&pool, &gemeente).await?;
    let rows = ledger::load(&pool, &gemeente).await?;
    ensure!(
        folded.entitlements.len() == entitlements && rows.entitlements.len() == entitlements,
        "every entitlement is read"
    );
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..runs {
        let started = Instant::now();
        let history = ledger::load_folded(&pool, &gemeente).await?;
        let folded_ledger = history.ledger();
        times[0].push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let history = ledger::load(&pool, &gemeente).await?;
        let rows_ledger = history.ledger();
        times[1].push(started.elapsed().as_secs_f64() * 1000.0);
        ensure!(
            folded_ledger == rows_ledger,
            "the rows give the fold's ledger"
        );
    }
    println!(
        "ledger of one gemeente, {entitlements} entitlements, {events} events, {runs} runs (ms)"
    );
    println!(
        "{:<40} {:>10} {:>10} {:>10}",
        "read", "median", "min", "max"
    );
    for (name, mut values) in [
        ("fold every event (before)", times[0].clone()),
        ("ledger_state rows (after)", times[1].clone()),
    ] {
        values.sort_by(f64::total_cmp);
        println!(
            "{name:<40} {:>10.1} {:>10.1} {:>10.1}",
            values[values.len() / 2],
            values[0],
            values[values.len() - 1]
        );
    }
    Ok(())
}

//! The command path made cheaper (docs/scale.md, "Making it fast", item 6) keeps its guarantees,
//! through the public API: commands that race for one aggregate store it once and refuse the rest
//! (a command's events go in one statement, a lost race is retried against the new state), and
//! signals of one new child sent at once share one key, made and committed once, under which every
//! reason reads back.

use kindpakket_tests::client::{As, REGIE};
use kindpakket_tests::inspect::database_of;
use kindpakket_tests::Platform;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use kindpakket_proto::Service;

const GEMEENTE: &str = "GM0518";
const WIJKTEAM: As<'static> = As {
    organisation: "wijkteam-centrum",
    role: "signaller",
};

/// How many events the store of `service` holds per aggregate of `aggregate_type` among `ids`.
async fn events_per_aggregate(
    platform: &Platform,
    service: Service,
    aggregate_type: &str,
    ids: &[String],
) -> Vec<(String, i64)> {
    let pool = PgPool::connect(&platform.postgres.url(database_of(service)))
        .await
        .unwrap();
    let rows = sqlx::query_as(
        "SELECT aggregate_id, count(*) FROM events
          WHERE aggregate_type = $1 AND aggregate_id = ANY($2)
          GROUP BY aggregate_id ORDER BY aggregate_id",
    )
    .bind(aggregate_type)
    .bind(ids)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolments_of_one_partner_sent_at_once_store_it_once_and_refuse_the_others() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    for round in 0..3 {
        let partner = format!("gelijktijdig-{round}");
        let body = json!({
            "partner": partner,
            "naam": "Gelijktijdig",
            "rollen": ["signaleren"],
            "datum": "2026-01-01",
        });
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let kindpakket = kindpakket.clone();
                let body = body.clone();
                tokio::spawn(async move {
                    kindpakket
                        .post(&kindpakket.regie_url(GEMEENTE, "partners"), REGIE, &body)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut created = 0;
        for attempt in attempts {
            let answer = attempt.await.unwrap();
            match answer.status {
                StatusCode::CREATED => created += 1,
                // Lost the race: retried against the enrolment that won, and refused in Dutch.
                StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
                    assert_eq!(answer.content_type, "application/problem+json");
                }
                other => panic!("a racing enrolment answered {other}: {answer:?}"),
            }
        }
        assert_eq!(created, 1, "exactly one of the racing enrolments is taken");
        let stored = events_per_aggregate(
            &platform,
            Service::Regie,
            "enrolment",
            &[format!("{GEMEENTE}:{partner}")],
        )
        .await;
        assert_eq!(
            stored,
            vec![(format!("{GEMEENTE}:{partner}"), 1)],
            "the enrolment is stored once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_of_one_new_child_sent_at_once_share_one_key_and_every_reason_reads_back() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, WIJKTEAM.organisation, "Wijkteam Centrum")
        .await
        .unwrap();
    // The signalling service knows the wijkteam once a first signal is taken.
    let first = kindpakket
        .signal_body(WIJKTEAM.organisation, Uuid::new_v4())
        .unwrap();
    kindpakket
        .post_signal(GEMEENTE, WIJKTEAM, &first)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    let keys = PgPool::connect(&platform.postgres.url("kindpakket_signalling_keys"))
        .await
        .unwrap();
    for _ in 0..3 {
        let child = Uuid::new_v4();
        let body = kindpakket
            .signal_body(WIJKTEAM.organisation, child)
            .unwrap();
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let kindpakket = kindpakket.clone();
                let body = body.clone();
                tokio::spawn(async move {
                    kindpakket
                        .post(
                            &kindpakket.signalling_url(GEMEENTE, "signaleringen"),
                            WIJKTEAM,
                            &body,
                        )
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for attempt in attempts {
            let answer = attempt.await.unwrap();
            assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
            ids.push(answer.body["id"].as_str().unwrap().to_owned());
        }
        // One key for the child in this month, committed: made once, whichever seal came first.
        let child_keys: i64 =
            sqlx::query_scalar("SELECT count(*) FROM subject_keys WHERE subject = $1")
                .bind(child)
                .fetch_one(&keys)
                .await
                .unwrap();
        assert_eq!(child_keys, 1, "one key for the child");
        // Every signal stored once, and its reason opens under that key.
        let stored = events_per_aggregate(&platform, Service::Signalling, "signal", &ids).await;
        assert_eq!(stored.len(), ids.len());
        assert!(stored.iter().all(|(_, count)| *count == 1), "{stored:?}");
        for id in &ids {
            for who in [WIJKTEAM, REGIE] {
                let view = kindpakket
                    .get(
                        &kindpakket.signalling_url(GEMEENTE, &format!("signaleringen/{id}")),
                        Some(who),
                    )
                    .await
                    .unwrap();
                assert_eq!(view.status, StatusCode::OK, "{view:?}");
                assert_eq!(view.body["reden"], "schulden", "{}", view.body);
                assert_eq!(view.body["vergeten"], false, "{}", view.body);
            }
        }
    }
    keys.close().await;
}

/// A command that creates something runs without reading a history first
/// (`AggregateStore::execute_new`: the id was just made for it), and yet its answer is always the
/// stored history's: tried against an empty history, its events only count when they took the
/// aggregate's first sequence number; an id that has a history is decided by that history — refused
/// as the history refuses it, accepted as the history accepts it, and nothing stored twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_executed_as_new_on_an_id_that_has_a_history_is_decided_by_that_history() {
    use kindpakket_platform::store::{
        AggregateStore, CommandContext, CommandError, EVENT_STORE_MIGRATION,
    };
    use kindpakket_proto::signalling::Referral;
    use kindpakket_proto::{Actor, ChildRef, GemeenteCode, OrganisationId, Role};
    use kindpakket_signalling::domain::signal::{
        Accept, Acting, Signal, SignalChild, SignalCommand, SignalError,
    };

    let postgres = kindpakket_tests::Postgres::start().await.unwrap();
    let pool = kindpakket_platform::db::connect(&postgres.url("execute_new"))
        .await
        .unwrap();
    kindpakket_platform::db::migrate(&pool, &[EVENT_STORE_MIGRATION])
        .await
        .unwrap();
    let signals: AggregateStore<Signal> = AggregateStore::new(pool.clone(), ());
    let gemeente = GemeenteCode::parse(GEMEENTE).unwrap();
    let leergeld = OrganisationId::parse("leergeld").unwrap();
    let context = CommandContext {
        gemeente: gemeente.clone(),
        actor: Actor {
            organisation: OrganisationId::parse(WIJKTEAM.organisation).unwrap(),
            role: Role::Signaller,
        },
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    let signal_child = |signal_id: Uuid| {
        SignalCommand::SignalChild(SignalChild {
            gemeente: gemeente.clone(),
            signal_id,
            signaller: OrganisationId::parse(WIJKTEAM.organisation).unwrap(),
            child: ChildRef::new_random(),
            household: None,
            // A sealed reason as the store keeps it (what it says does not matter here).
            why: serde_json::from_value(json!({
                "s": Uuid::new_v4(), "e": 202609, "n": "AAAAAAAAAAAAAAAA", "c": "c2NodWxkZW4="
            }))
            .unwrap(),
            provision_type: None,
            wijk: None,
            referral: Referral::Partner {
                partner: leergeld.clone(),
            },
            due_on: None,
            signalled_on: time::macros::date!(2026 - 09 - 01),
        })
    };
    let accept = SignalCommand::Accept(Accept {
        by: Acting {
            gemeente: gemeente.clone(),
            organisation: leergeld.clone(),
            as_loket: false,
            via_link: None,
        },
        on: time::macros::date!(2026 - 09 - 02),
    });
    let history = |id: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT sequence, event_type FROM events WHERE aggregate_id = $1 ORDER BY sequence",
            )
            .bind(id.to_string())
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };

    // A new id: stored once, at the first sequence number.
    let id = Uuid::new_v4();
    signals
        .execute_new(id, signal_child(id), &context)
        .await
        .expect("a new signal is stored");
    assert_eq!(history(id).await, vec![(1, "ChildSignalled".to_owned())]);

    // The same id again: an empty history would take the signal, the stored one refuses it as a
    // duplicate — the answer the caller gets, with nothing stored.
    let again = signals.execute_new(id, signal_child(id), &context).await;
    assert!(
        matches!(
            again,
            Err(CommandError::Rejected(SignalError::AlreadyExists))
        ),
        "the stored history's refusal, not a conflict or an error: {again:?}"
    );
    assert_eq!(history(id).await, vec![(1, "ChildSignalled".to_owned())]);

    // A command an empty history refuses (no such signal) and the stored one accepts: accepted,
    // stored after the history. Accepted once more by the same partner: nothing new to store.
    signals
        .execute_new(id, accept.clone(), &context)
        .await
        .expect("the stored signal is accepted by the partner it was referred to");
    signals
        .execute_new(id, accept, &context)
        .await
        .expect("accepting again changes nothing and is no error");
    assert_eq!(
        history(id).await,
        vec![
            (1, "ChildSignalled".to_owned()),
            (2, "ReferralAccepted".to_owned())
        ]
    );
    pool.close().await;
}

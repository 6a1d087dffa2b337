//! The lists a national year makes long, paged (issue 17): through the public API as the real
//! roles, a list longer than a page is read page by page following `volgende`:
//!
//! - every item exactly once and in the list's order, also when items are added between pages
//!   (those that sort after the cursor appear, nothing is skipped or repeated): regie's and a
//!   signaller's signals, the auditor's audit log (newly paged), the reminders of campaigns (newly
//!   paged: a campaign started while paging comes after what was seen);
//! - a role sees only its own gemeente's items on every page, also with a cursor taken from another
//!   gemeente's list;
//! - `aantal` above 200, 0 or not a number, and a garbled or forged cursor, are a Dutch 400 that
//!   changes nothing (the list and the audit log read the same after).

use std::collections::BTreeSet;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kindpakket_tests::client::{As, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const OTHER: &str = "GM0363";
const WIJKTEAM: &str = "wijkteam-centrum";
const DELIVERER: &str = "jeugdfonds-sport-cultuur";

const AUDITOR: As<'static> = As {
    organisation: "gemeente-controller",
    role: "auditor",
};
const SIGNALLER: As<'static> = As {
    organisation: WIJKTEAM,
    role: "signaller",
};

/// `url` with `aantal` and, when given, `na` added to its query string.
fn page_url(url: &str, aantal: u32, na: Option<&str>) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    match na {
        Some(cursor) => format!("{url}{separator}aantal={aantal}&na={cursor}"),
        None => format!("{url}{separator}aantal={aantal}"),
    }
}

/// One page: its items (under `items_key`) and its `volgende`.
async fn page(
    kindpakket: &Kindpakket,
    url: &str,
    who: As<'_>,
    items_key: &str,
) -> (Vec<Value>, Option<String>) {
    let body = kindpakket
        .get(url, Some(who))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let items = body[items_key]
        .as_array()
        .unwrap_or_else(|| panic!("{items_key} in {body}"))
        .clone();
    assert!(items.len() <= 200, "never more than a page");
    (items, body["volgende"].as_str().map(str::to_owned))
}

/// Reads a whole list with pages of `aantal`, calling `between` after each page but the last (to
/// add items while paging). Answers the items in the order given.
async fn read_all<F, Fut>(
    kindpakket: &Kindpakket,
    url: &str,
    who: As<'_>,
    items_key: &str,
    aantal: u32,
    mut between: F,
) -> Vec<Value>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for number in 0.. {
        let (items, next) = page(
            kindpakket,
            &page_url(url, aantal, cursor.as_deref()),
            who,
            items_key,
        )
        .await;
        assert!(
            items.len() <= aantal as usize,
            "a page holds at most aantal"
        );
        all.extend(items);
        match next {
            Some(next) => {
                assert_ne!(Some(&next), cursor.as_ref(), "the cursor moves on");
                cursor = Some(next);
                between(number).await;
            }
            None => break,
        }
        assert!(number < 1_000, "the list ends");
    }
    all
}

/// A BSN that passes the 11-proef, different for every `seed`.
fn bsn(seed: u32) -> String {
    (seed * 10..)
        .find_map(|candidate| {
            let digits: Vec<u32> = format!("{:08}", 10_000_000 + candidate % 90_000_000)
                .chars()
                .map(|c| c.to_digit(10).unwrap_or(0))
                .collect();
            let sum: u32 = digits.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
            let check = sum % 11;
            (check < 10).then(|| {
                format!(
                    "{}{check}",
                    digits.iter().map(u32::to_string).collect::<String>()
                )
            })
        })
        .unwrap_or_default()
}

/// Waits until regie's signal list of `gemeente` holds `id` (it is kept from the signalling
/// stream, a moment after the command).
async fn wait_listed(kindpakket: &Kindpakket, gemeente: &str, id: &str) {
    let url = page_url(
        &kindpakket.signalling_url(gemeente, "signaleringen"),
        200,
        None,
    );
    wait_until(
        &format!("signal {id} on the list"),
        Duration::from_secs(20),
        || async {
            let body = kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            let listed = body["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|item| item["id"] == id));
            when(listed, body)
        },
    )
    .await
    .unwrap();
}

fn ids(items: &[Value], key: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            item[key]
                .as_str()
                .unwrap_or_else(|| panic!("{key} in {item}"))
                .to_owned()
        })
        .collect()
}

fn assert_once(ids: &[String], what: &str) {
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{what}: every item once: {ids:?}");
}

/// The bad page parameters, each a Dutch 400 naming the parameter.
fn bad_parameters() -> Vec<(String, &'static str)> {
    let forged = URL_SAFE_NO_PAD.encode(br#"{"positie": "laatste"}"#);
    vec![
        ("aantal=201".to_owned(), "'aantal'"),
        ("aantal=0".to_owned(), "'aantal'"),
        ("aantal=veel".to_owned(), "'aantal'"),
        ("aantal=-5".to_owned(), "'aantal'"),
        ("na=%%%garbled".to_owned(), "'na'"),
        ("na=bGFhdHN0ZQ".to_owned(), "'na'"),
        (format!("na={forged}"), "'na'"),
    ]
}

async fn assert_refused(kindpakket: &Kindpakket, url: &str, who: As<'_>) {
    for (parameters, named) in bad_parameters() {
        let separator = if url.contains('?') { '&' } else { '?' };
        let answer = kindpakket
            .get(&format!("{url}{separator}{parameters}"), Some(who))
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{url} {parameters}: {}",
            answer.body
        );
        assert!(
            answer.content_type.starts_with("application/problem+json"),
            "{}",
            answer.content_type
        );
        let detail = answer.detail();
        assert!(detail.contains(named), "{parameters}: {detail}");
        assert!(
            detail.contains("moet een getal") || detail.contains("begin opnieuw"),
            "a Dutch sentence that says what to do: {detail}"
        );
        assert!(
            !detail.contains("garbled") && !detail.contains("veel"),
            "{detail}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_and_the_audit_log_page_every_item_once_in_order_within_the_gemeente() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    for gemeente in [G, OTHER] {
        kindpakket
            .enrol_signaller(gemeente, WIJKTEAM, "Wijkteam Centrum")
            .await
            .unwrap();
    }
    // Eleven signals in G over six days (two on most days: the id breaks the tie), three in the
    // other gemeente.
    let mut in_g = BTreeSet::new();
    for n in 0..11 {
        let date = format!("2026-09-{:02}", 1 + n / 2);
        let id = kindpakket
            .signal_child(G, WIJKTEAM, Uuid::new_v4(), &date)
            .await
            .unwrap();
        in_g.insert(id.to_string());
    }
    for id in &in_g {
        wait_listed(&kindpakket, G, id).await;
    }
    let mut in_other = BTreeSet::new();
    for n in 0..3 {
        let id = kindpakket
            .signal_child(
                OTHER,
                WIJKTEAM,
                Uuid::new_v4(),
                &format!("2026-09-0{}", n + 1),
            )
            .await
            .unwrap();
        in_other.insert(id.to_string());
    }
    for id in &in_other {
        wait_listed(&kindpakket, OTHER, id).await;
    }
    let url = kindpakket.signalling_url(G, "signaleringen");

    // Regie reads its gemeente's signals three at a time; after each page the wijkteam signals
    // another child, dated before everything listed (so after the cursor: it must appear) — and
    // one dated later (before the cursor: it does not, and nothing shifts).
    let added_after = std::sync::Mutex::new(Vec::new());
    let added_before = std::sync::Mutex::new(Vec::new());
    let listed = {
        let kindpakket = &kindpakket;
        let (added_after, added_before) = (&added_after, &added_before);
        read_all(kindpakket, &url, REGIE, "items", 3, |number| async move {
            let early = format!("2026-08-{:02}", 20 - number);
            let id = kindpakket
                .signal_child(G, WIJKTEAM, Uuid::new_v4(), &early)
                .await
                .unwrap();
            wait_listed(kindpakket, G, &id.to_string()).await;
            added_after.lock().unwrap().push(id.to_string());
            let late = kindpakket
                .signal_child(G, WIJKTEAM, Uuid::new_v4(), "2026-10-01")
                .await
                .unwrap();
            wait_listed(kindpakket, G, &late.to_string()).await;
            added_before.lock().unwrap().push(late.to_string());
        })
        .await
    };
    let added_after = added_after.into_inner().unwrap();
    let added_before = added_before.into_inner().unwrap();
    let listed_ids = ids(&listed, "id");
    assert_once(&listed_ids, "regie's signals");
    let keys: Vec<(String, String)> = listed
        .iter()
        .map(|row| {
            (
                row["datum"].as_str().unwrap().to_owned(),
                row["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(keys, sorted, "newest first, then by id");
    let listed_set: BTreeSet<String> = listed_ids.iter().cloned().collect();
    let expected: BTreeSet<String> = in_g
        .iter()
        .cloned()
        .chain(added_after.iter().cloned())
        .collect();
    assert_eq!(
        listed_set, expected,
        "every signal in view, and each added after the cursor"
    );
    assert!(added_before.iter().all(|id| !listed_set.contains(id)));
    assert!(
        in_other.iter().all(|id| !listed_set.contains(id)),
        "only its own gemeente"
    );

    // The wijkteam pages through its own signals of G two at a time: the same signals now.
    let own = read_all(&kindpakket, &url, SIGNALLER, "items", 2, |_| async {}).await;
    let own_ids = ids(&own, "id");
    assert_once(&own_ids, "the wijkteam's signals");
    let everything: BTreeSet<String> = expected
        .iter()
        .cloned()
        .chain(added_before.iter().cloned())
        .collect();
    assert_eq!(own_ids.iter().cloned().collect::<BTreeSet<_>>(), everything);

    // A cursor taken from the other gemeente's list gives nothing of the other gemeente.
    let (_, foreign) = page(
        &kindpakket,
        &page_url(&kindpakket.signalling_url(OTHER, "signaleringen"), 1, None),
        REGIE,
        "items",
    )
    .await;
    let foreign = foreign.expect("the other gemeente has more than one signal");
    for who in [REGIE, SIGNALLER] {
        let (items, _) = page(
            &kindpakket,
            &page_url(&url, 200, Some(&foreign)),
            who,
            "items",
        )
        .await;
        assert!(!items.is_empty());
        for id in ids(&items, "id") {
            assert!(everything.contains(&id), "{id} is not of {G}");
        }
    }

    // Bad page parameters: a Dutch 400, and the list reads the same after.
    let before = read_all(&kindpakket, &url, REGIE, "items", 200, |_| async {}).await;
    assert_refused(&kindpakket, &url, REGIE).await;
    assert_refused(&kindpakket, &url, SIGNALLER).await;
    let after = read_all(&kindpakket, &url, REGIE, "items", 200, |_| async {}).await;
    assert_eq!(before, after, "the refusals changed nothing");

    // The audit log: regie registers children in both gemeenten (each a row), the auditor of G
    // pages through it two rows at a time while more are registered.
    for n in 0..5 {
        kindpakket
            .register_child(G, &bsn(100 + n), &format!("Kind {n}"))
            .await
            .unwrap();
        kindpakket
            .register_child(OTHER, &bsn(200 + n), &format!("Ander {n}"))
            .await
            .unwrap();
    }
    let audit_url = kindpakket.application_url(G, "auditlog");
    let mut registered = 5;
    let paged = {
        let kindpakket = &kindpakket;
        let registered = &mut registered;
        read_all(kindpakket, &audit_url, AUDITOR, "regels", 2, |number| {
            *registered += 1;
            async move {
                kindpakket
                    .register_child(G, &bsn(300 + number as u32), "Later")
                    .await
                    .unwrap();
                kindpakket
                    .register_child(OTHER, &bsn(400 + number as u32), "Later")
                    .await
                    .unwrap();
            }
        })
        .await
    };
    let whole = kindpakket
        .get(&page_url(&audit_url, 200, None), Some(AUDITOR))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(whole["keten"], "in orde", "{whole}");
    assert!(whole.get("volgende").is_none(), "{whole}");
    let all_rows = whole["regels"].as_array().unwrap();
    let sequence = |rows: &[Value]| -> Vec<i64> {
        rows.iter()
            .map(|row| row["seq"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        sequence(&paged),
        sequence(all_rows),
        "each row once, in the chain's order"
    );
    assert!(sequence(&paged).windows(2).all(|pair| pair[0] < pair[1]));
    assert!(
        paged.iter().all(|row| row["gemeente"] == G),
        "only its own gemeente"
    );
    let registrations = paged
        .iter()
        .filter(|row| row["action"] == "registreren")
        .count();
    assert_eq!(
        registrations, registered,
        "every registration in G, also those made while paging"
    );

    // A cursor of the other gemeente's log, and bad parameters.
    let (_, foreign) = page(
        &kindpakket,
        &page_url(&kindpakket.application_url(OTHER, "auditlog"), 1, None),
        AUDITOR,
        "regels",
    )
    .await;
    let (rows, _) = page(
        &kindpakket,
        &page_url(&audit_url, 200, foreign.as_deref()),
        AUDITOR,
        "regels",
    )
    .await;
    assert!(rows.iter().all(|row| row["gemeente"] == G));
    assert_refused(&kindpakket, &audit_url, AUDITOR).await;
    let again = kindpakket
        .get(&page_url(&audit_url, 200, None), Some(AUDITOR))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(again, whole, "the refusals wrote nothing on the audit log");
}

/// The regeling decides a loket application; answers its one entitlement once provision opened it.
async fn granted_at_the_loket(kindpakket: &Kindpakket, year: i32, date: &str) -> Uuid {
    let application = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": year - 9, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": ["sportcontributie"],
                "datum": date,
            }),
        )
        .await
        .unwrap();
    let decided = kindpakket
        .assess(G, application, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    let entitlement = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    kindpakket
        .wait_for_entitlement(G, DELIVERER, entitlement, Duration::from_secs(20))
        .await
        .unwrap();
    entitlement
}

async fn start_campaign(kindpakket: &Kindpakket, name: &str) {
    kindpakket
        .post(
            &kindpakket.provision_url(G, "campagnes"),
            REGIE,
            &json!({"id": Uuid::new_v4(), "naam": name}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminders_page_every_reminder_once_also_of_a_campaign_started_while_paging() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let year = today.year();
    let date = today.to_string();
    kindpakket.sport_regeling(G, year).await.unwrap();
    let mut first = BTreeSet::new();
    for _ in 0..5 {
        first.insert(
            granted_at_the_loket(&kindpakket, year, &date)
                .await
                .to_string(),
        );
    }
    start_campaign(&kindpakket, "Herinnering voor het schooljaar").await;
    let url = kindpakket.provision_url(G, "herinneringen");

    // Regie reads its reminders two at a time; after the first page two more families are
    // granted and a second campaign reminds them (and again the first five).
    let second = std::sync::Mutex::new(BTreeSet::new());
    let listed = {
        let kindpakket = &kindpakket;
        let second = &second;
        let date = &date;
        read_all(
            kindpakket,
            &url,
            REGIE,
            "herinneringen",
            2,
            |number| async move {
                if number == 0 {
                    for _ in 0..2 {
                        let entitlement = granted_at_the_loket(kindpakket, year, date).await;
                        second.lock().unwrap().insert(entitlement.to_string());
                    }
                    start_campaign(kindpakket, "December").await;
                }
            },
        )
        .await
    };
    let second = second.into_inner().unwrap();
    let pairs: Vec<(String, String)> = listed
        .iter()
        .map(|row| {
            (
                row["campagne"].as_str().unwrap().to_owned(),
                row["recht"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let unique: BTreeSet<&(String, String)> = pairs.iter().collect();
    assert_eq!(unique.len(), pairs.len(), "each reminder once: {pairs:?}");
    // The first campaign's five, then the second's seven; within a campaign by entitlement.
    assert_eq!(pairs.len(), 5 + 7, "{pairs:?}");
    let first_campaign = &pairs[0].0;
    assert!(pairs[..5]
        .iter()
        .all(|(campaign, _)| campaign == first_campaign));
    assert!(pairs[5..]
        .iter()
        .all(|(campaign, _)| campaign != first_campaign));
    assert_eq!(
        pairs[..5]
            .iter()
            .map(|(_, right)| right.clone())
            .collect::<BTreeSet<_>>(),
        first
    );
    let expected: BTreeSet<String> = first.union(&second).cloned().collect();
    assert_eq!(
        pairs[5..]
            .iter()
            .map(|(_, right)| right.clone())
            .collect::<BTreeSet<_>>(),
        expected
    );
    for part in [&pairs[..5], &pairs[5..]] {
        assert!(
            part.windows(2).all(|pair| pair[0].1 < pair[1].1),
            "by entitlement: {part:?}"
        );
    }

    // Bad parameters, and a cursor naming a campaign that does not exist, change nothing.
    let before = read_all(&kindpakket, &url, REGIE, "herinneringen", 200, |_| async {}).await;
    assert_refused(&kindpakket, &url, REGIE).await;
    let unknown = URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&json!([Uuid::new_v4(), Uuid::new_v4()])).unwrap());
    let answer = kindpakket
        .get(&page_url(&url, 2, Some(&unknown)), Some(REGIE))
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.detail().contains("'na'"), "{}", answer.detail());
    let after = read_all(&kindpakket, &url, REGIE, "herinneringen", 200, |_| async {}).await;
    assert_eq!(before, after);
    assert_eq!(before, listed);
}

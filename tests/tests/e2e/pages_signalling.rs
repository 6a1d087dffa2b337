//! The signalling pages, as the people on them use them and as an attacker tries them: a school
//! signals a pupil through `/signaleren` (identified by name and date of birth: the signal carries
//! the school's own reference), sees it on `/signaleringen` with its status only, Leergeld picks
//! the referral up and closes it on `/verwijzingen`, and when the loket applies, the regeling grants
//! and a sports club delivers, the school's page says "Bediend" and nothing of the application.
//! Another organisation's signal is not shown, another partner cannot pick up the referral, a post
//! without the form token changes nothing. And in a real browser, at phone and desktop width.

use std::time::Duration;

use kindpakket_tests::browser::Browser;
use kindpakket_tests::client::{on_behalf, provision, As, Kindpakket, REGIE};
use kindpakket_tests::pages::{dutch_date, PageAnswer, PageSession};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const DEN_HAAG: (&str, &str) = ("GM0518", "Den Haag");
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};
const LEERGELD: &str = "leergeld";
const SPORTCLUB: &str = "vv-de-zwaluwen";

/// A regeling for sport, Leergeld (the test user `leergeld`) and a sports club enrolled for it,
/// signals for sport and culture routed to Leergeld within 5 working days, the school enrolled to
/// signal. The routing before the school's enrolment: they reach the signalling service in order.
async fn set_up(kindpakket: &Kindpakket) {
    let year = kindpakket_platform::clock::today().year();
    kindpakket
        .publish_regeling(
            G,
            year,
            &[provision(
                "sportcontributie",
                "Sportcontributie",
                "maatschappelijke_participatie",
                (4, 17),
                25_000,
                "in_natura",
            )],
        )
        .await
        .unwrap();
    for (partner, name) in [
        (LEERGELD, "Stichting Leergeld"),
        (SPORTCLUB, "VV De Zwaluwen"),
    ] {
        kindpakket
            .enrol_partner(G, partner, name, &["sportcontributie"])
            .await
            .unwrap();
    }
    kindpakket
        .set_routing(
            G,
            json!([{"voorzieningsoort": "maatschappelijke_participatie", "wijk": null,
                    "naar": {"partner": LEERGELD}, "reactietermijnWerkdagen": 5}]),
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, SCHOOL.organisation, "Basisschool De Regenboog")
        .await
        .unwrap();
}

/// The form of `/signaleren` for the pupil Noor Visser, born 12 April 2016, with `note`.
fn pupil_form(note: &str) -> Vec<(&str, &str)> {
    vec![
        ("voornaam", "Noor"),
        ("achternaam", "Visser"),
        ("geboortedatum", "12-04-2016"),
        ("bsn", ""),
        ("voorzieningsoort", "maatschappelijke_participatie"),
        ("reden", "laag_inkomen"),
        ("toelichting", note),
    ]
}

/// The school's signals as the API lists them.
async fn school_signals(kindpakket: &Kindpakket) -> Vec<Value> {
    let page = kindpakket
        .get(&kindpakket.signalling_url(G, "signaleringen"), Some(SCHOOL))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    page["items"].as_array().cloned().unwrap_or_default()
}

/// The signal as the regie reads it (everything).
async fn regie_view(kindpakket: &Kindpakket, id: &str) -> Value {
    kindpakket
        .get(
            &kindpakket.signalling_url(G, &format!("signaleringen/{id}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

/// Posts the signal form until the services know the school's enrolment (a moment after it was
/// made they refuse, saying so), then returns the answer.
async fn signal_through_page(school: &mut PageSession, form: &[(&str, &str)]) -> PageAnswer {
    let session = school.clone();
    let answer = wait_until(
        "the school's enrolment known to the services",
        Duration::from_secs(30),
        || {
            let mut session = session.clone();
            async move {
                let answer = session.post("/signaleren", form).await?;
                let not_yet = answer.status == StatusCode::FORBIDDEN
                    && answer.text().contains("ingeschreven");
                when(!not_yet, answer)
            }
        },
    )
    .await
    .unwrap();
    *school = session;
    answer
}

/// Waits until `page` of `session` says `expected`.
async fn page_says(session: &PageSession, page: &str, expected: &str) -> PageAnswer {
    wait_until(
        &format!("{page} says {expected:?}"),
        Duration::from_secs(30),
        || {
            let mut session = session.clone();
            async move {
                let answer = session.get(page).await?;
                let says = answer.text().contains(expected);
                when(says, answer)
            }
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_signals_on_the_page_and_follows_it_to_bediend_and_attacks_change_nothing() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    set_up(&kindpakket).await;

    // The school opens the form: one page, the needs in plain words.
    let mut school = PageSession::login(&base, "school", G).await.unwrap();
    let form = school.get("/signaleren").await.unwrap();
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let text = form.text();
    for shown in [
        "Om welk kind gaat het?",
        "Sport, cultuur of meedoen",
        "Waarom signaleert u?",
        "Signalering versturen",
    ] {
        assert!(text.contains(shown), "{shown}: {text}");
    }

    // A note with an e-mail address is refused by the API, in Dutch, the form kept; nothing stored.
    let refused =
        signal_through_page(&mut school, &pupil_form("Mail de moeder: ouder@example.nl")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    assert!(refused.text().contains("Niet gelukt"), "{}", refused.text());
    assert!(refused.text().contains("toelichting"), "{}", refused.text());
    assert!(refused.html.contains("value=\"Noor\""), "the form is kept");
    assert!(school_signals(&kindpakket).await.is_empty());

    // Without a name or BSN the page itself says what is missing.
    let empty = school
        .post("/signaleren", &[("voorzieningsoort", "school")])
        .await
        .unwrap();
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.text().contains("Vul in om welk kind het gaat"),
        "{}",
        empty.text()
    );

    // The signal: Post/Redirect/Get to the confirmation, which says where it goes and by when.
    let sent =
        signal_through_page(&mut school, &pupil_form("Kan niet mee met de voetbalclub")).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let location = sent.location.clone().unwrap();
    assert!(
        location.starts_with("/signaleren/verstuurd?id="),
        "{location}"
    );
    let confirmation = school.follow(&sent).await.unwrap();
    assert_eq!(confirmation.status, StatusCode::OK);
    let text = confirmation.text();
    let due =
        kindpakket_platform::calendar::add_working_days(kindpakket_platform::clock::today(), 5);
    let due_text = dutch_date(due);
    for shown in [
        "Uw signalering is verstuurd",
        "Doorverwezen",
        "Stichting Leergeld",
        "Sport, cultuur of meedoen",
        "Uiterlijk opgepakt",
    ] {
        assert!(text.contains(shown), "{shown}: {text}");
    }
    assert!(text.contains(&due_text), "{due_text}: {text}");

    // In the API: one signal of the school, for the pupil under the school's own reference, with
    // the need, the reason and the note it typed, referred to Leergeld.
    let rows = wait_until(
        "the signal on the school's list",
        Duration::from_secs(30),
        || async {
            let rows = school_signals(&kindpakket).await;
            when(!rows.is_empty(), rows)
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let id = rows[0]["id"].as_str().unwrap().to_owned();
    assert!(location.contains(&id), "{location}");
    let reference = kindpakket
        .identify(
            G,
            SCHOOL,
            &json!({"kind": {"voornaam": "Noor", "achternaam": "Visser",
                             "geboortedatum": "2016-04-12"}}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()["kind"]
        .clone();
    assert_eq!(rows[0]["kind"], reference);
    let view = regie_view(&kindpakket, &id).await;
    assert_eq!(view["voorzieningsoort"], "maatschappelijke_participatie");
    assert_eq!(view["reden"], "laag_inkomen");
    assert_eq!(view["toelichting"], "Kan niet mee met de voetbalclub");
    assert_eq!(view["verwezenNaar"]["partner"], LEERGELD, "{view}");

    // The school's list shows it with its status, the detail page what the school wrote.
    let list = page_says(&school, "/signaleringen", "Doorverwezen").await;
    assert!(list.html.contains(&format!("/signaleringen/{id}")));
    let detail = school.get(&format!("/signaleringen/{id}")).await.unwrap();
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.text().contains("Kan niet mee met de voetbalclub"));
    assert!(
        !detail.text().contains("Stichting Leergeld"),
        "where it went is not the school's"
    );

    // Attack: another signaller's page for the school's signal shows nothing of it.
    let mut wijkteam = PageSession::login(&base, "wijkteam", G).await.unwrap();
    let foreign = wijkteam.get(&format!("/signaleringen/{id}")).await.unwrap();
    assert!(
        matches!(
            foreign.status,
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
        ),
        "{}",
        foreign.status
    );
    for hidden in [
        "voetbalclub",
        "weinig geld",
        "Doorverwezen",
        reference.as_str().unwrap(),
    ] {
        assert!(
            !foreign.text().contains(hidden),
            "{hidden}: {}",
            foreign.text()
        );
    }
    // … nor does a partner's look at the signaller's pages, nor a signaller at the partner's.
    let mut jeugdfonds = PageSession::login(&base, "jeugdfonds", G).await.unwrap();
    assert_eq!(
        jeugdfonds.get("/signaleringen").await.unwrap().status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        school.get("/verwijzingen").await.unwrap().status,
        StatusCode::FORBIDDEN
    );

    // Attack: another partner cannot pick up Leergeld's referral through the page; refused in
    // Dutch, nothing of the referral shown, and the signal unchanged.
    let not_theirs = jeugdfonds
        .get(&format!("/verwijzingen/{id}"))
        .await
        .unwrap();
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    let taken = jeugdfonds
        .post(&format!("/verwijzingen/{id}/oppakken"), &[])
        .await
        .unwrap();
    assert_eq!(taken.status, StatusCode::FORBIDDEN, "{}", taken.text());
    assert!(
        taken.text().contains("niet aan uw organisatie gericht"),
        "{}",
        taken.text()
    );
    assert!(!taken.text().contains("Basisschool De Regenboog"));
    assert_eq!(regie_view(&kindpakket, &id).await["status"], "doorverwezen");

    // Attack: posts without the form token (another site's forms) are refused and change nothing.
    let mut leergeld = PageSession::login(&base, "leergeld", G).await.unwrap();
    let mut forged = pupil_form("Nog een keer");
    let forged_signal = school.post_raw("/signaleren", &forged).await.unwrap();
    assert_eq!(forged_signal.status, StatusCode::FORBIDDEN);
    forged.push(("_csrf", "geraden"));
    let guessed = school.post_raw("/signaleren", &forged).await.unwrap();
    assert_eq!(guessed.status, StatusCode::FORBIDDEN);
    let forged_accept = leergeld
        .post_raw(&format!("/verwijzingen/{id}/oppakken"), &[])
        .await
        .unwrap();
    assert_eq!(forged_accept.status, StatusCode::FORBIDDEN);
    assert!(forged_accept.text().contains("Er is niets opgeslagen"));
    assert_eq!(school_signals(&kindpakket).await.len(), 1);
    assert_eq!(regie_view(&kindpakket, &id).await["status"], "doorverwezen");

    // Leergeld sees the referral with its due date, picks it up and records that it reached the
    // family.
    let referrals = page_says(&leergeld, "/verwijzingen", "Basisschool De Regenboog").await;
    assert!(referrals.text().contains(&due_text), "{}", referrals.text());
    assert!(referrals.html.contains(&format!("/verwijzingen/{id}")));
    let referral = leergeld.get(&format!("/verwijzingen/{id}")).await.unwrap();
    assert!(
        referral.text().contains("Verwijzing oppakken"),
        "{}",
        referral.text()
    );
    assert!(
        !referral.text().contains("voetbalclub"),
        "the reason is not the partner's"
    );
    let accepted = leergeld
        .post(&format!("/verwijzingen/{id}/oppakken"), &[])
        .await
        .unwrap();
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "{}",
        accepted.text()
    );
    let after = leergeld.follow(&accepted).await.unwrap();
    assert!(
        after.text().contains("U heeft de verwijzing opgepakt"),
        "{}",
        after.text()
    );
    // An outcome that is not one of the three is the page's own refusal.
    let odd = leergeld
        .post(
            &format!("/verwijzingen/{id}/uitkomst"),
            &[("uitkomst", "geweldig")],
        )
        .await
        .unwrap();
    assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reached = leergeld
        .post(
            &format!("/verwijzingen/{id}/uitkomst"),
            &[("uitkomst", "gezin-bereikt")],
        )
        .await
        .unwrap();
    assert_eq!(reached.status, StatusCode::SEE_OTHER, "{}", reached.text());
    assert_eq!(
        regie_view(&kindpakket, &id).await["status"],
        "gezin-bereikt"
    );
    page_says(&school, "/signaleringen", "Gezin bereikt").await;

    // The loket applies on the family's behalf citing the signal; the regeling grants; the club
    // delivers.
    let family = kindpakket
        .identify(
            G,
            REGIE,
            &json!({"kind": {"voornaam": "Noor", "achternaam": "Visser",
                             "geboortedatum": "2016-04-12"},
                    "ouder": {"bsn": "111222333"}}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let application = on_behalf(json!({
        "kanaal": "loket",
        "huishouden": family["huishouden"],
        "kinderen": [{"kind": family["kind"], "geboortejaar": 2016, "geboortemaand": 4}],
        "inkomenPercentage": 105,
        "voorzieningen": ["sportcontributie"],
        "signalering": id,
    }));
    let created = kindpakket
        .submit_as(G, REGIE, &application)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let application_id = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let decided = kindpakket
        .assess(G, application_id, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    let entitlement = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    kindpakket
        .wait_for_entitlement(G, SPORTCLUB, entitlement, Duration::from_secs(30))
        .await
        .unwrap();
    let today = kindpakket_platform::clock::today().to_string();
    kindpakket
        .deliver(G, SPORTCLUB, entitlement, 18_000, &today)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    // The school's page says "Bediend", and nothing of the application: no income, no amounts.
    let list = page_says(&school, "/signaleringen", "Bediend").await;
    let detail = school.get(&format!("/signaleringen/{id}")).await.unwrap();
    assert!(detail.text().contains("Bediend"), "{}", detail.text());
    for page in [&list, &detail] {
        // The school's own reference of the child is shown (a random text): not what is checked.
        let text = page.text().replace(reference.as_str().unwrap(), "");
        for hidden in [
            "€",
            "105",
            "inkomen",
            "180",
            "250",
            "Sportcontributie",
            "Stichting Leergeld",
            "VV De Zwaluwen",
            "111222333",
            &application_id.to_string(),
            &entitlement.to_string(),
        ] {
            assert!(
                !text.contains(hidden),
                "{hidden} shown to the school: {text}"
            );
        }
    }
}

/// The school signals in a real browser, at phone width and at desktop width: every page it
/// visits passes axe and fits the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_signals_in_a_browser_at_phone_and_desktop_width() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    set_up(&kindpakket).await;
    // Until the services know the school's enrolment, its signals are refused: wait for it here.
    kindpakket.wait_until_known(G, SCHOOL).await.unwrap();

    let test = "pages_signalling_browser";
    let mut browser = Browser::start().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/signaleren"),
            "Basisschool De Regenboog (signaleert) — Den Haag",
        )
        .await
        .unwrap();
    for (width, first_name) in [("telefoon", "Lina"), ("desktop", "Daan")] {
        if width == "telefoon" {
            browser.phone().await.unwrap();
        } else {
            browser.desktop().await.unwrap();
        }
        let step = |name: &str| format!("{width}-{name}");
        browser.goto(&format!("{base}/signaleren")).await.unwrap();
        check(&mut browser, test, &step("formulier")).await;

        // Sent without a choice: the page says what is missing, accessibly.
        browser.fill("#voornaam", first_name).await.unwrap();
        click(&browser, "Signalering versturen").await;
        let text = browser.text().await.unwrap();
        assert!(text.contains("Er ontbreekt nog iets"), "{text}");
        check(&mut browser, test, &step("fouten")).await;

        browser.fill("#voornaam", first_name).await.unwrap();
        browser.fill("#achternaam", "de Vries").await.unwrap();
        browser.fill("#geboortedatum", "03-09-2015").await.unwrap();
        for radio in ["soort-maatschappelijke_participatie", "reden-schulden"] {
            browser
                .execute(
                    "document.getElementById(arguments[0]).click(); return null;",
                    vec![json!(radio)],
                )
                .await
                .unwrap();
        }
        browser
            .fill("#toelichting", "Wil graag op zwemles")
            .await
            .unwrap();
        click(&browser, "Signalering versturen").await;
        let text = browser.text().await.unwrap();
        assert!(text.contains("Uw signalering is verstuurd"), "{text}");
        assert!(text.contains("Stichting Leergeld"), "{text}");
        check(&mut browser, test, &step("verstuurd")).await;

        click(&browser, "Mijn signaleringen").await;
        let text = browser.text().await.unwrap();
        assert!(text.contains("Doorverwezen"), "{text}");
        check(&mut browser, test, &step("lijst")).await;

        click(&browser, "Bekijken").await;
        let text = browser.text().await.unwrap();
        assert!(text.contains("Hoe ver is het?"), "{text}");
        check(&mut browser, test, &step("signalering")).await;
    }
    wait_until("both signals listed", Duration::from_secs(30), || async {
        when(school_signals(&kindpakket).await.len() == 2, ())
    })
    .await
    .unwrap();
    browser.close().await.unwrap();
}

/// Clicks the button or link with `text`. The NL Design System scrolls smoothly for people who did
/// not ask for reduced motion, and WebDriver clicks where the button was before the scroll ended:
/// so the page scrolls at once here (through the page's style object, which the CSP allows).
async fn click(browser: &Browser, text: &str) {
    browser
        .execute(
            "document.documentElement.style.scrollBehavior = 'auto'; return null;",
            vec![],
        )
        .await
        .unwrap();
    browser.click_button_with_text(text).await.unwrap();
}

/// axe (no serious or critical violation), a screenshot, and no sideways scrolling.
async fn check(browser: &mut Browser, test: &str, step: &str) {
    browser.assert_accessible(test, step).await.unwrap();
    browser.screenshot(test, step).await.unwrap();
    browser.assert_fits_width().await.unwrap();
}

/// A school that knows the parent names them too: the signal then names the household (by the
/// school's own reference). A parent half filled in is refused with what is missing, and nothing is
/// signalled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_may_name_the_parent_and_the_signal_then_names_the_household() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    set_up(&kindpakket).await;
    let mut school = PageSession::login(&base, "school", G).await.unwrap();
    school.get("/signaleren").await.unwrap();

    let mut half = pupil_form("");
    half.push(("ouder_voornaam", "Mila"));
    let refused = signal_through_page(&mut school, &half).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("Vul van de ouder de voornaam"),
        "{}",
        refused.text()
    );
    assert!(
        school_signals(&kindpakket).await.is_empty(),
        "nothing signalled"
    );

    let mut whole = pupil_form("");
    whole.extend([
        ("ouder_voornaam", "Mila"),
        ("ouder_achternaam", "Visser"),
        ("ouder_geboortedatum", "20-02-1988"),
    ]);
    let sent = signal_through_page(&mut school, &whole).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let store = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Signalling.database()))
        .await
        .unwrap();
    let with_household: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events
         WHERE jsonb_path_exists(payload::jsonb, 'strict $.**.household ? (@ != null)')",
    )
    .fetch_one(&store)
    .await
    .unwrap();
    assert_eq!(with_household, 1, "the signal names the household");
}

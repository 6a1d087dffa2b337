//! The signaller's pages and the partner's answers to referrals, all on the signalling service's
//! API (and the application service's identification):
//!
//! - `/signaleren`: signal a child in one short form — who (name and date of birth, or BSN: the
//!   identification turns it into the organisation's own reference), what the family needs, why,
//!   an optional note — and a confirmation that says where the signal goes and by when;
//! - `/signaleringen`, `/signaleringen/{id}`: the organisation's own signals with their status only
//!   (the regievoerder: all of its gemeente, with where they went);
//! - `/verwijzingen`, `/verwijzingen/{id}`: the referrals a partner received, with their due date
//!   and "te laat"; pick one up, hand it back, record what came of it.
//!
//! What a signaller may see is what the API gives it: never where its signal was referred, nor
//! anything of an application. Where a signal goes is told from the routing table, which
//! signallers may read.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::{calendar, clock, roles};
use kindpakket_proto::Service;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;
use uuid::Uuid;

use super::backend::{ApiProblem, Empty};
use super::layout::Layout;
use super::parts::{date, date_text};
use super::viewer::{error_page, render, render_with, status_of, PageForm, Viewer};
use super::WebState;

roles!(
    /// Who signals on these pages: wijkteams, schools and CJG's, and the gemeente itself.
    pub Signallers = [Signaller, Regievoerder]
);

roles!(
    /// Who answers referrals on these pages.
    pub Partners = [Partner]
);

/// The purpose of the identification, on the application service's audit log.
const PURPOSE_IDENTIFY: &str = "kind identificeren om te signaleren";

/// How many rows a list page shows.
const PAGE_SIZE: u32 = 25;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/signaleren", get(signal_form).post(signal_child))
        .route("/signaleren/verstuurd", get(signal_sent))
        .route("/signaleringen", get(own_signals))
        .route("/signaleringen/{id}", get(own_signal))
        .route("/verwijzingen", get(referrals))
        .route("/verwijzingen/{id}", get(referral))
        .route("/verwijzingen/{id}/oppakken", post(accept))
        .route("/verwijzingen/{id}/teruggeven", post(hand_back))
        .route("/verwijzingen/{id}/uitkomst", post(record_outcome))
}

// ---------------------------------------------------------------------------------------------
// Words: the API's codes in plain Dutch.

/// The regie's provision types as a family's need, in plain words.
pub const NEEDS: &[(&str, &str)] = &[
    (
        "maatschappelijke_participatie",
        "Sport, cultuur of meedoen (bijvoorbeeld een club of muziekles)",
    ),
    ("school", "Schoolspullen of schoolkosten"),
    ("vervoer", "Vervoer, bijvoorbeeld een fiets"),
    (
        "levensonderhoud",
        "Dagelijkse dingen, zoals kleding of eten",
    ),
    (
        "bijzondere_omstandigheden",
        "Hulp in een bijzondere situatie",
    ),
    ("overig", "Iets anders"),
];

/// Why a child is signalled, in plain words.
pub const REASONS: &[(&str, &str)] = &[
    ("laag_inkomen", "Het gezin heeft weinig geld"),
    ("schulden", "Het gezin heeft schulden"),
    (
        "vluchtelingengezin",
        "Het is een gezin met een vluchtelingenachtergrond",
    ),
    ("anders", "Een andere reden"),
];

/// What came of a referral, in plain words.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("gezin-bereikt", "We hebben het gezin bereikt"),
    ("afgezien", "Het gezin wil geen hulp"),
    ("onbereikbaar", "We konden het gezin niet bereiken"),
];

fn label_of(words: &[(&str, &'static str)], code: &str) -> String {
    words
        .iter()
        .find(|(key, _)| *key == code)
        .map_or_else(|| code.to_owned(), |(_, label)| (*label).to_owned())
}

/// A need's short name ("Sport, cultuur of meedoen").
pub fn need_label(code: &str) -> String {
    let label = label_of(NEEDS, code);
    label
        .split_once(" (")
        .map_or(label.clone(), |(short, _)| short.to_owned())
}

/// A status of the API as a person reads it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "gesignaleerd" => "Gesignaleerd",
        "doorverwezen" => "Doorverwezen",
        "opgepakt" => "Opgepakt",
        "teruggegeven" => "Teruggegeven aan de gemeente",
        "gezin-bereikt" => "Gezin bereikt",
        "afgezien" => "Gezin wil geen hulp",
        "onbereikbaar" => "Gezin niet bereikt",
        "aangevraagd" => "Aangevraagd",
        "toegekend" => "Toegekend",
        "bediend" => "Bediend",
        "te-laat" => "Te laat",
        _ => "Onbekend",
    }
}

/// What a status means for the family, in one or two short sentences.
pub fn status_explanation(status: &str) -> &'static str {
    match status {
        "gesignaleerd" | "doorverwezen" => {
            "De signalering is doorgestuurd. Nog niemand heeft haar opgepakt."
        }
        "opgepakt" => "Iemand heeft de signalering opgepakt en neemt contact op met het gezin.",
        "teruggegeven" => {
            "De organisatie kon het niet oppakken. De gemeente stuurt de signalering naar iemand anders."
        }
        "gezin-bereikt" => "Er is contact geweest met het gezin.",
        "afgezien" => "Het gezin wil op dit moment geen hulp.",
        "onbereikbaar" => "Het is niet gelukt om het gezin te bereiken.",
        "aangevraagd" => "Het gezin heeft hulp aangevraagd.",
        "toegekend" => "Het gezin krijgt hulp.",
        "bediend" => "Het kind heeft de hulp gekregen.",
        _ => "",
    }
}

/// The steps a signal goes through, for the overview on its page.
const STEPS: &[&str] = &[
    "doorverwezen",
    "opgepakt",
    "gezin-bereikt",
    "aangevraagd",
    "toegekend",
    "bediend",
];

/// One step of a signal's way, as its page shows it.
#[derive(Debug, Clone)]
pub struct Step {
    pub label: &'static str,
    pub reached: bool,
    pub current: bool,
}

fn steps(status: &str) -> Vec<Step> {
    let at = STEPS.iter().position(|step| *step == status);
    STEPS
        .iter()
        .enumerate()
        .map(|(index, step)| Step {
            label: status_label(step),
            reached: at.is_some_and(|at| index <= at),
            current: at == Some(index),
        })
        .collect()
}

/// `12-04-2016`, `12-4-2016`, `12/04/2016` or `2016-04-12` → the date.
pub fn parse_birth_date(text: &str) -> Option<Date> {
    let parts: Vec<&str> = text
        .trim()
        .split(['-', '/', '.', ' '])
        .filter(|part| !part.is_empty())
        .collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (day, month, year) = if a.len() == 4 { (c, b, a) } else { (a, b, c) };
    if year.len() != 4 {
        return None;
    }
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

// ---------------------------------------------------------------------------------------------
// What the APIs answer (only what the pages read; anything else is ignored).

#[derive(Debug, Deserialize)]
struct Identified {
    kind: String,
    #[serde(default)]
    huishouden: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SignalCreated {
    id: Uuid,
}

#[derive(Debug, Deserialize)]
struct ListPage {
    items: Vec<SignalRow>,
    #[serde(default)]
    volgende: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SignalRow {
    id: Uuid,
    datum: String,
    status: String,
    #[serde(default)]
    signaleerder: Option<String>,
    #[serde(default, rename = "verwezenNaar")]
    referral: Option<Value>,
    #[serde(default)]
    uiterlijk: Option<String>,
    #[serde(default, rename = "teLaat")]
    overdue: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct SignalView {
    status: String,
    datum: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    vergeten: bool,
    #[serde(default)]
    reden: Option<String>,
    #[serde(default)]
    toelichting: Option<String>,
    #[serde(default)]
    signaleerder: Option<String>,
    #[serde(default)]
    voorzieningsoort: Option<String>,
    #[serde(default)]
    wijk: Option<String>,
    #[serde(default, rename = "verwezenNaar")]
    referral: Option<Value>,
    #[serde(default)]
    uiterlijk: Option<String>,
    #[serde(default, rename = "teLaat")]
    overdue: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Routing {
    #[serde(default)]
    routes: Vec<Route>,
}

#[derive(Debug, Deserialize)]
struct Route {
    voorzieningsoort: String,
    #[serde(default)]
    wijk: Option<String>,
    naar: Value,
    #[serde(rename = "reactietermijnWerkdagen")]
    response_days: u32,
}

#[derive(Debug, Deserialize)]
struct Enrolment {
    naam: String,
}

/// The partner a referral (`{"soort": "partner", "partner": …}`) or a route (`{"partner": …}`)
/// names; `None` for the loket.
fn partner_of(target: &Value) -> Option<String> {
    target["partner"].as_str().map(str::to_owned)
}

impl<R> Viewer<R> {
    /// The name an organisation is enrolled under in the gemeente; its code when it cannot be read.
    async fn organisation_name(&self, code: &str) -> String {
        let path = self.gemeente_path(&format!("partners/{code}"));
        match self.get::<Enrolment>(Service::Regie, &path).await {
            Ok(enrolment) => enrolment.naam,
            Err(_) => code.to_owned(),
        }
    }

    /// "Stichting Leergeld" for a referral to a partner, "het loket van de gemeente" for the loket.
    async fn referral_name(&self, target: &Value) -> String {
        match partner_of(target) {
            Some(partner) => self.organisation_name(&partner).await,
            None => "het loket van de gemeente".to_owned(),
        }
    }
}

/// The page for an id that is not a signal's: as unknown as another organisation's.
fn unknown_signal(web: &WebState) -> Response {
    error_page(
        web,
        StatusCode::NOT_FOUND,
        "Deze signalering is niet gevonden. Misschien hoort ze bij een andere organisatie.",
    )
}

/// A refusal on a page of its own: nothing of the object is shown.
fn refused_page<R>(viewer: &Viewer<R>, problem: &ApiProblem) -> Response {
    let page = super::viewer::RefusedPage {
        layout: viewer.layout("Niet gelukt"),
        message: problem.detail.clone(),
    };
    render_with(status_of(problem), &page)
}

// ---------------------------------------------------------------------------------------------
// /signaleren

/// An option of a choice on a form.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

fn choices(words: &[(&str, &str)], chosen: &str) -> Vec<Choice> {
    words
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            checked: *value == chosen,
        })
        .collect()
}

/// The fields of the signal form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SignalForm {
    #[serde(default)]
    pub voornaam: String,
    #[serde(default)]
    pub achternaam: String,
    #[serde(default)]
    pub geboortedatum: String,
    #[serde(default)]
    pub bsn: String,
    /// The parent or carer, when the signaller knows them (then the signal names the household).
    #[serde(default)]
    pub ouder_voornaam: String,
    #[serde(default)]
    pub ouder_achternaam: String,
    #[serde(default)]
    pub ouder_geboortedatum: String,
    #[serde(default)]
    pub ouder_bsn: String,
    #[serde(default)]
    pub voorzieningsoort: String,
    #[serde(default)]
    pub reden: String,
    #[serde(default)]
    pub toelichting: String,
    #[serde(default)]
    pub wijk: String,
}

/// What is wrong with the form, per field, before the API is asked.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub wie: Option<String>,
    pub geboortedatum: Option<String>,
    pub voorzieningsoort: Option<String>,
    pub reden: Option<String>,
    pub ouder: Option<String>,
}

impl FormErrors {
    fn any(&self) -> bool {
        self.wie.is_some()
            || self.ouder.is_some()
            || self.geboortedatum.is_some()
            || self.voorzieningsoort.is_some()
            || self.reden.is_some()
    }

    fn summary(&self) -> Vec<String> {
        [
            &self.wie,
            &self.geboortedatum,
            &self.ouder,
            &self.voorzieningsoort,
            &self.reden,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

#[derive(Template)]
#[template(path = "web/signaleren.html")]
pub struct SignalPage {
    pub layout: Layout,
    pub form: SignalForm,
    pub needs: Vec<Choice>,
    pub reasons: Vec<Choice>,
    /// The wijken with a route of their own: only then does the wijk matter.
    pub wijken: Vec<Choice>,
    pub errors: FormErrors,
    pub summary: Vec<String>,
    pub problem: Option<ApiProblem>,
}

impl SignalPage {
    async fn new(
        viewer: &Viewer<Signallers>,
        form: SignalForm,
        errors: FormErrors,
        problem: Option<ApiProblem>,
    ) -> Self {
        let mut wijken: Vec<String> = match viewer
            .get::<Routing>(Service::Regie, &viewer.gemeente_path("routering"))
            .await
        {
            Ok(routing) => routing
                .routes
                .into_iter()
                .filter_map(|route| route.wijk)
                .collect(),
            Err(_) => Vec::new(),
        };
        wijken.sort();
        wijken.dedup();
        let wijken = wijken
            .into_iter()
            .map(|wijk| Choice {
                checked: wijk == form.wijk,
                label: format!("Wijk {wijk}"),
                value: wijk,
            })
            .collect();
        SignalPage {
            layout: viewer.layout("Kind signaleren"),
            needs: choices(NEEDS, &form.voorzieningsoort),
            reasons: choices(REASONS, &form.reden),
            wijken,
            summary: errors.summary(),
            errors,
            problem,
            form,
        }
    }
}

/// `GET /signaleren`.
async fn signal_form(viewer: Viewer<Signallers>) -> Response {
    let page = SignalPage::new(&viewer, SignalForm::default(), FormErrors::default(), None).await;
    render(&page)
}

#[derive(Serialize)]
struct PersonBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    bsn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    voornaam: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    achternaam: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    geboortedatum: Option<String>,
}

#[derive(Serialize)]
struct IdentifyBody {
    kind: PersonBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    ouder: Option<PersonBody>,
}

#[derive(Serialize)]
struct SignalBody<'a> {
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    huishouden: Option<&'a str>,
    voorzieningsoort: &'a str,
    reden: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    toelichting: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wijk: Option<&'a str>,
}

/// The child as the form names it, or what is missing.
fn person_of(form: &SignalForm, errors: &mut FormErrors) -> Option<PersonBody> {
    let bsn: String = form.bsn.chars().filter(|c| !c.is_whitespace()).collect();
    let first = form.voornaam.trim();
    let last = form.achternaam.trim();
    let born = form.geboortedatum.trim();
    let named = !first.is_empty() || !last.is_empty() || !born.is_empty();
    let birth_date = if born.is_empty() {
        None
    } else {
        match parse_birth_date(born) {
            Some(day) => Some(day),
            None => {
                errors.geboortedatum = Some(
                    "De geboortedatum is geen datum. Schrijf haar als dag-maand-jaar, bijvoorbeeld 12-04-2016."
                        .to_owned(),
                );
                return None;
            }
        }
    };
    let complete_name = !first.is_empty() && !last.is_empty() && birth_date.is_some();
    if bsn.is_empty() && !complete_name {
        errors.wie = Some(if named {
            "Vul de voornaam, de achternaam én de geboortedatum van het kind in (of het BSN)."
                .to_owned()
        } else {
            "Vul in om welk kind het gaat: voornaam, achternaam en geboortedatum, of het BSN."
                .to_owned()
        });
        return None;
    }
    Some(PersonBody {
        bsn: (!bsn.is_empty()).then_some(bsn),
        voornaam: complete_name.then(|| first.to_owned()),
        achternaam: complete_name.then(|| last.to_owned()),
        geboortedatum: birth_date
            .filter(|_| complete_name)
            .map(|day| day.to_string()),
    })
}

/// The parent as the form names them: `Ok(None)` when left empty, what is missing when half filled.
fn parent_of(form: &SignalForm) -> Result<Option<PersonBody>, String> {
    let bsn: String = form
        .ouder_bsn
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let first = form.ouder_voornaam.trim();
    let last = form.ouder_achternaam.trim();
    let born = form.ouder_geboortedatum.trim();
    if bsn.is_empty() && first.is_empty() && last.is_empty() && born.is_empty() {
        return Ok(None);
    }
    let birth_date = match born {
        "" => None,
        text => Some(parse_birth_date(text).ok_or_else(|| {
            "De geboortedatum van de ouder is geen datum. Schrijf haar als dag-maand-jaar, bijvoorbeeld 20-02-1988.".to_owned()
        })?),
    };
    let complete_name = !first.is_empty() && !last.is_empty() && birth_date.is_some();
    if bsn.is_empty() && !complete_name {
        return Err("Vul van de ouder de voornaam, de achternaam én de geboortedatum in, of het BSN. Of laat de ouder leeg.".to_owned());
    }
    Ok(Some(PersonBody {
        bsn: (!bsn.is_empty()).then_some(bsn),
        voornaam: complete_name.then(|| first.to_owned()),
        achternaam: complete_name.then(|| last.to_owned()),
        geboortedatum: birth_date
            .filter(|_| complete_name)
            .map(|day| day.to_string()),
    }))
}

/// `POST /signaleren`: identify the child (and the parent, when named) for the organisation's own
/// references, then signal it by them. A refusal of either API is shown beside the form, with the form kept.
async fn signal_child(
    viewer: Viewer<Signallers>,
    PageForm(form): PageForm<SignalForm>,
) -> Response {
    let mut errors = FormErrors::default();
    let person = person_of(&form, &mut errors);
    let parent = parent_of(&form).unwrap_or_else(|missing| {
        errors.ouder = Some(missing);
        None
    });
    if !NEEDS.iter().any(|(code, _)| *code == form.voorzieningsoort) {
        errors.voorzieningsoort = Some("Kies wat het gezin nodig heeft.".to_owned());
    }
    if !REASONS.iter().any(|(code, _)| *code == form.reden) {
        errors.reden = Some("Kies waarom u het kind signaleert.".to_owned());
    }
    let person = match person {
        Some(person) if !errors.any() => person,
        _ => {
            let page = SignalPage::new(&viewer, form, errors, None).await;
            return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let identified = viewer
        .post_for_purpose::<Identified>(
            Service::Application,
            &viewer.gemeente_path("identificaties"),
            &IdentifyBody {
                kind: person,
                ouder: parent,
            },
            PURPOSE_IDENTIFY,
        )
        .await;
    let (reference, household) = match identified {
        Ok(identified) => (identified.kind, identified.huishouden),
        Err(problem) => return form_refused(&viewer, form, problem).await,
    };
    let note = form.toelichting.trim();
    let wijk = form.wijk.trim();
    let body = SignalBody {
        kind: &reference,
        huishouden: household.as_deref(),
        voorzieningsoort: &form.voorzieningsoort,
        reden: &form.reden,
        toelichting: (!note.is_empty()).then_some(note),
        wijk: (!wijk.is_empty()).then_some(wijk),
    };
    let created = viewer
        .post::<SignalCreated>(
            Service::Signalling,
            &viewer.gemeente_path("signaleringen"),
            &body,
        )
        .await;
    match created {
        Ok(created) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("id", &created.id.to_string())
                .append_pair("soort", &form.voorzieningsoort)
                .append_pair("wijk", wijk)
                .finish();
            Redirect::to(&format!("/signaleren/verstuurd?{query}")).into_response()
        }
        Err(problem) => form_refused(&viewer, form, problem).await,
    }
}

async fn form_refused(
    viewer: &Viewer<Signallers>,
    form: SignalForm,
    problem: ApiProblem,
) -> Response {
    let status = status_of(&problem);
    let page = SignalPage::new(viewer, form, FormErrors::default(), Some(problem)).await;
    render_with(status, &page)
}

#[derive(Debug, Deserialize)]
struct SentQuery {
    id: Uuid,
    #[serde(default)]
    soort: String,
    #[serde(default)]
    wijk: String,
}

#[derive(Template)]
#[template(path = "web/signaleren_verstuurd.html")]
pub struct SentPage {
    pub layout: Layout,
    pub id: Uuid,
    pub status: String,
    pub need: String,
    /// Where it goes: "Stichting Leergeld", "het loket van de gemeente".
    pub to: String,
    /// Whether `to` is what the routing table says (a signaller's case), not the signal itself.
    pub by_routing: bool,
    pub due: Option<String>,
}

/// `GET /signaleren/verstuurd?id=…`: the confirmation after a signal. The signal itself is read
/// (another organisation's is not found); where it goes is the signal's referral when the API shows
/// it (the regievoerder), otherwise what the gemeente's routing table says for its need and wijk.
async fn signal_sent(viewer: Viewer<Signallers>, Query(query): Query<SentQuery>) -> Response {
    let path = viewer.gemeente_path(&format!("signaleringen/{}", query.id));
    let view = match viewer.get::<SignalView>(Service::Signalling, &path).await {
        Ok(view) => view,
        Err(problem) if problem.is_not_found() => return unknown_signal(&viewer.web),
        Err(problem) => return refused_page(&viewer, &problem),
    };
    let need_code = view
        .voorzieningsoort
        .clone()
        .unwrap_or_else(|| query.soort.clone());
    let (to, by_routing, due) = if let Some(referral) = &view.referral {
        (
            viewer.referral_name(referral).await,
            false,
            view.uiterlijk.as_deref().map(date_text),
        )
    } else {
        let routing = viewer
            .get::<Routing>(Service::Regie, &viewer.gemeente_path("routering"))
            .await
            .map(|routing| routing.routes)
            .unwrap_or_default();
        let wijk = (!query.wijk.is_empty()).then_some(query.wijk.as_str());
        let route = routing
            .iter()
            .find(|route| route.voorzieningsoort == need_code && route.wijk.as_deref() == wijk)
            .or_else(|| {
                routing
                    .iter()
                    .find(|route| route.voorzieningsoort == need_code && route.wijk.is_none())
            });
        match route {
            Some(route) => {
                let signalled = time::Date::parse(
                    view.datum.get(..10).unwrap_or(&view.datum),
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .unwrap_or_else(|_| clock::today());
                (
                    viewer.referral_name(&route.naar).await,
                    true,
                    Some(date(calendar::add_working_days(
                        signalled,
                        route.response_days,
                    ))),
                )
            }
            None => ("het loket van de gemeente".to_owned(), true, None),
        }
    };
    let page = SentPage {
        layout: viewer.layout("Signalering verstuurd"),
        id: query.id,
        status: status_label(&view.status).to_owned(),
        need: if need_code.is_empty() {
            String::new()
        } else {
            need_label(&need_code)
        },
        to,
        by_routing,
        due,
    };
    render(&page)
}

// ---------------------------------------------------------------------------------------------
// /signaleringen

/// A list's query: the API's keyset cursor and status filter, passed on as they are.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    na: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    gedaan: Option<String>,
}

impl ListQuery {
    fn api_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("aantal", &PAGE_SIZE.to_string());
        if let Some(after) = self.na.as_deref().filter(|after| !after.is_empty()) {
            query.append_pair("na", after);
        }
        if let Some(status) = self.status.as_deref().filter(|status| !status.is_empty()) {
            query.append_pair("status", status);
        }
        query.finish()
    }

    fn next_link(&self, page: &str, next: Option<&str>) -> Option<String> {
        let next = next?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("na", next);
        if let Some(status) = self.status.as_deref().filter(|status| !status.is_empty()) {
            query.append_pair("status", status);
        }
        Some(format!("{page}?{}", query.finish()))
    }

    fn first_link(&self, page: &str) -> Option<String> {
        self.na.as_ref()?;
        Some(
            match self.status.as_deref().filter(|status| !status.is_empty()) {
                Some(status) => format!("{page}?status={status}"),
                None => page.to_owned(),
            },
        )
    }
}

/// A row of a list as the pages show it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: Uuid,
    pub date: String,
    pub status_code: String,
    pub status: &'static str,
    pub overdue: bool,
    pub signaller: String,
    pub to: String,
    pub due: String,
}

/// The name of an organisation, read once per page.
async fn cached_name<R>(
    viewer: &Viewer<R>,
    names: &mut Vec<(String, String)>,
    code: &str,
) -> String {
    if let Some((_, name)) = names.iter().find(|(known, _)| known == code) {
        return name.clone();
    }
    let name = viewer.organisation_name(code).await;
    names.push((code.to_owned(), name.clone()));
    name
}

async fn rows<R>(viewer: &Viewer<R>, items: Vec<SignalRow>) -> Vec<Row> {
    let mut names: Vec<(String, String)> = Vec::new();
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let signaller = match &item.signaleerder {
            Some(code) => cached_name(viewer, &mut names, code).await,
            None => String::new(),
        };
        let to = match item.referral.as_ref().map(partner_of) {
            Some(Some(partner)) => cached_name(viewer, &mut names, &partner).await,
            Some(None) => "Loket".to_owned(),
            None => String::new(),
        };
        rows.push(Row {
            id: item.id,
            date: date_text(&item.datum),
            status: status_label(&item.status),
            status_code: item.status,
            overdue: item.overdue.unwrap_or(false),
            signaller,
            to,
            due: item.uiterlijk.as_deref().map(date_text).unwrap_or_default(),
        });
    }
    rows
}

#[derive(Template)]
#[template(path = "web/signaleringen.html")]
pub struct SignalsPage {
    pub layout: Layout,
    /// The regievoerder sees every signal of its gemeente, with where it went.
    pub regie: bool,
    pub rows: Vec<Row>,
    pub filters: Vec<Choice>,
    pub next: Option<String>,
    pub first: Option<String>,
    pub problem: Option<ApiProblem>,
}

fn status_filters(chosen: &str, overdue: bool) -> Vec<Choice> {
    let mut codes = vec![""];
    if overdue {
        codes.push("te-laat");
    }
    codes.extend([
        "doorverwezen",
        "opgepakt",
        "teruggegeven",
        "gezin-bereikt",
        "afgezien",
        "onbereikbaar",
        "aangevraagd",
        "toegekend",
        "bediend",
    ]);
    codes
        .into_iter()
        .map(|code| Choice {
            value: code.to_owned(),
            label: if code.is_empty() {
                "Alle".to_owned()
            } else {
                status_label(code).to_owned()
            },
            checked: code == chosen,
        })
        .collect()
}

/// `GET /signaleringen`: the organisation's own signals, newest first, with their status.
async fn own_signals(viewer: Viewer<Signallers>, Query(query): Query<ListQuery>) -> Response {
    let regie = viewer.role() == kindpakket_proto::Role::Regievoerder;
    let path = format!(
        "{}?{}",
        viewer.gemeente_path("signaleringen"),
        query.api_query()
    );
    let (rows, next, problem) = match viewer.get::<ListPage>(Service::Signalling, &path).await {
        Ok(page) => (rows(&viewer, page.items).await, page.volgende, None),
        Err(problem) => (Vec::new(), None, Some(problem)),
    };
    let status = problem.as_ref().map_or(StatusCode::OK, status_of);
    let page = SignalsPage {
        layout: viewer.layout(if regie {
            "Signaleringen"
        } else {
            "Mijn signaleringen"
        }),
        regie,
        filters: status_filters(query.status.as_deref().unwrap_or_default(), regie),
        next: query.next_link("/signaleringen", next.as_deref()),
        first: query.first_link("/signaleringen"),
        rows,
        problem,
    };
    render_with(status, &page)
}

#[derive(Template)]
#[template(path = "web/signalering.html")]
pub struct SignalDetailPage {
    pub layout: Layout,
    pub regie: bool,
    pub date: String,
    pub status: &'static str,
    pub explanation: &'static str,
    pub steps: Vec<Step>,
    pub off_path: bool,
    pub reason: String,
    pub note: String,
    pub reference: String,
    pub forgotten: bool,
    pub signaller: String,
    pub need: String,
    pub wijk: String,
    pub to: String,
    pub due: String,
    pub overdue: bool,
}

/// `GET /signaleringen/{id}`: one signal, with what the API lets this person see of it; another
/// organisation's signal is not found, and nothing of it is shown.
async fn own_signal(viewer: Viewer<Signallers>, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return unknown_signal(&viewer.web);
    };
    let path = viewer.gemeente_path(&format!("signaleringen/{id}"));
    let view = match viewer.get::<SignalView>(Service::Signalling, &path).await {
        Ok(view) => view,
        Err(problem) if problem.is_not_found() => return unknown_signal(&viewer.web),
        Err(problem) => return refused_page(&viewer, &problem),
    };
    let regie = viewer.role() == kindpakket_proto::Role::Regievoerder;
    let to = match &view.referral {
        Some(referral) => viewer.referral_name(referral).await,
        None => String::new(),
    };
    let signaller = match &view.signaleerder {
        Some(code) => viewer.organisation_name(code).await,
        None => String::new(),
    };
    let page = SignalDetailPage {
        layout: viewer.layout("Signalering"),
        regie,
        date: date_text(&view.datum),
        status: status_label(&view.status),
        explanation: status_explanation(&view.status),
        steps: steps(&view.status),
        off_path: !STEPS.contains(&view.status.as_str()),
        reason: view
            .reden
            .as_deref()
            .map(|reason| label_of(REASONS, reason))
            .unwrap_or_default(),
        note: view.toelichting.clone().unwrap_or_default(),
        reference: view.kind.clone().unwrap_or_default(),
        forgotten: view.vergeten,
        signaller,
        need: view
            .voorzieningsoort
            .as_deref()
            .map(need_label)
            .unwrap_or_default(),
        wijk: view.wijk.clone().unwrap_or_default(),
        to,
        due: view.uiterlijk.as_deref().map(date_text).unwrap_or_default(),
        overdue: view.overdue.unwrap_or(false),
    };
    render(&page)
}

// ---------------------------------------------------------------------------------------------
// /verwijzingen

#[derive(Template)]
#[template(path = "web/verwijzingen.html")]
pub struct ReferralsPage {
    pub layout: Layout,
    pub rows: Vec<Row>,
    pub only_overdue: bool,
    pub next: Option<String>,
    pub first: Option<String>,
    pub done: Option<String>,
    pub problem: Option<ApiProblem>,
}

/// `GET /verwijzingen`: the referrals addressed to this partner now, newest first, with their due
/// date and "te laat"; `?status=te-laat` only the overdue ones.
async fn referrals(viewer: Viewer<Partners>, Query(query): Query<ListQuery>) -> Response {
    let path = format!(
        "{}?{}",
        viewer.gemeente_path("signaleringen"),
        query.api_query()
    );
    let (rows, next, problem) = match viewer.get::<ListPage>(Service::Signalling, &path).await {
        Ok(page) => (rows(&viewer, page.items).await, page.volgende, None),
        Err(problem) => (Vec::new(), None, Some(problem)),
    };
    let status = problem.as_ref().map_or(StatusCode::OK, status_of);
    let page = ReferralsPage {
        layout: viewer.layout("Verwijzingen"),
        rows,
        only_overdue: query.status.as_deref() == Some("te-laat"),
        next: query.next_link("/verwijzingen", next.as_deref()),
        first: query.first_link("/verwijzingen"),
        done: query.gedaan.as_deref().map(done_message),
        problem,
    };
    render_with(status, &page)
}

/// The confirmation after an answer to a referral.
fn done_message(done: &str) -> String {
    match done {
        "opgepakt" => "U heeft de verwijzing opgepakt. Neem contact op met het gezin.".to_owned(),
        "teruggegeven" => {
            "U heeft de verwijzing teruggegeven. De gemeente stuurt haar naar iemand anders."
                .to_owned()
        }
        "uitkomst" => "De uitkomst is vastgelegd.".to_owned(),
        _ => "Gedaan.".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "web/verwijzing.html")]
pub struct ReferralPage {
    pub layout: Layout,
    pub id: Uuid,
    pub date: String,
    pub status_code: String,
    pub status: &'static str,
    pub explanation: &'static str,
    pub signaller: String,
    pub need: String,
    pub wijk: String,
    pub due: String,
    pub overdue: bool,
    pub can_accept: bool,
    pub can_hand_back: bool,
    pub can_record: bool,
    pub outcomes: Vec<Choice>,
    pub reason: String,
    pub done: Option<String>,
    pub problem: Option<ApiProblem>,
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    gedaan: Option<String>,
}

/// The referral's page, or the response when it cannot be read (not found: nothing shown).
async fn referral_page(
    viewer: &Viewer<Partners>,
    id: Uuid,
    done: Option<String>,
    problem: Option<ApiProblem>,
    reason: String,
) -> Result<ReferralPage, Response> {
    let path = viewer.gemeente_path(&format!("signaleringen/{id}"));
    let view = match viewer.get::<SignalView>(Service::Signalling, &path).await {
        Ok(view) => view,
        Err(not_found) if not_found.is_not_found() => {
            // Not (or no longer) referred to this partner: the refusal of the post, if any, is
            // what the person needs to read; the referral itself is not shown.
            return Err(match &problem {
                Some(problem) => refused_page(viewer, problem),
                None => unknown_signal(&viewer.web),
            });
        }
        Err(other) => return Err(refused_page(viewer, &other)),
    };
    let signaller = match &view.signaleerder {
        Some(code) => viewer.organisation_name(code).await,
        None => String::new(),
    };
    let status = view.status.as_str();
    let closed = matches!(status, "gezin-bereikt" | "afgezien" | "onbereikbaar");
    Ok(ReferralPage {
        layout: viewer.layout("Verwijzing"),
        id,
        date: date_text(&view.datum),
        status: status_label(status),
        explanation: status_explanation(status),
        can_accept: status == "doorverwezen",
        can_hand_back: matches!(status, "doorverwezen" | "opgepakt"),
        can_record: !matches!(status, "doorverwezen" | "teruggegeven") && !closed,
        status_code: view.status.clone(),
        signaller,
        need: view
            .voorzieningsoort
            .as_deref()
            .map(need_label)
            .unwrap_or_default(),
        wijk: view.wijk.clone().unwrap_or_default(),
        due: view.uiterlijk.as_deref().map(date_text).unwrap_or_default(),
        overdue: view.overdue.unwrap_or(false),
        outcomes: choices(OUTCOMES, ""),
        reason,
        done: done.as_deref().map(done_message),
        problem,
    })
}

/// `GET /verwijzingen/{id}`: a referral to this partner, with what it may do now.
async fn referral(
    viewer: Viewer<Partners>,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return unknown_signal(&viewer.web);
    };
    match referral_page(&viewer, id, query.gedaan, None, String::new()).await {
        Ok(page) => render(&page),
        Err(response) => response,
    }
}

/// After an answer: the referral's page with the confirmation (PRG); a refusal: the page again
/// with the API's Dutch words (or, when the referral is not this partner's, those words only).
async fn answered(
    viewer: Viewer<Partners>,
    id: Uuid,
    result: Result<Value, ApiProblem>,
    done: &str,
    reason: String,
) -> Response {
    match result {
        Ok(_) if done == "teruggegeven" => {
            Redirect::to(&format!("/verwijzingen?gedaan={done}")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/verwijzingen/{id}?gedaan={done}")).into_response(),
        Err(problem) => {
            let status = status_of(&problem);
            match referral_page(&viewer, id, None, Some(problem), reason).await {
                Ok(page) => render_with(status, &page),
                Err(response) => response,
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct NoFields {}

/// `POST /verwijzingen/{id}/oppakken`.
async fn accept(
    viewer: Viewer<Partners>,
    Path(id): Path<String>,
    PageForm(_): PageForm<NoFields>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return unknown_signal(&viewer.web);
    };
    let path = viewer.gemeente_path(&format!("signaleringen/{id}/acceptatie"));
    let result = viewer
        .post::<Value>(Service::Signalling, &path, &Empty {})
        .await;
    answered(viewer, id, result, "opgepakt", String::new()).await
}

#[derive(Debug, Default, Deserialize)]
struct HandBackForm {
    #[serde(default)]
    reden: String,
}

#[derive(Serialize)]
struct HandBackBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reden: Option<&'a str>,
}

/// `POST /verwijzingen/{id}/teruggeven`, with an optional reason (for the gemeente only).
async fn hand_back(
    viewer: Viewer<Partners>,
    Path(id): Path<String>,
    PageForm(form): PageForm<HandBackForm>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return unknown_signal(&viewer.web);
    };
    let path = viewer.gemeente_path(&format!("signaleringen/{id}/teruggave"));
    let reason = form.reden.trim();
    let body = HandBackBody {
        reden: (!reason.is_empty()).then_some(reason),
    };
    let result = viewer
        .post::<Value>(Service::Signalling, &path, &body)
        .await;
    answered(viewer, id, result, "teruggegeven", form.reden).await
}

#[derive(Debug, Default, Deserialize)]
struct OutcomeForm {
    #[serde(default)]
    uitkomst: String,
}

#[derive(Serialize)]
struct OutcomeBody<'a> {
    uitkomst: &'a str,
}

/// `POST /verwijzingen/{id}/uitkomst`.
async fn record_outcome(
    viewer: Viewer<Partners>,
    Path(id): Path<String>,
    PageForm(form): PageForm<OutcomeForm>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return unknown_signal(&viewer.web);
    };
    if !OUTCOMES.iter().any(|(code, _)| *code == form.uitkomst) {
        let problem = ApiProblem {
            status: 422,
            title: "Geen uitkomst".into(),
            detail: "Kies wat er van de verwijzing is gekomen.".into(),
        };
        return answered(viewer, id, Err(problem), "uitkomst", String::new()).await;
    }
    let path = viewer.gemeente_path(&format!("signaleringen/{id}/uitkomst"));
    let result = viewer
        .post::<Value>(
            Service::Signalling,
            &path,
            &OutcomeBody {
                uitkomst: &form.uitkomst,
            },
        )
        .await;
    answered(viewer, id, result, "uitkomst", String::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_are_read_the_dutch_way_and_as_iso() {
        let day = time::macros::date!(2016 - 04 - 12);
        assert_eq!(parse_birth_date("12-04-2016"), Some(day));
        assert_eq!(parse_birth_date("12-4-2016"), Some(day));
        assert_eq!(parse_birth_date("12/04/2016"), Some(day));
        assert_eq!(parse_birth_date("2016-04-12"), Some(day));
        assert_eq!(parse_birth_date("31-02-2016"), None);
        assert_eq!(parse_birth_date("12-04-16"), None);
        assert_eq!(parse_birth_date("morgen"), None);
    }

    #[test]
    fn every_status_of_the_api_has_plain_words() {
        for status in [
            "doorverwezen",
            "opgepakt",
            "teruggegeven",
            "gezin-bereikt",
            "afgezien",
            "onbereikbaar",
            "aangevraagd",
            "toegekend",
            "bediend",
        ] {
            assert_ne!(status_label(status), "Onbekend", "{status}");
            assert!(!status_explanation(status).is_empty(), "{status}");
        }
        assert_eq!(
            need_label("maatschappelijke_participatie"),
            "Sport, cultuur of meedoen"
        );
    }

    #[test]
    fn the_steps_mark_how_far_a_signal_got() {
        let shown = steps("aangevraagd");
        assert!(shown[0].reached && shown[3].reached && shown[3].current);
        assert!(!shown[4].reached);
        assert!(steps("teruggegeven").iter().all(|step| !step.reached));
    }
}

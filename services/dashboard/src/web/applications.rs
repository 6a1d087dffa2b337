//! Applications (aanvragen): the loket, partners and signallers entering one on a family's behalf
//! (`/aanvragen/nieuw`), the work list (`/aanvragen`, "Te beslissen" first for the regievoerder),
//! one application with its outcome explained per child and provision, and the decision — by the
//! regeling or with maatwerk — for whoever the application service lets decide (`/aanvragen/{id}`).
//! The family's own pages are in [`super::family`]; both read the application the same way
//! ([`ApplicationView`], [`Explained`]).
//!
//! Everything goes through the application service's API with the person's own token: the
//! identification of child and parent (`POST …/identificaties`, the organisation's own references),
//! the submission with consent and gezag, the list, the read, the assessment. What the API refuses
//! is shown beside the form with the values kept. The catalogue's Dutch names come from the
//! regelingen in force (regie's API, for those who may read it) or the dashboard's own read model of
//! published regelingen.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::roles;
use kindpakket_proto::{Role, Service};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::backend::ApiProblem;
use super::layout::Layout;
use super::parts::{date_text, euro, parse_euro};
use super::viewer::{render, render_with, status_of, PageForm, Viewer};
use super::WebState;

roles!(
    /// Who enters an application on a family's behalf: a partner or signaller (enrolled to take in
    /// applications), and the loket.
    pub Intakers = [Partner, Signaller, Regievoerder]
);

roles!(
    /// Who opens the work list: the regievoerder all of the gemeente, a partner what it took in
    /// (the API does not let signallers read applications).
    pub Listers = [Partner, Regievoerder]
);

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/aanvragen", get(list))
        .route("/aanvragen/nieuw", get(new_form).post(submit))
        .route("/aanvragen/{id}", get(show))
        .route("/aanvragen/{id}/beoordeling", post(assess))
        .route("/aanvragen/{id}/maatwerk", post(custom))
}

// ---------------------------------------------------------------------------------------------
// The application service's answers, as the pages read them.

/// An application as the API answers it (`GET …/aanvragen/{id}`).
#[derive(Debug, Clone, Deserialize)]
pub struct ApplicationView {
    pub id: Uuid,
    pub status: String,
    #[serde(rename = "gegevens")]
    pub data: String,
    #[serde(rename = "kanaal")]
    pub channel: String,
    #[serde(rename = "namens", default)]
    pub on_behalf_of: Option<String>,
    #[serde(rename = "kinderen", default)]
    pub children: Vec<ChildView>,
    #[serde(rename = "inkomenPercentage", default)]
    pub income_percent: Option<u16>,
    #[serde(rename = "voorzieningen", default)]
    pub provisions: Vec<String>,
    #[serde(rename = "signalering", default)]
    pub signal: Option<Uuid>,
    #[serde(rename = "ingediendOp")]
    pub submitted_on: String,
    #[serde(rename = "besluitOp", default)]
    pub decided_on: Option<String>,
    #[serde(rename = "redenAfwijzing", default)]
    pub rejection_reason: Option<String>,
    #[serde(rename = "redenIntrekking", default)]
    pub withdrawal_reason: Option<String>,
    #[serde(rename = "rechten", default)]
    pub entitlements: Vec<EntitlementView>,
    #[serde(rename = "beoordeling", default)]
    pub assessment: Option<AssessmentView>,
    #[serde(rename = "ingenomen", default)]
    pub taken: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChildView {
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "geboortejaar")]
    pub birth_year: i32,
    #[serde(rename = "geboortemaand")]
    pub birth_month: u8,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EntitlementView {
    /// The gemeente's id of the entitlement (what regie reads it by in the provision service).
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: String,
    #[serde(rename = "bedragCent")]
    pub amount_cents: i64,
    #[serde(rename = "geldigVanaf")]
    pub valid_from: String,
    #[serde(rename = "geldigTot")]
    pub valid_until: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssessmentView {
    #[serde(rename = "handmatig", default)]
    pub by_hand: bool,
    #[serde(rename = "maatwerk", default)]
    pub custom: bool,
    #[serde(rename = "maatwerkMotivatie", default)]
    pub custom_motivation: Option<String>,
    #[serde(rename = "uitkomsten", default)]
    pub outcomes: Vec<OutcomeView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutcomeView {
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: String,
    #[serde(rename = "toegekend")]
    pub granted: bool,
    #[serde(rename = "aandeelPercentage", default)]
    pub share_percent: Option<u8>,
    #[serde(rename = "bedragCent")]
    pub amount_cents: i64,
    #[serde(rename = "reden")]
    pub reason: String,
    #[serde(rename = "uitleg", default)]
    pub explanation: Option<String>,
}

/// A row of the work list (`GET …/aanvragen`).
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryView {
    pub id: Uuid,
    pub status: String,
    #[serde(rename = "kanaal", default)]
    pub channel: Option<String>,
    #[serde(rename = "namens", default)]
    pub on_behalf_of: Option<String>,
    #[serde(rename = "aantalKinderen")]
    pub children: i32,
    #[serde(rename = "ingediendOp")]
    pub submitted_on: String,
    #[serde(rename = "besluitOp", default)]
    pub decided_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ListAnswer {
    #[serde(default)]
    pub items: Vec<SummaryView>,
    #[serde(default)]
    pub volgende: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: Uuid,
}

#[derive(Debug, Deserialize)]
struct Identified {
    kind: String,
    #[serde(default)]
    huishouden: Option<String>,
}

/// A partner's enrolment as regie answers it: what it may do.
#[derive(Debug, Deserialize)]
struct Enrolment {
    #[serde(rename = "rollen", default)]
    roles: Vec<String>,
    #[serde(rename = "mandaat", default)]
    mandate: Option<Mandate>,
    #[serde(rename = "beeindigdOp", default)]
    ended_on: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Mandate {
    #[serde(rename = "maatwerkToegestaan", default)]
    custom: bool,
}

// ---------------------------------------------------------------------------------------------
// Words the pages use.

/// How a status reads.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "ingediend" => "Ingediend, wacht op besluit",
        "toegekend" => "Toegekend",
        "afgewezen" => "Afgewezen",
        "ingetrokken" => "Ingetrokken",
        _ => "Onbekend",
    }
}

/// The class of a status label.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "toegekend" => "kp-status kp-status--toegekend",
        "afgewezen" => "kp-status kp-status--afgewezen",
        _ => "kp-status",
    }
}

/// How a channel reads.
pub fn channel_label(channel: &str) -> &'static str {
    match channel {
        "loket" => "Loket van de gemeente",
        "online" => "Online, door de ouder",
        "partner" => "Door een partner",
        "wijkteam" => "Door het wijkteam",
        "cjg" => "Door het CJG",
        _ => "Anders",
    }
}

/// A reason code of the assessment in words (the API's own explanation is shown beside it).
pub fn reason_label(code: &str) -> &'static str {
    match code {
        "within_threshold" => "Inkomen onder de grens",
        "above_threshold" => "Inkomen boven de grens",
        "sliding_scale" => "Deel vergoed (glijdende schaal)",
        "disposable_income" => "Weinig geld over na vaste lasten",
        "outside_age_band" => "Leeftijd past niet",
        "not_in_target_group" => "Hoort niet bij de doelgroep",
        "budget_spent" => "Budget is op",
        "already_granted" => "Al eerder gekregen",
        "custom_decision" => "Maatwerk",
        "granted_by_hand" => "Met de hand toegekend",
        "individual_assessment" => "Beoordeling per gezin",
        _ => "Andere reden",
    }
}

/// "Kind 1, geboren in april 2016".
pub fn child_title(index: usize, child: &ChildView) -> String {
    let month = super::parts::month_name(child.birth_month);
    format!(
        "Kind {}, geboren in {month} {}",
        index + 1,
        child.birth_year
    )
}

// ---------------------------------------------------------------------------------------------
// The catalogue and the organisations' names.

/// A provision of the regeling, as a checkbox shows it.
#[derive(Debug, Clone)]
pub struct CatalogueItem {
    pub code: String,
    pub name: String,
    /// "4 tot 17 jaar, tot € 250,00"; empty when not known.
    pub detail: String,
}

#[derive(Debug, Deserialize)]
struct RegelingView {
    #[serde(rename = "geldigVanaf")]
    valid_from: String,
    #[serde(rename = "geldigTot")]
    valid_until: String,
    #[serde(rename = "voorzieningen", default)]
    provisions: Vec<RegelingProvision>,
}

#[derive(Debug, Deserialize)]
struct RegelingProvision {
    code: String,
    #[serde(rename = "naam")]
    name: String,
    #[serde(rename = "leeftijdVan", default)]
    age_from: Option<u8>,
    #[serde(rename = "leeftijdTot", default)]
    age_until: Option<u8>,
    #[serde(rename = "waardeCent", default)]
    value_cents: Option<i64>,
}

/// The provisions of the regelingen in force today in the viewer's gemeente. Who may read regie
/// (partner, signaller, regievoerder) gets them from regie's API, with ages and value; anyone else
/// (a parent) the names the dashboard keeps of every published regeling.
pub async fn catalogue<R>(viewer: &Viewer<R>) -> Vec<CatalogueItem> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT regeling_id FROM provisions WHERE gemeente = $1")
            .bind(viewer.gemeente.as_str())
            .fetch_all(&viewer.web.pool)
            .await
            .unwrap_or_default();
    if matches!(
        viewer.role(),
        Role::Partner | Role::Signaller | Role::Regievoerder
    ) {
        let today = kindpakket_platform::clock::today().to_string();
        let mut items: BTreeMap<String, CatalogueItem> = BTreeMap::new();
        for id in ids {
            let path = viewer.gemeente_path(&format!("regelingen/{id}"));
            let Ok(regeling) = viewer.get::<RegelingView>(Service::Regie, &path).await else {
                continue;
            };
            if regeling.valid_from > today || regeling.valid_until < today {
                continue;
            }
            for provision in regeling.provisions {
                let mut detail = Vec::new();
                if let (Some(from), Some(until)) = (provision.age_from, provision.age_until) {
                    detail.push(format!("voor kinderen van {from} tot {until} jaar"));
                }
                if let Some(value) = provision.value_cents {
                    detail.push(format!("tot {}", euro(value)));
                }
                items.insert(
                    provision.code.clone(),
                    CatalogueItem {
                        code: provision.code,
                        name: provision.name,
                        detail: detail.join(", "),
                    },
                );
            }
        }
        if !items.is_empty() {
            let mut items: Vec<CatalogueItem> = items.into_values().collect();
            items.sort_by(|a, b| a.name.cmp(&b.name));
            return items;
        }
    }
    provision_names(viewer)
        .await
        .into_iter()
        .map(|(code, name)| CatalogueItem {
            code,
            name,
            detail: String::new(),
        })
        .collect()
}

/// Every provision's Dutch name in the viewer's gemeente (from the dashboard's own read model of
/// published regelingen), by code.
pub async fn provision_names<R>(viewer: &Viewer<R>) -> BTreeMap<String, String> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT code, max(name) FROM provisions WHERE gemeente = $1 GROUP BY code ORDER BY 2",
    )
    .bind(viewer.gemeente.as_str())
    .fetch_all(&viewer.web.pool)
    .await
    .unwrap_or_default();
    rows.into_iter().collect()
}

/// The partners enrolled in the viewer's gemeente (not ended), by id: their names.
pub async fn partner_names<R>(viewer: &Viewer<R>) -> BTreeMap<String, String> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT partner, name FROM partners WHERE gemeente = $1
           AND (ended_on IS NULL OR ended_on > current_date) ORDER BY name",
    )
    .bind(viewer.gemeente.as_str())
    .fetch_all(&viewer.web.pool)
    .await
    .unwrap_or_default();
    rows.into_iter().collect()
}

fn name_of(names: &BTreeMap<String, String>, code: &str) -> String {
    names.get(code).cloned().unwrap_or_else(|| code.to_owned())
}

// ---------------------------------------------------------------------------------------------
// An application explained.

/// One provision for one child, as the page explains it.
#[derive(Debug, Clone)]
pub struct OutcomeRow {
    pub provision: String,
    pub granted: bool,
    pub verdict: &'static str,
    pub amount: String,
    pub reason: &'static str,
    pub code: String,
    pub explanation: String,
}

/// One child and what came of each provision.
#[derive(Debug, Clone)]
pub struct ChildOutcome {
    pub title: String,
    pub rows: Vec<OutcomeRow>,
}

/// An entitlement as a row.
#[derive(Debug, Clone)]
pub struct EntitlementRow {
    pub child: String,
    pub provision: String,
    pub amount: String,
    pub period: String,
    /// For the regievoerder: the code of the pass or voucher to hand to the family.
    pub pass: Option<String>,
}

/// An application, explained in words for a page.
#[derive(Debug, Clone)]
pub struct Explained {
    pub id: String,
    pub status: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub undecided: bool,
    /// Label and value pairs.
    pub facts: Vec<(String, String)>,
    pub outcomes: Vec<ChildOutcome>,
    pub entitlements: Vec<EntitlementRow>,
    /// Whether the pass codes are shown (to the regievoerder, who hands them to the family).
    pub shows_passes: bool,
    pub custom_motivation: Option<String>,
    pub rejection_reason: Option<String>,
    pub withdrawal_reason: Option<String>,
    pub forgotten: bool,
}

impl Explained {
    pub fn of(
        view: &ApplicationView,
        provisions: &BTreeMap<String, String>,
        partners: &BTreeMap<String, String>,
    ) -> Self {
        let titles: BTreeMap<&str, String> = view
            .children
            .iter()
            .enumerate()
            .map(|(index, child)| (child.child.as_str(), child_title(index, child)))
            .collect();
        let title_of = |child: &str| {
            titles
                .get(child)
                .cloned()
                .unwrap_or_else(|| "Kind".to_owned())
        };
        let mut facts = vec![
            ("Ingediend op".to_owned(), date_text(&view.submitted_on)),
            (
                "Hoe binnengekomen".to_owned(),
                channel_label(&view.channel).to_owned(),
            ),
        ];
        if let Some(organisation) = &view.on_behalf_of {
            facts.push(("Namens".to_owned(), name_of(partners, organisation)));
        }
        facts.push((
            "Kinderen".to_owned(),
            view.children
                .iter()
                .enumerate()
                .map(|(index, child)| child_title(index, child))
                .collect::<Vec<_>>()
                .join("; "),
        ));
        if let Some(income) = view.income_percent {
            facts.push((
                "Inkomen".to_owned(),
                format!("{income}% van het sociaal minimum"),
            ));
        }
        facts.push((
            "Gevraagd".to_owned(),
            if view.provisions.is_empty() {
                "Het hele Kindpakket".to_owned()
            } else {
                view.provisions
                    .iter()
                    .map(|code| name_of(provisions, code))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ));
        if view.signal.is_some() {
            facts.push((
                "Signalering".to_owned(),
                "Volgt op een signalering".to_owned(),
            ));
        }
        if let Some(taken) = &view.taken {
            facts.push(("Ingenomen".to_owned(), taken_text(taken, partners)));
        }
        if let Some(decided) = &view.decided_on {
            let label = if view.status == "ingetrokken" {
                "Ingetrokken op"
            } else {
                "Besluit op"
            };
            facts.push((label.to_owned(), date_text(decided)));
        }
        let mut outcomes: Vec<ChildOutcome> = Vec::new();
        if let Some(assessment) = &view.assessment {
            for outcome in &assessment.outcomes {
                let title = title_of(&outcome.child);
                let row = OutcomeRow {
                    provision: name_of(provisions, &outcome.provision),
                    granted: outcome.granted,
                    verdict: if outcome.granted {
                        "Toegekend"
                    } else {
                        "Niet toegekend"
                    },
                    amount: if outcome.granted {
                        match outcome.share_percent {
                            Some(share) if share < 100 => {
                                format!("{} ({share}% vergoed)", euro(outcome.amount_cents))
                            }
                            _ => euro(outcome.amount_cents),
                        }
                    } else {
                        "—".to_owned()
                    },
                    reason: reason_label(&outcome.reason),
                    code: outcome.reason.clone(),
                    explanation: outcome.explanation.clone().unwrap_or_else(|| {
                        "De uitleg is niet meer te lezen: de gegevens van dit gezin zijn verwijderd."
                            .to_owned()
                    }),
                };
                match outcomes.iter_mut().find(|child| child.title == title) {
                    Some(child) => child.rows.push(row),
                    None => outcomes.push(ChildOutcome {
                        title,
                        rows: vec![row],
                    }),
                }
            }
        }
        let entitlements = view
            .entitlements
            .iter()
            .map(|entitlement| EntitlementRow {
                child: title_of(&entitlement.child),
                provision: name_of(provisions, &entitlement.provision),
                amount: euro(entitlement.amount_cents),
                period: format!(
                    "{} tot en met {}",
                    date_text(&entitlement.valid_from),
                    date_text(&entitlement.valid_until)
                ),
                pass: None,
            })
            .collect();
        Explained {
            id: view.id.to_string(),
            status: view.status.clone(),
            status_label: status_label(&view.status),
            status_class: status_class(&view.status),
            undecided: view.status == "ingediend",
            facts,
            outcomes,
            entitlements,
            shows_passes: false,
            custom_motivation: view
                .assessment
                .as_ref()
                .filter(|assessment| assessment.custom)
                .and_then(|assessment| assessment.custom_motivation.clone()),
            rejection_reason: view.rejection_reason.clone(),
            withdrawal_reason: view.withdrawal_reason.clone(),
            forgotten: view.data == "vergeten",
        }
    }
}

/// How an application was taken, in words.
fn taken_text(taken: &Value, partners: &BTreeMap<String, String>) -> String {
    match taken["door"].as_str() {
        Some("ouder") => match taken["geholpenDoor"].as_str() {
            Some(helper) => format!(
                "Door de ouder zelf, geholpen door {}",
                name_of(partners, helper)
            ),
            None => "Door de ouder zelf".to_owned(),
        },
        Some("intermediair") => {
            let organisation = taken["organisatie"].as_str().unwrap_or("");
            let consent = &taken["toestemming"];
            let form = consent["vorm"].as_str().unwrap_or("");
            let on = consent["datum"].as_str().map(date_text).unwrap_or_default();
            let gezag = if taken["gezag"]["verklaard"].as_bool() == Some(true) {
                "De ouder verklaarde het gezag te hebben."
            } else {
                ""
            };
            format!(
                "Namens het gezin door {}. Toestemming van de ouder: {form}, op {on}. {gezag}",
                name_of(partners, organisation)
            )
            .trim()
            .to_owned()
        }
        _ => "Onbekend".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// The form's fields, kept when it is shown again.

/// The posted fields of a form, in order (repeated fields, such as checkboxes, more than once).
#[derive(Debug, Clone, Default)]
pub struct Kept(pub Vec<(String, String)>);

impl Kept {
    /// The first value of `name`, trimmed; empty when not sent.
    pub fn value(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    }

    /// Whether `name` was sent with `value` (a ticked checkbox).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0
            .iter()
            .any(|(field, sent)| field == name && sent == value)
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, value)| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .collect()
    }
}

/// A provision as a checkbox, ticked or not.
#[derive(Debug, Clone)]
pub struct ProvisionChoice {
    pub code: String,
    pub name: String,
    pub detail: String,
    pub checked: bool,
}

pub fn choices(catalogue: &[CatalogueItem], kept: &Kept) -> Vec<ProvisionChoice> {
    catalogue
        .iter()
        .map(|item| ProvisionChoice {
            code: item.code.clone(),
            name: item.name.clone(),
            detail: item.detail.clone(),
            checked: kept.has("voorziening", &item.code),
        })
        .collect()
}

/// One child's fields on a form.
#[derive(Debug, Clone)]
pub struct ChildSlot {
    pub n: usize,
    pub voornaam: String,
    pub achternaam: String,
    pub bsn: String,
    pub geboortedatum: String,
}

/// How many children one form takes.
pub const CHILD_SLOTS: usize = 3;

pub fn child_slots(kept: &Kept) -> Vec<ChildSlot> {
    (1..=CHILD_SLOTS)
        .map(|n| ChildSlot {
            n,
            voornaam: kept.value(&format!("kind{n}_voornaam")),
            achternaam: kept.value(&format!("kind{n}_achternaam")),
            bsn: kept.value(&format!("kind{n}_bsn")),
            geboortedatum: kept.value(&format!("kind{n}_geboortedatum")),
        })
        .collect()
}

impl ChildSlot {
    pub fn is_empty(&self) -> bool {
        self.voornaam.is_empty()
            && self.achternaam.is_empty()
            && self.bsn.is_empty()
            && self.geboortedatum.is_empty()
    }

    /// Year and month of the date of birth, when it is a date.
    pub fn birth(&self) -> Option<(i32, u8)> {
        let date = time::Date::parse(
            &self.geboortedatum,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()?;
        Some((date.year(), u8::from(date.month())))
    }
}

/// A person as the identification takes them: a BSN, or name and date of birth, or all four.
fn described(bsn: &str, first: &str, last: &str, born: &str) -> Value {
    let mut person = serde_json::Map::new();
    if !bsn.is_empty() {
        person.insert("bsn".into(), json!(bsn));
    }
    if !first.is_empty() || !last.is_empty() || bsn.is_empty() {
        person.insert("voornaam".into(), json!(first));
        person.insert("achternaam".into(), json!(last));
        if !born.is_empty() {
            person.insert("geboortedatum".into(), json!(born));
        }
    }
    Value::Object(person)
}

/// A page's own refusal (before the API was asked), as the API's refusals are shown.
pub fn refusal(detail: impl Into<String>) -> ApiProblem {
    ApiProblem {
        status: 422,
        title: "Niet volledig".into(),
        detail: detail.into(),
    }
}

/// Income and money left, from the form, as the API takes them; or the page's refusal.
pub fn income_fields(kept: &Kept) -> Result<(u16, Option<u8>, Option<i64>), ApiProblem> {
    let income = kept.value("inkomen");
    let Ok(income) = income.trim_end_matches('%').trim().parse::<u16>() else {
        return Err(refusal(
            "Vul bij 'Inkomen' een getal in: het inkomen als percentage van het sociaal minimum, bijvoorbeeld 110. Er is niets opgeslagen.",
        ));
    };
    let adults = match kept.value("volwassenen").as_str() {
        "" => None,
        text => Some(text.parse::<u8>().map_err(|_| {
            refusal("Vul bij 'Volwassenen' een getal in, of laat het leeg. Er is niets opgeslagen.")
        })?),
    };
    let money_left = match kept.value("leefgeld").as_str() {
        "" => None,
        text => Some(parse_euro(text).ok_or_else(|| {
            refusal("Vul bij 'Leefgeld per week' een bedrag in, bijvoorbeeld 150,00, of laat het leeg. Er is niets opgeslagen.")
        })?),
    };
    Ok((income, adults, money_left))
}

// ---------------------------------------------------------------------------------------------
// `/aanvragen/nieuw`: on a family's behalf.

#[derive(Template)]
#[template(path = "web/application_new.html")]
pub struct NewPage {
    pub layout: Layout,
    pub problem: Option<ApiProblem>,
    pub done: Option<String>,
    /// Why this organisation may not take in applications, when it may not (no form then).
    pub not_enrolled: Option<String>,
    pub children: Vec<ChildSlot>,
    pub provisions: Vec<ProvisionChoice>,
    pub form: Kept,
    pub today: String,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    gedaan: Option<String>,
    /// From a referral's page: the signal the application answers, filled in.
    #[serde(default)]
    signalering: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    na: Option<String>,
}

/// Whether the viewer's organisation may take in applications; `Some(why not)` when it may not.
async fn intake_refused<R>(viewer: &Viewer<R>) -> Option<String> {
    if viewer.role() == Role::Regievoerder {
        return None;
    }
    let path = viewer.gemeente_path(&format!("partners/{}", viewer.organisation()));
    match viewer.get::<Enrolment>(Service::Regie, &path).await {
        Ok(enrolment)
            if enrolment.ended_on.is_none()
                && enrolment.roles.iter().any(|role| role == "aanvragen_innemen") =>
        {
            None
        }
        Ok(_) | Err(_) => Some(
            "Uw organisatie is in deze gemeente niet ingeschreven om aanvragen in te nemen. Vraag de regievoerder van de gemeente om een inschrijving voor 'aanvragen innemen'. Tot dan kan het gezin zelf online aanvragen, of bij het loket van de gemeente."
                .to_owned(),
        ),
    }
}

async fn new_page(
    viewer: &Viewer<Intakers>,
    form: Kept,
    problem: Option<ApiProblem>,
    done: Option<String>,
) -> NewPage {
    let catalogue = catalogue(viewer).await;
    NewPage {
        layout: viewer.layout("Aanvraag invoeren"),
        problem,
        done,
        not_enrolled: intake_refused(viewer).await,
        children: child_slots(&form),
        provisions: choices(&catalogue, &form),
        today: kindpakket_platform::clock::today().to_string(),
        form,
    }
}

/// `GET /aanvragen/nieuw`.
pub async fn new_form(viewer: Viewer<Intakers>, Query(query): Query<DoneQuery>) -> Response {
    let done = query.gedaan.map(|id| {
        format!("De aanvraag is ingediend (nummer {id}). De gemeente beslist erover; het gezin krijgt bericht.")
    });
    let mut form = Kept::default();
    form.0.push(("toestemming_vorm".into(), "mondeling".into()));
    if let Some(signal) = query
        .signalering
        .filter(|signal| uuid::Uuid::parse_str(signal).is_ok())
    {
        form.0.push(("signalering".into(), signal));
    }
    render(&new_page(&viewer, form, None, done).await)
}

/// `POST /aanvragen/nieuw`: identify the children and the parent (the organisation's own
/// references), then submit on the family's behalf with consent and gezag.
pub async fn submit(
    viewer: Viewer<Intakers>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Response {
    let kept = Kept(fields);
    match submit_on_behalf(&viewer, &kept).await {
        Ok(id) => {
            if viewer.role() == Role::Signaller {
                Redirect::to(&format!("/aanvragen/nieuw?gedaan={id}")).into_response()
            } else {
                Redirect::to(&format!("/aanvragen/{id}?gedaan=ingediend")).into_response()
            }
        }
        Err(problem) => {
            let status = status_of(&problem);
            render_with(status, &new_page(&viewer, kept, Some(problem), None).await)
        }
    }
}

async fn submit_on_behalf(viewer: &Viewer<Intakers>, kept: &Kept) -> Result<Uuid, ApiProblem> {
    // What the page checks before anyone is identified: without the parent's consent and the
    // declared gezag nothing may be done for the family at all, not even looking them up.
    if !kept.has("toestemming", "ja") {
        return Err(refusal(
            "Zet een vinkje bij 'De ouder geeft toestemming'. Zonder toestemming van de ouder mag u geen aanvraag voor het gezin doen. Er is niets opgeslagen en niemand opgezocht.",
        ));
    }
    if !kept.has("gezag", "ja") {
        return Err(refusal(
            "Zet een vinkje bij 'De ouder heeft het gezag'. Alleen een ouder met gezag over de kinderen kan de aanvraag doen. Er is niets opgeslagen en niemand opgezocht.",
        ));
    }
    let consent_date = match kept.value("toestemming_datum") {
        date if date.is_empty() => kindpakket_platform::clock::today().to_string(),
        date => date,
    };
    let consent_form = match kept.value("toestemming_vorm").as_str() {
        form @ ("mondeling" | "schriftelijk" | "digitaal") => form.to_owned(),
        _ => {
            return Err(refusal(
                "Kies hoe de ouder toestemming gaf: mondeling, schriftelijk of digitaal. Er is niets opgeslagen.",
            ))
        }
    };
    let (income, adults, money_left) = income_fields(kept)?;
    let parent = (
        kept.value("ouder_bsn"),
        kept.value("ouder_voornaam"),
        kept.value("ouder_achternaam"),
        kept.value("ouder_geboortedatum"),
    );
    if parent.0.is_empty() && (parent.1.is_empty() || parent.2.is_empty() || parent.3.is_empty()) {
        return Err(refusal(
            "Vul bij 'Ouder' het BSN in, of de voornaam, achternaam en geboortedatum. Er is niets opgeslagen.",
        ));
    }
    let slots: Vec<ChildSlot> = child_slots(kept)
        .into_iter()
        .filter(|slot| !slot.is_empty())
        .collect();
    if slots.is_empty() {
        return Err(refusal(
            "Vul ten minste één kind in. Er is niets opgeslagen.",
        ));
    }
    for slot in &slots {
        if slot.birth().is_none() {
            return Err(refusal(format!(
                "Vul bij kind {} de geboortedatum in. Er is niets opgeslagen.",
                slot.n
            )));
        }
        if slot.bsn.is_empty() && (slot.voornaam.is_empty() || slot.achternaam.is_empty()) {
            return Err(refusal(format!(
                "Vul bij kind {} het BSN in, of de voornaam en achternaam. Er is niets opgeslagen.",
                slot.n
            )));
        }
    }
    let signal = match kept.value("signalering").as_str() {
        "" => None,
        text => Some(Uuid::parse_str(text).map_err(|_| {
            refusal("Het nummer bij 'Signalering' klopt niet. Het is een lange code met streepjes, zoals u die bij de signalering kreeg. Laat het leeg als er geen signalering was. Er is niets opgeslagen.")
        })?),
    };
    // Identify each child with the parent: the organisation's own references.
    let identify_path = viewer.gemeente_path("identificaties");
    let ouder = described(&parent.0, &parent.1, &parent.2, &parent.3);
    let mut household = None;
    let mut children = Vec::new();
    for slot in &slots {
        let body = json!({
            "kind": described(&slot.bsn, &slot.voornaam, &slot.achternaam, &slot.geboortedatum),
            "ouder": ouder,
        });
        let identified: Identified = viewer
            .post(Service::Application, &identify_path, &body)
            .await
            .map_err(|problem| ApiProblem {
                detail: format!("Kind {}: {}", slot.n, problem.detail),
                ..problem
            })?;
        if household.is_none() {
            household = identified.huishouden.clone();
        }
        let (year, month) = slot.birth().unwrap_or((0, 0));
        children
            .push(json!({"kind": identified.kind, "geboortejaar": year, "geboortemaand": month}));
    }
    let Some(household) = household else {
        return Err(refusal(
            "De ouder kon niet als ouder worden gevonden (dit BSN hoort bij een kind). Controleer het BSN van de ouder. Er is geen aanvraag opgeslagen.",
        ));
    };
    let channel = match viewer.role() {
        Role::Regievoerder => "loket",
        Role::Signaller => "wijkteam",
        _ => "partner",
    };
    let body = SubmitBody {
        kanaal: channel,
        huishouden: household,
        kinderen: children,
        inkomen_percentage: income,
        voorzieningen: kept.all("voorziening"),
        signalering: signal,
        volwassenen: adults,
        leefgeld_per_week_cent: money_left,
        // What the boxes say, never more: the API refuses an application without them too.
        toestemming: Some(json!({
            "gegeven": kept.has("toestemming", "ja"),
            "datum": consent_date,
            "vorm": consent_form,
        })),
        gezag: Some(json!({"verklaard": kept.has("gezag", "ja")})),
        geholpen_door: None,
    };
    let created: Created = viewer
        .post(
            Service::Application,
            &viewer.gemeente_path("aanvragen"),
            &body,
        )
        .await?;
    Ok(created.id)
}

/// The submission as the API takes it.
#[derive(Debug, Serialize)]
pub struct SubmitBody {
    pub kanaal: &'static str,
    pub huishouden: String,
    pub kinderen: Vec<Value>,
    #[serde(rename = "inkomenPercentage")]
    pub inkomen_percentage: u16,
    pub voorzieningen: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signalering: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volwassenen: Option<u8>,
    #[serde(
        rename = "leefgeldPerWeekCent",
        skip_serializing_if = "Option::is_none"
    )]
    pub leefgeld_per_week_cent: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toestemming: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gezag: Option<Value>,
    #[serde(rename = "geholpenDoor", skip_serializing_if = "Option::is_none")]
    pub geholpen_door: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// `/aanvragen`: the work list.

/// A row of a list, as the page shows it.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub href: String,
    pub submitted_on: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub channel: &'static str,
    pub on_behalf_of: String,
    pub children: i32,
    pub decided_on: String,
}

pub fn list_rows(
    items: &[SummaryView],
    prefix: &str,
    partners: &BTreeMap<String, String>,
) -> Vec<ListRow> {
    items
        .iter()
        .map(|item| ListRow {
            href: format!("{prefix}/{}", item.id),
            submitted_on: date_text(&item.submitted_on),
            status_label: status_label(&item.status),
            status_class: status_class(&item.status),
            channel: item.channel.as_deref().map_or("", channel_label),
            on_behalf_of: item
                .on_behalf_of
                .as_deref()
                .map(|organisation| name_of(partners, organisation))
                .unwrap_or_default(),
            children: item.children,
            decided_on: item
                .decided_on
                .as_deref()
                .map(date_text)
                .unwrap_or_default(),
        })
        .collect()
}

/// A status filter's option.
#[derive(Debug, Clone)]
pub struct StatusOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "web/application_list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub problem: Option<ApiProblem>,
    pub options: Vec<StatusOption>,
    pub rows: Vec<ListRow>,
    /// The link to the next page, when there is one.
    pub next: Option<String>,
    pub first_page: Option<String>,
    pub empty_text: String,
}

const STATUSES: [(&str, &str); 5] = [
    ("te-beslissen", "Te beslissen"),
    ("toegekend", "Toegekend"),
    ("afgewezen", "Afgewezen"),
    ("ingetrokken", "Ingetrokken"),
    ("alle", "Alle aanvragen"),
];

/// `GET /aanvragen?status=…&na=…`.
pub async fn list(viewer: Viewer<Listers>, Query(query): Query<DoneQuery>) -> Response {
    let default = if viewer.role() == Role::Regievoerder {
        "te-beslissen"
    } else {
        "alle"
    };
    let status = query
        .status
        .as_deref()
        .filter(|status| STATUSES.iter().any(|(value, _)| value == status))
        .unwrap_or(default)
        .to_owned();
    let api = {
        let mut api = url::form_urlencoded::Serializer::new(String::new());
        api.append_pair("aantal", "25");
        if status != "alle" {
            api.append_pair("status", &status);
        }
        if let Some(after) = &query.na {
            api.append_pair("na", after);
        }
        api.finish()
    };
    let path = format!("{}?{api}", viewer.gemeente_path("aanvragen"));
    let answer = viewer
        .get_for_purpose::<ListAnswer>(Service::Application, &path, "aanvragen overzien")
        .await;
    let partners = partner_names(&viewer).await;
    let options = STATUSES
        .iter()
        .map(|(value, label)| StatusOption {
            value,
            label,
            selected: *value == status,
        })
        .collect();
    let link = |after: &str| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("status", &status);
        query.append_pair("na", after);
        format!("/aanvragen?{}", query.finish())
    };
    let first_page = query
        .na
        .as_ref()
        .map(|_| format!("/aanvragen?status={status}"));
    let (rows, next, problem) = match answer {
        Ok(answer) => (
            list_rows(&answer.items, "/aanvragen", &partners),
            answer.volgende.as_deref().map(link),
            None,
        ),
        Err(problem) => (Vec::new(), None, Some(problem)),
    };
    let empty_text = if status == "te-beslissen" {
        "Er zijn geen aanvragen die op een besluit wachten.".to_owned()
    } else {
        "Er zijn geen aanvragen met deze status.".to_owned()
    };
    let page = ListPage {
        layout: viewer.layout("Aanvragen"),
        problem,
        options,
        rows,
        next,
        first_page,
        empty_text,
    };
    match &page.problem {
        Some(problem) => render_with(status_of(problem), &page),
        None => render(&page),
    }
}

// ---------------------------------------------------------------------------------------------
// `/aanvragen/{id}`: one application, and the decision.

/// A child and provision that maatwerk may grant.
#[derive(Debug, Clone)]
pub struct CustomChoice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "web/application_show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub problem: Option<ApiProblem>,
    pub done: Option<String>,
    pub application: Option<Explained>,
    pub may_decide: bool,
    pub may_custom: bool,
    pub today: String,
    pub decision_date: String,
    pub motivation: String,
    pub custom_choices: Vec<CustomChoice>,
}

/// What the viewer may decide on: (assess, maatwerk). The regievoerder both; a partner with the
/// role `besluiten` and a mandate (maatwerk only when its mandate allows); anyone else nothing.
/// The API decides in the end (a partner outside its mandate is refused there).
async fn may_decide<R>(viewer: &Viewer<R>) -> (bool, bool) {
    match viewer.role() {
        Role::Regievoerder => (true, true),
        Role::Partner => {
            let path = viewer.gemeente_path(&format!("partners/{}", viewer.organisation()));
            match viewer.get::<Enrolment>(Service::Regie, &path).await {
                Ok(enrolment)
                    if enrolment.ended_on.is_none()
                        && enrolment.roles.iter().any(|role| role == "besluiten") =>
                {
                    match enrolment.mandate {
                        Some(mandate) => (true, mandate.custom),
                        None => (false, false),
                    }
                }
                _ => (false, false),
            }
        }
        _ => (false, false),
    }
}

async fn show_page(
    viewer: &Viewer<Intakers>,
    id: Uuid,
    kept: Kept,
    problem: Option<ApiProblem>,
    done: Option<String>,
) -> (StatusCode, ShowPage) {
    let path = viewer.gemeente_path(&format!("aanvragen/{id}"));
    let read = viewer
        .get_for_purpose::<ApplicationView>(Service::Application, &path, "aanvraag inzien")
        .await;
    let today = kindpakket_platform::clock::today().to_string();
    let decision_date = match kept.value("datum") {
        date if date.is_empty() => today.clone(),
        date => date,
    };
    let mut page = ShowPage {
        layout: viewer.layout("Aanvraag"),
        problem,
        done,
        application: None,
        may_decide: false,
        may_custom: false,
        today,
        decision_date,
        motivation: kept.value("motivatie"),
        custom_choices: Vec::new(),
    };
    let view = match read {
        Ok(view) => view,
        Err(refused) => {
            // Not found, or not this person's to see: nothing of it is shown.
            // A refusal that brought the person here (a decision's) is the one to show.
            let status = status_of(page.problem.as_ref().unwrap_or(&refused));
            if page.problem.is_none() {
                page.problem = Some(refused);
            }
            return (status, page);
        }
    };
    let provisions = provision_names(viewer).await;
    let partners = partner_names(viewer).await;
    let mut explained = Explained::of(&view, &provisions, &partners);
    if viewer.role() == Role::Regievoerder {
        // The gemeente hands the family its pass: the regievoerder sees the codes (the provision
        // service shows them to regie alone; the family's own page shows only the last four).
        for (row, entitlement) in explained.entitlements.iter_mut().zip(&view.entitlements) {
            let Some(id) = &entitlement.id else { continue };
            let path = viewer.gemeente_path(&format!("rechten/{id}"));
            if let Ok(right) = viewer
                .get::<serde_json::Value>(Service::Provision, &path)
                .await
            {
                row.pass = right["passen"][0]["code"].as_str().map(str::to_owned);
            }
        }
        explained.shows_passes = explained.entitlements.iter().any(|row| row.pass.is_some());
    }
    if explained.undecided {
        let (decide, custom) = may_decide(viewer).await;
        page.may_decide = decide;
        page.may_custom = custom;
        if custom {
            let codes: Vec<String> = if view.provisions.is_empty() {
                let mut codes: Vec<String> = catalogue(viewer)
                    .await
                    .into_iter()
                    .map(|item| item.code)
                    .collect();
                if codes.is_empty() {
                    codes = provisions.keys().cloned().collect();
                }
                codes
            } else {
                view.provisions.clone()
            };
            for (index, child) in view.children.iter().enumerate() {
                for code in &codes {
                    let value = format!("{}|{code}", child.child);
                    page.custom_choices.push(CustomChoice {
                        checked: kept.has("toekenning", &value),
                        label: format!(
                            "{}: {}",
                            child_title(index, child),
                            name_of(&provisions, code)
                        ),
                        value,
                    });
                }
            }
        }
    }
    page.layout = viewer.layout(&format!("Aanvraag van {}", date_text(&view.submitted_on)));
    page.application = Some(explained);
    let status = page.problem.as_ref().map_or(StatusCode::OK, status_of);
    (status, page)
}

/// `GET /aanvragen/{id}`.
pub async fn show(
    viewer: Viewer<Intakers>,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found(&viewer);
    };
    let done = query.gedaan.as_deref().map(|what| match what {
        "ingediend" => {
            "De aanvraag is ingediend. De gemeente beslist erover; het gezin krijgt bericht."
                .to_owned()
        }
        "besloten" => {
            "Het besluit is genomen. Hieronder staat per kind wat het gezin krijgt, en waarom."
                .to_owned()
        }
        _ => "Gedaan.".to_owned(),
    });
    let (status, page) = show_page(&viewer, id, Kept::default(), None, done).await;
    render_with(status, &page)
}

fn not_found<R>(viewer: &Viewer<R>) -> Response {
    super::viewer::error_page(
        &viewer.web,
        StatusCode::NOT_FOUND,
        "Deze aanvraag is niet gevonden.",
    )
}

/// The decision by the regeling (and, with maatwerk, outside it), as the API takes it.
#[derive(Debug, Serialize)]
struct AssessBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    datum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maatwerk: Option<Value>,
}

/// `POST /aanvragen/{id}/beoordeling`: decide by the regeling, on a date.
pub async fn assess(
    viewer: Viewer<Intakers>,
    Path(id): Path<String>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found(&viewer);
    };
    let kept = Kept(fields);
    let body = AssessBody {
        datum: Some(kept.value("datum")).filter(|date| !date.is_empty()),
        maatwerk: None,
    };
    decide(viewer, id, kept, body).await
}

/// `POST /aanvragen/{id}/maatwerk`: decide with maatwerk — grant what the rules refuse, with a
/// written motivation (the API checks it holds no BSN, IBAN, e-mail address or phone number).
pub async fn custom(
    viewer: Viewer<Intakers>,
    Path(id): Path<String>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found(&viewer);
    };
    let kept = Kept(fields);
    let motivation = kept.value("motivatie");
    let grants: Vec<Value> = kept
        .all("toekenning")
        .iter()
        .filter_map(|value| value.split_once('|'))
        .map(|(child, provision)| json!({"kind": child, "voorziening": provision}))
        .collect();
    let refused = if motivation.is_empty() {
        Some("Schrijf bij 'Motivatie' waarom u afwijkt van de regels. Er is niets veranderd.")
    } else if grants.is_empty() {
        Some("Kies ten minste één kind en voorziening die u met maatwerk toekent. Er is niets veranderd.")
    } else {
        None
    };
    if let Some(refused) = refused {
        let (_, page) = show_page(&viewer, id, kept, Some(refusal(refused)), None).await;
        return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let body = AssessBody {
        datum: Some(kept.value("datum")).filter(|date| !date.is_empty()),
        maatwerk: Some(json!({"motivatie": motivation, "toekenningen": grants})),
    };
    decide(viewer, id, kept, body).await
}

async fn decide(viewer: Viewer<Intakers>, id: Uuid, kept: Kept, body: AssessBody) -> Response {
    let path = viewer.gemeente_path(&format!("aanvragen/{id}/beoordeling"));
    match viewer
        .post_for_purpose::<Value>(Service::Application, &path, &body, "besluiten op aanvraag")
        .await
    {
        Ok(_) => Redirect::to(&format!("/aanvragen/{id}?gedaan=besloten")).into_response(),
        Err(problem) => {
            let status = status_of(&problem);
            let (_, page) = show_page(&viewer, id, kept, Some(problem), None).await;
            render_with(status, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_with_repeated_fields_reads_as_pairs() {
        let pairs: Vec<(String, String)> =
            serde_html_form::from_str("voorziening=a&voorziening=b&inkomen=110").unwrap();
        let kept = Kept(pairs);
        assert_eq!(kept.all("voorziening"), vec!["a", "b"]);
        assert!(kept.has("voorziening", "b"));
        assert_eq!(kept.value("inkomen"), "110");
        assert_eq!(kept.value("niets"), "");
    }

    #[test]
    fn a_person_is_described_as_the_identification_takes_them() {
        assert_eq!(
            described("111222333", "", "", "2016-01-01"),
            json!({"bsn": "111222333"})
        );
        assert_eq!(
            described("", "Noor", "Bakker", "2016-04-12"),
            json!({"voornaam": "Noor", "achternaam": "Bakker", "geboortedatum": "2016-04-12"})
        );
        assert_eq!(
            described("111222333", "Noor", "Bakker", "2016-04-12"),
            json!({"bsn": "111222333", "voornaam": "Noor", "achternaam": "Bakker", "geboortedatum": "2016-04-12"})
        );
    }
}

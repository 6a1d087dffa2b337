//! The regievoerder's pages: the inboxes (applications to decide, overdue referrals, declarations to
//! judge, invoices to settle), judging a declaration and settling an invoice, the regeling with its
//! catalogue and routing, the partners and signallers with their mandates, and the budgets. Every
//! page reads and acts through the services' APIs with the regievoerder's own token, in the gemeente
//! they work in: what the API refuses, the page shows in the API's own Dutch words.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kindpakket_platform::roles;
use kindpakket_proto::Service;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::backend::ApiProblem;
use super::layout::Layout;
use super::parts::{date_text, euro, parse_euro};
use super::viewer::{render, render_with, status_of, PageForm, Viewer};
use super::WebState;

roles!(
    /// Who works in the regie pages: the regievoerder alone.
    pub Regievoerders = [Regievoerder]
);

type RegieViewer = Viewer<Regievoerders>;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/regie", get(inboxes))
        .route("/regie/werkbak/{bak}", get(inbox))
        .route("/regie/facturen/{id}", get(invoice).post(settle_invoice))
        .route(
            "/regie/declaraties/{recht}/{declaratie}",
            get(declaration).post(judge_declaration),
        )
        .route("/regie/regeling", get(regeling))
        .route(
            "/regie/regeling/routering",
            axum::routing::post(set_routing),
        )
        .route("/regie/partners", get(partners).post(enrol_partner))
        .route("/regie/budgetten", get(budgets))
}

// ---------------------------------------------------------------------------------------------
// Words: the APIs' codes as a person reads them.

fn provision_type_label(code: &str) -> &str {
    match code {
        "maatschappelijke_participatie" => "Meedoen (sport, cultuur)",
        "school" => "School",
        "vervoer" => "Vervoer",
        "levensonderhoud" => "Levensonderhoud",
        "overig" => "Overig",
        "bijzondere_omstandigheden" => "Bijzondere omstandigheden",
        other => other,
    }
}

const PROVISION_TYPES: [&str; 6] = [
    "maatschappelijke_participatie",
    "school",
    "vervoer",
    "levensonderhoud",
    "overig",
    "bijzondere_omstandigheden",
];

fn form_label(code: &str) -> &str {
    match code {
        "in_natura" => "In natura (de partner levert)",
        "korting" => "Korting",
        "tegoedbon" => "Pas of tegoedbon",
        "declaratie" => "Declaratie (bonnetje)",
        other => other,
    }
}

fn source_label(code: &str) -> &str {
    match code {
        "rijksmiddelen" => "Rijksmiddelen",
        "gemeentelijke_fondsen" => "Gemeentelijke fondsen",
        "externe_fondsen" => "Externe fondsen",
        "private_partijen" => "Private partijen",
        other => other,
    }
}

fn role_label(code: &str) -> &str {
    match code {
        "signaleren" => "signaleren",
        "aanvragen_innemen" => "aanvragen innemen",
        "besluiten" => "besluiten",
        "verstrekken" => "verstrekken",
        other => other,
    }
}

const PARTNER_ROLES: [&str; 4] = [
    "signaleren",
    "aanvragen_innemen",
    "besluiten",
    "verstrekken",
];

fn group_label(code: &str) -> &str {
    match code {
        "brugklas" => "brugklas",
        "basisschool" => "basisschool",
        "voortgezet_onderwijs" => "voortgezet onderwijs",
        "mbo_onder_18" => "mbo, jonger dan 18",
        other => other,
    }
}

fn channel_label(code: &str) -> &str {
    match code {
        "online" => "online door ouder",
        "loket" => "loket",
        "partner" => "partner",
        other => other,
    }
}

/// Where a signal was referred to: `"loket"` or `{"partner": "…"}`.
fn referral_text(value: &Value) -> String {
    match value {
        Value::String(text) if text == "loket" => "het loket".to_owned(),
        Value::Object(map) => map
            .get("partner")
            .map(|partner| match partner {
                Value::String(code) => code.clone(),
                other => referral_text(other),
            })
            .unwrap_or_default(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

fn problem_text(problem: &ApiProblem) -> String {
    problem.detail.clone()
}

// ---------------------------------------------------------------------------------------------
// The inboxes.

#[derive(Debug, Deserialize)]
struct ListPage<T> {
    items: Vec<T>,
    #[serde(default)]
    volgende: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationRow {
    id: Uuid,
    #[serde(default)]
    kanaal: Option<String>,
    #[serde(default)]
    namens: Option<String>,
    #[serde(default)]
    aantal_kinderen: i32,
    ingediend_op: String,
}

#[derive(Debug, Deserialize)]
struct SignalRow {
    #[serde(default)]
    id: Option<String>,
    datum: String,
    #[serde(default)]
    signaleerder: Option<String>,
    #[serde(default, rename = "verwezenNaar")]
    verwezen_naar: Value,
    #[serde(default)]
    uiterlijk: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeclarationRow {
    id: Uuid,
    recht: Uuid,
    voorziening: String,
    ingediend_door: String,
    bedrag_cent: i64,
    ingediend_op: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceRow {
    id: Uuid,
    partner: String,
    vanaf: String,
    tot: String,
    regels: i32,
    totaal_cent: i64,
}

/// The four inboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bak {
    ToDecide,
    Overdue,
    ToJudge,
    ToSettle,
}

impl Bak {
    const ALL: [Bak; 4] = [Bak::ToDecide, Bak::Overdue, Bak::ToJudge, Bak::ToSettle];

    fn slug(self) -> &'static str {
        match self {
            Bak::ToDecide => "te-beslissen",
            Bak::Overdue => "te-laat",
            Bak::ToJudge => "te-beoordelen",
            Bak::ToSettle => "af-te-rekenen",
        }
    }

    fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|bak| bak.slug() == slug)
    }

    fn title(self) -> &'static str {
        match self {
            Bak::ToDecide => "Aanvragen te beslissen",
            Bak::Overdue => "Verwijzingen te laat",
            Bak::ToJudge => "Declaraties te beoordelen",
            Bak::ToSettle => "Facturen af te rekenen",
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            Bak::ToDecide => {
                "Aanvragen die zijn ingediend en nog geen besluit hebben. De oudste staan bovenaan."
            }
            Bak::Overdue => {
                "Signaleringen die naar een partner zijn verwezen en niet op tijd zijn opgepakt."
            }
            Bak::ToJudge => {
                "Declaraties van ouders en partners. Het bedrag is gereserveerd tot u beslist."
            }
            Bak::ToSettle => {
                "Facturen van partners met regels die u nog moet goedkeuren of afkeuren."
            }
        }
    }

    fn empty(self) -> &'static str {
        match self {
            Bak::ToDecide => "Er zijn geen aanvragen die op een besluit wachten.",
            Bak::Overdue => "Er zijn geen verwijzingen te laat.",
            Bak::ToJudge => "Er zijn geen declaraties om te beoordelen.",
            Bak::ToSettle => "Er zijn geen facturen om af te rekenen.",
        }
    }

    fn headers(self) -> &'static [&'static str] {
        match self {
            Bak::ToDecide => &["Aanvraag", "Kanaal", "Namens", "Kinderen"],
            Bak::Overdue => &[
                "Gesignaleerd op",
                "Door",
                "Verwezen naar",
                "Uiterlijk opgepakt",
            ],
            Bak::ToJudge => &["Declaratie", "Voorziening", "Ingediend door", "Bedrag"],
            Bak::ToSettle => &["Factuur", "Periode", "Regels", "Totaal"],
        }
    }

    fn service(self) -> Service {
        match self {
            Bak::ToDecide => Service::Application,
            Bak::Overdue => Service::Signalling,
            Bak::ToJudge | Bak::ToSettle => Service::Provision,
        }
    }

    fn api_path(self, viewer: &RegieViewer, aantal: u32, na: Option<&str>) -> String {
        let rest = match self {
            Bak::ToDecide => "aanvragen?status=te-beslissen",
            Bak::Overdue => "signaleringen?status=te-laat",
            Bak::ToJudge => "declaraties?status=te-beoordelen",
            Bak::ToSettle => "facturen?status=te-beoordelen",
        };
        let mut path = format!("{}&aantal={aantal}", viewer.gemeente_path(rest));
        if let Some(na) = na {
            let cursor: String = url::form_urlencoded::byte_serialize(na.as_bytes()).collect();
            path.push_str(&format!("&na={cursor}"));
        }
        path
    }

    /// One page of the inbox as rows, oldest first where the API lets us; and the cursor of the next.
    async fn fetch(
        self,
        viewer: &RegieViewer,
        aantal: u32,
        na: Option<&str>,
    ) -> Result<(Vec<InboxRow>, Option<String>), ApiProblem> {
        let path = self.api_path(viewer, aantal, na);
        let service = self.service();
        match self {
            Bak::ToDecide => {
                let page: ListPage<ApplicationRow> = viewer.get(service, &path).await?;
                let rows = page
                    .items
                    .into_iter()
                    .map(|row| InboxRow {
                        key: row.ingediend_op.clone(),
                        link: Some((
                            format!("/aanvragen/{}", row.id),
                            format!("Aanvraag van {}", date_text(&row.ingediend_op)),
                        )),
                        cells: vec![
                            row.kanaal.as_deref().map_or("—", channel_label).to_owned(),
                            row.namens.unwrap_or_else(|| "—".to_owned()),
                            row.aantal_kinderen.to_string(),
                        ],
                    })
                    .collect();
                Ok((rows, page.volgende))
            }
            Bak::Overdue => {
                let page: ListPage<SignalRow> = viewer.get(service, &path).await?;
                let rows = page
                    .items
                    .into_iter()
                    .map(|row| InboxRow {
                        key: row.uiterlijk.clone().unwrap_or_else(|| row.datum.clone()),
                        link: row.id.as_ref().map(|id| {
                            (
                                format!("/signaleringen/{id}"),
                                format!("Signalering van {}", date_text(&row.datum)),
                            )
                        }),
                        cells: vec![
                            date_text(&row.datum),
                            row.signaleerder.unwrap_or_else(|| "—".to_owned()),
                            referral_text(&row.verwezen_naar),
                            row.uiterlijk.as_deref().map_or("—".to_owned(), date_text),
                        ],
                    })
                    .collect();
                Ok((rows, page.volgende))
            }
            Bak::ToJudge => {
                let page: ListPage<DeclarationRow> = viewer.get(service, &path).await?;
                let rows = page
                    .items
                    .into_iter()
                    .map(|row| InboxRow {
                        key: row.ingediend_op.clone(),
                        link: Some((
                            format!("/regie/declaraties/{}/{}", row.recht, row.id),
                            format!("Declaratie van {}", date_text(&row.ingediend_op)),
                        )),
                        cells: vec![row.voorziening, row.ingediend_door, euro(row.bedrag_cent)],
                    })
                    .collect();
                Ok((rows, page.volgende))
            }
            Bak::ToSettle => {
                let page: ListPage<InvoiceRow> = viewer.get(service, &path).await?;
                let rows = page
                    .items
                    .into_iter()
                    .map(|row| InboxRow {
                        key: row.vanaf.clone(),
                        link: Some((
                            format!("/regie/facturen/{}", row.id),
                            format!("Factuur van {}", row.partner),
                        )),
                        cells: vec![
                            format!(
                                "{} tot en met {}",
                                date_text(&row.vanaf),
                                date_text(&row.tot)
                            ),
                            row.regels.to_string(),
                            euro(row.totaal_cent),
                        ],
                    })
                    .collect();
                Ok((rows, page.volgende))
            }
        }
    }
}

/// A row of an inbox: a link to act on it (when there is a page for that), and what to read.
#[derive(Debug)]
pub struct InboxRow {
    /// The date it is sorted by (oldest first on the overview).
    key: String,
    pub link: Option<(String, String)>,
    pub cells: Vec<String>,
}

/// One inbox on the overview.
#[derive(Debug)]
pub struct InboxSummary {
    pub slug: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub empty: &'static str,
    pub headers: &'static [&'static str],
    /// "3", or "200 of meer".
    pub count: String,
    pub rows: Vec<InboxRow>,
    pub more: bool,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "web/regie_werkbakken.html")]
pub struct InboxesPage {
    pub layout: Layout,
    pub inboxes: Vec<InboxSummary>,
}

/// How many the overview counts at most per inbox, and how many it shows.
const COUNT_AT_MOST: u32 = 200;
const SHOWN: usize = 5;

/// `GET /regie`: the four inboxes, each with its count and its oldest items.
async fn inboxes(viewer: RegieViewer) -> Response {
    // The four lists come from three services: asked at once, not one after another.
    let fetched = futures::future::join_all(
        Bak::ALL
            .iter()
            .map(|bak| bak.fetch(&viewer, COUNT_AT_MOST, None)),
    )
    .await;
    let mut inboxes = Vec::new();
    for (bak, fetched) in Bak::ALL.into_iter().zip(fetched) {
        let mut summary = InboxSummary {
            slug: bak.slug(),
            title: bak.title(),
            explanation: bak.explanation(),
            empty: bak.empty(),
            headers: bak.headers(),
            count: String::new(),
            rows: Vec::new(),
            more: false,
            problem: None,
        };
        match fetched {
            Ok((mut rows, next)) => {
                summary.count = if next.is_some() {
                    format!("{} of meer", rows.len())
                } else {
                    rows.len().to_string()
                };
                rows.sort_by(|a, b| a.key.cmp(&b.key));
                summary.more = rows.len() > SHOWN || next.is_some();
                rows.truncate(SHOWN);
                summary.rows = rows;
            }
            Err(problem) => summary.problem = Some(problem_text(&problem)),
        }
        inboxes.push(summary);
    }
    render(&InboxesPage {
        layout: viewer.layout("Werkbakken"),
        inboxes,
    })
}

#[derive(Template)]
#[template(path = "web/regie_werkbak.html")]
pub struct InboxPage {
    pub layout: Layout,
    pub explanation: &'static str,
    pub empty: &'static str,
    pub headers: &'static [&'static str],
    pub rows: Vec<InboxRow>,
    pub next: Option<String>,
    pub first_page: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InboxQuery {
    #[serde(default)]
    na: Option<String>,
}

/// Items per page of one inbox.
const PAGE_SIZE: u32 = 25;

/// `GET /regie/werkbak/{bak}`: one inbox, paged as its API pages.
async fn inbox(
    viewer: RegieViewer,
    Path(slug): Path<String>,
    Query(query): Query<InboxQuery>,
) -> Response {
    let Some(bak) = Bak::parse(&slug) else {
        return super::viewer::error_page(
            &viewer.web,
            StatusCode::NOT_FOUND,
            "Deze werkbak bestaat niet.",
        );
    };
    let na = query.na.filter(|na| !na.is_empty());
    let mut page = InboxPage {
        layout: viewer.layout(bak.title()),
        explanation: bak.explanation(),
        empty: bak.empty(),
        headers: bak.headers(),
        rows: Vec::new(),
        next: None,
        first_page: na.is_none(),
        problem: None,
    };
    match bak.fetch(&viewer, PAGE_SIZE, na.as_deref()).await {
        Ok((rows, next)) => {
            page.rows = rows;
            page.next = next.map(|cursor| {
                let cursor: String =
                    url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
                format!("/regie/werkbak/{}?na={cursor}", bak.slug())
            });
        }
        Err(problem) => {
            page.problem = Some(problem_text(&problem));
            return render_with(status_of(&problem), &page);
        }
    }
    render(&page)
}

// ---------------------------------------------------------------------------------------------
// Settling an invoice.

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceDto {
    id: Uuid,
    partner: String,
    vanaf: String,
    tot: String,
    totaal_cent: i64,
    goedgekeurd_cent: i64,
    afgehandeld: bool,
    regels: Vec<InvoiceLineDto>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceLineDto {
    verstrekking: Uuid,
    voorziening: String,
    bedrag_cent: i64,
    datum: String,
    #[serde(default)]
    financiering: Vec<FundingDto>,
    status: String,
    #[serde(default)]
    reden: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FundingDto {
    organisatie: String,
    bron: String,
    bedrag_cent: i64,
}

/// An invoice line as the page shows it, with the choice kept when the form comes back.
#[derive(Debug)]
pub struct LineView {
    pub number: usize,
    pub delivery: String,
    pub provision: String,
    pub amount: String,
    pub date: String,
    pub funding: String,
    pub status: String,
    pub status_class: &'static str,
    pub reason: String,
    pub open: bool,
    /// The decision chosen in the form: `goedkeuren`, `afkeuren` or `later`.
    pub choice: String,
    pub typed_reason: String,
}

#[derive(Template)]
#[template(path = "web/regie_factuur.html")]
pub struct InvoicePage {
    pub layout: Layout,
    pub id: String,
    pub partner: String,
    pub period: String,
    pub total: String,
    pub approved: String,
    pub settled: bool,
    pub lines: Vec<LineView>,
    pub any_open: bool,
    pub problem: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    gedaan: Option<String>,
}

fn invoice_page(
    viewer: &RegieViewer,
    invoice: InvoiceDto,
    kept: &BTreeMap<String, (String, String)>,
) -> InvoicePage {
    let lines: Vec<LineView> = invoice
        .regels
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let delivery = line.verstrekking.to_string();
            let (choice, typed_reason) = kept
                .get(&delivery)
                .cloned()
                .unwrap_or_else(|| ("goedkeuren".to_owned(), String::new()));
            let (status, status_class) = match line.status.as_str() {
                "goedgekeurd" => ("goedgekeurd", "kp-status kp-status--bediend"),
                "afgekeurd" => ("afgekeurd", "kp-status kp-status--afgewezen"),
                _ => ("nog te beoordelen", "kp-status"),
            };
            LineView {
                number: index + 1,
                delivery,
                provision: line.voorziening,
                amount: euro(line.bedrag_cent),
                date: date_text(&line.datum),
                funding: line
                    .financiering
                    .iter()
                    .map(|part| {
                        format!(
                            "{} ({}): {}",
                            part.organisatie,
                            source_label(&part.bron),
                            euro(part.bedrag_cent)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                status: status.to_owned(),
                status_class,
                reason: line.reden.unwrap_or_default(),
                open: line.status == "open",
                choice,
                typed_reason,
            }
        })
        .collect();
    InvoicePage {
        layout: viewer.layout(&format!("Factuur van {}", invoice.partner)),
        id: invoice.id.to_string(),
        partner: invoice.partner,
        period: format!(
            "{} tot en met {}",
            date_text(&invoice.vanaf),
            date_text(&invoice.tot)
        ),
        total: euro(invoice.totaal_cent),
        approved: euro(invoice.goedgekeurd_cent),
        settled: invoice.afgehandeld,
        any_open: lines.iter().any(|line| line.open),
        lines,
        problem: None,
        done: None,
    }
}

async fn load_invoice(viewer: &RegieViewer, id: Uuid) -> Result<InvoiceDto, Response> {
    viewer
        .get::<InvoiceDto>(
            Service::Provision,
            &viewer.gemeente_path(&format!("facturen/{id}")),
        )
        .await
        .map_err(|problem| {
            super::viewer::error_page(&viewer.web, status_of(&problem), &problem.detail)
        })
}

/// `GET /regie/facturen/{id}`: the invoice's lines, and a decision per open line.
async fn invoice(
    viewer: RegieViewer,
    Path(id): Path<Uuid>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let invoice = match load_invoice(&viewer, id).await {
        Ok(invoice) => invoice,
        Err(response) => return response,
    };
    let mut page = invoice_page(&viewer, invoice, &BTreeMap::new());
    if query.gedaan.is_some() {
        page.done = Some("Uw beoordeling is opgeslagen. De partner ziet het resultaat.".to_owned());
    }
    render(&page)
}

/// The invoice form: per open line (in the order of the page) its delivery, the decision and a
/// reason.
#[derive(Debug, Deserialize)]
pub struct SettleForm {
    #[serde(default)]
    verstrekking: Vec<String>,
    #[serde(default)]
    besluit: Vec<String>,
    #[serde(default)]
    reden: Vec<String>,
}

/// `POST /regie/facturen/{id}`: approve or reject lines (`…/facturen/{id}/beoordeling`).
async fn settle_invoice(
    viewer: RegieViewer,
    Path(id): Path<Uuid>,
    PageForm(form): PageForm<SettleForm>,
) -> Response {
    let mut kept = BTreeMap::new();
    let mut lines = Vec::new();
    for (index, delivery) in form.verstrekking.iter().enumerate() {
        let choice = form.besluit.get(index).cloned().unwrap_or_default();
        let reason = form.reden.get(index).cloned().unwrap_or_default();
        kept.insert(delivery.clone(), (choice.clone(), reason.clone()));
        let approved = match choice.as_str() {
            "goedkeuren" => true,
            "afkeuren" => false,
            _ => continue,
        };
        let mut line = json!({"verstrekking": delivery, "goedgekeurd": approved});
        if !approved && !reason.trim().is_empty() {
            line["reden"] = json!(reason.trim());
        }
        lines.push(line);
    }
    let problem = if lines.is_empty() {
        Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Kies bij minstens één regel 'goedkeuren' of 'afkeuren'.".to_owned(),
        ))
    } else {
        match viewer
            .post::<Value>(
                Service::Provision,
                &viewer.gemeente_path(&format!("facturen/{id}/beoordeling")),
                &json!({ "regels": lines }),
            )
            .await
        {
            Ok(_) => None,
            Err(problem) => Some((status_of(&problem), problem.detail)),
        }
    };
    let Some((status, message)) = problem else {
        return Redirect::to(&format!("/regie/facturen/{id}?gedaan=beoordeeld")).into_response();
    };
    let invoice = match load_invoice(&viewer, id).await {
        Ok(invoice) => invoice,
        Err(response) => return response,
    };
    let mut page = invoice_page(&viewer, invoice, &kept);
    page.problem = Some(message);
    render_with(status, &page)
}

// ---------------------------------------------------------------------------------------------
// Judging a declaration.

#[derive(Template)]
#[template(path = "web/regie_declaratie.html")]
pub struct DeclarationPage {
    pub layout: Layout,
    pub action: String,
    pub provision: String,
    pub entitlement_amount: String,
    pub left: String,
    pub submitted_by: String,
    pub amount: String,
    pub proof: String,
    pub submitted_on: String,
    pub status: String,
    pub open: bool,
    pub reason: String,
    pub typed_reason: String,
    pub problem: Option<String>,
    pub done: Option<String>,
}

async fn declaration_page(
    viewer: &RegieViewer,
    recht: Uuid,
    declaratie: Uuid,
) -> Result<DeclarationPage, Response> {
    let entitlement: Value = viewer
        .get(
            Service::Provision,
            &viewer.gemeente_path(&format!("rechten/{recht}")),
        )
        .await
        .map_err(|problem| {
            super::viewer::error_page(&viewer.web, status_of(&problem), &problem.detail)
        })?;
    let wanted = declaratie.to_string();
    let Some(found) = entitlement["declaraties"].as_array().and_then(|list| {
        list.iter()
            .find(|item| item["id"].as_str() == Some(wanted.as_str()))
    }) else {
        return Err(super::viewer::error_page(
            &viewer.web,
            StatusCode::NOT_FOUND,
            "Deze declaratie is niet gevonden.",
        ));
    };
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let status = text(&found["status"]);
    Ok(DeclarationPage {
        layout: viewer.layout("Declaratie beoordelen"),
        action: format!("/regie/declaraties/{recht}/{declaratie}"),
        provision: text(&entitlement["voorziening"]),
        entitlement_amount: euro(entitlement["bedragCent"].as_i64().unwrap_or_default()),
        left: euro(entitlement["restCent"].as_i64().unwrap_or_default()),
        submitted_by: text(&found["ingediendDoor"]),
        amount: euro(found["bedragCent"].as_i64().unwrap_or_default()),
        proof: found["bewijs"]
            .as_str()
            .unwrap_or("(niet meer leesbaar: het kind is vergeten)")
            .to_owned(),
        submitted_on: date_text(&text(&found["ingediendOp"])),
        open: status == "ingediend",
        status: match status.as_str() {
            "ingediend" => "nog te beoordelen".to_owned(),
            other => other.to_owned(),
        },
        reason: text(&found["reden"]),
        typed_reason: String::new(),
        problem: None,
        done: None,
    })
}

/// `GET /regie/declaraties/{recht}/{declaratie}`: the declaration with its proof, to approve or
/// reject.
async fn declaration(
    viewer: RegieViewer,
    Path((recht, declaratie)): Path<(Uuid, Uuid)>,
    Query(query): Query<DoneQuery>,
) -> Response {
    match declaration_page(&viewer, recht, declaratie).await {
        Ok(mut page) => {
            if query.gedaan.is_some() {
                page.done = Some("Uw beoordeling is opgeslagen.".to_owned());
            }
            render(&page)
        }
        Err(response) => response,
    }
}

#[derive(Debug, Deserialize)]
pub struct JudgeForm {
    besluit: String,
    #[serde(default)]
    reden: String,
}

/// `POST /regie/declaraties/{recht}/{declaratie}`: approve or reject it (`…/beoordeling`).
async fn judge_declaration(
    viewer: RegieViewer,
    Path((recht, declaratie)): Path<(Uuid, Uuid)>,
    PageForm(form): PageForm<JudgeForm>,
) -> Response {
    let approved = form.besluit == "goedkeuren";
    let mut body = json!({ "goedgekeurd": approved });
    if !approved && !form.reden.trim().is_empty() {
        body["reden"] = json!(form.reden.trim());
    }
    let answer = viewer
        .post::<Value>(
            Service::Provision,
            &viewer.gemeente_path(&format!(
                "rechten/{recht}/declaraties/{declaratie}/beoordeling"
            )),
            &body,
        )
        .await;
    match answer {
        Ok(_) => Redirect::to(&format!(
            "/regie/declaraties/{recht}/{declaratie}?gedaan=beoordeeld"
        ))
        .into_response(),
        Err(problem) => match declaration_page(&viewer, recht, declaratie).await {
            Ok(mut page) => {
                page.problem = Some(problem.detail.clone());
                page.typed_reason = form.reden;
                render_with(status_of(&problem), &page)
            }
            Err(response) => response,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The regeling, its catalogue and the routing.

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegelingDto {
    id: Uuid,
    jaar: i32,
    geldig_vanaf: String,
    geldig_tot: String,
    #[serde(default)]
    beeindigd: bool,
    inkomensgrens: Value,
    #[serde(default)]
    voorzieningen: Vec<ProvisionDto>,
    #[serde(default)]
    inkomensgrens_per_leeftijd: Vec<AgeThresholdDto>,
    #[serde(default)]
    glijdende_schaal: Vec<ScaleBandDto>,
    #[serde(default)]
    besteedbaar_inkomen: Option<DisposableDto>,
    #[serde(default)]
    steekproef_percentage: Option<u8>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProvisionDto {
    code: String,
    naam: String,
    #[serde(rename = "type")]
    provision_type: String,
    leeftijd_van: u8,
    leeftijd_tot: u8,
    waarde_cent: i64,
    vorm: String,
    #[serde(default)]
    doelgroep: Option<String>,
    #[serde(default = "yes")]
    los_aan_te_vragen: bool,
    #[serde(default)]
    financiers: Vec<FunderDto>,
    #[serde(default)]
    medefinanciering: Option<CoFundingDto>,
    #[serde(default)]
    aantal: Option<u32>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
struct FunderDto {
    organisatie: String,
    bron: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CoFundingDto {
    organisatie: String,
    bron: String,
    aandeel_percentage: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AgeThresholdDto {
    leeftijd_van: u8,
    leeftijd_tot: u8,
    percentage: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScaleBandDto {
    tot_percentage: u16,
    aandeel_percentage: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisposableDto {
    eerste_volwassene_cent: i64,
    tweede_volwassene_cent: i64,
    per_kind_cent: i64,
}

#[derive(Debug, Deserialize)]
struct RegelingList {
    items: Vec<RegelingDto>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoutingDto {
    versie: i64,
    #[serde(default)]
    vastgesteld_op: Option<String>,
    #[serde(default)]
    routes: Vec<RouteDto>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RouteDto {
    voorzieningsoort: String,
    #[serde(default)]
    wijk: Option<String>,
    naar: Value,
    reactietermijn_werkdagen: u32,
}

/// A provision of the catalogue as the page shows it.
#[derive(Debug)]
pub struct CatalogueRow {
    pub name: String,
    pub code: String,
    pub kind: String,
    pub ages: String,
    pub amount: String,
    pub form: String,
    pub funders: String,
}

/// Another version of the regeling, in the list of versions.
#[derive(Debug)]
pub struct VersionRow {
    pub year: i32,
    pub period: String,
    pub state: String,
}

/// A route in the form: kept as typed when the form comes back.
#[derive(Debug, Clone, Default)]
pub struct RouteRow {
    pub number: usize,
    pub kind: String,
    pub wijk: String,
    pub to: String,
    pub days: String,
}

/// A choice of a provision type in the routing form.
#[derive(Debug)]
pub struct TypeChoice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "web/regie_regeling.html")]
pub struct RegelingPage {
    pub layout: Layout,
    pub has_regeling: bool,
    pub year: i32,
    pub period: String,
    pub in_force: bool,
    pub income: Vec<String>,
    pub catalogue: Vec<CatalogueRow>,
    pub versions: Vec<VersionRow>,
    pub routing_version: i64,
    pub routing_set_on: String,
    pub routes: Vec<RouteRow>,
    pub form_routes: Vec<RouteRow>,
    pub types: Vec<TypeChoice>,
    pub problem: Option<String>,
    pub routing_problem: Option<String>,
    pub done: Option<String>,
}

/// The income rules of a version, in sentences.
fn income_sentences(regeling: &RegelingDto) -> Vec<String> {
    let mut sentences = Vec::new();
    match regeling.inkomensgrens["soort"].as_str() {
        Some("percentage") => {
            sentences.push(format!(
            "Een gezin komt in aanmerking met een inkomen tot en met {}% van het sociaal minimum.",
            regeling.inkomensgrens["percentage"].as_u64().unwrap_or_default()
        ))
        }
        Some("individueel") => sentences.push(
            "Er is geen vaste inkomensgrens: de gemeente kijkt per gezin naar de omstandigheden."
                .to_owned(),
        ),
        _ => {}
    }
    for band in &regeling.inkomensgrens_per_leeftijd {
        sentences.push(format!(
            "Voor kinderen van {} tot en met {} jaar is de grens {}% van het sociaal minimum.",
            band.leeftijd_van, band.leeftijd_tot, band.percentage
        ));
    }
    let mut scale = regeling.glijdende_schaal.clone();
    scale.sort_by_key(|band| band.tot_percentage);
    for band in &scale {
        sentences.push(format!(
            "Glijdende schaal: is het inkomen hoger dan de grens, maar niet hoger dan {}%, dan krijgt het gezin {}% van de waarde.",
            band.tot_percentage, band.aandeel_percentage
        ));
    }
    if let Some(rule) = &regeling.besteedbaar_inkomen {
        sentences.push(format!(
            "Ook een gezin met een hoger inkomen komt in aanmerking als het na de vaste lasten per week minder overhoudt dan {} voor de eerste volwassene, {} voor de tweede en {} per kind.",
            euro(rule.eerste_volwassene_cent),
            euro(rule.tweede_volwassene_cent),
            euro(rule.per_kind_cent)
        ));
    }
    if let Some(percent) = regeling.steekproef_percentage {
        sentences.push(format!(
            "Van de declaraties wordt {percent}% in een steekproef gecontroleerd."
        ));
    }
    sentences
}

fn catalogue_rows(regeling: &RegelingDto) -> Vec<CatalogueRow> {
    regeling
        .voorzieningen
        .iter()
        .map(|provision| {
            let mut ages = format!(
                "{} tot en met {} jaar",
                provision.leeftijd_van, provision.leeftijd_tot
            );
            if let Some(group) = &provision.doelgroep {
                ages.push_str(&format!(" ({})", group_label(group)));
            }
            let mut amount = euro(provision.waarde_cent);
            if let Some(units) = provision.aantal {
                amount.push_str(&format!(", in {units} strippen"));
            }
            if !provision.los_aan_te_vragen {
                amount.push_str("; alleen met het hele pakket");
            }
            let mut funders: Vec<String> = provision
                .financiers
                .iter()
                .enumerate()
                .map(|(index, funder)| {
                    format!(
                        "{}. {} ({})",
                        index + 1,
                        funder.organisatie,
                        source_label(&funder.bron)
                    )
                })
                .collect();
            if let Some(co) = &provision.medefinanciering {
                funders.push(format!(
                    "mede: {} ({}), {}%",
                    co.organisatie,
                    source_label(&co.bron),
                    co.aandeel_percentage
                ));
            }
            CatalogueRow {
                name: provision.naam.clone(),
                code: provision.code.clone(),
                kind: provision_type_label(&provision.provision_type).to_owned(),
                ages,
                amount,
                form: form_label(&provision.vorm).to_owned(),
                funders: if funders.is_empty() {
                    "de gemeente (uit het budget)".to_owned()
                } else {
                    funders.join("; ")
                },
            }
        })
        .collect()
}

/// The version in force today; else the one that starts latest.
fn current(regelingen: &[RegelingDto], today: &str) -> Option<(RegelingDto, bool)> {
    regelingen
        .iter()
        .find(|version| {
            version.geldig_vanaf.as_str() <= today && today <= version.geldig_tot.as_str()
        })
        .map(|version| (version.clone(), true))
        .or_else(|| regelingen.first().map(|version| (version.clone(), false)))
}

fn route_rows(routing: &RoutingDto) -> Vec<RouteRow> {
    routing
        .routes
        .iter()
        .enumerate()
        .map(|(index, route)| RouteRow {
            number: index + 1,
            kind: route.voorzieningsoort.clone(),
            wijk: route.wijk.clone().unwrap_or_default(),
            to: match &route.naar {
                Value::String(text) => text.clone(),
                other => referral_text(other),
            },
            days: route.reactietermijn_werkdagen.to_string(),
        })
        .collect()
}

/// The routes in the form: those in force and two empty rows to add one.
fn with_empty_rows(mut rows: Vec<RouteRow>) -> Vec<RouteRow> {
    for _ in 0..2 {
        rows.push(RouteRow::default());
    }
    for (index, row) in rows.iter_mut().enumerate() {
        row.number = index + 1;
    }
    rows
}

async fn regeling_page(viewer: &RegieViewer) -> RegelingPage {
    let mut page = RegelingPage {
        layout: viewer.layout("Regeling"),
        has_regeling: false,
        year: 0,
        period: String::new(),
        in_force: false,
        income: Vec::new(),
        catalogue: Vec::new(),
        versions: Vec::new(),
        routing_version: 0,
        routing_set_on: String::new(),
        routes: Vec::new(),
        form_routes: Vec::new(),
        types: PROVISION_TYPES
            .iter()
            .map(|code| TypeChoice {
                code,
                label: provision_type_label(code),
            })
            .collect(),
        problem: None,
        routing_problem: None,
        done: None,
    };
    match viewer
        .get::<RegelingList>(Service::Regie, &viewer.gemeente_path("regelingen"))
        .await
    {
        Ok(list) => {
            let today = kindpakket_platform::clock::today().to_string();
            if let Some((regeling, in_force)) = current(&list.items, &today) {
                page.has_regeling = true;
                page.year = regeling.jaar;
                page.period = format!(
                    "{} tot en met {}",
                    date_text(&regeling.geldig_vanaf),
                    date_text(&regeling.geldig_tot)
                );
                page.in_force = in_force;
                page.income = income_sentences(&regeling);
                page.catalogue = catalogue_rows(&regeling);
                page.versions = list
                    .items
                    .iter()
                    .filter(|version| version.id != regeling.id)
                    .map(|version| VersionRow {
                        year: version.jaar,
                        period: format!(
                            "{} tot en met {}",
                            date_text(&version.geldig_vanaf),
                            date_text(&version.geldig_tot)
                        ),
                        state: if version.beeindigd {
                            "beëindigd of gewijzigd".to_owned()
                        } else if version.geldig_vanaf.as_str() > today.as_str() {
                            "nog niet van kracht".to_owned()
                        } else if version.geldig_tot.as_str() < today.as_str() {
                            "afgelopen".to_owned()
                        } else {
                            "van kracht".to_owned()
                        },
                    })
                    .collect();
            }
        }
        Err(problem) => page.problem = Some(problem.detail),
    }
    match viewer
        .get::<RoutingDto>(Service::Regie, &viewer.gemeente_path("routering"))
        .await
    {
        Ok(routing) => {
            page.routing_version = routing.versie;
            page.routing_set_on = routing
                .vastgesteld_op
                .as_deref()
                .map(date_text)
                .unwrap_or_default();
            page.routes = route_rows(&routing)
                .into_iter()
                .map(|mut row| {
                    row.kind = provision_type_label(&row.kind).to_owned();
                    row.wijk = if row.wijk.is_empty() {
                        "alle wijken".to_owned()
                    } else {
                        row.wijk
                    };
                    row.to = if row.to == "loket" {
                        "het loket".to_owned()
                    } else {
                        row.to
                    };
                    row
                })
                .collect();
            page.form_routes = with_empty_rows(route_rows(&routing));
        }
        Err(problem) => page.routing_problem = Some(problem.detail),
    }
    page
}

/// `GET /regie/regeling`: the regeling in force with its catalogue and income rules, and the
/// routing of signals (read and set).
async fn regeling(viewer: RegieViewer, Query(query): Query<DoneQuery>) -> Response {
    let mut page = regeling_page(&viewer).await;
    if query.gedaan.is_some() {
        page.done =
            Some("De routering is vastgesteld. Nieuwe signaleringen volgen haar.".to_owned());
    }
    render(&page)
}

/// The routing form: per row (in page order) the provision type, wijk, where to and response time.
#[derive(Debug, Deserialize)]
pub struct RoutingForm {
    #[serde(default)]
    soort: Vec<String>,
    #[serde(default)]
    wijk: Vec<String>,
    #[serde(default)]
    naar: Vec<String>,
    #[serde(default)]
    termijn: Vec<String>,
}

/// `POST /regie/regeling/routering`: the whole table (`PUT …/routering`); a row without a provision
/// type is left out.
async fn set_routing(viewer: RegieViewer, PageForm(form): PageForm<RoutingForm>) -> Response {
    let mut rows = Vec::new();
    let mut routes = Vec::new();
    let mut typed_badly = None;
    for (index, kind) in form.soort.iter().enumerate() {
        let field = |list: &Vec<String>| {
            list.get(index)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let row = RouteRow {
            number: index + 1,
            kind: kind.clone(),
            wijk: field(&form.wijk),
            to: field(&form.naar),
            days: field(&form.termijn),
        };
        if !kind.is_empty() {
            let to = if row.to.is_empty() || row.to.eq_ignore_ascii_case("loket") {
                json!("loket")
            } else {
                json!({ "partner": row.to })
            };
            let days = row.days.parse::<u32>().ok();
            if days.is_none() && typed_badly.is_none() {
                typed_badly = Some(format!(
                    "Route {}: vul bij 'Reactietermijn' een aantal werkdagen in, zoals 5.",
                    routes.len() + 1
                ));
            }
            routes.push(json!({
                "voorzieningsoort": kind,
                "wijk": if row.wijk.is_empty() { Value::Null } else { json!(row.wijk) },
                "naar": to,
                "reactietermijnWerkdagen": days.unwrap_or_default(),
            }));
        }
        rows.push(row);
    }
    let problem = match typed_badly {
        Some(message) => Some((StatusCode::UNPROCESSABLE_ENTITY, message)),
        None => match viewer
            .put::<Value>(
                Service::Regie,
                &viewer.gemeente_path("routering"),
                &json!({ "routes": routes }),
            )
            .await
        {
            Ok(_) => None,
            Err(problem) => Some((status_of(&problem), problem.detail)),
        },
    };
    let Some((status, message)) = problem else {
        return Redirect::to("/regie/regeling?gedaan=routering").into_response();
    };
    let mut page = regeling_page(&viewer).await;
    page.form_routes = with_empty_rows(rows);
    page.routing_problem = Some(message);
    render_with(status, &page)
}

// ---------------------------------------------------------------------------------------------
// Partners and signallers.

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnrolmentDto {
    partner: String,
    naam: String,
    #[serde(default)]
    voorzieningen: Vec<String>,
    #[serde(default)]
    rollen: Vec<String>,
    ingeschreven_op: String,
    #[serde(default)]
    mandaat: Option<MandateDto>,
    #[serde(default)]
    beeindigd_op: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MandateDto {
    voorzieningen: Vec<String>,
    maximum_bedrag_cent: i64,
    maatwerk_toegestaan: bool,
}

#[derive(Debug, Deserialize)]
struct EnrolmentList {
    items: Vec<EnrolmentDto>,
}

/// An enrolment as the page shows it.
#[derive(Debug)]
pub struct EnrolmentRow {
    pub name: String,
    pub code: String,
    pub roles: String,
    pub provisions: String,
    pub mandate: String,
    pub since: String,
    pub ended: String,
}

/// A checkbox of the enrolment form.
#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "web/regie_partners.html")]
pub struct PartnersPage {
    pub layout: Layout,
    pub partners: Vec<EnrolmentRow>,
    pub signallers: Vec<EnrolmentRow>,
    pub list_problem: Option<String>,
    pub name: String,
    pub code: String,
    pub provisions: Vec<Choice>,
    pub roles: Vec<Choice>,
    pub mandate_provisions: Vec<Choice>,
    pub max_amount: String,
    pub custom: bool,
    pub problem: Option<String>,
    pub done: Option<String>,
}

/// The enrolment form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    naam: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    voorzieningen: Vec<String>,
    #[serde(default)]
    rollen: Vec<String>,
    #[serde(default)]
    mandaat_voorzieningen: Vec<String>,
    #[serde(default)]
    mandaat_bedrag: String,
    #[serde(default)]
    maatwerk: Option<String>,
}

async fn partners_page(viewer: &RegieViewer, form: &EnrolForm) -> PartnersPage {
    // The catalogue names the provisions (and offers them in the form).
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    if let Ok(list) = viewer
        .get::<RegelingList>(Service::Regie, &viewer.gemeente_path("regelingen"))
        .await
    {
        let today = kindpakket_platform::clock::today().to_string();
        if let Some((regeling, _)) = current(&list.items, &today) {
            for provision in regeling.voorzieningen {
                names.insert(provision.code, provision.naam);
            }
        }
    }
    let name_of = |code: &String| names.get(code).cloned().unwrap_or_else(|| code.clone());
    let mut page = PartnersPage {
        layout: viewer.layout("Partners"),
        partners: Vec::new(),
        signallers: Vec::new(),
        list_problem: None,
        name: form.naam.clone(),
        code: form.code.clone(),
        provisions: names
            .iter()
            .map(|(code, name)| Choice {
                value: code.clone(),
                label: name.clone(),
                checked: form.voorzieningen.contains(code),
            })
            .collect(),
        roles: PARTNER_ROLES
            .iter()
            .map(|role| Choice {
                value: (*role).to_owned(),
                label: role_label(role).to_owned(),
                checked: form.rollen.iter().any(|chosen| chosen == role),
            })
            .collect(),
        mandate_provisions: names
            .iter()
            .map(|(code, name)| Choice {
                value: code.clone(),
                label: name.clone(),
                checked: form.mandaat_voorzieningen.contains(code),
            })
            .collect(),
        max_amount: form.mandaat_bedrag.clone(),
        custom: form.maatwerk.is_some(),
        problem: None,
        done: None,
    };
    match viewer
        .get::<EnrolmentList>(Service::Regie, &viewer.gemeente_path("partners"))
        .await
    {
        Ok(list) => {
            for enrolment in list.items {
                let only_signals = enrolment.rollen.iter().all(|role| role == "signaleren");
                let row = EnrolmentRow {
                    name: enrolment.naam,
                    code: enrolment.partner,
                    roles: enrolment
                        .rollen
                        .iter()
                        .map(|role| role_label(role))
                        .collect::<Vec<_>>()
                        .join(", "),
                    provisions: if enrolment.voorzieningen.is_empty() {
                        "—".to_owned()
                    } else {
                        enrolment
                            .voorzieningen
                            .iter()
                            .map(name_of)
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    mandate: enrolment.mandaat.map_or_else(
                        || "geen (beslist niet)".to_owned(),
                        |mandate| {
                            format!(
                                "beslist over {} tot {}; maatwerk {}",
                                mandate
                                    .voorzieningen
                                    .iter()
                                    .map(name_of)
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                euro(mandate.maximum_bedrag_cent),
                                if mandate.maatwerk_toegestaan {
                                    "toegestaan"
                                } else {
                                    "niet toegestaan"
                                }
                            )
                        },
                    ),
                    since: date_text(&enrolment.ingeschreven_op),
                    ended: enrolment
                        .beeindigd_op
                        .as_deref()
                        .map(date_text)
                        .unwrap_or_default(),
                };
                if only_signals {
                    page.signallers.push(row);
                } else {
                    page.partners.push(row);
                }
            }
        }
        Err(problem) => page.list_problem = Some(problem.detail),
    }
    page
}

/// `GET /regie/partners`: the partners and signallers with their roles and mandates, and the form
/// to enrol one.
async fn partners(viewer: RegieViewer, Query(query): Query<DoneQuery>) -> Response {
    let mut page = partners_page(&viewer, &EnrolForm::default()).await;
    if let Some(code) = query.gedaan {
        page.done = Some(format!("{code} is ingeschreven."));
    }
    render(&page)
}

/// `POST /regie/partners`: enrol an organisation (`POST …/partners`), as the API takes it.
async fn enrol_partner(viewer: RegieViewer, PageForm(form): PageForm<EnrolForm>) -> Response {
    let code = form.code.trim().to_owned();
    let mut body = json!({
        "partner": code,
        "naam": form.naam.trim(),
        "voorzieningen": form.voorzieningen,
        "rollen": form.rollen,
    });
    let mut problem = None;
    let wants_mandate = form.rollen.iter().any(|role| role == "besluiten")
        || !form.mandaat_voorzieningen.is_empty()
        || !form.mandaat_bedrag.trim().is_empty();
    if wants_mandate {
        match parse_euro(&form.mandaat_bedrag) {
            Some(cents) => {
                body["mandaat"] = json!({
                    "voorzieningen": form.mandaat_voorzieningen,
                    "maximumBedragCent": cents,
                    "maatwerkToegestaan": form.maatwerk.is_some(),
                });
            }
            None => {
                problem = Some((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Vul bij 'Maximumbedrag' een bedrag in euro's in, zoals 250 of 250,00. Een partner die mag besluiten heeft een mandaat nodig.".to_owned(),
                ));
            }
        }
    }
    if problem.is_none() {
        match viewer
            .post::<Value>(Service::Regie, &viewer.gemeente_path("partners"), &body)
            .await
        {
            Ok(_) => {
                let code: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
                return Redirect::to(&format!("/regie/partners?gedaan={code}")).into_response();
            }
            Err(refused) => problem = Some((status_of(&refused), refused.detail)),
        }
    }
    let mut page = partners_page(&viewer, &form).await;
    let (status, message) = problem.unwrap_or((StatusCode::UNPROCESSABLE_ENTITY, String::new()));
    page.problem = Some(message);
    render_with(status, &page)
}

// ---------------------------------------------------------------------------------------------
// Budgets.

#[derive(Debug, Deserialize)]
struct BudgetsDto {
    regelingen: Vec<RegelingBudgetsDto>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegelingBudgetsDto {
    geldig_vanaf: String,
    geldig_tot: String,
    budgetten: Vec<BudgetDto>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BudgetDto {
    #[serde(default)]
    voorziening: Option<String>,
    #[serde(default, rename = "type")]
    provision_type: Option<String>,
    bron: String,
    toegekend_budget_cent: i64,
    vastgelegd_cent: i64,
    besteed_cent: i64,
    over: i64,
}

/// One budget as the page shows it.
#[derive(Debug)]
pub struct BudgetRow {
    pub for_what: String,
    pub source: String,
    pub allocated: String,
    pub committed: String,
    pub spent: String,
    pub left: String,
}

/// The budgets of one regeling version.
#[derive(Debug)]
pub struct BudgetTable {
    pub period: String,
    pub rows: Vec<BudgetRow>,
    pub total_allocated: String,
    pub total_committed: String,
    pub total_spent: String,
    pub total_left: String,
}

#[derive(Template)]
#[template(path = "web/regie_budgetten.html")]
pub struct BudgetsPage {
    pub layout: Layout,
    pub year: i32,
    pub tables: Vec<BudgetTable>,
    pub problem: Option<String>,
}

#[derive(Debug, Deserialize)]
struct YearQuery {
    #[serde(default)]
    jaar: Option<String>,
}

/// `GET /regie/budgetten?jaar=…`: per budget of the regeling, allocated, committed by grants, spent
/// and left, in euros.
async fn budgets(viewer: RegieViewer, Query(query): Query<YearQuery>) -> Response {
    let this_year = kindpakket_platform::clock::today().year();
    let year = query
        .jaar
        .and_then(|jaar| jaar.trim().parse::<i32>().ok())
        .filter(|year| (2000..=2100).contains(year))
        .unwrap_or(this_year);
    let mut page = BudgetsPage {
        layout: viewer.layout("Budgetten"),
        year,
        tables: Vec::new(),
        problem: None,
    };
    // The catalogue names the provisions.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    if let Ok(list) = viewer
        .get::<RegelingList>(Service::Regie, &viewer.gemeente_path("regelingen"))
        .await
    {
        for regeling in list.items {
            for provision in regeling.voorzieningen {
                names.entry(provision.code).or_insert(provision.naam);
            }
        }
    }
    match viewer
        .get::<BudgetsDto>(
            Service::Provision,
            &viewer.gemeente_path(&format!("budgetten/{year}")),
        )
        .await
    {
        Ok(budgets) => {
            for regeling in budgets.regelingen {
                let sum =
                    |pick: fn(&BudgetDto) -> i64| euro(regeling.budgetten.iter().map(pick).sum());
                let table = BudgetTable {
                    period: format!(
                        "{} tot en met {}",
                        date_text(&regeling.geldig_vanaf),
                        date_text(&regeling.geldig_tot)
                    ),
                    total_allocated: sum(|budget| budget.toegekend_budget_cent),
                    total_committed: sum(|budget| budget.vastgelegd_cent),
                    total_spent: sum(|budget| budget.besteed_cent),
                    total_left: sum(|budget| budget.over),
                    rows: regeling
                        .budgetten
                        .iter()
                        .map(|budget| BudgetRow {
                            for_what: match (&budget.voorziening, &budget.provision_type) {
                                (Some(code), _) => {
                                    names.get(code).cloned().unwrap_or_else(|| code.clone())
                                }
                                (None, Some(kind)) => {
                                    format!("Alles van soort {}", provision_type_label(kind))
                                }
                                (None, None) => "—".to_owned(),
                            },
                            source: source_label(&budget.bron).to_owned(),
                            allocated: euro(budget.toegekend_budget_cent),
                            committed: euro(budget.vastgelegd_cent),
                            spent: euro(budget.besteed_cent),
                            left: euro(budget.over),
                        })
                        .collect(),
                };
                page.tables.push(table);
            }
        }
        Err(problem) => {
            page.problem = Some(problem.detail.clone());
            return render_with(status_of(&problem), &page);
        }
    }
    render(&page)
}

//! The partner's pages of provision: the entitlements it serves and a delivery recorded on one
//! (`/rechten`), the till where a pass or voucher is redeemed by its code (`/kassa`), and its
//! declarations and invoices (`/declaraties`). Everything through the provision API with the
//! partner's own token: the entitlement ids in these pages are the partner's own pseudonyms, and a
//! pass code travels in a form's body only, never in a URL (the page redirects with amounts only).

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kindpakket_platform::roles;
use kindpakket_proto::Service;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::backend::ApiProblem;
use super::layout::Layout;
use super::parts::{date_text, euro, parse_euro};
use super::viewer::{render, render_with, status_of, PageForm, Viewer};
use super::WebState;

roles!(
    /// Who works at the till and serves entitlements: the partners.
    pub Partners = [Partner]
);

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/rechten", get(entitlements))
        .route("/rechten/{id}", get(entitlement))
        .route("/rechten/{id}/verstrekking", post(record_delivery))
        .route("/kassa", get(till).post(redeem))
        .route("/kassa/saldo", post(look_up))
        .route("/declaraties", get(declarations))
        .route("/declaraties/factuur", post(make_invoice))
        .route("/declaraties/facturen/{id}", get(invoice))
}

// ---------------------------------------------------------------------------------------------
// What the provision API answers (only the fields the pages show).

#[derive(Debug, Deserialize)]
pub(super) struct ApiPage<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub volgende: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EntitlementRow {
    pub id: String,
    #[serde(default)]
    pub kind: Option<String>,
    pub voorziening: String,
    pub bedrag_cent: i64,
    pub rest_cent: i64,
    #[serde(default)]
    pub rest_aantal: Option<i64>,
    pub geldig_tot: String,
    #[serde(default)]
    pub verlopen: bool,
    #[serde(default)]
    pub pas_laatste_tekens: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntitlementDetail {
    #[serde(default)]
    kind: Option<String>,
    voorziening: String,
    #[serde(default)]
    vorm: Option<String>,
    bedrag_cent: i64,
    #[serde(default)]
    stripwaarde_cent: Option<i64>,
    #[serde(default)]
    rest_aantal: Option<i64>,
    besteed_cent: i64,
    gereserveerd_cent: i64,
    rest_cent: i64,
    geldig_vanaf: String,
    geldig_tot: String,
    #[serde(default)]
    verlopen: Option<Value>,
    #[serde(default)]
    verstrekkingen: usize,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PassBalance {
    laatste_tekens: String,
    voorziening: String,
    saldo_cent: i64,
    #[serde(default)]
    saldo_aantal: Option<i64>,
    geldig_tot: String,
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeclarationRow {
    pub voorziening: String,
    pub bedrag_cent: i64,
    pub ingediend_op: String,
    pub status: String,
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceRow {
    id: String,
    vanaf: String,
    tot: String,
    regels: i64,
    totaal_cent: i64,
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceDetail {
    vanaf: String,
    tot: String,
    totaal_cent: i64,
    goedgekeurd_cent: i64,
    afgehandeld: bool,
    regels: Vec<InvoiceLineRow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceLineRow {
    #[serde(default)]
    kind: Option<String>,
    voorziening: String,
    bedrag_cent: i64,
    datum: String,
    status: String,
    #[serde(default)]
    reden: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    id: String,
}

// ---------------------------------------------------------------------------------------------
// Small helpers the pages share.

/// `fiets-brugklas` → `Fiets brugklas`: a provision's code as a person reads it.
pub(super) fn provision_name(code: &str) -> String {
    let spaced = code.replace(['-', '_'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A long reference, shortened for a table: its first eight characters.
fn short(reference: Option<&str>) -> String {
    match reference {
        Some(reference) if reference.len() > 8 => format!("{}…", &reference[..8]),
        Some(reference) => reference.to_owned(),
        None => "(vergeten)".to_owned(),
    }
}

/// A `na` cursor for a link: only what a cursor may hold (base64url), else nothing.
fn cursor(value: Option<&str>) -> Option<String> {
    value
        .filter(|value| {
            !value.is_empty()
                && value.len() <= 200
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=')
        })
        .map(str::to_owned)
}

/// A UUID from a path, or `None` (then the page says it does not exist).
fn uuid(text: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(text).ok()
}

fn not_found(viewer: &Viewer<Partners>, title: &str, message: &str) -> Response {
    let page = super::viewer::RefusedPage {
        layout: viewer.layout(title),
        message: message.to_owned(),
    };
    render_with(axum::http::StatusCode::NOT_FOUND, &page)
}

fn failed(viewer: &Viewer<Partners>, title: &str, problem: &ApiProblem) -> Response {
    let page = super::viewer::RefusedPage {
        layout: viewer.layout(title),
        message: problem.detail.clone(),
    };
    render_with(status_of(problem), &page)
}

// ---------------------------------------------------------------------------------------------
// /rechten

/// An entitlement as the list shows it.
#[derive(Debug)]
pub struct EntitlementLine {
    pub href: String,
    pub child: String,
    pub provision: String,
    pub left: String,
    pub valid_until: String,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "web/rights.html")]
pub struct RightsPage {
    pub layout: Layout,
    pub lines: Vec<EntitlementLine>,
    pub problem: Option<String>,
    pub next: Option<String>,
    pub first: bool,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    na: Option<String>,
}

/// What is left: an amount, or for a strippenkaart the strips and their worth.
pub(super) fn left_text(cents: i64, units: Option<i64>) -> String {
    match units {
        Some(1) => format!("1 strip ({})", euro(cents)),
        Some(units) => format!("{units} strippen ({})", euro(cents)),
        None => euro(cents),
    }
}

/// `GET /rechten`: the entitlements this partner may serve, a page at a time.
pub async fn entitlements(viewer: Viewer<Partners>, Query(query): Query<ListQuery>) -> Response {
    let after = cursor(query.na.as_deref());
    let mut path = viewer.gemeente_path("rechten?aantal=25");
    if let Some(after) = &after {
        path.push_str(&format!("&na={after}"));
    }
    let (lines, next, problem) = match viewer
        .get::<ApiPage<EntitlementRow>>(Service::Provision, &path)
        .await
    {
        Ok(page) => (
            page.items
                .into_iter()
                .map(|row| EntitlementLine {
                    href: format!("/rechten/{}", row.id),
                    child: short(row.kind.as_deref()),
                    provision: provision_name(&row.voorziening),
                    left: left_text(row.rest_cent, row.rest_aantal),
                    valid_until: date_text(&row.geldig_tot),
                    expired: row.verlopen,
                })
                .collect(),
            cursor(page.volgende.as_deref()),
            None,
        ),
        Err(problem) => (Vec::new(), None, Some(problem.detail)),
    };
    render(&RightsPage {
        layout: viewer.layout("Rechten"),
        lines,
        problem,
        next,
        first: after.is_none(),
    })
}

/// The delivery form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct DeliveryForm {
    #[serde(default)]
    vorm: String,
    #[serde(default)]
    bedrag: String,
    #[serde(default)]
    aantal: String,
    #[serde(default)]
    volledige_prijs: String,
    #[serde(default)]
    datum: String,
    /// Chosen when the form was shown: a form sent twice is recorded once.
    #[serde(default)]
    id: String,
}

#[derive(Template)]
#[template(path = "web/right.html")]
pub struct RightPage {
    pub layout: Layout,
    pub action: String,
    pub child: String,
    pub provision: String,
    pub form_of: String,
    pub amount: String,
    pub used: String,
    pub held: String,
    pub left: String,
    pub period: String,
    pub expired: bool,
    pub deliveries: usize,
    /// Whether the entitlement counts strips: then the form asks for a number.
    pub strips: bool,
    pub form: DeliveryForm,
    pub discount: bool,
    pub problem: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    gedaan: Option<String>,
}

fn form_name(vorm: Option<&str>) -> String {
    match vorm {
        Some("in_natura") => "In natura".into(),
        Some("korting") => "Korting".into(),
        Some("tegoedbon") => "Pas of tegoedbon".into(),
        Some("declaratie") => "Declaratie".into(),
        Some(other) => other.into(),
        None => "—".into(),
    }
}

async fn right_page(
    viewer: &Viewer<Partners>,
    id: uuid::Uuid,
    form: DeliveryForm,
    problem: Option<String>,
    done: Option<String>,
) -> Result<RightPage, Response> {
    let detail = match viewer
        .get::<EntitlementDetail>(
            Service::Provision,
            &viewer.gemeente_path(&format!("rechten/{id}")),
        )
        .await
    {
        Ok(detail) => detail,
        Err(problem) => return Err(failed(viewer, "Recht", &problem)),
    };
    let strips = detail.stripwaarde_cent.is_some();
    let mut form = form;
    if form.datum.is_empty() {
        form.datum = kindpakket_platform::clock::today().to_string();
    }
    if form.id.is_empty() {
        form.id = uuid::Uuid::new_v4().to_string();
    }
    if form.vorm.is_empty() {
        form.vorm = "in_natura".into();
    }
    Ok(RightPage {
        layout: viewer.layout(&format!("Recht: {}", provision_name(&detail.voorziening))),
        action: format!("/rechten/{id}/verstrekking"),
        child: detail.kind.unwrap_or_else(|| "(vergeten)".into()),
        provision: provision_name(&detail.voorziening),
        form_of: form_name(detail.vorm.as_deref()),
        amount: euro(detail.bedrag_cent),
        used: euro(detail.besteed_cent),
        held: euro(detail.gereserveerd_cent),
        left: left_text(detail.rest_cent, detail.rest_aantal),
        period: format!(
            "{} tot en met {}",
            date_text(&detail.geldig_vanaf),
            date_text(&detail.geldig_tot)
        ),
        expired: detail.verlopen.is_some_and(|value| !value.is_null()),
        deliveries: detail.verstrekkingen,
        strips,
        discount: form.vorm == "korting",
        form,
        problem,
        done,
    })
}

/// `GET /rechten/{id}`: one entitlement (by the partner's own id) and the delivery form.
pub async fn entitlement(
    viewer: Viewer<Partners>,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let Some(id) = uuid(&id) else {
        return not_found(
            &viewer,
            "Recht",
            "Dit recht bestaat niet, of u mag het niet zien.",
        );
    };
    let done = query
        .gedaan
        .is_some()
        .then(|| "De verstrekking is vastgelegd.".to_owned());
    match right_page(&viewer, id, DeliveryForm::default(), None, done).await {
        Ok(page) => render(&page),
        Err(response) => response,
    }
}

/// `POST /rechten/{id}/verstrekking`: records a delivery in kind or a discount.
pub async fn record_delivery(
    viewer: Viewer<Partners>,
    Path(id): Path<String>,
    PageForm(form): PageForm<DeliveryForm>,
) -> Response {
    let Some(id) = uuid(&id) else {
        return not_found(
            &viewer,
            "Recht",
            "Dit recht bestaat niet, of u mag het niet zien.",
        );
    };
    let mut body = Map::new();
    let vorm = if form.vorm == "korting" {
        "korting"
    } else {
        "in_natura"
    };
    body.insert("vorm".into(), json!(vorm));
    let problem = if !form.aantal.trim().is_empty() {
        match form.aantal.trim().parse::<u32>() {
            Ok(units) if units > 0 => {
                body.insert("aantal".into(), json!(units));
                None
            }
            _ => Some("Vul bij 'Aantal strippen' een heel getal in, bijvoorbeeld 2."),
        }
    } else {
        match parse_euro(&form.bedrag) {
            Some(cents) if cents > 0 => {
                body.insert("bedragCent".into(), json!(cents));
                None
            }
            _ => Some("Vul bij 'Bedrag' een bedrag in euro's in, bijvoorbeeld 12,50."),
        }
    };
    let problem = problem.or_else(|| {
        if vorm != "korting" || form.volledige_prijs.trim().is_empty() {
            return None;
        }
        match parse_euro(&form.volledige_prijs) {
            Some(cents) => {
                body.insert("volledigePrijsCent".into(), json!(cents));
                None
            }
            None => Some("Vul bij 'Volledige prijs' een bedrag in euro's in, bijvoorbeeld 40,00."),
        }
    });
    if !form.datum.trim().is_empty() {
        body.insert("datum".into(), json!(form.datum.trim()));
    }
    if let Some(delivery) = uuid(&form.id) {
        body.insert("id".into(), json!(delivery));
    }
    let answer = match problem {
        Some(problem) => Err((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            problem.to_owned(),
        )),
        None => viewer
            .post::<Value>(
                Service::Provision,
                &viewer.gemeente_path(&format!("rechten/{id}/verstrekkingen")),
                &Value::Object(body),
            )
            .await
            .map_err(|problem| (status_of(&problem), problem.detail)),
    };
    match answer {
        Ok(_) => Redirect::to(&format!("/rechten/{id}?gedaan=verstrekking")).into_response(),
        Err((status, problem)) => match right_page(&viewer, id, form, Some(problem), None).await {
            Ok(page) => render_with(status, &page),
            Err(response) => response,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// /kassa

/// The till's fields. The code is a secret of the family: posted only, never put in a URL.
#[derive(Default, Deserialize)]
pub struct TillForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    bedrag: String,
    #[serde(default)]
    aantal: String,
    #[serde(default)]
    id: String,
}

impl std::fmt::Debug for TillForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TillForm")
            .field("code", &"<geheim>")
            .field("bedrag", &self.bedrag)
            .field("aantal", &self.aantal)
            .finish()
    }
}

/// What the till shows of a pass: never its code.
#[derive(Debug)]
pub struct BalanceView {
    pub hint: String,
    pub provision: String,
    pub balance: String,
    pub valid_until: String,
    pub status: String,
    pub usable: bool,
}

impl From<PassBalance> for BalanceView {
    fn from(pass: PassBalance) -> Self {
        Self {
            hint: pass.laatste_tekens,
            provision: provision_name(&pass.voorziening),
            balance: left_text(pass.saldo_cent, pass.saldo_aantal),
            valid_until: date_text(&pass.geldig_tot),
            usable: pass.status == "geldig",
            status: match pass.status.as_str() {
                "geldig" => "Geldig".into(),
                "geblokkeerd" => "Geblokkeerd".into(),
                "verlopen" => "Verlopen".into(),
                other => other.into(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "web/till.html")]
pub struct TillPage {
    pub layout: Layout,
    pub form: TillForm,
    pub problem: Option<String>,
    pub balance: Option<BalanceView>,
    /// After a redemption: what was taken off and what is left.
    pub redeemed: Option<String>,
}

/// What `/kassa` shows after a redemption: amounts only, never the code.
#[derive(Debug, Deserialize)]
pub struct TillQuery {
    #[serde(default)]
    afgeboekt: Option<String>,
    #[serde(default)]
    saldo: Option<String>,
    #[serde(default)]
    strippen: Option<String>,
    #[serde(default, rename = "strippenAfgeboekt")]
    strips_taken: Option<String>,
    #[serde(default)]
    voorziening: Option<String>,
}

fn fresh_till(form: TillForm) -> TillForm {
    TillForm {
        id: if uuid(&form.id).is_some() {
            form.id
        } else {
            uuid::Uuid::new_v4().to_string()
        },
        ..form
    }
}

/// `GET /kassa`: the till.
pub async fn till(viewer: Viewer<Partners>, Query(query): Query<TillQuery>) -> Response {
    let number =
        |value: &Option<String>| value.as_deref().and_then(|text| text.parse::<i64>().ok());
    let taken = match (number(&query.afgeboekt), number(&query.strips_taken)) {
        (Some(cents), _) => Some(euro(cents)),
        (None, Some(1)) => Some("1 strip".to_owned()),
        (None, Some(units)) => Some(format!("{units} strippen")),
        (None, None) => None,
    };
    let redeemed = match (taken, number(&query.saldo)) {
        (Some(taken), Some(left)) => {
            let what = query
                .voorziening
                .as_deref()
                .filter(|code| kindpakket_proto::ProvisionCode::parse(code).is_ok())
                .map(provision_name)
                .unwrap_or_else(|| "Pas of bon".into());
            Some(format!(
                "Gelukt: {taken} afgeboekt van {what}. Er staat nog {} op.",
                left_text(left, number(&query.strippen))
            ))
        }
        _ => None,
    };
    render(&TillPage {
        layout: viewer.layout("Pas of bon innemen"),
        form: fresh_till(TillForm::default()),
        problem: None,
        balance: None,
        redeemed,
    })
}

fn till_with(
    viewer: &Viewer<Partners>,
    status: axum::http::StatusCode,
    form: TillForm,
    problem: Option<String>,
    balance: Option<BalanceView>,
) -> Response {
    render_with(
        status,
        &TillPage {
            layout: viewer.layout("Pas of bon innemen"),
            form: fresh_till(form),
            problem,
            balance,
            redeemed: None,
        },
    )
}

const NO_CODE: &str =
    "Vul de code van de pas of bon in. Die staat op de pas of de bon, bijvoorbeeld 7KQ2-M9XD-4H1T.";

/// `POST /kassa/saldo`: the balance of a pass, by its code in the body.
pub async fn look_up(viewer: Viewer<Partners>, PageForm(form): PageForm<TillForm>) -> Response {
    if form.code.trim().is_empty() {
        return till_with(
            &viewer,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            form,
            Some(NO_CODE.into()),
            None,
        );
    }
    match viewer
        .post::<PassBalance>(
            Service::Provision,
            &viewer.gemeente_path("passen/opvragen"),
            &json!({"code": form.code.trim()}),
        )
        .await
    {
        Ok(pass) => till_with(
            &viewer,
            axum::http::StatusCode::OK,
            form,
            None,
            Some(pass.into()),
        ),
        Err(problem) => till_with(
            &viewer,
            status_of(&problem),
            form,
            Some(problem.detail),
            None,
        ),
    }
}

/// `POST /kassa`: redeems (part of) a pass or voucher by its code; then back to the till with the
/// amounts (never the code) in the address.
pub async fn redeem(viewer: Viewer<Partners>, PageForm(form): PageForm<TillForm>) -> Response {
    let unprocessable = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    if form.code.trim().is_empty() {
        return till_with(&viewer, unprocessable, form, Some(NO_CODE.into()), None);
    }
    let mut body = Map::new();
    body.insert("code".into(), json!(form.code.trim()));
    if !form.aantal.trim().is_empty() {
        match form.aantal.trim().parse::<u32>() {
            Ok(units) if units > 0 => {
                body.insert("aantal".into(), json!(units));
            }
            _ => {
                return till_with(
                    &viewer,
                    unprocessable,
                    form,
                    Some("Vul bij 'Aantal strippen' een heel getal in, bijvoorbeeld 1.".into()),
                    None,
                )
            }
        }
    } else {
        match parse_euro(&form.bedrag) {
            Some(cents) if cents > 0 => {
                body.insert("bedragCent".into(), json!(cents));
            }
            _ => {
                return till_with(
                    &viewer,
                    unprocessable,
                    form,
                    Some(
                        "Vul bij 'Bedrag' het bedrag van de aankoop in, bijvoorbeeld 12,50.".into(),
                    ),
                    None,
                )
            }
        }
    }
    if let Some(id) = uuid(&form.id) {
        body.insert("id".into(), json!(id));
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Redeemed {
        #[serde(flatten)]
        pass: PassBalance,
    }
    let taken = body.get("bedragCent").and_then(Value::as_i64);
    let units = body.get("aantal").and_then(Value::as_i64);
    match viewer
        .post::<Redeemed>(
            Service::Provision,
            &viewer.gemeente_path("verzilveringen"),
            &Value::Object(body),
        )
        .await
    {
        Ok(Redeemed { pass }) => {
            let mut target = url::form_urlencoded::Serializer::new(String::new());
            match (taken, units) {
                (Some(cents), _) => target.append_pair("afgeboekt", &cents.to_string()),
                (None, Some(units)) => target.append_pair("strippenAfgeboekt", &units.to_string()),
                (None, None) => &mut target,
            };
            target.append_pair("saldo", &pass.saldo_cent.to_string());
            if let Some(units) = pass.saldo_aantal {
                target.append_pair("strippen", &units.to_string());
            }
            target.append_pair("voorziening", &pass.voorziening);
            Redirect::to(&format!("/kassa?{}", target.finish())).into_response()
        }
        Err(problem) => till_with(
            &viewer,
            status_of(&problem),
            form,
            Some(problem.detail),
            None,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// /declaraties

#[derive(Debug)]
pub struct DeclarationLine {
    pub child: String,
    pub provision: String,
    pub amount: String,
    pub submitted_on: String,
    pub status: String,
    pub status_class: String,
}

#[derive(Debug)]
pub struct InvoiceLine {
    pub href: String,
    pub period: String,
    pub lines: i64,
    pub total: String,
    pub status: String,
    pub status_class: String,
}

#[derive(Template)]
#[template(path = "web/declarations.html")]
pub struct DeclarationsPage {
    pub layout: Layout,
    pub declarations: Vec<DeclarationLine>,
    pub invoices: Vec<InvoiceLine>,
    pub next_declarations: Option<String>,
    pub next_invoices: Option<String>,
    pub vanaf: String,
    pub tot: String,
    pub problem: Option<String>,
    pub list_problem: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DeclarationsQuery {
    #[serde(default)]
    dna: Option<String>,
    #[serde(default)]
    fna: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InvoiceForm {
    #[serde(default)]
    vanaf: String,
    #[serde(default)]
    tot: String,
}

pub(super) fn declaration_status(status: &str) -> (String, String) {
    let label = match status {
        "te-beoordelen" => "Wordt beoordeeld",
        "goedgekeurd" => "Goedgekeurd",
        "afgewezen" => "Afgewezen",
        other => other,
    };
    (label.to_owned(), format!("kp-status kp-status--{status}"))
}

async fn declarations_page(
    viewer: &Viewer<Partners>,
    query: &DeclarationsQuery,
    form: InvoiceForm,
    problem: Option<String>,
) -> DeclarationsPage {
    let mut list_problem = None;
    let mut path = viewer.gemeente_path("declaraties?aantal=25");
    if let Some(after) = cursor(query.dna.as_deref()) {
        path.push_str(&format!("&na={after}"));
    }
    let (declarations, next_declarations) = match viewer
        .get::<ApiPage<DeclarationRow>>(Service::Provision, &path)
        .await
    {
        Ok(page) => (
            page.items
                .into_iter()
                .map(|row| {
                    let (status, status_class) = declaration_status(&row.status);
                    DeclarationLine {
                        child: short(row.kind.as_deref()),
                        provision: provision_name(&row.voorziening),
                        amount: euro(row.bedrag_cent),
                        submitted_on: date_text(&row.ingediend_op),
                        status,
                        status_class,
                    }
                })
                .collect(),
            cursor(page.volgende.as_deref()),
        ),
        Err(problem) => {
            list_problem = Some(problem.detail);
            (Vec::new(), None)
        }
    };
    let mut path = viewer.gemeente_path("facturen?aantal=25");
    if let Some(after) = cursor(query.fna.as_deref()) {
        path.push_str(&format!("&na={after}"));
    }
    let (invoices, next_invoices) = match viewer
        .get::<ApiPage<InvoiceRow>>(Service::Provision, &path)
        .await
    {
        Ok(page) => (
            page.items
                .into_iter()
                .map(|row| {
                    let settled = row.status == "afgehandeld";
                    InvoiceLine {
                        href: format!("/declaraties/facturen/{}", row.id),
                        period: format!(
                            "{} tot en met {}",
                            date_text(&row.vanaf),
                            date_text(&row.tot)
                        ),
                        lines: row.regels,
                        total: euro(row.totaal_cent),
                        status: if settled {
                            "Afgehandeld".into()
                        } else {
                            "Wordt beoordeeld".into()
                        },
                        status_class: if settled {
                            "kp-status kp-status--bediend".into()
                        } else {
                            "kp-status".into()
                        },
                    }
                })
                .collect(),
            cursor(page.volgende.as_deref()),
        ),
        Err(problem) => {
            list_problem = Some(problem.detail);
            (Vec::new(), None)
        }
    };
    let today = kindpakket_platform::clock::today();
    let first_of_month = today.replace_day(1).unwrap_or(today);
    DeclarationsPage {
        layout: viewer.layout("Declaraties en facturen"),
        declarations,
        invoices,
        next_declarations,
        next_invoices,
        vanaf: if form.vanaf.is_empty() {
            first_of_month.to_string()
        } else {
            form.vanaf
        },
        tot: if form.tot.is_empty() {
            today.to_string()
        } else {
            form.tot
        },
        problem,
        list_problem,
    }
}

/// `GET /declaraties`: the partner's declarations and invoices, and a new invoice.
pub async fn declarations(
    viewer: Viewer<Partners>,
    Query(query): Query<DeclarationsQuery>,
) -> Response {
    render(&declarations_page(&viewer, &query, InvoiceForm::default(), None).await)
}

/// `POST /declaraties/factuur`: invoices a period (every delivery and redemption in it on no
/// other invoice).
pub async fn make_invoice(
    viewer: Viewer<Partners>,
    PageForm(form): PageForm<InvoiceForm>,
) -> Response {
    let query = DeclarationsQuery {
        dna: None,
        fna: None,
    };
    let date = |text: &str| {
        time::Date::parse(
            text.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
    };
    let (Some(from), Some(until)) = (date(&form.vanaf), date(&form.tot)) else {
        let problem = "Vul bij 'Van' en 'Tot en met' een datum in, bijvoorbeeld 2026-03-01.";
        let page = declarations_page(&viewer, &query, form, Some(problem.into())).await;
        return render_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    match viewer
        .post::<Created>(
            Service::Provision,
            &viewer.gemeente_path("facturen"),
            &json!({"vanaf": from.to_string(), "tot": until.to_string()}),
        )
        .await
    {
        Ok(created) => match uuid(&created.id) {
            Some(id) => {
                Redirect::to(&format!("/declaraties/facturen/{id}?gedaan=factuur")).into_response()
            }
            None => Redirect::to("/declaraties").into_response(),
        },
        Err(problem) => {
            let status = status_of(&problem);
            let page = declarations_page(&viewer, &query, form, Some(problem.detail)).await;
            render_with(status, &page)
        }
    }
}

#[derive(Debug)]
pub struct InvoiceLineView {
    pub child: String,
    pub provision: String,
    pub amount: String,
    pub date: String,
    pub status: String,
    pub status_class: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "web/invoice.html")]
pub struct InvoicePage {
    pub layout: Layout,
    pub period: String,
    pub total: String,
    pub approved: String,
    pub settled: bool,
    pub lines: Vec<InvoiceLineView>,
    pub done: Option<String>,
}

/// `GET /declaraties/facturen/{id}`: an invoice with its lines and where each stands.
pub async fn invoice(
    viewer: Viewer<Partners>,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let Some(id) = uuid(&id) else {
        return not_found(
            &viewer,
            "Factuur",
            "Deze factuur bestaat niet, of u mag haar niet zien.",
        );
    };
    let detail = match viewer
        .get::<InvoiceDetail>(
            Service::Provision,
            &viewer.gemeente_path(&format!("facturen/{id}")),
        )
        .await
    {
        Ok(detail) => detail,
        Err(problem) => return failed(&viewer, "Factuur", &problem),
    };
    let lines = detail
        .regels
        .into_iter()
        .map(|line| {
            let (status, status_class) = match line.status.as_str() {
                "goedgekeurd" => ("Goedgekeurd", "kp-status kp-status--bediend"),
                "afgekeurd" => ("Afgekeurd", "kp-status kp-status--afgewezen"),
                _ => ("Open", "kp-status"),
            };
            InvoiceLineView {
                child: short(line.kind.as_deref()),
                provision: provision_name(&line.voorziening),
                amount: euro(line.bedrag_cent),
                date: date_text(&line.datum),
                status: status.into(),
                status_class: status_class.into(),
                reason: line.reden.unwrap_or_default(),
            }
        })
        .collect();
    render(&InvoicePage {
        layout: viewer.layout("Factuur"),
        period: format!(
            "{} tot en met {}",
            date_text(&detail.vanaf),
            date_text(&detail.tot)
        ),
        total: euro(detail.totaal_cent),
        approved: euro(detail.goedgekeurd_cent),
        settled: detail.afgehandeld,
        lines,
        done: query
            .gedaan
            .is_some()
            .then(|| "De factuur is gemaakt en ingediend bij de gemeente.".to_owned()),
    })
}

//! The family's pages of provision: what their children are entitled to and what is left on it
//! (`/ouder/rechten`), and a receipt sent in for the gemeente to pay back (`/ouder/bon`). Through
//! the provision API with the parent's own token: it shows the household their login names, and
//! nothing else.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kindpakket_platform::roles;
use kindpakket_proto::Service;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::layout::Layout;
use super::parts::{date_text, euro, parse_euro};
use super::till::{
    declaration_status, left_text, provision_name, ApiPage, DeclarationRow, EntitlementRow,
};
use super::viewer::{render, render_with, status_of, PageForm, Viewer};
use super::WebState;

roles!(
    /// The parents (and carers) who log in for their own household.
    pub Parents = [Applicant]
);

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/ouder/rechten", get(rights))
        .route("/ouder/bon", get(receipt).post(send_receipt))
}

/// One entitlement as the parent reads it.
#[derive(Debug)]
pub struct FamilyRight {
    pub child: String,
    pub provision: String,
    pub amount: String,
    pub left: String,
    pub valid_until: String,
    pub expired: bool,
    pub pass: String,
}

#[derive(Debug)]
pub struct FamilyDeclaration {
    pub provision: String,
    pub amount: String,
    pub submitted_on: String,
    pub status: String,
    pub status_class: String,
}

#[derive(Template)]
#[template(path = "web/family_rights.html")]
pub struct FamilyRightsPage {
    pub layout: Layout,
    pub rights: Vec<FamilyRight>,
    pub declarations: Vec<FamilyDeclaration>,
    pub problem: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    gedaan: Option<String>,
}

/// The household's entitlements: every page of them (a family has a handful).
async fn all_rights(viewer: &Viewer<Parents>) -> Result<Vec<EntitlementRow>, String> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let mut path = viewer.gemeente_path("rechten?aantal=200");
        if let Some(after) = &after {
            path.push_str(&format!("&na={after}"));
        }
        let page = viewer
            .get::<ApiPage<EntitlementRow>>(Service::Provision, &path)
            .await
            .map_err(|problem| problem.detail)?;
        rows.extend(page.items);
        match page.volgende {
            Some(next)
                if next
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=') =>
            {
                after = Some(next);
            }
            _ => break,
        }
    }
    Ok(rows)
}

/// "Kind 1", "Kind 2": the children in the order their first entitlement came, as a parent has
/// no use for the gemeente's ids.
fn child_names(rows: &[EntitlementRow]) -> Vec<String> {
    let mut seen: Vec<Option<String>> = Vec::new();
    rows.iter()
        .map(|row| {
            let index = match seen.iter().position(|child| child == &row.kind) {
                Some(index) => index,
                None => {
                    seen.push(row.kind.clone());
                    seen.len() - 1
                }
            };
            format!("Kind {}", index + 1)
        })
        .collect()
}

/// `GET /ouder/rechten`: the household's entitlements with what is left, and its receipts.
pub async fn rights(viewer: Viewer<Parents>, Query(query): Query<DoneQuery>) -> Response {
    let mut problem = None;
    let rows = all_rights(&viewer).await.unwrap_or_else(|detail| {
        problem = Some(detail);
        Vec::new()
    });
    let names = child_names(&rows);
    let rights = rows
        .into_iter()
        .zip(names)
        .map(|(row, child)| FamilyRight {
            child,
            provision: provision_name(&row.voorziening),
            amount: euro(row.bedrag_cent),
            left: left_text(row.rest_cent, row.rest_aantal),
            valid_until: date_text(&row.geldig_tot),
            expired: row.verlopen,
            pass: row
                .pas_laatste_tekens
                .map(|hint| format!("Pas of bon eindigend op {hint}"))
                .unwrap_or_default(),
        })
        .collect();
    let declarations = match viewer
        .get::<ApiPage<DeclarationRow>>(
            Service::Provision,
            &viewer.gemeente_path("declaraties?aantal=50"),
        )
        .await
    {
        Ok(page) => page
            .items
            .into_iter()
            .map(|row| {
                let (status, status_class) = declaration_status(&row.status);
                FamilyDeclaration {
                    provision: provision_name(&row.voorziening),
                    amount: euro(row.bedrag_cent),
                    submitted_on: date_text(&row.ingediend_op),
                    status,
                    status_class,
                }
            })
            .collect(),
        Err(refused) => {
            problem.get_or_insert(refused.detail);
            Vec::new()
        }
    };
    render(&FamilyRightsPage {
        layout: viewer.layout("Rechten en saldo"),
        rights,
        declarations,
        problem,
        done: query.gedaan.is_some().then(|| {
            "Uw bon is verstuurd. De gemeente bekijkt hem. Hieronder ziet u hoe het ervoor staat."
                .to_owned()
        }),
    })
}

/// An entitlement a receipt can be sent in for.
#[derive(Debug)]
pub struct Choice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReceiptForm {
    #[serde(default)]
    recht: String,
    #[serde(default)]
    bedrag: String,
    #[serde(default)]
    bewijs: String,
    #[serde(default)]
    datum: String,
    #[serde(default)]
    id: String,
}

#[derive(Template)]
#[template(path = "web/family_receipt.html")]
pub struct ReceiptPage {
    pub layout: Layout,
    pub choices: Vec<Choice>,
    pub form: ReceiptForm,
    pub problem: Option<String>,
}

async fn receipt_page(
    viewer: &Viewer<Parents>,
    form: ReceiptForm,
    problem: Option<String>,
) -> ReceiptPage {
    let mut problem = problem;
    let rows = all_rights(viewer).await.unwrap_or_else(|detail| {
        problem.get_or_insert(detail);
        Vec::new()
    });
    let names = child_names(&rows);
    let choices = rows
        .into_iter()
        .zip(names)
        .filter(|(row, _)| !row.verlopen && row.rest_cent > 0)
        .map(|(row, child)| Choice {
            selected: row.id == form.recht,
            label: format!(
                "{child}: {} (nog {} over)",
                provision_name(&row.voorziening),
                euro(row.rest_cent)
            ),
            id: row.id,
        })
        .collect();
    let mut form = form;
    if form.datum.is_empty() {
        form.datum = kindpakket_platform::clock::today().to_string();
    }
    if uuid::Uuid::parse_str(&form.id).is_err() {
        form.id = uuid::Uuid::new_v4().to_string();
    }
    ReceiptPage {
        layout: viewer.layout("Bon insturen"),
        choices,
        form,
        problem,
    }
}

/// `GET /ouder/bon`: the form to send in a receipt.
pub async fn receipt(viewer: Viewer<Parents>) -> Response {
    render(&receipt_page(&viewer, ReceiptForm::default(), None).await)
}

/// `POST /ouder/bon`: the parent's declaration of a receipt on one of their household's
/// entitlements; the gemeente judges it.
pub async fn send_receipt(
    viewer: Viewer<Parents>,
    PageForm(form): PageForm<ReceiptForm>,
) -> Response {
    let refuse = |message: &str| Some(message.to_owned());
    let right = uuid::Uuid::parse_str(form.recht.trim()).ok();
    let amount = parse_euro(&form.bedrag).filter(|cents| *cents > 0);
    let problem = if right.is_none() {
        refuse("Kies bij 'Waarvoor is de bon?' het recht waarvoor u de bon instuurt.")
    } else if amount.is_none() {
        refuse("Vul bij 'Bedrag' het bedrag op de bon in, bijvoorbeeld 34,50.")
    } else if form.bewijs.trim().is_empty() {
        refuse("Vul bij 'Nummer van de bon' het nummer van de kassabon in, of de naam van de winkel en de datum.")
    } else {
        None
    };
    let (Some(right), Some(amount), None) = (right, amount, &problem) else {
        let page = receipt_page(&viewer, form, problem).await;
        return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let mut body = Map::new();
    body.insert("bedragCent".into(), json!(amount));
    body.insert("bewijs".into(), json!(form.bewijs.trim()));
    if !form.datum.trim().is_empty() {
        body.insert("datum".into(), json!(form.datum.trim()));
    }
    if let Ok(id) = uuid::Uuid::parse_str(&form.id) {
        body.insert("id".into(), json!(id));
    }
    match viewer
        .post::<Value>(
            Service::Provision,
            &viewer.gemeente_path(&format!("rechten/{right}/declaraties")),
            &Value::Object(body),
        )
        .await
    {
        Ok(_) => Redirect::to("/ouder/rechten?gedaan=bon").into_response(),
        Err(problem) => {
            let status = status_of(&problem);
            let page = receipt_page(&viewer, form, Some(problem.detail)).await;
            render_with(status, &page)
        }
    }
}

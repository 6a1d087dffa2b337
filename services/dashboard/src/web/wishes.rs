//! `/wensen`: "Wat mist er in het Kindpakket?" A parent, a partner or a signaller (a school, a
//! wijkteam) picks what is missing and whether it is the child's own wish, and the page sends it to
//! the regie API (`POST /wensen`) as that person. One category, no free text: a text could name a
//! child or a family, and what is sent cannot be erased. The kwartaaloverleg reads them counted.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kindpakket_platform::roles;
use kindpakket_proto::{Role, Service};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::layout::Layout;
use super::viewer::{render, render_with, status_of, PageForm, Viewer};
use super::WebState;

roles!(
    /// Who sends in wishes on this page: parents, partners and signallers.
    pub WishSenders = [Applicant, Partner, Signaller]
);

pub fn routes() -> Router<WebState> {
    Router::new().route("/wensen", get(wish_form).post(send_wish))
}

/// The categories of the regie API, in plain words.
pub const CATEGORIES: &[(&str, &str)] = &[
    (
        "sport",
        "Sport, zoals een club of zwemmen bij een vereniging",
    ),
    (
        "cultuur_muziek",
        "Cultuur of muziek, zoals muziekles of theater",
    ),
    ("zwemles", "Zwemles voor een zwemdiploma"),
    (
        "schoolspullen",
        "Schoolspullen, zoals een tas, boeken of een rekenmachine",
    ),
    ("laptop_internet", "Een laptop of internet thuis"),
    ("kleding_schoenen", "Kleding of schoenen"),
    ("fiets", "Een fiets"),
    ("uitjes_vakantie", "Uitjes of vakantie"),
    ("verjaardag", "Een verjaardag vieren"),
    ("anders", "Iets anders"),
];

/// Whose wish it may be, for the person's role: the child's own first, then the sender's.
fn sources(role: Role) -> Vec<(&'static str, &'static str)> {
    let child = ("kind", "Het kind wil dit zelf");
    match role {
        Role::Applicant => vec![
            ("kind", "Mijn kind wil dit zelf"),
            ("ouder", "Ik mis dit als ouder voor mijn kind"),
        ],
        Role::Partner => vec![child, ("partner", "Wij als organisatie zien dit missen")],
        _ => vec![
            child,
            ("school", "Wij als school zien dit missen"),
            ("wijkteam", "Wij als wijkteam zien dit missen"),
        ],
    }
}

/// One choice of a group of radio buttons.
#[derive(Debug)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct WishForm {
    #[serde(default)]
    categorie: String,
    #[serde(default)]
    van: String,
    #[serde(default)]
    id: String,
}

#[derive(Template)]
#[template(path = "web/wensen.html")]
pub struct WishPage {
    pub layout: Layout,
    pub categories: Vec<Choice>,
    pub sources: Vec<Choice>,
    pub id: String,
    pub problem: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    verstuurd: Option<String>,
}

fn page(
    viewer: &Viewer<WishSenders>,
    form: &WishForm,
    problem: Option<String>,
    done: Option<String>,
) -> WishPage {
    let choices = |words: &[(&'static str, &'static str)], chosen: &str| {
        words
            .iter()
            .map(|(value, label)| Choice {
                value,
                label,
                checked: *value == chosen,
            })
            .collect()
    };
    // A new id for each new form: the same form sent twice is one wish.
    let id = Uuid::parse_str(form.id.trim()).unwrap_or_else(|_| Uuid::new_v4());
    WishPage {
        layout: viewer.layout("Wat mist er in het Kindpakket?"),
        categories: choices(CATEGORIES, &form.categorie),
        sources: choices(&sources(viewer.role()), &form.van),
        id: id.to_string(),
        problem,
        done,
    }
}

/// `GET /wensen`: the form, and after sending it the thanks.
pub async fn wish_form(viewer: Viewer<WishSenders>, Query(query): Query<DoneQuery>) -> Response {
    let done = query.verstuurd.is_some().then(|| {
        "Dank u wel. De wens is doorgegeven. De gemeente en haar partners bespreken elk kwartaal wat er mist. U kunt nog een wens doorgeven."
            .to_owned()
    });
    render(&page(&viewer, &WishForm::default(), None, done))
}

/// `POST /wensen`: the wish to the regie API; its refusal shown in Dutch above the form.
pub async fn send_wish(
    viewer: Viewer<WishSenders>,
    PageForm(form): PageForm<WishForm>,
) -> Response {
    let problem = if form.categorie.trim().is_empty() {
        Some("Kies bij 'Wat mist er?' wat er mist.")
    } else if form.van.trim().is_empty() {
        Some("Kies bij 'Van wie is de wens?' of het kind dit zelf wil.")
    } else {
        None
    };
    if let Some(problem) = problem {
        let page = page(&viewer, &form, Some(problem.to_owned()), None);
        return render_with(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let id = Uuid::parse_str(form.id.trim()).unwrap_or_else(|_| Uuid::new_v4());
    let body = json!({"id": id, "categorie": form.categorie.trim(), "van": form.van.trim()});
    match viewer
        .post::<Value>(Service::Regie, &viewer.gemeente_path("wensen"), &body)
        .await
    {
        Ok(_) => Redirect::to("/wensen?verstuurd=1").into_response(),
        Err(problem) => {
            let status = status_of(&problem);
            let page = page(&viewer, &form, Some(problem.detail), None);
            render_with(status, &page)
        }
    }
}

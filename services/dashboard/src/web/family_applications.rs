//! The family's own application pages (role `applicant`, a parent logged in with DigiD): "Ons Kindpakket"
//! (`/ouder`: their applications and where each stands), the list of applications
//! (`/ouder/aanvragen`), applying online (`/ouder/aanvragen/nieuw`, with help for every question)
//! and one application with its outcome explained (`/ouder/aanvragen/{id}`). Entitlements, pass
//! balances and receipts are on `/ouder/rechten` (another page).
//!
//! The parent acts for the household their login names, and no other: the application service
//! lists and reads only that household's applications (another is a 404, shown as "not found").
//! Children are registered in the vault (`POST …/personen`, the household's own) and named by the
//! id it gives; the parent may say which organisation helped (`geholpenDoor`).

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kindpakket_platform::roles;
use kindpakket_proto::Service;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::applications::{
    catalogue, child_slots, choices, income_fields, list_rows, partner_names, provision_names,
    refusal, ApplicationView, ChildSlot, Explained, Kept, ListAnswer, ListRow, ProvisionChoice,
    SubmitBody,
};
use super::backend::ApiProblem;
use super::layout::Layout;
use super::viewer::{render, render_with, status_of, PageForm, Viewer};
use super::WebState;

roles!(
    /// A parent, for the household their login names.
    pub Parents = [Applicant]
);

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/ouder", get(home))
        .route("/ouder/aanvragen", get(list))
        .route("/ouder/aanvragen/nieuw", get(new_form).post(submit))
        .route("/ouder/aanvragen/{id}", get(show))
}

#[derive(Debug, Deserialize)]
pub struct ParentQuery {
    #[serde(default)]
    gedaan: Option<String>,
    #[serde(default)]
    na: Option<String>,
}

#[derive(Template)]
#[template(path = "web/family_home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub problem: Option<ApiProblem>,
    pub rows: Vec<ListRow>,
    pub next: Option<String>,
    pub first_page: Option<String>,
    /// Whether this is the home page (`/ouder`) or the full list (`/ouder/aanvragen`).
    pub home: bool,
}

async fn applications_page(viewer: &Viewer<Parents>, after: Option<&str>, home: bool) -> Response {
    let query = {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("aantal", if home { "5" } else { "25" });
        if let Some(after) = after {
            query.append_pair("na", after);
        }
        query.finish()
    };
    let path = format!("{}?{query}", viewer.gemeente_path("aanvragen"));
    let answer = viewer
        .get_for_purpose::<ListAnswer>(Service::Application, &path, "eigen aanvragen bekijken")
        .await;
    let partners = partner_names(viewer).await;
    let title = if home {
        "Ons Kindpakket"
    } else {
        "Onze aanvragen"
    };
    let mut page = HomePage {
        layout: viewer.layout(title),
        problem: None,
        rows: Vec::new(),
        next: None,
        first_page: after.map(|_| "/ouder/aanvragen".to_owned()),
        home,
    };
    match answer {
        Ok(answer) => {
            page.rows = list_rows(&answer.items, "/ouder/aanvragen", &partners);
            page.next = answer.volgende.map(|next| {
                let mut query = url::form_urlencoded::Serializer::new(String::new());
                query.append_pair("na", &next);
                format!("/ouder/aanvragen?{}", query.finish())
            });
            render(&page)
        }
        Err(problem) => {
            let status = status_of(&problem);
            page.problem = Some(problem);
            render_with(status, &page)
        }
    }
}

/// `GET /ouder`: "Ons Kindpakket".
pub async fn home(viewer: Viewer<Parents>) -> Response {
    applications_page(&viewer, None, true).await
}

/// `GET /ouder/aanvragen`: every application of the household, paged.
pub async fn list(viewer: Viewer<Parents>, Query(query): Query<ParentQuery>) -> Response {
    applications_page(&viewer, query.na.as_deref(), false).await
}

/// An organisation that may have helped.
#[derive(Debug, Clone)]
pub struct HelperChoice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "web/family_new.html")]
pub struct NewPage {
    pub layout: Layout,
    pub problem: Option<ApiProblem>,
    pub children: Vec<ChildSlot>,
    pub provisions: Vec<ProvisionChoice>,
    pub helpers: Vec<HelperChoice>,
    pub form: Kept,
}

async fn new_page(viewer: &Viewer<Parents>, form: Kept, problem: Option<ApiProblem>) -> NewPage {
    let catalogue = catalogue(viewer).await;
    let helper = form.value("geholpen_door");
    let helpers = partner_names(viewer)
        .await
        .into_iter()
        .map(|(code, name)| HelperChoice {
            selected: code == helper,
            code,
            name,
        })
        .collect();
    NewPage {
        layout: viewer.layout("Kindpakket aanvragen"),
        problem,
        children: child_slots(&form),
        provisions: choices(&catalogue, &form),
        helpers,
        form,
    }
}

/// `GET /ouder/aanvragen/nieuw`.
pub async fn new_form(viewer: Viewer<Parents>) -> Response {
    render(&new_page(&viewer, Kept::default(), None).await)
}

/// `POST /ouder/aanvragen/nieuw`: register the children in the household, then apply.
pub async fn submit(
    viewer: Viewer<Parents>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Response {
    let kept = Kept(fields);
    match apply(&viewer, &kept).await {
        Ok(id) => Redirect::to(&format!("/ouder/aanvragen/{id}?gedaan=ingediend")).into_response(),
        Err(problem) => {
            let status = status_of(&problem);
            render_with(status, &new_page(&viewer, kept, Some(problem)).await)
        }
    }
}

#[derive(Debug, Deserialize)]
struct Registered {
    id: Uuid,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: Uuid,
}

async fn apply(viewer: &Viewer<Parents>, kept: &Kept) -> Result<Uuid, ApiProblem> {
    let Some(household) = viewer.caller.household else {
        return Err(refusal(
            "Uw inlog hoort niet bij een huishouden. Neem contact op met de gemeente. Er is niets opgeslagen.",
        ));
    };
    let (income, adults, money_left) = income_fields(kept)?;
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
        if slot.voornaam.is_empty()
            || slot.achternaam.is_empty()
            || slot.bsn.is_empty()
            || slot.birth().is_none()
        {
            return Err(refusal(format!(
                "Vul bij kind {} de voornaam, de achternaam, het BSN en de geboortedatum in. Er is niets opgeslagen.",
                slot.n
            )));
        }
    }
    let helper = kept.value("geholpen_door");
    // Each child in the household's part of the vault: the id to apply with.
    let mut children = Vec::new();
    for slot in &slots {
        let body = json!({
            "soort": "kind",
            "bsn": slot.bsn,
            "naam": format!("{} {}", slot.voornaam, slot.achternaam),
            "geboortedatum": slot.geboortedatum,
        });
        let registered: Registered = viewer
            .post(
                Service::Application,
                &viewer.gemeente_path("personen"),
                &body,
            )
            .await
            .map_err(|problem| ApiProblem {
                detail: format!("Kind {}: {}", slot.n, problem.detail),
                ..problem
            })?;
        let (year, month) = slot.birth().unwrap_or((0, 0));
        children.push(json!({"kind": registered.id, "geboortejaar": year, "geboortemaand": month}));
    }
    let body = SubmitBody {
        kanaal: "online",
        huishouden: household.to_string(),
        kinderen: children,
        inkomen_percentage: income,
        voorzieningen: kept.all("voorziening"),
        signalering: None,
        volwassenen: adults,
        leefgeld_per_week_cent: money_left,
        toestemming: None,
        gezag: None,
        geholpen_door: Some(helper).filter(|helper| !helper.is_empty()),
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

#[derive(Template)]
#[template(path = "web/family_show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub problem: Option<ApiProblem>,
    pub done: Option<String>,
    pub application: Option<Explained>,
}

/// `GET /ouder/aanvragen/{id}`.
pub async fn show(
    viewer: Viewer<Parents>,
    Path(id): Path<String>,
    Query(query): Query<ParentQuery>,
) -> Response {
    let done = query.gedaan.map(|_| {
        "Uw aanvraag is verstuurd. De gemeente kijkt ernaar. U krijgt bericht als er een besluit is."
            .to_owned()
    });
    let mut page = ShowPage {
        layout: viewer.layout("Uw aanvraag"),
        problem: None,
        done,
        application: None,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        page.problem = Some(ApiProblem {
            status: 404,
            title: "Niet gevonden".into(),
            detail: "Deze aanvraag is niet gevonden.".into(),
        });
        return render_with(StatusCode::NOT_FOUND, &page);
    };
    let path = viewer.gemeente_path(&format!("aanvragen/{id}"));
    match viewer
        .get_for_purpose::<ApplicationView>(Service::Application, &path, "eigen aanvraag bekijken")
        .await
    {
        Ok(view) => {
            let provisions = provision_names(&viewer).await;
            let partners = partner_names(&viewer).await;
            page.layout = viewer.layout(&format!(
                "Uw aanvraag van {}",
                super::parts::date_text(&view.submitted_on)
            ));
            page.application = Some(Explained::of(&view, &provisions, &partners));
            render(&page)
        }
        Err(problem) => {
            let status = status_of(&problem);
            page.problem = Some(problem);
            render_with(status, &page)
        }
    }
}

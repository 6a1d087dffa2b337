//! The start page (what a newcomer opens first: log in, then the tasks of their role), the switch
//! between a person's gemeenten, and the dashboard in the house style.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use kindpakket_platform::roles;
use serde::Deserialize;
use time::OffsetDateTime;

use super::layout::{tasks_for, Layout};
use super::viewer::{render, NotAViewer, PageForm, Viewer, GEMEENTE_COOKIE};
use super::WebState;
use crate::http::page::view::DashboardPage;
use crate::projections::funnel::{self, Exact};

roles!(
    /// Everyone who logs in on the pages.
    pub Anyone = [Regievoerder, Signaller, Partner, Applicant, OverlegViewer, Auditor]
);

roles!(
    /// Who reads the dashboard.
    pub DashboardReaders = [Regievoerder, Auditor]
);

/// A task as the start page shows it.
#[derive(Debug)]
pub struct TaskLink {
    pub href: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "web/start.html")]
pub struct StartPage {
    pub layout: Layout,
    pub logged_in: bool,
    pub logged_out: bool,
    pub tasks: Vec<TaskLink>,
    /// Names of the gemeenten with a house style (the demo's).
    pub gemeenten: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    afgemeld: Option<String>,
}

/// `GET /start`.
pub async fn start(
    State(web): State<WebState>,
    Query(query): Query<StartQuery>,
    viewer: Result<Viewer<Anyone>, NotAViewer>,
) -> Response {
    let mut gemeenten: Vec<String> = ["GM0518", "GM0014"]
        .iter()
        .filter(|code| web.house.get(code).is_some())
        .map(|code| web.house.name(code))
        .collect();
    gemeenten.sort();
    let page = match viewer {
        Ok(viewer) => StartPage {
            layout: viewer.layout("Start"),
            logged_in: true,
            logged_out: false,
            tasks: tasks_for(viewer.role())
                .map(|task| TaskLink {
                    href: task.path,
                    label: task.label,
                })
                .collect(),
            gemeenten,
        },
        Err(NotAViewer::Failed(response)) => return response,
        Err(_) => StartPage {
            layout: Layout::public("Start", &web.house, None),
            logged_in: false,
            logged_out: query.afgemeld.is_some(),
            tasks: Vec::new(),
            gemeenten,
        },
    };
    render(&page)
}

#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    gemeente: String,
}

/// `POST /gemeente`: work in another of one's gemeenten.
pub async fn switch_gemeente(
    viewer: Viewer<Anyone>,
    PageForm(form): PageForm<SwitchForm>,
) -> Response {
    if !viewer
        .caller
        .gemeenten
        .iter()
        .any(|gemeente| gemeente.as_str() == form.gemeente)
    {
        return super::viewer::error_page(
            &viewer.web,
            StatusCode::FORBIDDEN,
            "U werkt niet voor die gemeente.",
        );
    }
    let cookie = Cookie::build((GEMEENTE_COOKIE, form.gemeente))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    (CookieJar::new().add(cookie), Redirect::to("/start")).into_response()
}

#[derive(Template)]
#[template(path = "web/dashboard.html")]
pub struct DashboardInHouseStyle {
    pub layout: Layout,
    /// The dashboard's figures, rendered by its own template (escaped there).
    pub figures: String,
}

/// `GET /dashboard`: the dashboard of the gemeente the reader works in, in its house style.
pub async fn dashboard(viewer: Viewer<DashboardReaders>) -> Response {
    let gemeenten = [viewer.gemeente.clone()];
    let now = OffsetDateTime::now_utc();
    let pool = &viewer.web.pool;
    // While the figures are rebuilt from the events they are incomplete: say how far it is.
    match crate::rebuilding::progress(pool).await {
        Ok(Some(progress)) => {
            let problem = progress.refusal().problem();
            return super::viewer::error_page(
                &viewer.web,
                StatusCode::SERVICE_UNAVAILABLE,
                &problem.detail,
            );
        }
        Ok(None) => {}
        Err(error) => return failed(&viewer.web, error),
    }
    // Regie and the auditor: exact (the overleg reads established quarters on /overleg).
    let figures = match funnel::overview::<Exact>(pool, &gemeenten).await {
        Ok(overview) => DashboardPage::single(&overview, now).render(),
        Err(error) => return failed(&viewer.web, error),
    };
    let figures = match figures {
        Ok(figures) => figures,
        Err(error) => return failed(&viewer.web, error),
    };
    let title = format!(
        "Dashboard {}",
        viewer.web.house.name(viewer.gemeente.as_str())
    );
    render(&DashboardInHouseStyle {
        layout: viewer.layout(&title),
        figures,
    })
}

fn failed(web: &WebState, error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "reading the dashboard's figures");
    super::viewer::error_page(
        web,
        StatusCode::INTERNAL_SERVER_ERROR,
        "De cijfers konden niet worden gelezen. Probeer het later opnieuw.",
    )
}

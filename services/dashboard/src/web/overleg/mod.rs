//! The kwartaaloverleg's pages (docs/overleg.md): a quarter's figures with one breakdown at a
//! time, a summary of what changed since the quarter before, charts as SVG documents, every table
//! as a CSV file, and the quarterly report as a page to print and as PDF.
//!
//! Every figure comes from the dashboard's own quarterly API, called over HTTP with the person's
//! token like every other API of the pages: the overleg gets what the API discloses to the overleg
//! (hidden and rounded figures, established quarters only), regie and the auditor the exact figures
//! and the running quarter. The pages compute nothing from the read model themselves.

pub mod chart;
pub mod csv;
pub mod figures;
pub mod pdf;
pub mod summary;
pub mod view;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kindpakket_platform::roles;
use kindpakket_proto::Role;
use serde::Deserialize;

use super::backend::{Api, ApiProblem};
use super::layout::Layout;
use super::viewer::{readable, render, render_with, status_of, Viewer};
use super::WebState;
use figures::{QuarterFigures, QuarterName, Quarters};
use view::{QuarterView, BREAKDOWNS};

roles!(
    /// Who reads the quarters: the overleg (established quarters, through the disclosure policy),
    /// regie and the auditor (exact, the running quarter too).
    pub QuarterReaders = [OverlegViewer, Regievoerder, Auditor]
);

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/overleg", get(page))
        .route("/overleg/grafiek/{file}", get(chart_file))
        .route("/overleg/csv/{file}", get(csv_file))
        .route("/overleg/rapport", get(report))
        .route("/overleg/rapport.pdf", get(report_pdf))
}

/// What the person chose in the form (`?kwartaal=2026-K4&indeling=wijk`).
#[derive(Debug, Default, Deserialize)]
pub struct Choice {
    #[serde(default)]
    kwartaal: Option<String>,
    #[serde(default)]
    indeling: Option<String>,
}

/// Why a quarter's figures are not shown.
#[derive(Debug)]
enum Refusal {
    /// The API refused or failed; its Dutch detail is shown.
    Api(ApiProblem),
    /// There is no quarter to show yet: what the page says instead.
    NoQuarter(String),
    /// The choice in the address is not one the form offers.
    BadChoice(String),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            // While the figures are rebuilt the API says how far it is: the page passes that on.
            Refusal::Api(problem) if problem.status == 503 => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Api(problem) => status_of(problem),
            Refusal::NoQuarter(_) => StatusCode::OK,
            Refusal::BadChoice(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::Api(problem) => problem.detail.clone(),
            Refusal::NoQuarter(message) | Refusal::BadChoice(message) => message.clone(),
        }
    }

    /// As a plain answer, for a chart or a file.
    fn plain(&self) -> Response {
        let status = match self.status() {
            StatusCode::OK => StatusCode::NOT_FOUND,
            other => other,
        };
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            self.message(),
        )
            .into_response()
    }
}

/// The quarter and breakdown to show, and the list of quarters they were chosen from.
struct Chosen {
    quarters: Quarters,
    quarter: QuarterName,
    breakdown: Option<&'static str>,
}

impl Chosen {
    /// `kwartaal=2026-K4&indeling=wijk`: the choice in the addresses of the charts, files and report.
    fn query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("kwartaal", &self.quarter.to_string());
        query.append_pair("indeling", self.breakdown.unwrap_or("geen"));
        query.finish()
    }

    /// The quarter before, when it has figures.
    fn previous(&self) -> Option<QuarterName> {
        let previous = self.quarter.previous();
        self.quarters
            .quarters
            .iter()
            .any(|entry| QuarterName::parse(&entry.quarter) == Some(previous))
            .then_some(previous)
    }
}

/// The breakdown asked for: `None` for none; a refusal for one the form does not offer.
fn breakdown_of(choice: &Choice) -> Result<Option<&'static str>, Refusal> {
    match choice.indeling.as_deref().map(str::trim) {
        None | Some("") | Some("geen") => Ok(None),
        Some(asked) => BREAKDOWNS
            .iter()
            .map(|(value, _)| *value)
            .find(|value| *value == asked)
            .map(Some)
            .ok_or_else(|| {
                Refusal::BadChoice(
                    "Onbekende indeling: kies geen, wijk, leeftijd, kanaal, voorziening of partner."
                        .into(),
                )
            }),
    }
}

/// Reads the list of quarters and settles the quarter: the one asked for, else the newest.
async fn choose(viewer: &Viewer<QuarterReaders>, choice: &Choice) -> Result<Chosen, Refusal> {
    let breakdown = breakdown_of(choice)?;
    let asked = match choice.kwartaal.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(QuarterName::parse(text).ok_or_else(|| {
            Refusal::BadChoice("Onbekend kwartaal: schrijf het als 2026-K4.".into())
        })?),
    };
    let quarters: Quarters = viewer
        .get(Api::Dashboard, &viewer.gemeente_path("kwartalen"))
        .await
        .map_err(Refusal::Api)?;
    let quarter = match asked {
        Some(quarter) => quarter,
        None => match quarters
            .quarters
            .iter()
            .find_map(|entry| QuarterName::parse(&entry.quarter))
        {
            Some(newest) => newest,
            None => return Err(Refusal::NoQuarter(no_quarter_yet(viewer).await)),
        },
    };
    Ok(Chosen {
        quarters,
        quarter,
        breakdown,
    })
}

/// What the page says while there is no quarter to show: for the overleg, when the running quarter
/// will be established (the API's own answer for it says).
async fn no_quarter_yet(viewer: &Viewer<QuarterReaders>) -> String {
    if viewer.role() != Role::OverlegViewer {
        return "Er zijn nog geen cijfers per kwartaal: er is nog geen kind gesignaleerd of aangevraagd.".into();
    }
    let running = QuarterName::of(kindpakket_platform::clock::today());
    let answer: Result<QuarterFigures, ApiProblem> = viewer
        .get(
            Api::Dashboard,
            &viewer.gemeente_path(&format!("kwartalen/{running}")),
        )
        .await;
    let when = match answer {
        Err(problem) if problem.is_not_found() && !problem.detail.is_empty() => problem.detail,
        _ => format!(
            "Het kwartaal {running} wordt vastgesteld kort nadat het voorbij is; daarna staan de cijfers hier."
        ),
    };
    format!("Er is nog geen vastgesteld kwartaal. {when}")
}

/// One quarter's figures, with the breakdown when one is chosen.
async fn figures_of(
    viewer: &Viewer<QuarterReaders>,
    quarter: QuarterName,
    breakdown: Option<&str>,
) -> Result<QuarterFigures, Refusal> {
    let mut path = viewer.gemeente_path(&format!("kwartalen/{quarter}"));
    if let Some(breakdown) = breakdown {
        path.push_str("?indeling=");
        path.push_str(breakdown);
    }
    viewer
        .get(Api::Dashboard, &path)
        .await
        .map_err(Refusal::Api)
}

/// The chosen quarter's figures and the quarter before's (for the summary; without breakdown).
async fn both_quarters(
    viewer: &Viewer<QuarterReaders>,
    chosen: &Chosen,
) -> Result<(QuarterFigures, Option<QuarterFigures>), Refusal> {
    let current = figures_of(viewer, chosen.quarter, chosen.breakdown);
    let previous = async {
        match chosen.previous() {
            // The quarter before only adds to the summary: when it cannot be read, the page says
            // there is nothing to compare with rather than fail.
            Some(previous) => figures_of(viewer, previous, None).await.ok(),
            None => None,
        }
    };
    let (current, previous) = tokio::join!(current, previous);
    Ok((current?, previous))
}

/// How a quarter appears in the form's list.
#[derive(Debug)]
pub struct QuarterOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug)]
pub struct BreakdownOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// How the shared part of the page and the report is shown.
#[derive(Debug, Default)]
pub struct Presentation {
    /// The report as one self-contained file (for the PDF): charts and style sheet inline.
    pub inline: bool,
    /// `kwartaal=…&indeling=…`, for the addresses of the charts, files and report.
    pub query: String,
    /// The charts' SVG, when inline.
    pub funnel_svg: String,
    pub breakdown_svg: String,
    /// Whether to link each table's CSV file (on the page, not in the report).
    pub csv_links: bool,
}

#[derive(Template)]
#[template(path = "web/overleg.html")]
pub struct OverlegPage {
    pub layout: Layout,
    pub quarters: Vec<QuarterOption>,
    pub breakdowns: Vec<BreakdownOption>,
    pub problem: Option<String>,
    /// Said instead of the figures when there is no quarter yet.
    pub empty: String,
    pub view: Option<QuarterView>,
    pub p: Presentation,
}

fn quarter_options(quarters: &Quarters, chosen: Option<QuarterName>) -> Vec<QuarterOption> {
    quarters
        .quarters
        .iter()
        .map(|entry| {
            let mut label = entry.quarter.clone();
            let period = view::period(&entry.van, &entry.tot);
            if !period.is_empty() {
                label.push_str(&format!(" ({period})"));
            }
            if entry.voorlopig {
                label.push_str(", voorlopig");
            }
            QuarterOption {
                selected: QuarterName::parse(&entry.quarter) == chosen,
                value: entry.quarter.clone(),
                label,
            }
        })
        .collect()
}

fn breakdown_options(chosen: Option<&str>) -> Vec<BreakdownOption> {
    BREAKDOWNS
        .iter()
        .map(|(value, label)| BreakdownOption {
            value,
            label,
            selected: chosen.unwrap_or("geen") == *value,
        })
        .collect()
}

/// `GET /overleg?kwartaal=2026-K4&indeling=wijk`.
pub async fn page(viewer: Viewer<QuarterReaders>, Query(choice): Query<Choice>) -> Response {
    let gemeente_name = viewer.web.house.name(viewer.gemeente.as_str());
    let mut page = OverlegPage {
        layout: viewer.layout("Kwartaaloverleg"),
        quarters: Vec::new(),
        breakdowns: breakdown_options(breakdown_of(&choice).ok().flatten()),
        problem: None,
        empty: String::new(),
        view: None,
        p: Presentation {
            csv_links: true,
            ..Presentation::default()
        },
    };
    let chosen = match choose(&viewer, &choice).await {
        Ok(chosen) => chosen,
        Err(Refusal::NoQuarter(message)) => {
            page.empty = message;
            return render(&page);
        }
        Err(refusal) => {
            page.problem = Some(refusal.message());
            return render_with(refusal.status(), &page);
        }
    };
    page.quarters = quarter_options(&chosen.quarters, Some(chosen.quarter));
    page.p.query = chosen.query();
    match both_quarters(&viewer, &chosen).await {
        Ok((current, previous)) => {
            let view = QuarterView::new(&current, previous.as_ref(), &gemeente_name);
            page.layout = viewer.layout(&format!("Kwartaaloverleg {}", view.quarter));
            page.view = Some(view);
            render(&page)
        }
        Err(refusal) => {
            page.problem = Some(refusal.message());
            render_with(refusal.status(), &page)
        }
    }
}

/// The figures of the chosen quarter alone (for a chart or a file).
async fn chosen_view(
    viewer: &Viewer<QuarterReaders>,
    choice: &Choice,
) -> Result<(Chosen, QuarterView), Refusal> {
    let chosen = choose(viewer, choice).await?;
    let figures = figures_of(viewer, chosen.quarter, chosen.breakdown).await?;
    let name = viewer.web.house.name(viewer.gemeente.as_str());
    let view = QuarterView::new(&figures, None, &name);
    Ok((chosen, view))
}

/// The headers of a file made for this person: never kept by a cache.
fn private(content_type: &'static str) -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// `GET /overleg/grafiek/{trechter|indeling}.svg?kwartaal=…&indeling=…`: a chart as an SVG
/// document (shown on the page with `<img>`; it needs no style attribute, so the pages' CSP holds).
pub async fn chart_file(
    viewer: Viewer<QuarterReaders>,
    Path(file): Path<String>,
    Query(choice): Query<Choice>,
) -> Response {
    let Some(name) = file.strip_suffix(".svg") else {
        return (StatusCode::NOT_FOUND, "Deze grafiek bestaat niet.").into_response();
    };
    if !matches!(name, "trechter" | "indeling") {
        return (StatusCode::NOT_FOUND, "Deze grafiek bestaat niet.").into_response();
    }
    let (_, view) = match chosen_view(&viewer, &choice).await {
        Ok(found) => found,
        Err(refusal) => return refusal.plain(),
    };
    let chart = match name {
        "trechter" => Some(&view.funnel_chart),
        _ => view.breakdown_chart.as_ref(),
    };
    let Some(chart) = chart else {
        return (
            StatusCode::NOT_FOUND,
            "Kies een indeling om deze grafiek te zien.",
        )
            .into_response();
    };
    match chart.svg() {
        Ok(svg) => (private("image/svg+xml; charset=utf-8"), svg).into_response(),
        Err(error) => {
            tracing::error!(%error, "drawing a chart");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "De grafiek kon niet worden getekend.",
            )
                .into_response()
        }
    }
}

/// `GET /overleg/csv/{tabel}.csv?kwartaal=…&indeling=…`: one table as a CSV file for Excel.
pub async fn csv_file(
    viewer: Viewer<QuarterReaders>,
    Path(file): Path<String>,
    Query(choice): Query<Choice>,
) -> Response {
    let Some(name) = file
        .strip_suffix(".csv")
        .filter(|name| view::TABLES.contains(name))
    else {
        return (
            StatusCode::NOT_FOUND,
            "Deze tabel bestaat niet. Kies trechter, indeling, partners, doorlooptijden, signaleerders of nagekomen.",
        )
            .into_response();
    };
    let (chosen, view) = match chosen_view(&viewer, &choice).await {
        Ok(found) => found,
        Err(refusal) => return refusal.plain(),
    };
    let Some(table) = view.table(name) else {
        return (
            StatusCode::NOT_FOUND,
            "Kies een indeling om deze tabel te downloaden.",
        )
            .into_response();
    };
    let file_name = csv::file_name(&view.gemeente_name, &view.quarter, name, chosen.breakdown);
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let [content_type, cache] = private("text/csv; charset=utf-8");
    (
        [
            content_type,
            cache,
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv::csv(table),
    )
        .into_response()
}

/// The quarterly report: the summary, the charts and every table, for paper.
#[derive(Template)]
#[template(path = "web/overleg_rapport.html")]
pub struct ReportPage {
    pub v: QuarterView,
    pub p: Presentation,
    /// "Stichting Leergeld (partner)", who made it.
    pub made_by: String,
    /// The day it was made, in Dutch.
    pub made_on: String,
    /// The report's own style sheet, when inline.
    pub css: &'static str,
}

/// The report's style sheet (also served as `/static/rapport.css`).
pub const REPORT_CSS: &str = include_str!("../../../templates/web/rapport.css");

async fn report_of(
    viewer: &Viewer<QuarterReaders>,
    choice: &Choice,
    inline: bool,
) -> Result<ReportPage, Refusal> {
    let chosen = choose(viewer, choice).await?;
    let (current, previous) = both_quarters(viewer, &chosen).await?;
    let name = viewer.web.house.name(viewer.gemeente.as_str());
    let view = QuarterView::new(&current, previous.as_ref(), &name);
    let mut presentation = Presentation {
        inline,
        query: chosen.query(),
        ..Presentation::default()
    };
    if inline {
        presentation.funnel_svg = view.funnel_chart.svg().unwrap_or_default();
        presentation.breakdown_svg = view
            .breakdown_chart
            .as_ref()
            .and_then(|chart| chart.svg().ok())
            .unwrap_or_default();
    }
    let (organisation, role) = (
        readable(viewer.organisation()),
        super::layout::role_label(viewer.role()),
    );
    Ok(ReportPage {
        // "Gemeente den haag (regievoerder)"; the overleg is called after its role already.
        made_by: if organisation.eq_ignore_ascii_case(role) {
            organisation
        } else {
            format!("{organisation} ({role})")
        },
        made_on: super::parts::date(kindpakket_platform::clock::today()),
        v: view,
        p: presentation,
        css: REPORT_CSS,
    })
}

/// `GET /overleg/rapport?kwartaal=…&indeling=…`: the report as a page to print.
pub async fn report(viewer: Viewer<QuarterReaders>, Query(choice): Query<Choice>) -> Response {
    match report_of(&viewer, &choice, false).await {
        Ok(report) => render(&report),
        Err(refusal) => refused(&viewer, &refusal),
    }
}

fn refused(viewer: &Viewer<QuarterReaders>, refusal: &Refusal) -> Response {
    let page = super::viewer::RefusedPage {
        layout: viewer.layout("Kwartaalrapport"),
        message: refusal.message(),
    };
    let status = match refusal.status() {
        StatusCode::OK => StatusCode::NOT_FOUND,
        other => other,
    };
    render_with(status, &page)
}

/// The page that says no PDF could be made, and offers the report to print.
#[derive(Template)]
#[template(path = "web/overleg_geen_pdf.html")]
pub struct NoPdfPage {
    pub layout: Layout,
    pub message: String,
    pub query: String,
}

/// `GET /overleg/rapport.pdf?kwartaal=…&indeling=…`: the report as PDF, printed by headless
/// Chromium; a Dutch 503 page when this server has none.
pub async fn report_pdf(viewer: Viewer<QuarterReaders>, Query(choice): Query<Choice>) -> Response {
    let report = match report_of(&viewer, &choice, true).await {
        Ok(report) => report,
        Err(refusal) => return refused(&viewer, &refusal),
    };
    let html = match report.render() {
        Ok(html) => html,
        Err(error) => {
            tracing::error!(%error, "rendering the report for print");
            return refused(
                &viewer,
                &Refusal::Api(ApiProblem {
                    status: 500,
                    title: String::new(),
                    detail: "Het rapport kon niet worden opgemaakt. Probeer het later opnieuw."
                        .into(),
                }),
            );
        }
    };
    let no_pdf = |message: &str| {
        let page = NoPdfPage {
            layout: viewer.layout("Geen PDF"),
            message: message.to_owned(),
            query: report.p.query.clone(),
        };
        render_with(StatusCode::SERVICE_UNAVAILABLE, &page)
    };
    match viewer.web.chromium.print(&html).await {
        Ok(pdf) => {
            let file_name = format!(
                "kindpakket-{}-{}-rapport.pdf",
                csv::slug(&report.v.gemeente_name),
                report.v.quarter
            );
            let disposition =
                HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            let [content_type, cache] = private("application/pdf");
            (
                [
                    content_type,
                    cache,
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                pdf,
            )
                .into_response()
        }
        Err(pdf::PrintFailure::Absent) => no_pdf(
            "De PDF kan op deze server niet worden gemaakt: er is geen Chromium om hem te drukken.",
        ),
        Err(pdf::PrintFailure::Failed(reason)) => {
            tracing::error!(%reason, "printing the quarterly report");
            no_pdf("De PDF kon nu niet worden gemaakt.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::view::tests::{figures, OVERLEG_K3, OVERLEG_K4, REGIE_RUNNING};
    use super::*;
    use crate::web::layout::HouseStyles;

    fn quarters(json: &str) -> Quarters {
        serde_json::from_str(json).unwrap()
    }

    fn page(view: Option<QuarterView>, empty: &str) -> String {
        let list = quarters(
            r#"{"kwartalen": [
                {"kwartaal": "2026-K4", "van": "2026-10-01", "tot": "2026-12-31", "vastgesteldPer": "2027-01-15T00:00:00Z", "voorlopig": false},
                {"kwartaal": "2026-K3", "van": "2026-07-01", "tot": "2026-09-30", "vastgesteldPer": "2026-10-15T00:00:00Z", "voorlopig": false}
            ]}"#,
        );
        OverlegPage {
            layout: Layout::public("Kwartaaloverleg", &HouseStyles::default(), Some("GM0518")),
            quarters: quarter_options(&list, QuarterName::parse("2026-K4")),
            breakdowns: breakdown_options(Some("wijk")),
            problem: None,
            empty: empty.to_owned(),
            view,
            p: Presentation {
                csv_links: true,
                query: "kwartaal=2026-K4&indeling=wijk".into(),
                ..Presentation::default()
            },
        }
        .render()
        .unwrap()
    }

    #[test]
    fn the_overlegs_page_shows_hidden_figures_as_verborgen_and_explains_them_once() {
        let view = QuarterView::new(&figures(OVERLEG_K4), Some(&figures(OVERLEG_K3)), "Den Haag");
        let html = page(Some(view), "");
        assert_eq!(
            html.matches("Aantallen onder de 10 zijn verborgen").count(),
            1
        );
        assert!(html.contains("<option value=\"2026-K4\" selected>2026-K4 (1 oktober tot en met 31 december 2026)</option>"), "{html}");
        assert!(html.contains("<option value=\"wijk\" selected>Wijk</option>"));
        assert!(html.contains("Bediend: 20 kinderen; niet te vergelijken: in 2026-K3 verborgen."));
        assert!(html.contains(
            "<td class=\"utrecht-table__cell kp-getal kp-verborgen-cijfer\">verborgen</td>"
        ));
        assert!(
            html.contains(
                "src=\"/overleg/grafiek/trechter.svg?kwartaal=2026-K4&#38;indeling=wijk\""
            ),
            "{html}"
        );
        assert!(html
            .contains("src=\"/overleg/grafiek/indeling.svg?kwartaal=2026-K4&#38;indeling=wijk\""));
        assert!(html.contains("alt=\"Staafdiagram van de trechter in 2026-K4: gesignaleerd 40, aangevraagd 30, toegekend 30, bediend 20."));
        for table in view::TABLES {
            assert!(
                html.contains(&format!(
                    "href=\"/overleg/csv/{table}.csv?kwartaal=2026-K4&#38;indeling=wijk\""
                )),
                "{table}"
            );
        }
        assert!(html.contains("Nagekomen over 2026-K3"));
        assert!(html.contains("<p class=\"utrecht-paragraph\">Bereik: 2%. Voor 2026 verwacht de gemeente 900 kinderen"));
        assert!(
            html.contains("<h2 class=\"utrecht-heading-2\" id=\"tabel-budgetten\">Budgetten</h2>")
        );
        assert!(html.contains(
            "<th class=\"utrecht-table__header-cell kp-getal\" scope=\"col\">Bereik %</th>"
        ));
        assert!(html.contains("<th class=\"utrecht-table__header-cell\" scope=\"row\">Rijksmiddelen</th>\n<td class=\"utrecht-table__cell kp-getal\">€ 25.000,00</td>"), "{html}");
        assert!(html.contains("Vastgesteld per 15 januari 2027"));
        assert!(!html.contains("U ziet de cijfers exact"));
        // The CSP allows no inline style and no script.
        assert!(!html.contains(" style=") && !html.contains("<script"));
    }

    #[test]
    fn regie_is_told_the_figures_are_exact_and_the_running_quarter_provisional() {
        let html = page(
            Some(QuarterView::new(&figures(REGIE_RUNNING), None, "Den Haag")),
            "",
        );
        assert!(html.contains("U ziet de cijfers exact"));
        assert!(html.contains("<strong>Voorlopig:</strong>"));
        assert!(!html.contains("zijn verborgen"));
        assert!(html.contains("4 tot en met 11 jaar"));
    }

    #[test]
    fn without_a_quarter_the_page_says_why_and_shows_no_table() {
        let html = page(None, "Er is nog geen vastgesteld kwartaal. Het kwartaal 2026-K4 is nog niet vastgesteld; dat gebeurt op 15 januari 2027.");
        assert!(html.contains("dat gebeurt op 15 januari 2027"));
        assert!(!html.contains("<table"));
        assert!(!html.contains("/overleg/rapport"));
    }

    #[test]
    fn the_report_for_print_is_self_contained_and_the_page_links_its_parts() {
        let view =
            || QuarterView::new(&figures(OVERLEG_K4), Some(&figures(OVERLEG_K3)), "Den Haag");
        let inline = ReportPage {
            p: Presentation {
                inline: true,
                funnel_svg: view().funnel_chart.svg().unwrap(),
                breakdown_svg: view().breakdown_chart.unwrap().svg().unwrap(),
                ..Presentation::default()
            },
            v: view(),
            made_by: "Kwartaaloverleg (kwartaaloverleg)".into(),
            made_on: "20 januari 2027".into(),
            css: REPORT_CSS,
        }
        .render()
        .unwrap();
        assert!(inline.contains("<h1>Kwartaalrapport 2026-K4</h1>"));
        assert!(inline.contains("<style>"));
        assert!(
            !inline.contains("<link") && !inline.contains("<img") && !inline.contains("href=\"/")
        );
        assert_eq!(inline.matches("<svg role=\"img\"").count(), 2);
        assert!(inline.contains("met de indeling per wijk"));
        let linked = ReportPage {
            p: Presentation {
                query: "kwartaal=2026-K4&indeling=wijk".into(),
                ..Presentation::default()
            },
            v: view(),
            made_by: String::new(),
            made_on: String::new(),
            css: REPORT_CSS,
        }
        .render()
        .unwrap();
        assert!(linked.contains("<link rel=\"stylesheet\" href=\"/static/rapport.css\">"));
        assert!(!linked.contains("<style>") && !linked.contains(" style="));
        assert!(linked.contains("href=\"/overleg/rapport.pdf?kwartaal=2026-K4&#38;indeling=wijk\""));
        assert!(!linked.contains("/overleg/csv/"));
    }

    #[test]
    fn a_choice_outside_the_form_is_refused() {
        let with = |indeling: &str| Choice {
            kwartaal: None,
            indeling: Some(indeling.into()),
        };
        assert_eq!(breakdown_of(&with("wijk")).unwrap(), Some("wijk"));
        assert_eq!(breakdown_of(&with("geen")).unwrap(), None);
        assert!(matches!(
            breakdown_of(&with("wijk,leeftijd")),
            Err(Refusal::BadChoice(_))
        ));
    }

    #[test]
    fn the_quarter_before_is_compared_only_when_it_has_figures() {
        let chosen = |quarter: &str| Chosen {
            quarters: quarters(
                r#"{"kwartalen": [{"kwartaal": "2026-K4"}, {"kwartaal": "2026-K3"}]}"#,
            ),
            quarter: QuarterName::parse(quarter).unwrap(),
            breakdown: None,
        };
        assert_eq!(chosen("2026-K4").previous(), QuarterName::parse("2026-K3"));
        assert_eq!(chosen("2026-K3").previous(), None);
        assert_eq!(chosen("2026-K4").query(), "kwartaal=2026-K4&indeling=geen");
    }
}

//! `/regie/doelgroep`: the regievoerder enters per year how many children are expected to be
//! eligible, per wijk and age band (docs/overleg.md, "The doelgroep"), the denominator of reach on
//! `/overleg`. The page reads the year's table from the regie service and sets the whole table
//! again with a `PUT`, with the regievoerder's own token; what the API refuses is shown beside the
//! form in its own Dutch words, with what was typed kept.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kindpakket_proto::Service;
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::Layout;
use super::parts::date_text;
use super::regie::Regievoerders;
use super::viewer::{render, render_with, status_of, PageForm, Viewer};
use super::WebState;

type RegieViewer = Viewer<Regievoerders>;

/// Empty rows the form offers beside the table's own (no script adds rows).
const EMPTY_ROWS: usize = 5;

/// The age bands of a doelgroep, as `(value, label)`.
pub const AGE_BANDS: [(&str, &str); 3] = [
    ("0-3", "0 tot en met 3 jaar"),
    ("4-11", "4 tot en met 11 jaar"),
    ("12-17", "12 tot en met 17 jaar"),
];

/// Where an estimate comes from, as `(value, label)`.
pub const SOURCES: [(&str, &str); 2] = [
    ("cbs_schatting", "Schatting van het CBS"),
    (
        "eigen_inkomensgegevens",
        "Eigen inkomensgegevens van de gemeente",
    ),
];

pub fn routes() -> Router<WebState> {
    Router::new().route("/regie/doelgroep", get(page).post(set))
}

fn age_label(code: &str) -> String {
    AGE_BANDS
        .iter()
        .find(|(value, _)| *value == code)
        .map_or_else(|| code.to_owned(), |(_, label)| (*label).to_owned())
}

fn source_label(code: &str) -> String {
    SOURCES
        .iter()
        .find(|(value, _)| *value == code)
        .map_or_else(|| code.to_owned(), |(_, label)| (*label).to_owned())
}

/// `GET /api/v1/gemeenten/{g}/doelgroep/{jaar}` (regie service).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetGroupDto {
    pub versie: u32,
    pub bron: Option<String>,
    #[serde(rename = "vastgesteldOp")]
    pub vastgesteld_op: Option<String>,
    pub kinderen: u64,
    pub rijen: Vec<TargetRowDto>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetRowDto {
    pub wijk: Option<String>,
    pub leeftijd: String,
    pub kinderen: u64,
}

/// A row of the table in force, as the page shows it.
#[derive(Debug, Clone)]
pub struct ShownRow {
    pub wijk: String,
    pub age: String,
    pub children: String,
}

/// A row of the form: as in force, as typed, or empty.
#[derive(Debug, Clone, Default)]
pub struct FormRow {
    pub number: usize,
    pub wijk: String,
    pub age: String,
    pub children: String,
}

/// A choice of a select.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "web/regie_doelgroep.html")]
pub struct TargetGroupPage {
    pub layout: Layout,
    pub year: i32,
    /// 0 before the first table.
    pub version: u32,
    /// "Schatting van het CBS"; empty before the first table.
    pub source: String,
    pub set_on: String,
    /// The children expected in the whole gemeente.
    pub total: String,
    pub rows: Vec<ShownRow>,
    /// The table could not be read.
    pub read_problem: Option<String>,
    pub form_source: String,
    pub form_rows: Vec<FormRow>,
    pub sources: Vec<Choice>,
    pub age_bands: Vec<Choice>,
    pub problem: Option<String>,
    pub done: Option<String>,
}

/// `1250` → `1.250`.
fn count(value: u64) -> String {
    super::overleg::view::number(value as f64)
}

/// The form's rows: `rows`, then the empty ones, numbered.
fn with_empty_rows(mut rows: Vec<FormRow>) -> Vec<FormRow> {
    rows.extend(std::iter::repeat_n(FormRow::default(), EMPTY_ROWS));
    for (index, row) in rows.iter_mut().enumerate() {
        row.number = index + 1;
    }
    rows
}

impl TargetGroupPage {
    fn new(layout: Layout, year: i32) -> Self {
        Self {
            layout,
            year,
            version: 0,
            source: String::new(),
            set_on: String::new(),
            total: String::new(),
            rows: Vec::new(),
            read_problem: None,
            form_source: SOURCES[0].0.to_owned(),
            form_rows: with_empty_rows(Vec::new()),
            sources: SOURCES
                .iter()
                .map(|(value, label)| Choice { value, label })
                .collect(),
            age_bands: AGE_BANDS
                .iter()
                .map(|(value, label)| Choice { value, label })
                .collect(),
            problem: None,
            done: None,
        }
    }

    /// Shows the table in force, and offers it in the form.
    fn show(&mut self, table: &TargetGroupDto) {
        self.version = table.versie;
        self.source = table.bron.as_deref().map(source_label).unwrap_or_default();
        self.set_on = table
            .vastgesteld_op
            .as_deref()
            .map(date_text)
            .unwrap_or_default();
        self.total = count(table.kinderen);
        self.rows = table
            .rijen
            .iter()
            .map(|row| ShownRow {
                wijk: row
                    .wijk
                    .clone()
                    .unwrap_or_else(|| "Hele gemeente of wijk onbekend".to_owned()),
                age: age_label(&row.leeftijd),
                children: count(row.kinderen),
            })
            .collect();
        if let Some(source) = &table.bron {
            self.form_source = source.clone();
        }
        self.form_rows = with_empty_rows(
            table
                .rijen
                .iter()
                .map(|row| FormRow {
                    number: 0,
                    wijk: row.wijk.clone().unwrap_or_default(),
                    age: row.leeftijd.clone(),
                    children: row.kinderen.to_string(),
                })
                .collect(),
        );
    }
}

fn year_of(text: Option<&str>) -> i32 {
    text.and_then(|jaar| jaar.trim().parse::<i32>().ok())
        .filter(|year| (2000..=2100).contains(year))
        .unwrap_or_else(|| kindpakket_platform::clock::today().year())
}

async fn page_of(viewer: &RegieViewer, year: i32) -> TargetGroupPage {
    let mut page = TargetGroupPage::new(viewer.layout("Doelgroep"), year);
    match viewer
        .get::<TargetGroupDto>(
            Service::Regie,
            &viewer.gemeente_path(&format!("doelgroep/{year}")),
        )
        .await
    {
        Ok(table) => page.show(&table),
        Err(problem) => page.read_problem = Some(problem.detail),
    }
    page
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    jaar: Option<String>,
    #[serde(default)]
    gedaan: Option<String>,
}

/// `GET /regie/doelgroep?jaar=…`: the year's doelgroep and the form to set it.
async fn page(viewer: RegieViewer, Query(query): Query<PageQuery>) -> Response {
    let year = year_of(query.jaar.as_deref());
    let mut page = page_of(&viewer, year).await;
    if query.gedaan.is_some() {
        page.done = Some(format!(
            "De doelgroep voor {year} is vastgesteld. Het bereik op de pagina Kwartaaloverleg rekent ermee."
        ));
    }
    render(&page)
}

/// The form as posted: per row (in page order) the wijk, the age band and the children.
#[derive(Debug, Deserialize)]
pub struct TargetGroupForm {
    #[serde(default)]
    jaar: String,
    #[serde(default)]
    bron: String,
    #[serde(default)]
    wijk: Vec<String>,
    #[serde(default)]
    leeftijd: Vec<String>,
    #[serde(default)]
    kinderen: Vec<String>,
}

/// The form's rows as the API takes them, or the first row typed badly (in Dutch, by its place).
/// A row without an age band and without children is left out.
fn rows_of(form: &TargetGroupForm) -> (Vec<FormRow>, Result<Vec<Value>, String>) {
    let field = |list: &Vec<String>, index: usize| {
        list.get(index)
            .map(|value| value.trim().to_owned())
            .unwrap_or_default()
    };
    let count = form
        .wijk
        .len()
        .max(form.leeftijd.len())
        .max(form.kinderen.len());
    let mut typed = Vec::new();
    let mut rows = Vec::new();
    let mut problem = None;
    for index in 0..count {
        let row = FormRow {
            number: 0,
            wijk: field(&form.wijk, index).to_uppercase(),
            age: field(&form.leeftijd, index),
            children: field(&form.kinderen, index),
        };
        if row.age.is_empty() && row.children.is_empty() {
            if !row.wijk.is_empty() && problem.is_none() {
                problem = Some(format!(
                    "Rij {}: kies een leeftijd en vul het aantal kinderen in, of maak de wijk leeg.",
                    index + 1
                ));
            }
            typed.push(row);
            continue;
        }
        // Thousands may be typed with a dot: 1.200.
        let children = row.children.replace('.', "").parse::<u64>().ok();
        if problem.is_none() {
            if row.age.is_empty() {
                problem = Some(format!("Rij {}: kies een leeftijd.", index + 1));
            } else if children.is_none() {
                problem = Some(format!(
                    "Rij {}: vul bij 'Kinderen' een aantal in, zoals 120.",
                    index + 1
                ));
            }
        }
        rows.push(json!({
            "wijk": if row.wijk.is_empty() { Value::Null } else { json!(row.wijk) },
            "leeftijd": row.age,
            "kinderen": children.unwrap_or_default(),
        }));
        typed.push(row);
    }
    // Only the rows with something typed are kept, then the empty ones again.
    let typed = typed
        .into_iter()
        .filter(|row| !(row.wijk.is_empty() && row.age.is_empty() && row.children.is_empty()))
        .collect();
    (typed, problem.map_or(Ok(rows), Err))
}

/// `POST /regie/doelgroep`: the whole table (`PUT …/doelgroep/{jaar}` on the regie service).
async fn set(viewer: RegieViewer, PageForm(form): PageForm<TargetGroupForm>) -> Response {
    let year = form.jaar.trim().parse::<i32>().ok();
    let (typed, rows) = rows_of(&form);
    let outcome = match (year, rows) {
        (None, _) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Vul het jaar in, zoals 2026.".to_owned(),
        )),
        (Some(_), Err(message)) => Err((StatusCode::UNPROCESSABLE_ENTITY, message)),
        (Some(year), Ok(rows)) => viewer
            .put::<Value>(
                Service::Regie,
                &viewer.gemeente_path(&format!("doelgroep/{year}")),
                &json!({ "bron": form.bron, "rijen": rows }),
            )
            .await
            .map(|_| year)
            .map_err(|problem| (status_of(&problem), problem.detail)),
    };
    let (status, message) = match outcome {
        Ok(year) => {
            return Redirect::to(&format!("/regie/doelgroep?jaar={year}&gedaan=doelgroep"))
                .into_response()
        }
        Err(refused) => refused,
    };
    let mut page = page_of(&viewer, year_of(Some(&form.jaar))).await;
    page.form_source = form.bron;
    page.form_rows = with_empty_rows(typed);
    page.problem = Some(message);
    render_with(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::layout::HouseStyles;

    fn empty_page() -> TargetGroupPage {
        TargetGroupPage::new(
            Layout::public("Doelgroep", &HouseStyles::default(), Some("GM0518")),
            2026,
        )
    }

    #[test]
    fn the_table_in_force_is_shown_and_offered_in_the_form_with_empty_rows() {
        let table: TargetGroupDto = serde_json::from_str(
            r#"{"jaar": 2026, "versie": 2, "bron": "cbs_schatting", "vastgesteldOp": "2026-03-02",
                "kinderen": 1260,
                "rijen": [{"wijk": null, "leeftijd": "0-3", "kinderen": 60},
                          {"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 1200}]}"#,
        )
        .unwrap();
        let mut page = empty_page();
        page.show(&table);
        let html = page.render().unwrap();
        assert!(
            html.contains("Versie 2, vastgesteld op 2 maart 2026, bron: Schatting van het CBS."),
            "{html}"
        );
        assert!(html.contains("In totaal 1.260 kinderen."), "{html}");
        assert!(html.contains(
            "<td class=\"utrecht-table__cell\">Hele gemeente of wijk onbekend</td>\n<td class=\"utrecht-table__cell\">0 tot en met 3 jaar</td>\n<td class=\"utrecht-table__cell kp-getal\">60</td>"
        ), "{html}");
        // The two rows in force and five empty ones, each field labelled by its row.
        assert_eq!(html.matches("<fieldset").count(), 7);
        assert!(html.contains(
            "<input class=\"utrecht-textbox utrecht-textbox--html-input\" type=\"text\" id=\"wijk-2\" name=\"wijk\" value=\"WK051801\""
        ), "{html}");
        assert!(html.contains(
            "<label class=\"utrecht-form-label\" for=\"kinderen-7\">Kinderen (rij 7)</label>"
        ));
        assert!(html.contains("<option value=\"4-11\" selected>4 tot en met 11 jaar</option>"));
        assert!(html
            .contains("<option value=\"cbs_schatting\" selected>Schatting van het CBS</option>"));
        assert!(html.contains("<input type=\"hidden\" name=\"jaar\" value=\"2026\">"));
        assert!(html.contains("name=\"_csrf\""));
        assert!(!html.contains(" style=") && !html.contains("<script"));
    }

    #[test]
    fn before_the_first_table_the_page_says_so() {
        let mut page = empty_page();
        page.show(
            &serde_json::from_str(
                r#"{"jaar": 2026, "versie": 0, "bron": null, "kinderen": 0, "rijen": []}"#,
            )
            .unwrap(),
        );
        let html = page.render().unwrap();
        assert!(
            html.contains("Voor 2026 is nog geen doelgroep vastgesteld."),
            "{html}"
        );
        assert!(!html.contains("<table"));
        assert_eq!(html.matches("<fieldset").count(), EMPTY_ROWS);
    }

    fn form(rows: &[(&str, &str, &str)]) -> TargetGroupForm {
        TargetGroupForm {
            jaar: "2026".into(),
            bron: "cbs_schatting".into(),
            wijk: rows.iter().map(|row| row.0.to_owned()).collect(),
            leeftijd: rows.iter().map(|row| row.1.to_owned()).collect(),
            kinderen: rows.iter().map(|row| row.2.to_owned()).collect(),
        }
    }

    #[test]
    fn the_rows_typed_become_the_apis_table_and_empty_ones_are_left_out() {
        let (typed, rows) = rows_of(&form(&[
            ("wk051801 ", "4-11", "1.200"),
            ("", "", ""),
            ("", "0-3", "60"),
        ]));
        assert_eq!(
            rows.unwrap(),
            [
                json!({"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 1200}),
                json!({"wijk": null, "leeftijd": "0-3", "kinderen": 60}),
            ]
        );
        assert_eq!(typed.len(), 2);
    }

    #[test]
    fn a_row_typed_badly_is_named_by_its_place_and_kept() {
        let (typed, rows) = rows_of(&form(&[("WK051801", "4-11", "veel"), ("", "", "")]));
        assert_eq!(
            rows.unwrap_err(),
            "Rij 1: vul bij 'Kinderen' een aantal in, zoals 120."
        );
        assert_eq!(typed[0].children, "veel");
        let (_, rows) = rows_of(&form(&[("", "", ""), ("WK051801", "", "")]));
        assert!(rows.unwrap_err().starts_with("Rij 2: kies een leeftijd"));
        let mut page = empty_page();
        page.form_rows = with_empty_rows(typed);
        page.problem = Some("Rij 1: vul bij 'Kinderen' een aantal in, zoals 120.".into());
        let html = page.render().unwrap();
        assert!(
            html.contains("<strong>Niet gelukt.</strong> Rij 1: vul bij"),
            "{html}"
        );
        assert!(
            html.contains("id=\"kinderen-1\" name=\"kinderen\" value=\"veel\""),
            "{html}"
        );
    }
}

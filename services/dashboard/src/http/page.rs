//! The dashboard page for the kwartaaloverleg: plain server-rendered HTML with inline CSS, no
//! script, in Dutch, readable on a screen and printable on paper; behind the same token check as the
//! API, for the gemeenten the reader acts for.

use std::fmt::Write;

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use kindpakket_platform::auth::Authenticator;
use kindpakket_platform::http::{ApiError, Caller};
use kindpakket_proto::Role;
use serde::Deserialize;
use sqlx::PgPool;
use time::macros::format_description;
use time::OffsetDateTime;

use super::api::READERS;
use crate::projections::funnel::{self, Counts, Funnel, Overview};

/// The cookie that carries a reader's token after logging in on the page.
pub const SESSION_COOKIE: &str = "kindpakket_token";

/// `GET /`: the page for the gemeenten the reader acts for, rendered from the read model at every
/// request (it refreshes itself every 10 seconds). The token comes from the `Authorization` header
/// (as the gemeente's login proxy sends it) or from the session cookie set by `/inloggen`; without
/// one, the login page.
#[tracing::instrument(skip_all)]
pub async fn dashboard(
    State(pool): State<PgPool>,
    caller: Result<Caller, ApiError>,
) -> Result<Response, ApiError> {
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) => {
            return Ok(login_page(StatusCode::UNAUTHORIZED, Some(&error.detail)));
        }
    };
    if caller.require(READERS).is_err() {
        return Ok(login_page(
            StatusCode::FORBIDDEN,
            Some("Dit dashboard is voor het kwartaaloverleg, de regievoerder en de auditor. Log in met een account met een van die rollen."),
        ));
    }
    let gemeenten: Vec<String> = caller
        .gemeenten
        .iter()
        .map(|g| g.as_str().to_owned())
        .collect();
    let overview = funnel::overview(&pool, &gemeenten)
        .await
        .map_err(ApiError::internal)?;
    let suppress = caller.actor.role == Role::OverlegViewer;
    Ok(Html(render(&overview, OffsetDateTime::now_utc(), suppress)).into_response())
}

/// Puts the session cookie's token in the `Authorization` header when the request has none, so
/// the page is checked exactly as the API is.
pub async fn session_cookie_middleware(mut request: Request, next: Next) -> Response {
    if !request.headers().contains_key(header::AUTHORIZATION) {
        let token = request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, token)| token.to_owned());
        if let Some(Ok(value)) = token.map(|t| HeaderValue::from_str(&format!("Bearer {t}"))) {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
    }
    next.run(request).await
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /inloggen` (a form with `token`): checks the token as every request is checked and keeps it
/// in an HttpOnly, SameSite=Strict cookie for this browser session.
pub async fn login(
    Extension(authenticator): Extension<Arc<Authenticator>>,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_page(
            StatusCode::BAD_REQUEST,
            Some("Vul een toegangstoken in (formulierveld token) en probeer het opnieuw."),
        );
    };
    let token = form.token.trim();
    match authenticator.verify(token) {
        Ok(identity) if READERS.contains(&identity.role) => {
            let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            let mut response = Redirect::to("/").into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(_) => login_page(
            StatusCode::FORBIDDEN,
            Some("Dit dashboard is voor het kwartaaloverleg, de regievoerder en de auditor; uw rol hoort daar niet bij."),
        ),
        Err(error) => login_page(StatusCode::UNAUTHORIZED, Some(&error.to_string())),
    }
}

/// `GET /inloggen`: the login page.
pub async fn login_form() -> Response {
    login_page(StatusCode::OK, None)
}

/// `POST /uitloggen`: forgets the session cookie.
pub async fn logout() -> Response {
    let mut response = Redirect::to("/inloggen").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("kindpakket_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// Where people log in, when configured (`KINDPAKKET_LOGIN_URL`: the gemeente's login, or the
/// development issuer's page on a developer's machine).
fn login_url() -> Option<String> {
    std::env::var("KINDPAKKET_LOGIN_URL")
        .ok()
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
}

fn login_page(status: StatusCode, problem: Option<&str>) -> Response {
    let mut html = String::with_capacity(2048);
    let _ = write!(
        html,
        r#"<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kindpakket — inloggen</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>Kindpakket — dashboard kwartaaloverleg</h1></header>
<main>
<section>
<h2>Inloggen</h2>
"#
    );
    if let Some(problem) = problem {
        let _ = writeln!(
            html,
            "<p class=\"toelichting\">{}</p>",
            escape_html(problem)
        );
    }
    if let Some(url) = login_url() {
        let _ = writeln!(
            html,
            "<p><a href=\"{}\">Inloggen via de inlogpagina van uw organisatie</a></p>",
            escape_html(&url)
        );
    }
    html.push_str(
        r#"<form method="post" action="/inloggen">
<p><label for="token">Of plak hier uw toegangstoken:</label><br>
<textarea id="token" name="token" rows="4" cols="70" required></textarea></p>
<p><button type="submit">Inloggen</button></p>
</form>
</section>
</main>
</body>
</html>
"#,
    );
    (status, Html(html)).into_response()
}

/// Escapes text for HTML, so that nothing from an event (a partner's name) can become markup.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// An amount in cents the Dutch way: `€ 1.234,50`.
pub fn euro(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("€ {sign}{grouped},{:02}", cents % 100)
}

fn percentage(value: Option<i64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value}%"))
}

const STYLE: &str = r#"
:root { --rijksblauw: #154273; --licht: #e8f0f8; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.45; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; color: var(--rijksblauw); }
h2 { font-size: 1.25rem; margin: 0 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--rijksblauw); }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
p.lead { margin: .3rem 0 1rem; color: #333; }
p.stand { font-size: .85rem; color: #555; margin: 0; }
section { margin: 2rem 0; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { text-align: left; padding: .4rem .55rem; border-bottom: 1px solid #c8c8c8; vertical-align: bottom; }
thead th { background: var(--licht); font-weight: 600; }
.getal { text-align: right; font-variant-numeric: tabular-nums; }
table.trechter td { font-size: 1.6rem; font-weight: 700; }
table.trechter td.gebruik { color: var(--rijksblauw); }
.balk { display: block; height: .45rem; margin-top: .25rem; background: var(--rijksblauw); print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.toelichting { font-size: .9rem; color: #333; border-left: 4px solid var(--licht); padding-left: .8rem; }
footer { margin-top: 3rem; font-size: .85rem; color: #555; }
@media print {
  @page { margin: 1.5cm; }
  body { margin: 0; max-width: none; font-size: 10pt; color: #000; }
  section { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .alleen-scherm { display: none; }
  thead th { background: #eee; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"#;

/// A count as the reader may see it: `<5` for the overleg when it is small.
fn count(value: i64, suppress: bool) -> String {
    if suppress && funnel::is_small(value) {
        format!("&lt;{}", funnel::SMALL_CELL_THRESHOLD)
    } else {
        value.to_string()
    }
}

/// An amount that went to `children`: hidden (as `hidden`) from the overleg when they are few.
fn amount(cents: i64, children: i64, suppress: bool, hidden: &str) -> String {
    if suppress && funnel::is_small(children) {
        hidden.to_owned()
    } else {
        euro(cents)
    }
}

/// The whole page. `now` is when the figures were read, shown on screen and on paper; `suppress`
/// hides small counts (for the overleg).
pub fn render(overview: &Overview, now: OffsetDateTime, suppress: bool) -> String {
    let stand = now
        .format(format_description!(
            "[day]-[month]-[year] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();
    let mut html = String::with_capacity(8 * 1024);
    let _ = write!(
        html,
        r#"<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kindpakket — dashboard kwartaaloverleg</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Kindpakket — dashboard kwartaaloverleg</h1>
<p class="lead">Hoeveel kinderen zijn gesignaleerd, hoeveel kinderen staan in een aanvraag, hoeveel kregen een
recht op een voorziening (toegekend) en hoeveel kregen er ook echt een (bediend) — per gemeente en per partner.</p>
<p class="stand">Stand van {stand}. <span class="alleen-scherm">Deze pagina ververst zich elke 10 seconden.</span></p>
</header>
<main>
<p class="toelichting">Alle aantallen in de trechter zijn <strong>kinderen</strong>: een kind telt één keer per stap, ook
als het meerdere keren is gesignaleerd of meerdere voorzieningen kreeg. <strong>Gebruik</strong> is het aandeel van
de toegekende kinderen dat al minstens één voorziening kreeg. Er staan hier geen namen en geen lijsten van kinderen,
alleen aantallen.</p>
"#
    );
    if suppress {
        let _ = writeln!(
            html,
            "<p class=\"toelichting\">Aantallen van 1 tot {} kinderen staan hier als &lt;{}: zo klein kan een aantal naar een gezin wijzen.</p>",
            funnel::SMALL_CELL_THRESHOLD - 1,
            funnel::SMALL_CELL_THRESHOLD
        );
    }
    render_totals(
        &mut html,
        &overview.totaal,
        overview.gemeenten.len(),
        suppress,
    );
    if overview.gemeenten.is_empty() {
        html.push_str(
            "<p>Er zijn nog geen gegevens. Zodra een regeling is gepubliceerd of een kind is gesignaleerd, verschijnen de cijfers hier.</p>\n",
        );
    }
    for funnel in &overview.gemeenten {
        render_gemeente(&mut html, funnel, suppress);
    }
    html.push_str(
        r#"</main>
<footer>
<p>De cijfers komen uit de gebeurtenissen die de diensten regie, signalering, aanvragen en verstrekking
publiceren. Het dashboard bewaart ze als feiten en kan ze op elk moment opnieuw uit die gebeurtenisstromen
opbouwen; een gebeurtenis die twee keer binnenkomt, telt één keer.</p>
<p>Doorverwezen: het aantal signaleringen waarin een gezin naar deze partner is verwezen. Bedrag: de waarde van
de verstrekkingen van deze partner.</p>
<p class="alleen-scherm">Dezelfde cijfers als JSON: <a href="/api/v1/trechter">/api/v1/trechter</a>.</p>
</footer>
</body>
</html>
"#,
    );
    html
}

fn render_totals(html: &mut String, totals: &Counts, gemeenten: usize, suppress: bool) {
    let caption = match gemeenten {
        1 => "1 gemeente".to_owned(),
        count => format!("{count} gemeenten"),
    };
    let _ = write!(
        html,
        "<section>\n<h2>Alle gemeenten samen</h2>\n<p>{caption}; een kind dat in twee gemeenten bekend is, telt hier één keer.</p>\n"
    );
    render_funnel_table(html, totals, suppress);
    html.push_str("</section>\n");
}

fn render_gemeente(html: &mut String, funnel: &Funnel, suppress: bool) {
    let _ = writeln!(
        html,
        "<section>\n<h2>Gemeente {}</h2>",
        escape_html(&funnel.gemeente)
    );
    render_funnel_table(html, &funnel.counts, suppress);
    html.push_str(
        r#"<h3>Per partner</h3>
<table>
<thead><tr><th scope="col">Partner</th><th scope="col" class="getal">Doorverwezen</th><th scope="col" class="getal">Kinderen bediend</th><th scope="col" class="getal">Verstrekkingen</th><th scope="col" class="getal">Bedrag</th></tr></thead>
<tbody>
"#,
    );
    if funnel.partners.is_empty() {
        html.push_str("<tr><td colspan=\"5\">Nog geen partners.</td></tr>\n");
    }
    for partner in &funnel.partners {
        let _ = writeln!(
            html,
            r#"<tr><td>{}</td><td class="getal">{}</td><td class="getal">{}</td><td class="getal">{}</td><td class="getal">{}</td></tr>"#,
            escape_html(&partner.naam),
            count(partner.doorverwezen, suppress),
            count(partner.bediend, suppress),
            count(partner.verstrekkingen, suppress),
            amount(partner.bedrag_cent, partner.bediend, suppress, "—"),
        );
    }
    html.push_str("</tbody>\n</table>\n");
    let non_use = &funnel.niet_gebruikt;
    if non_use.vervallen_rechten > 0 {
        let _ = writeln!(
            html,
            "<h3>Niet gebruikt</h3>\n<p>{} rechten zijn vervallen, waarvan {} zonder enig gebruik ({} kinderen); samen bleef {} ongebruikt. Deze kinderen verdienen aandacht vóór het nieuwe schooljaar.</p>",
            count(non_use.vervallen_rechten, suppress),
            count(non_use.rechten_zonder_gebruik, suppress),
            count(non_use.kinderen_zonder_gebruik, suppress),
            amount(
                non_use.ongebruikt_cent,
                non_use.kinderen_zonder_gebruik,
                suppress,
                "een klein bedrag"
            ),
        );
    }
    html.push_str("</section>\n");
}

/// The four steps side by side, each with a bar relative to the largest step, and the usage.
fn render_funnel_table(html: &mut String, counts: &Counts, suppress: bool) {
    // A hidden count draws no bar either: its length would tell the number.
    let shown = |value: i64| {
        if suppress && funnel::is_small(value) {
            0
        } else {
            value
        }
    };
    let steps = [
        counts.gesignaleerd,
        counts.aangevraagd,
        counts.toegekend,
        counts.bediend,
    ];
    let largest = steps.iter().copied().map(shown).max().unwrap_or(0).max(1);
    html.push_str(
        r#"<table class="trechter">
<caption>Trechter, in kinderen</caption>
<thead><tr><th scope="col">Gesignaleerd</th><th scope="col">→ Aangevraagd</th><th scope="col">→ Toegekend</th><th scope="col">→ Bediend</th><th scope="col">Gebruik (bediend van toegekend)</th></tr></thead>
<tbody><tr>"#,
    );
    for step in steps {
        let width = shown(step) * 100 / largest;
        let _ = write!(
            html,
            r#"<td>{}<span class="balk" style="width: {width}%"></span></td>"#,
            count(step, suppress)
        );
    }
    let usage =
        if suppress && (funnel::is_small(counts.toegekend) || funnel::is_small(counts.bediend)) {
            None
        } else {
            counts.gebruik_percentage
        };
    let _ = writeln!(
        html,
        r#"<td class="gebruik">{}</td></tr></tbody>
</table>"#,
        percentage(usage)
    );
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::projections::funnel::PartnerFigures;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(
            escape_html("Stichting Leergeld ’s-Gravenhage"),
            "Stichting Leergeld ’s-Gravenhage"
        );
        assert_eq!(escape_html("&amp;"), "&amp;amp;", "escaped once more");
    }

    #[test]
    fn amounts_read_the_dutch_way() {
        assert_eq!(euro(0), "€ 0,00");
        assert_eq!(euro(7_550), "€ 75,50");
        assert_eq!(euro(123_456_789), "€ 1.234.567,89");
        assert_eq!(euro(100_000), "€ 1.000,00");
        assert_eq!(euro(-505), "€ -5,05");
    }

    fn overview() -> Overview {
        Overview {
            gemeenten: vec![Funnel {
                gemeente: "GM0518".to_owned(),
                counts: Counts::new(3, 2, 2, 1),
                partners: vec![PartnerFigures {
                    partner: "leergeld".to_owned(),
                    naam: "Leergeld <b>".to_owned(),
                    bediend: 1,
                    verstrekkingen: 1,
                    bedrag_cent: 7_550,
                    doorverwezen: 0,
                }],
                niet_gebruikt: Default::default(),
            }],
            totaal: Counts::new(3, 2, 2, 1),
        }
    }

    #[test]
    fn the_page_shows_each_gemeente_and_partner_without_raw_markup() {
        let page = render(&overview(), datetime!(2026-03-01 12:05 UTC), false);
        assert!(page.contains("<title>Kindpakket — dashboard kwartaaloverleg</title>"));
        assert!(page.contains(r#"<meta http-equiv="refresh" content="10">"#));
        assert!(page.contains("Gemeente GM0518"));
        assert!(page.contains("Leergeld &lt;b&gt;"));
        assert!(!page.contains("Leergeld <b>"));
        assert!(page.contains("€ 75,50"));
        assert!(page.contains("50%"));
        assert!(page.contains("Stand van 01-03-2026 12:05 UTC"));
        assert!(page.contains("@media print"));
        assert!(!page.contains("<script"), "no script at all");
    }

    #[test]
    fn the_bars_are_relative_to_the_largest_step() {
        let page = render(&overview(), datetime!(2026-03-01 12:05 UTC), false);
        assert!(page.contains(r#"3<span class="balk" style="width: 100%">"#));
        assert!(page.contains(r#"2<span class="balk" style="width: 66%">"#));
        assert!(page.contains(r#"1<span class="balk" style="width: 33%">"#));
    }

    #[test]
    fn the_overleg_sees_small_counts_as_less_than_five_without_bars_or_amounts() {
        let page = render(&overview(), datetime!(2026-03-01 12:05 UTC), true);
        assert!(page.contains(r#"&lt;5<span class="balk" style="width: 0%">"#));
        assert!(
            !page.contains("€ 75,50"),
            "the amount of one child's delivery"
        );
        assert!(!page.contains("50%"), "usage from hidden counts");
        assert!(page.contains("Aantallen van 1 tot 4 kinderen"));
    }

    #[test]
    fn an_empty_dashboard_says_there_is_nothing_yet_and_shows_no_usage() {
        let empty = Overview {
            gemeenten: vec![],
            totaal: Counts::default(),
        };
        let page = render(&empty, datetime!(2026-03-01 12:05 UTC), false);
        assert!(page.contains("Er zijn nog geen gegevens"));
        assert!(page.contains(r#"<td class="gebruik">—</td>"#));
        assert!(page.contains(r#"0<span class="balk" style="width: 0%">"#));
    }
}

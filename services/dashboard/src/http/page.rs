//! The dashboard page for the kwartaaloverleg: plain HTML, printable, in Dutch.

use std::fmt::Write;

use axum::extract::State;
use axum::response::Html;
use kindpakket_platform::http::ApiError;
use sqlx::PgPool;

use crate::funnel::{self, Funnel};

/// Escapes text for HTML, so that nothing a user typed (a partner's name) can become markup.
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

fn euro(cents: i64) -> String {
    format!("€ {},{:02}", cents / 100, (cents % 100).abs())
}

fn percentage(value: Option<i64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value}%"))
}

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1b1b1b; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #154273; }
p.lead { color: #444; }
.funnel { display: flex; gap: .5rem; margin: 1rem 0; }
.step { flex: 1; background: #e8f0f8; border-left: 6px solid #154273; padding: .6rem .8rem; }
.step .count { font-size: 2rem; font-weight: 700; } .step .label { font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ccc; } td.number, th.number { text-align: right; }
footer { margin-top: 3rem; font-size: .85rem; color: #555; }
@media print { .step { border: 1px solid #999; } a { color: inherit; text-decoration: none; } meta { display: none; } }
"#;

pub fn render(funnels: &[Funnel]) -> String {
    let totals = funnel::totals(funnels);
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kindpakket — dashboard kwartaaloverleg</title><style>{STYLE}</style></head>
<body>
<h1>Kindpakket — dashboard kwartaaloverleg</h1>
<p class="lead">Hoeveel kinderen zijn gesignaleerd, aangevraagd, toegekend en bediend, en door welke partner.
Alle aantallen zijn <strong>kinderen</strong>, geen aanvragen of verstrekkingen. Totaal over alle gemeenten:
{} gesignaleerd, {} aangevraagd, {} toegekend, {} bediend (gebruik {}).</p>
"#,
        totals.gesignaleerd,
        totals.aangevraagd,
        totals.toegekend,
        totals.bediend,
        percentage(totals.gebruik_percentage)
    );
    if funnels.is_empty() {
        html.push_str("<p>Er zijn nog geen gegevens. Zodra een regeling is gepubliceerd of een kind is gesignaleerd, verschijnen de cijfers hier.</p>");
    }
    for funnel in funnels {
        let _ = write!(
            html,
            r#"<h2>Gemeente {gemeente}</h2>
<div class="funnel">
<div class="step"><div class="count">{signalled}</div><div class="label">gesignaleerd</div></div>
<div class="step"><div class="count">{applied}</div><div class="label">aangevraagd</div></div>
<div class="step"><div class="count">{granted}</div><div class="label">toegekend</div></div>
<div class="step"><div class="count">{served}</div><div class="label">bediend</div></div>
</div>
<p>Gebruik (bediend als deel van toegekend): <strong>{usage}</strong></p>
<table><thead><tr><th>Partner</th><th class="number">Doorverwezen</th><th class="number">Kinderen bediend</th><th class="number">Verstrekkingen</th><th class="number">Bedrag</th></tr></thead><tbody>
"#,
            gemeente = escape_html(&funnel.gemeente),
            signalled = funnel.gesignaleerd,
            applied = funnel.aangevraagd,
            granted = funnel.toegekend,
            served = funnel.bediend,
            usage = percentage(funnel.gebruik_percentage),
        );
        if funnel.partners.is_empty() {
            html.push_str(r#"<tr><td colspan="5">Nog geen partners ingeschreven.</td></tr>"#);
        }
        for partner in &funnel.partners {
            let _ = write!(
                html,
                r#"<tr><td>{}</td><td class="number">{}</td><td class="number">{}</td><td class="number">{}</td><td class="number">{}</td></tr>"#,
                escape_html(&partner.naam),
                partner.doorverwezen,
                partner.bediend,
                partner.verstrekkingen,
                euro(partner.bedrag_cent)
            );
        }
        html.push_str("</tbody></table>\n");
    }
    html.push_str(
        r#"<footer>De cijfers komen uit de gebeurtenissen van de diensten signalering, aanvragen, regie en verstrekking,
en kunnen altijd opnieuw uit die stromen worden opgebouwd. Er staan hier geen namen of lijsten van kinderen.
De pagina ververst elke 10 seconden. Ook als JSON: <a href="/api/v1/trechter">/api/v1/trechter</a>.</footer>
</body></html>
"#,
    );
    html
}

#[tracing::instrument(skip_all)]
pub async fn dashboard(State(pool): State<PgPool>) -> Result<Html<String>, ApiError> {
    let funnels = funnel::for_all(&pool).await.map_err(ApiError::internal)?;
    Ok(Html(render(&funnels)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funnel::PartnerFigures;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn the_page_shows_each_gemeente_and_partner_without_raw_markup() {
        let page = render(&[Funnel {
            gemeente: "GM0518".to_owned(),
            gesignaleerd: 3,
            aangevraagd: 2,
            toegekend: 2,
            bediend: 1,
            gebruik_percentage: Some(50),
            partners: vec![PartnerFigures {
                partner: "leergeld".to_owned(),
                naam: "Leergeld <b>".to_owned(),
                bediend: 1,
                verstrekkingen: 1,
                bedrag_cent: 7_550,
                doorverwezen: 0,
            }],
        }]);
        assert!(page.contains("Gemeente GM0518"));
        assert!(page.contains("Leergeld &lt;b&gt;"));
        assert!(!page.contains("Leergeld <b>"));
        assert!(page.contains("€ 75,50"));
        assert!(page.contains("50%"));
    }
}

//! What the pages show, as askama templates (`templates/`): the dashboard for the kwartaaloverleg and
//! the login page. Askama escapes every value, so nothing from an event (a partner's name) can
//! become markup.
//!
//! The dashboard is built from an [`Overview`] under any [`Disclosure`]: a count the reader may not
//! see is `None` here and reads `<5`, draws no bar (its length would tell the number), and hides the
//! amount that went to its children.

use askama::Template;
use kindpakket_proto::{Cents, GemeenteCode};
use time::macros::format_description;
use time::OffsetDateTime;

use crate::projections::funnel::disclosure::SMALL_CELL_THRESHOLD;
use crate::projections::funnel::{
    Counts, Disclosure, Funnel, NonUse, Overview, PartnerFigures, Reclaims,
};

/// The dashboard: every gemeente the reader acts for, and their totals.
#[derive(Debug, Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage<'a> {
    /// When the figures were read, shown on screen and on paper.
    stand: String,
    /// Whether the reader is told that small counts are hidden.
    hides_small_counts: bool,
    small_up_to: i64,
    threshold: i64,
    /// "1 gemeente", "3 gemeenten".
    gemeenten_caption: String,
    total: FunnelTable,
    gemeenten: Vec<GemeenteSection<'a>>,
    /// One gemeente (`/dashboard`): no totals of all together, the funnel under "Trechter".
    single: bool,
}

/// The four steps, each with a bar, and the usage.
#[derive(Debug)]
struct FunnelTable {
    steps: [Step; 4],
    usage: Option<i64>,
    /// What a hidden step reads (markup, our own text): `&lt;5` in a gemeente's funnel; "verborgen" in the totals, where a
    /// step may also be hidden because it would tell a gemeente's small one.
    hidden_as: String,
}

#[derive(Debug)]
struct Step {
    /// `None` when hidden.
    count: Option<i64>,
    /// The bar, in percent of the largest shown step.
    width: i64,
}

#[derive(Debug)]
struct GemeenteSection<'a> {
    gemeente: &'a GemeenteCode,
    /// The gemeente's name (its CBS code when no house style names it).
    name: String,
    table: FunnelTable,
    partners: Vec<PartnerRow<'a>>,
    /// Shown when anything expired.
    non_use: Option<NonUseLine>,
    /// Shown when anything was reclaimed.
    reclaims: Option<ReclaimLine>,
}

#[derive(Debug)]
struct ReclaimLine {
    count: Option<i64>,
    /// In euros; `None` when hidden.
    amount: Option<String>,
}

impl ReclaimLine {
    /// The line, when anything was reclaimed (a hidden count is a small one, so something was).
    fn new<D: Disclosure>(reclaims: &Reclaims<D>) -> Option<Self> {
        let count = D::shown(reclaims.count);
        count.is_none_or(|count| count > 0).then(|| Self {
            count,
            amount: D::shown_amount(reclaims.amount_cents).map(Cents::euro),
        })
    }
}

#[derive(Debug)]
struct PartnerRow<'a> {
    name: &'a str,
    referrals: Option<i64>,
    children_served: Option<i64>,
    deliveries: Option<i64>,
    /// In euros; `None` when hidden.
    amount: Option<String>,
}

#[derive(Debug)]
struct NonUseLine {
    expired: Option<i64>,
    expired_unused: Option<i64>,
    children_unused: Option<i64>,
    /// In euros; `None` when hidden.
    unused: Option<String>,
}

impl<'a> DashboardPage<'a> {
    /// The page for `overview`, read at `now`.
    pub fn new<D: Disclosure>(overview: &'a Overview<D>, now: OffsetDateTime) -> Self {
        let stand = now
            .format(format_description!(
                "[day]-[month]-[year] [hour]:[minute] UTC"
            ))
            .unwrap_or_default();
        let gemeenten_caption = match overview.gemeenten.len() {
            1 => "1 gemeente".to_owned(),
            count => format!("{count} gemeenten"),
        };
        Self {
            stand,
            hides_small_counts: D::HIDES_SMALL_COUNTS,
            small_up_to: SMALL_CELL_THRESHOLD - 1,
            threshold: SMALL_CELL_THRESHOLD,
            gemeenten_caption,
            total: FunnelTable::new(&overview.total).hidden_as("verborgen"),
            gemeenten: overview
                .gemeenten
                .iter()
                .map(GemeenteSection::new)
                .collect(),
            single: false,
        }
    }

    /// The figures of one gemeente (`/dashboard`).
    pub fn single<D: Disclosure>(overview: &'a Overview<D>, now: OffsetDateTime) -> Self {
        Self {
            single: true,
            ..Self::new(overview, now)
        }
    }

    /// With each gemeente called by its name.
    pub fn named(mut self, names: impl Fn(&str) -> String) -> Self {
        for section in &mut self.gemeenten {
            section.name = names(section.gemeente.as_str());
        }
        self
    }
}

impl FunnelTable {
    fn new<D: Disclosure>(counts: &Counts<D>) -> Self {
        let steps = [
            counts.signalled,
            counts.applied,
            counts.granted,
            counts.served,
        ]
        .map(D::shown);
        // A hidden count draws no bar either: its length would tell the number.
        let largest = steps
            .iter()
            .map(|count| count.unwrap_or(0))
            .max()
            .unwrap_or(0)
            .max(1);
        Self {
            steps: steps.map(|count| Step {
                count,
                width: count.unwrap_or(0) * 100 / largest,
            }),
            usage: counts.usage_percentage,
            hidden_as: format!("&lt;{SMALL_CELL_THRESHOLD}"),
        }
    }

    fn hidden_as(self, text: &str) -> Self {
        Self {
            hidden_as: text.to_owned(),
            ..self
        }
    }
}

impl<'a> GemeenteSection<'a> {
    fn new<D: Disclosure>(funnel: &'a Funnel<D>) -> Self {
        Self {
            gemeente: &funnel.gemeente,
            name: funnel.gemeente.to_string(),
            table: FunnelTable::new(&funnel.counts),
            partners: funnel.partners.iter().map(PartnerRow::new).collect(),
            non_use: NonUseLine::new(&funnel.non_use),
            reclaims: ReclaimLine::new(&funnel.reclaims),
        }
    }
}

impl<'a> PartnerRow<'a> {
    fn new<D: Disclosure>(partner: &'a PartnerFigures<D>) -> Self {
        Self {
            name: &partner.name,
            referrals: D::shown(partner.referrals),
            children_served: D::shown(partner.children_served),
            deliveries: D::shown(partner.deliveries),
            amount: D::shown_amount(partner.amount_cents).map(Cents::euro),
        }
    }
}

impl NonUseLine {
    /// The line, when anything expired (a hidden count is a small one, so something did).
    fn new<D: Disclosure>(non_use: &NonUse<D>) -> Option<Self> {
        let expired = D::shown(non_use.expired);
        expired.is_none_or(|expired| expired > 0).then(|| Self {
            expired,
            expired_unused: D::shown(non_use.expired_unused),
            children_unused: D::shown(non_use.children_unused),
            unused: D::shown_amount(non_use.unused_cents).map(Cents::euro),
        })
    }
}

/// The login page: a problem to explain (why the reader is here), and where the reader's
/// organisation lets them log in, when configured.
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub layout: crate::web::layout::Layout,
    pub problem: Option<&'a str>,
    pub login_url: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::projections::funnel::{
        Exact, NonUseTally, Overleg, PartnerFigures, PartnerTally, StepTally,
    };

    const fn steps(signalled: i64, applied: i64, granted: i64, served: i64) -> StepTally {
        StepTally::new(signalled, applied, granted, served)
    }

    fn overview<D: Disclosure>() -> Overview<D> {
        Overview {
            gemeenten: vec![Funnel {
                gemeente: GemeenteCode::parse("GM0518").unwrap(),
                counts: Counts::disclose(steps(3, 2, 2, 1)),
                partners: vec![PartnerFigures::disclose(PartnerTally {
                    partner: "leergeld".to_owned(),
                    name: r#"Leergeld <b> & 'zo' "x""#.to_owned(),
                    children_served: 1,
                    deliveries: 1,
                    amount_cents: 7_550,
                    referrals: 0,
                })],
                non_use: NonUse::disclose(NonUseTally::default()),
                reclaims: crate::projections::funnel::Reclaims::disclose(Default::default()),
            }],
            total: Counts::disclose(steps(3, 2, 2, 1)),
        }
    }

    fn render<D: Disclosure>(overview: &Overview<D>) -> String {
        DashboardPage::new(overview, datetime!(2026-03-01 12:05 UTC))
            .render()
            .unwrap()
    }

    #[test]
    fn the_page_shows_each_gemeente_and_partner_without_raw_markup() {
        let page = render(&overview::<Exact>());
        assert!(page.contains("Gemeente GM0518"), "no name known: the code");
        let named = DashboardPage::new(&overview::<Exact>(), datetime!(2026-03-01 12:05 UTC))
            .named(|_| "Den Haag".to_owned())
            .render()
            .unwrap();
        assert!(named.contains("Gemeente Den Haag") && !named.contains("GM0518"));
        assert!(page.contains("1 gemeente; een kind"));
        assert!(
            page.contains("<td>Leergeld &#60;b&#62; &#38; &#39;zo&#39; &#34;x&#34;</td>"),
            "{page}"
        );
        assert!(!page.contains("Leergeld <b>"));
        assert!(page.contains("€ 75,50"));
        assert!(page.contains(r#"<td class="gebruik">50%</td>"#));
        assert!(page.contains("Stand van 01-03-2026 12:05 UTC"));
        assert!(!page.contains("<script"), "no script at all");
        assert!(!page.contains("&lt;5"), "regie sees every count");
        assert!(!page.contains("Niet gebruikt"), "nothing expired");
    }

    #[test]
    fn the_bars_are_relative_to_the_largest_step() {
        let page = render(&overview::<Exact>());
        assert!(page.contains(r#"<td>3<span class="balk balk-100"></span></td>"#));
        assert!(page.contains(r#"<td>2<span class="balk balk-65"></span></td>"#));
        assert!(page.contains(r#"<td>1<span class="balk balk-30"></span></td>"#));
    }

    #[test]
    fn the_overleg_sees_small_counts_as_less_than_five_without_bars_or_amounts() {
        let page = render(&overview::<Overleg>());
        assert!(page.contains(r#"<td>&lt;5<span class="balk balk-0"></span></td>"#));
        assert!(
            !page.contains("€ 75,50"),
            "the amount of one child's delivery"
        );
        assert!(page.contains(r#"<td class="getal">&lt;5</td><td class="getal">—</td>"#));
        assert!(
            page.contains(r#"<td class="gebruik">—</td>"#),
            "usage from hidden counts"
        );
        assert!(page.contains("Aantallen van 1 tot 4 kinderen staan hier als &lt;5"));
    }

    #[test]
    fn what_expired_unused_is_shown_and_its_amount_hidden_with_few_children() {
        let mut exact = overview::<Exact>();
        let mut overleg = overview::<Overleg>();
        let tally = NonUseTally {
            expired: 12,
            expired_unused: 7,
            children_unused: 3,
            unused_cents: 250_000,
        };
        exact.gemeenten[0].non_use = NonUse::disclose(tally);
        overleg.gemeenten[0].non_use = NonUse::disclose(tally);
        assert!(render(&exact).contains(
            "<p>12 rechten zijn vervallen, waarvan 7 zonder enig gebruik (3 kinderen); samen bleef € 2.500,00 ongebruikt."
        ));
        assert!(render(&overleg).contains(
            "<p>12 rechten zijn vervallen, waarvan 7 zonder enig gebruik (&lt;5 kinderen); samen bleef een klein bedrag ongebruikt."
        ));
    }

    #[test]
    fn an_empty_dashboard_says_there_is_nothing_yet_and_shows_no_usage() {
        let empty = Overview::<Exact> {
            gemeenten: vec![],
            total: Counts::disclose(StepTally::default()),
        };
        let page = render(&empty);
        assert!(page.contains("0 gemeenten; een kind"));
        assert!(page.contains("Er zijn nog geen gegevens"));
        assert!(page.contains(r#"<td class="gebruik">—</td>"#));
        assert!(page.contains(r#"<td>0<span class="balk balk-0"></span></td>"#));
    }

    #[test]
    fn the_login_page_explains_the_problem_and_links_the_login_when_there_is_one() {
        let layout = || {
            crate::web::layout::Layout::public(
                "Inloggen op het dashboard",
                &crate::web::layout::HouseStyles::default(),
                None,
            )
        };
        let bare = LoginPage {
            layout: layout(),
            problem: None,
            login_url: None,
        }
        .render()
        .unwrap();
        assert!(
            bare.contains(r#"href="/aanmelden?terug=/dashboard">Inloggen</a>"#),
            "{bare}"
        );
        assert!(!bare.contains("role=\"alert\""), "{bare}");
        let page = LoginPage {
            layout: layout(),
            problem: Some("Stuur Authorization: Bearer <token>."),
            login_url: Some("https://login.example.nl/?a=1&b=2"),
        }
        .render()
        .unwrap();
        assert!(
            page.contains("Stuur Authorization: Bearer &#60;token&#62;."),
            "{page}"
        );
        assert!(
            page.contains(r#"href="https://login.example.nl/?a=1&#38;b=2">"#),
            "{page}"
        );
        assert!(page.contains(r#"id="token" name="token""#), "{page}");
    }
}

//! A synthetic national year, seeded: 342 gemeenten (or fewer), each with a regeling drawn from the
//! study's distributions, its partners and signallers enrolled and its routing set, then twelve
//! months of signals, applications, grants and uses with the peaks before the school year
//! (August–September) and in December, the partners' quarterly invoices settled by regie
//! ([`invoice_quarters`]) and the year end ([`close_year`]). Everything goes through the services'
//! public HTTP command paths ([`crate::client`]), never into their tables, with many clients at once.
//!
//! [`plan`] draws the whole year from the seed (nothing of it depends on the platform it will run
//! against: same seed, same commands, [`Year::digest`]); [`run`] sends it. The ids the services hand
//! out (applications, entitlements, passes) are taken from their answers as a user's screen would.
//!
//! The distributions (Kindpakketten onderzoek 2016):
//! - income threshold (schema 3.3, all gemeenten): 110% 28, 115% 5, 120% 53, 125% 1, 130% 7,
//!   individual circumstances 6;
//! - provision types offered (figure 3.1, N=98): participation always (sport and culture), school
//!   90/98, transport 59/98, subsistence 46/98, other 28/98, special circumstances 9/98;
//! - forms per type (schema 5.2, several answers possible; drawn in proportion): discount, voucher,
//!   in kind, declaration;
//! - partners involved (schema 4.1, 2016): Leergeld 63%, Jeugdsportfonds 49%, Jeugdcultuurfonds
//!   41%, local shops 36%, schools 22%, wijkteams 21%, food banks 19%, clothing banks 19%, CJG 11%,
//!   library 9%, Jarige Job 6%, JGZ/GGD 6%, childcare 3%.
//!
//! At fraction 1.0 the year holds about 420,000 children in view, in households of one, two or
//! three children (45/35/20%: an assumption, the study gives none). A household's children are
//! signalled (60%, each child by the same signaller), the household applies once for all of them
//! (85% of the signalled, 30% of the others) for one to three provisions some child's age fits; each
//! child is granted what its age fits when the household's income is within the threshold
//! (individual circumstances: regie grants by hand), and served per entitlement (75%) in the form the
//! gemeente chose for the provision: in kind (the partner records the delivery), by voucher (the
//! partner redeems the pass), by discount (regie agreed a percentage with the provider at set-up; the
//! provider gives it at the till on the pass) or by declaration (the parent declares a receipt for
//! their household, regie approves it).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures::StreamExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::client::{Kindpakket, REGIE};

/// Children in view in a whole national year.
pub const NATIONAL_CHILDREN: f64 = 420_000.0;
/// Gemeenten in the Netherlands (2016).
pub const NATIONAL_GEMEENTEN: usize = 342;

/// Schema 3.3: the income threshold in percent of the sociaal minimum (`None`: individual
/// circumstances decide), with its share in percent.
const THRESHOLDS: [(Option<u16>, u32); 6] = [
    (Some(110), 28),
    (Some(115), 5),
    (Some(120), 53),
    (Some(125), 1),
    (Some(130), 7),
    (None, 6),
];

/// One provision a gemeente may offer: (code, name, type, ages, value in cents, chance in 98,
/// forms per schema 5.2 as [discount, voucher, in kind, declaration] percentages, who delivers it).
struct Offer {
    code: &'static str,
    name: &'static str,
    provision_type: &'static str,
    ages: (u8, u8),
    value_cents: i64,
    offered_in_98: u32,
    forms: [u32; 4],
    partners: &'static [&'static str],
}

const FORMS: [&str; 4] = ["korting", "tegoedbon", "in_natura", "declaratie"];

const OFFERS: [Offer; 7] = [
    Offer {
        code: "sportcontributie",
        name: "Sportcontributie",
        provision_type: "maatschappelijke_participatie",
        ages: (4, 17),
        value_cents: 22_500,
        offered_in_98: 98,
        forms: [9, 4, 71, 27],
        partners: &["jeugdsportfonds", "lokale-middenstand"],
    },
    Offer {
        code: "cultuur",
        name: "Muziek-, dans- of tekenles",
        provision_type: "maatschappelijke_participatie",
        ages: (4, 17),
        value_cents: 42_500,
        offered_in_98: 98,
        forms: [9, 4, 71, 27],
        partners: &["jeugdcultuurfonds", "lokale-middenstand"],
    },
    Offer {
        code: "schoolspullen",
        name: "Schoolspullen",
        provision_type: "school",
        ages: (4, 17),
        value_cents: 10_000,
        offered_in_98: 90,
        forms: [2, 8, 57, 38],
        partners: &["leergeld", "lokale-middenstand"],
    },
    Offer {
        code: "fiets",
        name: "Fiets",
        provision_type: "vervoer",
        ages: (11, 17),
        value_cents: 17_500,
        offered_in_98: 59,
        forms: [0, 3, 78, 22],
        partners: &["leergeld", "lokale-middenstand"],
    },
    Offer {
        code: "kleding",
        name: "Kleding en schoenen",
        provision_type: "levensonderhoud",
        ages: (0, 17),
        value_cents: 15_000,
        offered_in_98: 46,
        forms: [7, 15, 70, 13],
        partners: &["kledingbank", "voedselbank", "lokale-middenstand"],
    },
    Offer {
        code: "verjaardagsbox",
        name: "Verjaardagsbox",
        provision_type: "overig",
        ages: (4, 12),
        value_cents: 2_500,
        offered_in_98: 28,
        forms: [4, 4, 68, 25],
        partners: &["jarige-job", "bibliotheek", "lokale-middenstand"],
    },
    Offer {
        code: "bijzondere-kosten",
        name: "Bijzondere kosten",
        provision_type: "bijzondere_omstandigheden",
        ages: (0, 17),
        value_cents: 20_000,
        offered_in_98: 9,
        forms: [0, 0, 11, 89],
        partners: &["lokale-middenstand"],
    },
];

/// Schema 4.1 (2016): an organisation, its name, its share in percent, and whether it delivers
/// (partner) or only signals (school, wijkteam, CJG, JGZ, childcare).
const ORGANISATIONS: [(&str, &str, u32, bool); 13] = [
    ("leergeld", "Stichting Leergeld", 63, true),
    ("jeugdsportfonds", "Jeugdfonds Sport", 49, true),
    ("jeugdcultuurfonds", "Jeugdfonds Cultuur", 41, true),
    ("lokale-middenstand", "Lokale middenstand", 36, true),
    ("basisschool", "Basisschool", 22, false),
    ("wijkteam", "Sociaal wijkteam", 21, false),
    ("voedselbank", "Voedselbank", 19, true),
    ("kledingbank", "Kledingbank", 19, true),
    ("cjg", "Centrum voor Jeugd en Gezin", 11, false),
    ("bibliotheek", "Bibliotheek", 9, true),
    ("jarige-job", "Stichting Jarige Job", 6, true),
    ("jgz", "Jeugdgezondheidszorg", 6, false),
    ("kinderopvang", "Kinderopvang", 3, false),
];

/// Weight of each month in a year's signals and applications: the peaks before the school year
/// and in December.
const MONTHS: [u32; 12] = [6, 6, 7, 7, 7, 6, 6, 13, 13, 9, 8, 12];

/// Children per household, in percent: one 45, two 35, three 20 (about 1.75 a household; an
/// assumption, the study gives no distribution). A household applies once, for all its children.
const HOUSEHOLD_SIZES: [(usize, u32); 3] = [(1, 45), (2, 35), (3, 20)];

/// The size of a year: how many gemeenten, and which fraction of the national number of children.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Size {
    pub gemeenten: usize,
    pub fraction: f64,
}

/// A year drawn from a seed.
#[derive(Debug, Clone, Serialize)]
pub struct Year {
    pub seed: u64,
    pub year: i32,
    pub gemeenten: Vec<Gemeente>,
    /// Every household of every gemeente, in the order of the year (by date).
    pub households: Vec<Household>,
}

/// One gemeente's set-up: its regeling, who is enrolled, and its routing.
#[derive(Debug, Clone, Serialize)]
pub struct Gemeente {
    pub code: String,
    pub regeling: Value,
    /// Delivering partners: (code, name, provisions they deliver).
    pub partners: Vec<(String, String, Vec<String>)>,
    /// Organisations that only signal: (code, name).
    pub signallers: Vec<(String, String)>,
    pub routes: Value,
    /// Whether individual circumstances decide (no income threshold): regie grants by hand.
    pub individual: bool,
    /// Provisions offered: code, form, who delivers it, ages.
    pub provisions: Vec<Provision>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Provision {
    pub code: String,
    pub provision_type: String,
    pub form: String,
    pub partner: String,
    pub ages: (u8, u8),
    pub value_cents: i64,
    /// For a discount: the percentage regie agrees with the provider (25, 50 or 100).
    pub discount_percent: Option<u8>,
}

/// One household's year: its children, who signals them, whether it applies (once, for all its
/// children), and what each child uses.
#[derive(Debug, Clone, Serialize)]
pub struct Household {
    /// Index into [`Year::gemeenten`].
    pub gemeente: usize,
    pub id: Uuid,
    pub income_percent: u16,
    /// The day it enters the year (its children's signals, its application).
    pub date: String,
    pub channel: String,
    pub children: Vec<Child>,
    /// Provisions applied for (codes), each for every child; empty: no application.
    pub applies_for: Vec<String>,
}

/// One child of a household.
#[derive(Debug, Clone, Serialize)]
pub struct Child {
    pub id: Uuid,
    pub birth_year: i32,
    pub signal: Option<Signal>,
    /// Per provision the household applied for, whether this child uses it (when granted: its age
    /// may not fit) and on which day.
    pub uses: Vec<Option<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    pub signaller: String,
    pub provision_type: String,
}

/// What a run did, per gemeente, as the dashboard counts it: children signalled, applied for,
/// granted and served, and the uses recorded (deliveries in kind, redemptions, discounts given and
/// declarations approved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub signalled: i64,
    pub applied: i64,
    pub granted: i64,
    pub served: i64,
    pub deliveries: i64,
    /// Rights granted: each expires at the year end ([`close_year`]).
    pub rights: i64,
    /// Rights nothing was spent on, and the children with at least one such right: the year end's
    /// non-use figures.
    pub rights_unused: i64,
    pub children_unused: i64,
    /// What the uses spent: the year's ledger once every invoice is settled ([`invoice_quarters`]).
    pub spent_cents: i64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.signalled += other.signalled;
        self.applied += other.applied;
        self.granted += other.granted;
        self.served += other.served;
        self.deliveries += other.deliveries;
        self.rights += other.rights;
        self.rights_unused += other.rights_unused;
        self.children_unused += other.children_unused;
        self.spent_cents += other.spent_cents;
    }
}

/// A run's outcome.
#[derive(Debug, Default)]
pub struct Report {
    pub per_gemeente: BTreeMap<String, Tally>,
    /// Uses recorded per form (`in_natura`, `tegoedbon`, `korting`, `declaratie`).
    pub uses_per_form: BTreeMap<String, i64>,
    /// HTTP commands sent and accepted.
    pub commands: u64,
}

impl Report {
    pub fn total(&self) -> Tally {
        let mut total = Tally::default();
        for tally in self.per_gemeente.values() {
            total += *tally;
        }
        total
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, weight)| weight).sum();
    let mut draw = rng.gen_range(0..total.max(1));
    for (value, weight) in weighted {
        if draw < *weight {
            return *value;
        }
        draw -= weight;
    }
    weighted[weighted.len() - 1].0
}

fn uuid(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// The days from `today` to 31 December of its year: how far a platform's clock must move for a
/// year generated for `today`'s year to lie wholly in the past (every drawn day is at most the 28th).
pub fn days_to_year_end(today: time::Date) -> i64 {
    let last =
        time::Date::from_calendar_date(today.year(), time::Month::December, 31).unwrap_or(today);
    (last - today).whole_days()
}

/// The CBS-like code of the `index`th gemeente of the generated year.
pub fn gemeente_code(index: usize) -> String {
    format!("GM{:04}", 3000 + index)
}

/// Draws a year: the same `seed` and `size` give the same year.
pub fn plan(seed: u64, size: Size, year: i32) -> Year {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let gemeenten: Vec<Gemeente> = (0..size.gemeenten)
        .map(|index| draw_gemeente(&mut rng, index, year))
        .collect();
    // Gemeenten differ much in size: a few cities, many villages (weights falling with rank).
    let weights: Vec<f64> = (0..size.gemeenten)
        .map(|rank| 1.0 / (rank as f64 + 1.0).powf(0.8))
        .collect();
    let weight_sum: f64 = weights.iter().sum();
    let total = (NATIONAL_CHILDREN * size.fraction).round();
    let mut households = Vec::new();
    for (index, gemeente) in gemeenten.iter().enumerate() {
        let mut count = ((total * weights[index] / weight_sum).round() as usize).max(1);
        while count > 0 {
            let size = pick(&mut rng, &HOUSEHOLD_SIZES).min(count);
            households.push(draw_household(&mut rng, index, gemeente, year, size));
            count -= size;
        }
    }
    households.sort_by(|a, b| a.date.cmp(&b.date));
    Year {
        seed,
        year,
        gemeenten,
        households,
    }
}

fn draw_gemeente(rng: &mut ChaCha8Rng, index: usize, year: i32) -> Gemeente {
    let threshold = pick(rng, &THRESHOLDS);
    let involved: Vec<&(&str, &str, u32, bool)> = ORGANISATIONS
        .iter()
        .filter(|(_, _, share, _)| rng.gen_range(0..100) < *share)
        .collect();
    let mut provisions = Vec::new();
    for offer in &OFFERS {
        if rng.gen_range(0..98) >= offer.offered_in_98 {
            continue;
        }
        let form = pick(
            rng,
            &[
                (FORMS[0], offer.forms[0]),
                (FORMS[1], offer.forms[1]),
                (FORMS[2], offer.forms[2]),
                (FORMS[3], offer.forms[3]),
            ],
        );
        // The first partner of the offer that this gemeente works with; else the local shops.
        let partner = offer
            .partners
            .iter()
            .find(|code| involved.iter().any(|(own, _, _, _)| own == *code))
            .unwrap_or(&"lokale-middenstand");
        provisions.push(Provision {
            code: offer.code.to_owned(),
            provision_type: offer.provision_type.to_owned(),
            form: form.to_owned(),
            partner: (*partner).to_owned(),
            ages: offer.ages,
            value_cents: offer.value_cents,
            discount_percent: (form == "korting").then(|| [25, 50, 100][rng.gen_range(0..3)]),
        });
    }
    let mut partners: Vec<(String, String, Vec<String>)> = Vec::new();
    for provision in &provisions {
        match partners
            .iter_mut()
            .find(|(code, _, _)| *code == provision.partner)
        {
            Some((_, _, delivers)) => delivers.push(provision.code.clone()),
            None => {
                let name = ORGANISATIONS
                    .iter()
                    .find(|(code, _, _, _)| *code == provision.partner)
                    .map_or("Partner", |(_, name, _, _)| *name);
                partners.push((
                    provision.partner.clone(),
                    name.to_owned(),
                    vec![provision.code.clone()],
                ));
            }
        }
    }
    let mut signallers: Vec<(String, String)> = involved
        .iter()
        .filter(|(_, _, _, delivers)| !delivers)
        .map(|(code, name, _, _)| ((*code).to_owned(), (*name).to_owned()))
        .collect();
    if signallers.is_empty() {
        // Every gemeente has some wijkteam that signals, involved in the regeling or not.
        signallers.push(("wijkteam".to_owned(), "Sociaal wijkteam".to_owned()));
    }
    // Signals of a type go to the partner delivering its first provision; the rest to the loket.
    let mut routes = Vec::new();
    for provision in &provisions {
        if routes
            .iter()
            .any(|route: &Value| route["voorzieningsoort"] == provision.provision_type.as_str())
        {
            continue;
        }
        routes.push(json!({
            "voorzieningsoort": provision.provision_type,
            "naar": {"partner": provision.partner},
            "reactietermijnWerkdagen": 5 + rng.gen_range(0..6),
        }));
    }
    let regeling = json!({
        "jaar": year,
        "geldigVanaf": format!("{year}-01-01"),
        "geldigTot": format!("{year}-12-31"),
        "inkomensgrens": match threshold {
            Some(percentage) => json!({"soort": "percentage", "percentage": percentage}),
            None => json!({"soort": "individueel"}),
        },
        "voorzieningen": provisions.iter().map(|provision| {
            let offer = OFFERS.iter().find(|offer| offer.code == provision.code);
            crate::client::provision(
                &provision.code,
                offer.map_or("Voorziening", |offer| offer.name),
                &provision.provision_type,
                provision.ages,
                provision.value_cents,
                &provision.form,
            )
        }).collect::<Vec<_>>(),
    });
    Gemeente {
        code: gemeente_code(index),
        regeling,
        partners,
        signallers,
        routes: Value::Array(routes),
        individual: threshold.is_none(),
        provisions,
    }
}

fn draw_date(rng: &mut ChaCha8Rng, year: i32) -> (u8, u8, String) {
    let month = pick(
        rng,
        &MONTHS
            .iter()
            .enumerate()
            .map(|(index, weight)| (index as u8 + 1, *weight))
            .collect::<Vec<_>>(),
    );
    let day = rng.gen_range(1..=28);
    (month, day, format!("{year}-{month:02}-{day:02}"))
}

fn draw_household(
    rng: &mut ChaCha8Rng,
    gemeente_index: usize,
    gemeente: &Gemeente,
    year: i32,
    size: usize,
) -> Household {
    let (month, day, date) = draw_date(rng, year);
    let ages: Vec<i32> = (0..size).map(|_| rng.gen_range(4..=17)).collect();
    let fits = |provision: &Provision, age: i32| {
        (i32::from(provision.ages.0)..=i32::from(provision.ages.1)).contains(&age)
    };
    let signalled = rng.gen_bool(0.6);
    let applies = rng.gen_bool(if signalled { 0.85 } else { 0.3 });
    // The provisions some child of the household is of an age for.
    let fitting: Vec<&Provision> = gemeente
        .provisions
        .iter()
        .filter(|provision| ages.iter().any(|age| fits(provision, *age)))
        .collect();
    let signaller = gemeente.signallers[rng.gen_range(0..gemeente.signallers.len())]
        .0
        .clone();
    let mut applies_for = Vec::new();
    if applies && !fitting.is_empty() {
        let wanted = rng.gen_range(1..=3.min(fitting.len()));
        let start = rng.gen_range(0..fitting.len());
        for offset in 0..wanted {
            applies_for.push(fitting[(start + offset) % fitting.len()].code.clone());
        }
    }
    let children = ages
        .iter()
        .map(|age| {
            // A signal is about one child: the type of the first provision its age fits.
            let signal = signalled.then(|| Signal {
                signaller: signaller.clone(),
                provision_type: gemeente
                    .provisions
                    .iter()
                    .find(|provision| fits(provision, *age))
                    .map_or("overig", |provision| provision.provision_type.as_str())
                    .to_owned(),
            });
            let uses = applies_for
                .iter()
                .map(|_| {
                    rng.gen_bool(0.75).then(|| {
                        // Used later that month or in the next, never past the year's end.
                        let used_month = (month + rng.gen_range(0..2)).min(12);
                        let first_day = if used_month == month { day } else { 1 };
                        format!(
                            "{year}-{used_month:02}-{:02}",
                            rng.gen_range(first_day..=28)
                        )
                    })
                })
                .collect();
            Child {
                id: uuid(rng),
                birth_year: year - age,
                signal,
                uses,
            }
        })
        .collect();
    Household {
        gemeente: gemeente_index,
        id: uuid(rng),
        income_percent: rng.gen_range(90..=140),
        date,
        channel: ["online", "loket", "wijkteam"][rng.gen_range(0..3)].to_owned(),
        children,
        applies_for,
    }
}

impl Year {
    /// A SHA-256 of every command the year will send, as drawn (the ids the services will hand
    /// out are not in it): equal digests, equal years.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(serde_json::to_vec(self).unwrap_or_default());
        hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The children in view: of every household.
    pub fn children(&self) -> usize {
        self.households.iter().map(|h| h.children.len()).sum()
    }

    /// The commands the year will send at most (set-up, signals, applications, grants, uses, a
    /// submitted and a settled invoice per partner and quarter, the year end).
    pub fn commands(&self) -> usize {
        let setup: usize = self
            .gemeenten
            .iter()
            .map(|gemeente| setup_commands(gemeente) + 8 * gemeente.partners.len() + 1)
            .sum();
        let households: usize = self
            .households
            .iter()
            .map(|household| {
                let gemeente = &self.gemeenten[household.gemeente];
                let signals = household
                    .children
                    .iter()
                    .filter(|child| child.signal.is_some())
                    .count();
                if household.applies_for.is_empty() {
                    return signals;
                }
                let uses: usize = household
                    .children
                    .iter()
                    .flat_map(|child| household.applies_for.iter().zip(&child.uses))
                    .filter(|(_, used)| used.is_some())
                    .filter_map(|(wanted, _)| {
                        gemeente.provisions.iter().find(|p| &p.code == wanted)
                    })
                    .map(|provision| use_commands(&provision.form))
                    .sum();
                signals + 2 + uses
            })
            .sum();
        setup + households
    }
}

/// The commands that set a gemeente up: its regeling, routing, partners, signallers and the
/// discounts regie agrees.
fn setup_commands(gemeente: &Gemeente) -> usize {
    2 + gemeente.partners.len()
        + gemeente.signallers.len()
        + gemeente
            .provisions
            .iter()
            .filter(|provision| provision.discount_percent.is_some())
            .count()
}

/// The commands one use of a provision in `form` takes: a declaration is submitted and decided.
fn use_commands(form: &str) -> usize {
    if form == "declaratie" {
        2
    } else {
        1
    }
}

/// Counts accepted commands while a run goes on, for a progress line.
#[derive(Debug, Default)]
pub struct Progress {
    pub commands: AtomicU64,
    pub children: AtomicU64,
}

/// Sets up every gemeente of the year (regeling, partners, signallers, routing), `clients`
/// gemeenten at a time.
pub async fn set_up(platform: &Kindpakket, year: &Year, clients: usize) -> Result<u64> {
    let done = futures::stream::iter(year.gemeenten.iter())
        .map(|gemeente| set_up_gemeente(platform, gemeente))
        .buffer_unordered(clients.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut commands = 0;
    for result in done {
        commands += result?;
    }
    Ok(commands)
}

async fn set_up_gemeente(platform: &Kindpakket, gemeente: &Gemeente) -> Result<u64> {
    let code = &gemeente.code;
    platform
        .post(
            &platform.regie_url(code, "regelingen"),
            REGIE,
            &gemeente.regeling,
        )
        .await?
        .expect(StatusCode::CREATED)
        .with_context(|| format!("the regeling of {code}"))?;
    for (partner, name, provisions) in &gemeente.partners {
        let provisions: Vec<&str> = provisions.iter().map(String::as_str).collect();
        platform
            .enrol_partner(code, partner, name, &provisions)
            .await?;
    }
    // The standing discounts regie agrees with the providers of its discount provisions.
    for provision in &gemeente.provisions {
        let Some(percent) = provision.discount_percent else {
            continue;
        };
        let url = platform.regie_url(
            code,
            &format!(
                "partners/{}/kortingen/{}",
                provision.partner, provision.code
            ),
        );
        platform
            .put(&url, REGIE, &json!({"percentage": percent}))
            .await?
            .expect(StatusCode::OK)
            .with_context(|| format!("the discount for {} in {code}", provision.code))?;
    }
    // The routing before the signallers: the signalling service knows it by their first signal.
    platform.set_routing(code, gemeente.routes.clone()).await?;
    for (signaller, name) in &gemeente.signallers {
        platform.enrol_signaller(code, signaller, name).await?;
    }
    Ok(setup_commands(gemeente) as u64)
}

/// Sends the year's households `range` (in the order of the year), `clients` households at a
/// time; the gemeenten must be set up ([`set_up`]). Adds what it did to `report`.
pub async fn run_households(
    platform: &Kindpakket,
    year: &Year,
    range: std::ops::Range<usize>,
    clients: usize,
    progress: &Arc<Progress>,
    report: &mut Report,
) -> Result<()> {
    let outcomes = futures::stream::iter(year.households[range].iter())
        .map(|household| {
            let progress = progress.clone();
            async move {
                let outcome = run_household(platform, year, household, &progress).await;
                progress
                    .children
                    .fetch_add(household.children.len() as u64, Ordering::Relaxed);
                outcome.map(|(tally, forms)| (household.gemeente, tally, forms))
            }
        })
        .buffer_unordered(clients.max(1))
        .collect::<Vec<_>>()
        .await;
    for outcome in outcomes {
        let (gemeente, tally, forms) = outcome?;
        for form in forms {
            *report.uses_per_form.entry(form.to_owned()).or_default() += 1;
        }
        *report
            .per_gemeente
            .entry(year.gemeenten[gemeente].code.clone())
            .or_default() += tally;
    }
    report.commands = progress.commands.load(Ordering::Relaxed);
    Ok(())
}

/// Sets up the year and sends all of it, the partners' quarterly invoices last (the year end is
/// [`close_year`], once the clocks stand in the next year).
pub async fn run(platform: &Kindpakket, year: &Year, clients: usize) -> Result<Report> {
    let progress = Arc::new(Progress::default());
    let setup = set_up(platform, year, clients).await?;
    progress.commands.fetch_add(setup, Ordering::Relaxed);
    let mut report = Report::default();
    for gemeente in &year.gemeenten {
        report
            .per_gemeente
            .insert(gemeente.code.clone(), Tally::default());
    }
    run_households(
        platform,
        year,
        0..year.households.len(),
        clients,
        &progress,
        &mut report,
    )
    .await?;
    invoice_quarters(platform, year, clients, &mut report).await?;
    Ok(report)
}

/// Sends one household's year: its children's signals, its application for all of them, the
/// decision, and each child's uses. Gives what it did (in children, as the dashboard counts them)
/// and the forms of the uses recorded.
async fn run_household<'y>(
    platform: &Kindpakket,
    year: &'y Year,
    household: &Household,
    progress: &Progress,
) -> Result<(Tally, Vec<&'y str>)> {
    let gemeente = &year.gemeenten[household.gemeente];
    let code = &gemeente.code;
    let mut tally = Tally::default();
    let mut forms = Vec::new();
    let count = || progress.commands.fetch_add(1, Ordering::Relaxed);
    let mut signal_id = None;
    for child in &household.children {
        let Some(signal) = &child.signal else {
            continue;
        };
        let id = platform
            .signal_child_for(
                code,
                &signal.signaller,
                child.id,
                &signal.provision_type,
                &household.date,
            )
            .await
            .with_context(|| format!("a signal in {code}"))?;
        count();
        // The application cites the first child's signal.
        signal_id.get_or_insert(id);
        tally.signalled += 1;
    }
    if household.applies_for.is_empty() {
        return Ok((tally, forms));
    }
    let children: Vec<Value> = household
        .children
        .iter()
        .map(
            |child| json!({"kind": child.id, "geboortejaar": child.birth_year, "geboortemaand": 1}),
        )
        .collect();
    let application = platform
        .submit(
            code,
            &json!({
                "kanaal": household.channel,
                "huishouden": household.id,
                "kinderen": children,
                "inkomenPercentage": household.income_percent,
                "voorzieningen": household.applies_for,
                "signalering": signal_id,
                "datum": household.date,
            }),
        )
        .await
        .with_context(|| format!("an application in {code}"))?;
    count();
    tally.applied = household.children.len() as i64;
    let decided = if gemeente.individual {
        // Individual circumstances: regie weighs them and grants each child what was asked for
        // that its age fits.
        let rights: Vec<Value> = household
            .children
            .iter()
            .flat_map(|child| {
                let age = year.year - child.birth_year;
                household
                    .applies_for
                    .iter()
                    .filter_map(|wanted| gemeente.provisions.iter().find(|p| &p.code == wanted))
                    .filter(move |provision| {
                        (i32::from(provision.ages.0)..=i32::from(provision.ages.1)).contains(&age)
                    })
                    .map(move |provision| {
                        json!({
                            "kind": child.id,
                            "voorziening": provision.code,
                            "bedragCent": provision.value_cents,
                            "geldigVanaf": format!("{}-01-01", year.year),
                            "geldigTot": format!("{}-12-31", year.year),
                        })
                    })
            })
            .collect();
        let url = platform.application_url(code, &format!("aanvragen/{application}/toekenning"));
        let body = json!({ "rechten": rights });
        retry_while(
            || platform.post(&url, REGIE, &body),
            |answer| answer.detail().contains("geen regeling van kracht"),
        )
        .await?
        .expect(StatusCode::OK)?
    } else {
        platform
            .assess(code, application, &json!({"datum": household.date}))
            .await?
            .expect(StatusCode::OK)?
    };
    count();
    let rights = decided["rechten"].as_array().cloned().unwrap_or_default();
    for child in &household.children {
        let own = child.id.to_string();
        let mine: Vec<&Value> = rights
            .iter()
            .filter(|right| right["kind"].as_str() == Some(own.as_str()))
            .collect();
        if mine.is_empty() {
            continue;
        }
        tally.granted += 1;
        tally.rights += mine.len() as i64;
        let mut served = false;
        let mut used_rights = 0;
        for (wanted, used_on) in household.applies_for.iter().zip(&child.uses) {
            let Some(used_on) = used_on else { continue };
            let Some(provision) = gemeente.provisions.iter().find(|p| &p.code == wanted) else {
                continue;
            };
            let Some(right) = mine.iter().find(|r| r["voorziening"] == wanted.as_str()) else {
                continue;
            };
            let entitlement = Uuid::parse_str(right["id"].as_str().context("an entitlement id")?)?;
            let amount = right["bedragCent"].as_i64().context("an amount")?;
            if amount <= 0 {
                continue;
            }
            let use_ = Use {
                gemeente: code,
                partner: &provision.partner,
                entitlement,
                amount,
                date: used_on,
            };
            let delivered = match provision.form.as_str() {
                "in_natura" => deliver(platform, &use_).await?,
                "tegoedbon" => redeem(platform, &use_).await?,
                "korting" => {
                    let percent = provision
                        .discount_percent
                        .context("a discount's percentage")?;
                    give_discount(platform, &use_, percent).await?
                }
                "declaratie" => declare(platform, &use_, household.id).await?,
                other => bail!("a provision in {code} has an unknown form {other}"),
            };
            if delivered {
                for _ in 0..use_commands(&provision.form) {
                    count();
                }
                tally.deliveries += 1;
                tally.spent_cents += amount;
                used_rights += 1;
                served = true;
                forms.push(provision.form.as_str());
            }
        }
        if served {
            tally.served += 1;
        }
        let unused = mine.len() as i64 - used_rights;
        tally.rights_unused += unused;
        if unused > 0 {
            tally.children_unused += 1;
        }
    }
    Ok((tally, forms))
}

/// The quarters of the year, as invoice periods.
fn quarters(year: i32) -> [(String, String); 4] {
    [
        (format!("{year}-01-01"), format!("{year}-03-31")),
        (format!("{year}-04-01"), format!("{year}-06-30")),
        (format!("{year}-07-01"), format!("{year}-09-30")),
        (format!("{year}-10-01"), format!("{year}-12-31")),
    ]
}

/// Every delivering partner invoices each quarter of the year (what it delivered, redeemed and gave
/// as discount), and regie approves every line: the year's ledger then holds every use
/// ([`Tally::spent_cents`]). A quarter with nothing to invoice is skipped. `clients` partners at a
/// time; adds the commands to `report`.
pub async fn invoice_quarters(
    platform: &Kindpakket,
    year: &Year,
    clients: usize,
    report: &mut Report,
) -> Result<()> {
    let partners = year.gemeenten.iter().flat_map(|gemeente| {
        gemeente
            .partners
            .iter()
            .map(move |(partner, _, _)| (gemeente.code.as_str(), partner.as_str()))
    });
    let done = futures::stream::iter(partners)
        .map(|(gemeente, partner)| invoice_partner(platform, year.year, gemeente, partner))
        .buffer_unordered(clients.max(1))
        .collect::<Vec<_>>()
        .await;
    for commands in done {
        report.commands += commands?;
    }
    Ok(())
}

async fn invoice_partner(
    platform: &Kindpakket,
    year: i32,
    gemeente: &str,
    partner: &str,
) -> Result<u64> {
    let url = platform.provision_url(gemeente, "facturen");
    let who = crate::client::As {
        organisation: partner,
        role: "partner",
    };
    let mut commands = 0;
    for (from, until) in quarters(year) {
        let answer = platform
            .post(&url, who, &json!({"vanaf": from, "tot": until}))
            .await?;
        if answer.status == StatusCode::UNPROCESSABLE_ENTITY
            && answer.detail().contains("niets te factureren")
        {
            continue;
        }
        let what = format!("{partner}'s invoice of {from} in {gemeente}");
        let invoice = answer
            .expect(StatusCode::CREATED)
            .with_context(|| what.clone())?;
        commands += 1;
        let id = invoice["id"].as_str().context("an invoice id")?;
        let lines: Vec<Value> = invoice["regels"]
            .as_array()
            .context("an invoice's lines")?
            .iter()
            .map(|line| json!({"verstrekking": line["verstrekking"], "goedgekeurd": true}))
            .collect();
        let settled = platform
            .post(
                &format!("{url}/{id}/beoordeling"),
                REGIE,
                &json!({ "regels": lines }),
            )
            .await?;
        settled
            .expect(StatusCode::OK)
            .with_context(|| format!("the settlement of {what}"))?;
        commands += 1;
    }
    Ok(commands)
}

/// Regie closes the year in every gemeente (`jaarafsluiting` on 1 January of the next year): every
/// right of the year expires, and what was left unused is the dashboard's non-use figure. The
/// services' clocks must stand in the next year ([`crate::Platform::at_new_year`]); the provision
/// service's hourly sweep may expire some first, which changes nothing. Gives the commands.
pub async fn close_year(platform: &Kindpakket, year: &Year, clients: usize) -> Result<u64> {
    let day = format!("{}-01-01", year.year + 1);
    let done = futures::stream::iter(year.gemeenten.iter())
        .map(|gemeente| {
            let day = day.clone();
            async move {
                let url = platform.provision_url(&gemeente.code, "jaarafsluiting");
                let body = json!({ "peildatum": day });
                // A sweep expiring the same right at that moment: tried again.
                let answer = retry_while(
                    || platform.post(&url, REGIE, &body),
                    |answer| answer.status == StatusCode::CONFLICT,
                )
                .await?;
                let what = format!("the year end of {}", gemeente.code);
                answer
                    .expect(StatusCode::OK)
                    .with_context(|| what.clone())
                    .map(|_| 1)
            }
        })
        .buffer_unordered(clients.max(1))
        .collect::<Vec<Result<u64>>>()
        .await;
    done.into_iter().sum()
}

/// Repeats `send` while `waiting` holds for its answer (the services learn from each other's
/// streams a moment later), for up to a minute.
async fn retry_while<F, Fut>(
    mut send: F,
    waiting: impl Fn(&crate::client::Answer) -> bool,
) -> Result<crate::client::Answer>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<crate::client::Answer>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut pause = Duration::from_millis(20);
    loop {
        let answer = send().await?;
        if !waiting(&answer) || std::time::Instant::now() > deadline {
            return Ok(answer);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// One use of an entitlement: who serves it in which gemeente, for how much, on which day.
struct Use<'a> {
    gemeente: &'a str,
    partner: &'a str,
    /// The gemeente's id of the entitlement.
    entitlement: Uuid,
    amount: i64,
    date: &'a str,
}

/// A partner records a delivery in kind; the entitlement is opened from the grant a moment later
/// (the provision service reads the application stream), so a 404 or 403 is tried again.
async fn deliver(platform: &Kindpakket, use_: &Use<'_>) -> Result<bool> {
    let answer = retry_while(
        || {
            platform.deliver(
                use_.gemeente,
                use_.partner,
                use_.entitlement,
                use_.amount,
                use_.date,
            )
        },
        |answer| answer.status == StatusCode::NOT_FOUND || answer.status == StatusCode::FORBIDDEN,
    )
    .await?;
    let what = format!("a delivery in {}", use_.gemeente);
    answer
        .expect(StatusCode::CREATED)
        .with_context(|| what.clone())?;
    Ok(true)
}

/// Regie reads the code of the entitlement's pass (a voucher's or a discount right's), as it would
/// to hand the pass to the family; the pass is issued when the entitlement opens, a moment after
/// the grant.
async fn pass_code(platform: &Kindpakket, use_: &Use<'_>) -> Result<String> {
    let url = platform.provision_url(use_.gemeente, &format!("rechten/{}", use_.entitlement));
    let right = retry_while(
        || platform.get(&url, Some(REGIE)),
        |answer| {
            answer.status == StatusCode::NOT_FOUND || answer.body["passen"][0]["code"].is_null()
        },
    )
    .await?
    .expect(StatusCode::OK)?;
    Ok(right["passen"][0]["code"]
        .as_str()
        .context("the entitlement has a pass")?
        .to_owned())
}

/// The family shows the voucher's pass at the partner, who redeems it.
async fn redeem(platform: &Kindpakket, use_: &Use<'_>) -> Result<bool> {
    let pass = pass_code(platform, use_).await?;
    let redemption = json!({"bedragCent": use_.amount, "datum": use_.date});
    let answer = retry_while(
        || platform.redeem(use_.gemeente, use_.partner, &pass, &redemption),
        |answer| answer.status == StatusCode::FORBIDDEN,
    )
    .await?;
    let what = format!("a redemption in {}", use_.gemeente);
    answer
        .expect(StatusCode::CREATED)
        .with_context(|| what.clone())?;
    Ok(true)
}

/// The family shows the discount right's pass at the provider's till; the provider types the full
/// price of a purchase whose agreed discount is the whole entitlement. The agreement reaches the
/// provision service on the regie stream, so a till that hears of none yet (403) tries again.
async fn give_discount(platform: &Kindpakket, use_: &Use<'_>, percent: u8) -> Result<bool> {
    let pass = pass_code(platform, use_).await?;
    // The smallest full price whose discount (rounded down) covers the entitlement.
    let percent = i64::from(percent);
    let full_price = (use_.amount * 100 + percent - 1) / percent;
    let body = json!({
        "id": Uuid::new_v5(&use_.entitlement, b"korting"),
        "code": pass,
        "volledigePrijsCents": full_price,
        "datum": use_.date,
    });
    let who = crate::client::As {
        organisation: use_.partner,
        role: "partner",
    };
    let url = platform.provision_url(use_.gemeente, "kortingen");
    let answer = retry_while(
        || platform.post(&url, who, &body),
        |answer| answer.status == StatusCode::FORBIDDEN,
    )
    .await?;
    let what = format!("a discount in {}", use_.gemeente);
    let given = answer
        .expect(StatusCode::CREATED)
        .with_context(|| what.clone())?;
    if given["kortingCents"].as_i64() != Some(use_.amount) {
        bail!(
            "{what}: {given} is not the whole entitlement of {} cents",
            use_.amount
        );
    }
    Ok(true)
}

/// The parent declares a receipt for their household's entitlement (their login names the
/// household; the provision service knows the entitlement's household a moment after the grant, so
/// a 404 or 403 is tried again), and regie approves it.
async fn declare(platform: &Kindpakket, use_: &Use<'_>, household: Uuid) -> Result<bool> {
    let url = platform.provision_url(
        use_.gemeente,
        &format!("rechten/{}/declaraties", use_.entitlement),
    );
    let body = json!({
        "id": Uuid::new_v5(&use_.entitlement, b"declaratie"),
        "bedragCent": use_.amount,
        "bewijs": "kassabon",
        "datum": use_.date,
    });
    let answer = retry_while(
        || platform.post_as_parent(&url, household, &body),
        |answer| answer.status == StatusCode::NOT_FOUND || answer.status == StatusCode::FORBIDDEN,
    )
    .await?;
    let what = format!("a declaration in {}", use_.gemeente);
    let submitted = answer
        .expect(StatusCode::CREATED)
        .with_context(|| what.clone())?;
    let declaration = submitted["declaratie"]
        .as_str()
        .context("a declaration id")?;
    let decision = platform
        .post(
            &format!("{url}/{declaration}/beoordeling"),
            REGIE,
            &json!({"goedgekeurd": true}),
        )
        .await?;
    decision
        .expect(StatusCode::OK)
        .with_context(|| format!("the decision on {what}"))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_to_the_last_day_of_the_year_and_never_back() {
        use time::macros::date;
        assert_eq!(days_to_year_end(date!(2026 - 12 - 02)), 29);
        assert_eq!(days_to_year_end(date!(2026 - 12 - 31)), 0);
        assert_eq!(days_to_year_end(date!(2027 - 01 - 01)), 364);
        assert_eq!(days_to_year_end(date!(2028 - 01 - 01)), 365);
    }

    #[test]
    fn the_same_seed_draws_the_same_year_and_another_seed_another() {
        let size = Size {
            gemeenten: 5,
            fraction: 0.0002,
        };
        let first = plan(7, size, 2025);
        assert_eq!(first.digest(), plan(7, size, 2025).digest());
        assert_ne!(first.digest(), plan(8, size, 2025).digest());
    }

    #[test]
    fn a_year_has_every_gemeente_with_participation_households_of_one_to_three_and_its_peaks() {
        let year = plan(
            1,
            Size {
                gemeenten: 342,
                fraction: 0.02,
            },
            2025,
        );
        assert_eq!(year.gemeenten.len(), 342);
        assert!(year
            .gemeenten
            .iter()
            .all(|g| g.provisions.iter().any(|p| p.code == "sportcontributie")));
        let children = year.children() as f64;
        assert!((children - 8_400.0).abs() < 1_000.0, "{children} children");
        // Households of one, two and three children, about 1.75 a household.
        let households = year.households.len() as f64;
        assert!(
            (1.6..=1.9).contains(&(children / households)),
            "{children} children in {households} households"
        );
        for size in 1..=3 {
            assert!(year.households.iter().any(|h| h.children.len() == size));
        }
        assert!(year
            .households
            .iter()
            .all(|h| (1..=3).contains(&h.children.len())));
        let mut per_month = [0usize; 12];
        for household in &year.households {
            per_month[household.date[5..7].parse::<usize>().unwrap() - 1] +=
                household.children.len();
        }
        let quiet = per_month[0..6].iter().max().copied().unwrap();
        for peak in [7, 8, 11] {
            assert!(per_month[peak] > quiet, "{per_month:?}");
        }
        let individual = year.gemeenten.iter().filter(|g| g.individual).count();
        assert!((5..=45).contains(&individual), "{individual} individual");
    }
}

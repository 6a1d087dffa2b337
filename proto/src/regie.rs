//! Events of the regie service: the regeling (catalogue of provisions, income threshold), the
//! enrolment of partners, the routing of signals and the doelgroep (the children expected to be
//! eligible, the denominator of reach) and the wishes (what children, parents and partners miss in
//! the package, in fixed categories and never as free text).

use crate::money::Cents;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::ids::{GemeenteCode, OrganisationId, ProvisionCode, WijkCode};
use crate::schema::{contract_events, DateSchema};
use crate::subjects::Service;

contract_events!(
    /// Everything the regie service publishes.
    RegieEvent,
    Service::Regie,
    [
        RegelingPublished,
        RegelingEnded,
        PartnerEnrolled,
        PartnerEnrolmentEnded,
        RoutingSet,
        TargetGroupSet,
        WishSubmitted,
        DiscountAgreed,
        DiscountEnded
    ]
);

/// A regeling version came into force for one gemeente or a samenwerkingsverband of gemeenten.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegelingPublished {
    pub regeling_id: Uuid,
    /// The gemeenten the regeling covers (more than one for a samenwerkingsverband).
    pub gemeenten: Vec<GemeenteCode>,
    pub year: i32,
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    pub income_threshold: IncomeThreshold,
    pub provisions: Vec<Provision>,
    /// Thresholds that differ per age band (Rotterdam: 110% for ages 4–11, 130% for 12–17). A child in
    /// one of these bands is held to its percentage instead of `income_threshold`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds_by_age: Vec<AgeThreshold>,
    /// Above the threshold, a share of the value up to a higher income (Overijssel: half up to 120%).
    /// Bands in increasing order of `up_to_percent`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sliding_scale: Vec<ScaleBand>,
    /// Families above the threshold whose money left after fixed costs and debt repayments is below
    /// a margin per household member qualify too (Noordwest-Fryslân).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposable_income_rule: Option<DisposableIncomeRule>,
    /// The year's budgets per provision or type and funding source. A funder whose budget for a
    /// provision is spent is passed over for the next one in the provision's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<Budget>,
    /// The share of declarations drawn for a sample check (steekproef), in percent (0–100). Without
    /// it no sample can be drawn under this regeling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration_sample_percent: Option<u8>,
}

/// A regeling version ends earlier than it was published to: corrected by a successor that takes
/// over the next day (published as its own `RegelingPublished` right after this event), or ended
/// without one. The version itself does not change: a decision made under it stays reproducible and
/// the entitlements granted under it keep their amounts and dates. From the day after `valid_until`
/// no application is assessed under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegelingEnded {
    pub regeling_id: Uuid,
    /// The last day the version is in force (the day before the successor's `valid_from`).
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// The version that corrects it, when it was amended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<Uuid>,
}

/// Who pays for a provision, in the regeling's order of precedence (voorliggende voorziening first).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Funder {
    pub organisation: OrganisationId,
    pub source: FundingSource,
}

/// Where the money comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FundingSource {
    /// Rijksmiddelen (the cabinet's €85 million a year from 2017).
    National,
    /// Gemeentelijke fondsen.
    Municipal,
    /// Externe fondsen (Jeugdfonds Sport & Cultuur, Leergeld).
    ExternalFunds,
    /// Private partijen.
    Private,
}

/// A year's budget for one provision, or for all provisions of one type, from one funding source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Budget {
    /// The provision it is for; when absent, `provision_type` says which provisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<ProvisionCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision_type: Option<ProvisionType>,
    pub source: FundingSource,
    pub amount_cents: Cents,
}

impl Budget {
    /// Whether this budget pays for `provision`.
    pub fn covers(&self, provision: &Provision) -> bool {
        match (&self.provision, self.provision_type) {
            (Some(code), _) => code == &provision.code,
            (None, Some(provision_type)) => provision_type == provision.provision_type,
            (None, None) => false,
        }
    }
}

/// An income threshold for one age band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgeThreshold {
    pub ages: AgeBand,
    pub percent: u16,
}

/// Up to `up_to_percent` of the sociaal minimum, `share_percent` of the value is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScaleBand {
    pub up_to_percent: u16,
    pub share_percent: u8,
}

/// The margin of money left (per week, after fixed costs and debt repayments) below which a family
/// qualifies whatever its income: e.g. €180 for the first adult, €60 for a second, €50 per child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DisposableIncomeRule {
    pub first_adult_cents: Cents,
    pub second_adult_cents: Cents,
    pub per_child_cents: Cents,
}

/// Who qualifies by income.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncomeThreshold {
    /// Income up to this percentage of the sociaal minimum (110, 115, 120, 125 or 130).
    PercentOfSocialMinimum { percent: u16 },
    /// No fixed threshold: individual circumstances decide.
    IndividualCircumstances,
}

/// One provision in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Provision {
    pub code: ProvisionCode,
    /// The provision's name as families read it, e.g. "Sportcontributie".
    pub name: String,
    pub provision_type: ProvisionType,
    pub target_group: AgeBand,
    /// Value or yearly budget per child, in euro cents.
    pub value_cents: Cents,
    pub form: DeliveryForm,
    /// A group within the age band, e.g. only brugklassers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specific_group: Option<SpecificGroup>,
    /// Whether families may ask for this provision on its own, or only with the whole package.
    #[serde(default = "requestable_separately_by_default")]
    pub requestable_separately: bool,
    /// Who pays, first to last: the first whose budget has room funds a grant, and nobody else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funders: Vec<Funder>,
    /// A second funder that pays a fixed share of every euro spent on this provision, whoever funds
    /// the rest (co-financing, e.g. Leergeld pays half of a laptop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_financing: Option<CoFinancing>,
    /// A count instead of an amount (a strippenkaart of 10 swimming lessons): each unit is worth
    /// `value_cents / units`, and is spent whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u32>,
    /// Granted per household (a gezinstegoed, as the U-pas has it): `value_cents` is then the amount
    /// for the whole household, one entitlement that every qualifying child of an application may
    /// spend. A household provision is an amount, never a count (`units`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_household: bool,
}

impl Provision {
    /// The value of one unit, for a provision granted as a count.
    pub fn unit_value_cents(&self) -> Option<Cents> {
        self.units
            .filter(|units| *units > 0)
            .map(|units| Cents(self.value_cents.get() / i64::from(units)))
    }
}

/// A funder paying a fixed share of a provision's cost.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct CoFinancing {
    pub funder: Funder,
    /// 1–99: the co-funder's share of every amount spent.
    pub share_percent: u8,
}

impl CoFinancing {
    /// The co-funder's part of `amount_cents`, rounded down to the cent: the main funder pays the
    /// rest, so the two parts always add up to the amount exactly.
    pub fn part_of(&self, amount_cents: Cents) -> Cents {
        amount_cents.percent(u32::from(self.share_percent))
    }
}

/// One funder's part of an amount spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FundingPart {
    pub funder: Funder,
    pub amount_cents: Cents,
}

/// Splits an amount between the main funder and the co-funder, to the cent. Without a main funder
/// the gemeente's general means pay ([`Funder::gemeente`]).
pub fn split_funding(
    amount_cents: Cents,
    funder: Option<&Funder>,
    co_financing: Option<&CoFinancing>,
) -> Vec<FundingPart> {
    let main = funder.cloned().unwrap_or_else(Funder::gemeente);
    match co_financing {
        Some(co) if co.funder != main => {
            let co_part = co.part_of(amount_cents);
            vec![
                FundingPart {
                    funder: main,
                    amount_cents: amount_cents - co_part,
                },
                FundingPart {
                    funder: co.funder.clone(),
                    amount_cents: co_part,
                },
            ]
        }
        _ => vec![FundingPart {
            funder: main,
            amount_cents,
        }],
    }
}

impl Funder {
    /// The gemeente's general means: who pays when the regeling names no funder.
    pub fn gemeente() -> Self {
        Funder {
            organisation: OrganisationId::gemeente(),
            source: FundingSource::Municipal,
        }
    }
}

fn requestable_separately_by_default() -> bool {
    true
}

/// A target group narrower than an age band (study, schema 3.2: "specifieke doelgroep").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpecificGroup {
    /// First year of secondary school.
    Brugklas,
    /// Primary school pupils.
    PrimarySchool,
    /// Secondary school pupils.
    SecondarySchool,
    /// Mbo students under 18.
    MboUnder18,
}

/// The six types of provision of the study (schema 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionType {
    /// Maatschappelijke participatie: sport, culture.
    Participation,
    /// School: supplies, laptop, school trip.
    School,
    /// Vervoer: bike, public transport.
    Transport,
    /// Levensonderhoud: clothes, shoes.
    Subsistence,
    /// Overig: birthday box, library pass, ID card.
    Other,
    /// Bijzondere omstandigheden.
    SpecialCircumstances,
}

/// The ages a provision is meant for, both ends inclusive (0–17, 4–12, 12–17, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgeBand {
    pub min_age: u8,
    pub max_age: u8,
}

/// How a provision reaches the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryForm {
    /// In natura: the partner pays the club, school or shop directly.
    InKind,
    /// Korting at the provider.
    Discount,
    /// Tegoedbon or pas: Kinderpas, strippenkaart, fashioncheque.
    Voucher,
    /// Declaratie against a receipt.
    Declaration,
}

/// What an enrolled partner may do for the provisions it is enrolled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerRole {
    Signal,
    TakeApplications,
    Decide,
    Deliver,
}

/// A partner organisation was enrolled in a gemeente's Kindpakket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartnerEnrolled {
    pub partner: OrganisationId,
    /// The organisation's public name, e.g. "Stichting Leergeld Den Haag" (never a person's name).
    pub name: String,
    pub provisions: Vec<ProvisionCode>,
    pub roles: Vec<PartnerRole>,
    #[schemars(with = "DateSchema")]
    pub enrolled_on: Date,
    /// The limits within which the partner may decide applications (with the `decide` role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate: Option<Mandate>,
}

/// What a partner may decide on the gemeente's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Mandate {
    /// The provisions it may grant.
    pub provisions: Vec<ProvisionCode>,
    /// The largest amount it may grant for one child and provision, in cents.
    pub max_amount_cents: Cents,
    /// Whether it may grant outside the rules (maatwerk).
    pub custom_decisions: bool,
}

/// A partner's enrolment ended; it may no longer act for the gemeente.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartnerEnrolmentEnded {
    pub partner: OrganisationId,
    #[schemars(with = "DateSchema")]
    pub ended_on: Date,
}

/// The regievoerder set a gemeente's routing table: who receives a signal of which provision type (in
/// which wijk), and within how many working days they must answer. Each set replaces the whole
/// table before it. A provision type without a route goes to the gemeente's loket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RoutingSet {
    pub gemeente: GemeenteCode,
    /// 1 for the gemeente's first table, one more for each table after it.
    pub version: u32,
    pub routes: Vec<Route>,
    #[schemars(with = "DateSchema")]
    pub set_on: Date,
}

/// One route: signals of `provision_type` (in `wijk`, or in every wijk without a route of its own
/// when `wijk` is absent) go `to` the loket or a partner, who must answer within `response_days`
/// working days (`kindpakket_platform::calendar`). At most one route per (type, wijk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Route {
    pub provision_type: ProvisionType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wijk: Option<WijkCode>,
    pub to: RouteTarget,
    /// Working days, 1 to 60.
    pub response_days: u8,
}

/// Who receives the signals of a route: `"loket"` or `{"partner": "<organisation>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RouteTarget {
    /// The gemeente's loket.
    Loket,
    /// An enrolled partner, for a provision type it is enrolled for.
    Partner(OrganisationId),
}

impl RoutingSet {
    /// The route a signal of `provision_type` in `wijk` takes: the route of that wijk, else the route
    /// for every wijk, else none (the loket, with no response time set by regie).
    pub fn route_for(
        &self,
        provision_type: ProvisionType,
        wijk: Option<&WijkCode>,
    ) -> Option<&Route> {
        let of_type = || {
            self.routes
                .iter()
                .filter(move |route| route.provision_type == provision_type)
        };
        wijk.and_then(|wijk| of_type().find(|route| route.wijk.as_ref() == Some(wijk)))
            .or_else(|| of_type().find(|route| route.wijk.is_none()))
    }
}

/// The regievoerder set a gemeente's doelgroep for a year: how many children are expected to be
/// eligible, per wijk and age band, from the gemeente's own income data or a CBS estimate. It is the
/// denominator of reach (children served against children expected): an estimate about a
/// population, never about a child. Each set replaces the year's whole table before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TargetGroupSet {
    pub gemeente: GemeenteCode,
    pub year: i32,
    /// 1 for the year's first table, one more for each table after it. A consumer keeps the highest.
    pub version: u32,
    /// At most one row per (wijk, age band), ordered by wijk (the whole gemeente first) and age band.
    pub rows: Vec<TargetGroupRow>,
    pub source: TargetGroupSource,
    #[schemars(with = "DateSchema")]
    pub set_on: Date,
}

impl TargetGroupSet {
    /// The children expected in the whole gemeente: the sum of every row.
    pub fn children(&self) -> u64 {
        self.rows.iter().map(|row| u64::from(row.children)).sum()
    }
}

/// Children expected to be eligible in one wijk (absent: the whole gemeente, or the children whose
/// wijk is not known) and one age band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TargetGroupRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wijk: Option<WijkCode>,
    pub age_band: TargetAgeBand,
    /// 0 to 1,000,000.
    pub children: u32,
}

/// The age bands reach is counted in (the dashboard's age bands of an application's child).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum TargetAgeBand {
    #[serde(rename = "0-3")]
    UpTo3,
    #[serde(rename = "4-11")]
    From4To11,
    #[serde(rename = "12-17")]
    From12To17,
}

impl TargetAgeBand {
    pub const ALL: [TargetAgeBand; 3] = [Self::UpTo3, Self::From4To11, Self::From12To17];

    /// Its name, as on the bus and in the figures: `0-3`, `4-11` or `12-17`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpTo3 => "0-3",
            Self::From4To11 => "4-11",
            Self::From12To17 => "12-17",
        }
    }
}

/// Where the expected numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetGroupSource {
    /// The gemeente's own income data (e.g. its BRP and its benefits administration).
    OwnIncomeData,
    /// An estimate of the CBS (Statistics Netherlands).
    CbsEstimate,
}

/// Someone sent in what the package lacks for a child: one category, and who says so. A wish has
/// no free text on purpose: a text could name a child or a family, and an event cannot be erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WishSubmitted {
    pub wish_id: Uuid,
    pub gemeente: GemeenteCode,
    pub category: WishCategory,
    pub from: WishSource,
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
}

/// What a wish asks for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WishCategory {
    Sport,
    CultureMusic,
    SwimmingLessons,
    SchoolSupplies,
    LaptopInternet,
    ClothingShoes,
    Bicycle,
    OutingsHolidays,
    Birthday,
    Other,
}

impl WishCategory {
    pub const ALL: [WishCategory; 10] = [
        Self::Sport,
        Self::CultureMusic,
        Self::SwimmingLessons,
        Self::SchoolSupplies,
        Self::LaptopInternet,
        Self::ClothingShoes,
        Self::Bicycle,
        Self::OutingsHolidays,
        Self::Birthday,
        Self::Other,
    ];
}

/// Whose wish it is: the child's own (entered on its behalf), or what a parent, a partner, a school
/// or a wijkteam sees missing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WishSource {
    Child,
    Parent,
    Partner,
    School,
    Wijkteam,
}

impl WishSource {
    pub const ALL: [WishSource; 5] = [
        Self::Child,
        Self::Parent,
        Self::Partner,
        Self::School,
        Self::Wijkteam,
    ];
}

/// Regie agreed a standing discount (korting) with an enrolled provider for one provision: a pass
/// holder pays `percent` less of the full price, at most `max_per_purchase_cents` a purchase, and
/// the discount given is spent against the child's entitlement for that provision (form
/// `discount`). A later agreement for the same partner and provision replaces this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiscountAgreed {
    pub partner: OrganisationId,
    pub provision: ProvisionCode,
    /// 1 to 100.
    pub percent: u8,
    /// The largest discount on one purchase, in cents; no cap per purchase when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_purchase_cents: Option<Cents>,
    #[schemars(with = "DateSchema")]
    pub agreed_on: Date,
}

/// A standing discount ended: the provider gives no discount for this provision from now on (also
/// when its enrolment ends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiscountEnded {
    pub partner: OrganisationId,
    pub provision: ProvisionCode,
    #[schemars(with = "DateSchema")]
    pub ended_on: Date,
}

#[cfg(test)]
mod routing_tests {
    use super::*;

    fn route(provision_type: ProvisionType, wijk: Option<&str>, to: RouteTarget) -> Route {
        Route {
            provision_type,
            wijk: wijk.map(|code| WijkCode::parse(code).unwrap()),
            to,
            response_days: 5,
        }
    }

    #[test]
    fn a_wijk_route_wins_over_the_route_for_every_wijk() {
        let leergeld = RouteTarget::Partner(OrganisationId::parse("leergeld").unwrap());
        let set = RoutingSet {
            gemeente: GemeenteCode::parse("GM0518").unwrap(),
            version: 1,
            routes: vec![
                route(ProvisionType::Participation, None, RouteTarget::Loket),
                route(
                    ProvisionType::Participation,
                    Some("WK051801"),
                    leergeld.clone(),
                ),
            ],
            set_on: time::macros::date!(2026 - 01 - 05),
        };
        let wijk = WijkCode::parse("WK051801").unwrap();
        let other = WijkCode::parse("WK051802").unwrap();
        let to = |wijk| {
            set.route_for(ProvisionType::Participation, wijk)
                .map(|r| r.to.clone())
        };
        assert_eq!(to(Some(&wijk)), Some(leergeld));
        assert_eq!(to(Some(&other)), Some(RouteTarget::Loket));
        assert_eq!(to(None), Some(RouteTarget::Loket));
        assert_eq!(set.route_for(ProvisionType::School, Some(&wijk)), None);
    }

    #[test]
    fn a_route_target_reads_as_loket_or_a_partner() {
        assert_eq!(
            serde_json::to_value(RouteTarget::Loket).unwrap(),
            serde_json::json!("loket")
        );
        let partner = RouteTarget::Partner(OrganisationId::parse("leergeld").unwrap());
        assert_eq!(
            serde_json::to_value(&partner).unwrap(),
            serde_json::json!({"partner": "leergeld"})
        );
        assert_eq!(
            serde_json::from_value::<RouteTarget>(serde_json::json!({"partner": "leergeld"}))
                .unwrap(),
            partner
        );
    }
}

#[cfg(test)]
mod target_group_tests {
    use super::*;

    #[test]
    fn a_target_group_reads_with_its_age_bands_by_name_and_sums_its_rows() {
        let set: TargetGroupSet = serde_json::from_value(serde_json::json!({
            "gemeente": "GM0518", "year": 2026, "version": 1, "source": "cbs_estimate",
            "set_on": "2026-01-05",
            "rows": [
                {"age_band": "0-3", "children": 20},
                {"wijk": "WK051801", "age_band": "4-11", "children": 120},
                {"wijk": "WK051801", "age_band": "12-17", "children": 40}
            ]
        }))
        .unwrap();
        assert_eq!(set.rows[0].wijk, None);
        assert_eq!(set.rows[1].age_band, TargetAgeBand::From4To11);
        assert_eq!(set.children(), 180);
        for band in TargetAgeBand::ALL {
            assert_eq!(serde_json::to_value(band).unwrap(), band.as_str());
        }
    }
}

//! The funnel: how many children were signalled, applied for, granted and served, per gemeente and
//! per partner. Counted in distinct (pseudonymous) children, never listed: no query here returns a
//! child reference.
//!
//! The steps, each a count of distinct children:
//! - `gesignaleerd`: children in a signal;
//! - `aangevraagd`: children in a submitted application, whatever became of it;
//! - `toegekend`: children with at least one entitlement, whether the grant (application stream) or
//!   the opened entitlement (provision stream) arrived first; both write the same row;
//! - `bediend`: children with at least one delivery. A delivery is always against an entitlement
//!   opened earlier on the same aggregate, so `bediend` never exceeds `toegekend`.
//!
//! The read model is counted into tallies ([`StepTally`], [`PartnerTally`], [`NonUseTally`]: plain
//! numbers, never shown), and every tally becomes figures ([`Counts`], [`PartnerFigures`],
//! [`NonUse`], [`Funnel`]) only through a [`Disclosure`] policy: exact for regie and the auditor,
//! without small cells for the overleg ([`disclosure`]). [`queries`] reads the tables.

pub mod disclosure;
pub mod queries;

pub use disclosure::{Disclosure, Exact, Overleg};
pub use queries::{for_gemeente, overview};

use kindpakket_proto::{Cents, GemeenteCode};
use schemars::JsonSchema;
use serde::Serialize;

/// The four steps as counted, in children, before disclosure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct StepTally {
    pub signalled: i64,
    pub applied: i64,
    pub granted: i64,
    pub served: i64,
}

/// One partner's figures in one gemeente as counted, before disclosure.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PartnerTally {
    /// The partner's organisation code.
    pub partner: String,
    /// The partner's public name; its code while its enrolment has not reached the dashboard yet.
    pub name: String,
    /// Children served by this partner.
    pub children_served: i64,
    /// Deliveries, redemptions and approved declarations of this partner.
    pub deliveries: i64,
    pub amount_cents: i64,
    /// Signals that referred a family to this partner.
    pub referrals: i64,
}

/// Entitlements that expired in one gemeente, as counted, before disclosure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct NonUseTally {
    pub expired: i64,
    /// Expired without anything spent on them.
    pub expired_unused: i64,
    /// Children with at least one entitlement that expired unused.
    pub children_unused: i64,
    pub unused_cents: i64,
}

impl StepTally {
    /// The four steps, in their order.
    pub const fn new(signalled: i64, applied: i64, granted: i64, served: i64) -> Self {
        Self {
            signalled,
            applied,
            granted,
            served,
        }
    }
}

/// The four steps and the usage, counted in children, as reader `D` may see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(bound = "")]
#[schemars(rename = "Counts{D}")]
pub struct Counts<D: Disclosure> {
    #[serde(rename = "gesignaleerd")]
    pub signalled: D::Count,
    #[serde(rename = "aangevraagd")]
    pub applied: D::Count,
    #[serde(rename = "toegekend")]
    pub granted: D::Count,
    #[serde(rename = "bediend")]
    pub served: D::Count,
    /// Served as a share of granted children, in whole percent; none when nobody was granted, or
    /// when either count is hidden.
    #[serde(rename = "gebruikPercentage")]
    pub usage_percentage: Option<i64>,
}

impl<D: Disclosure> Counts<D> {
    /// The steps as `D` may see them; the usage only from counts `D` sees.
    pub fn disclose(tally: StepTally) -> Self {
        let granted = D::count(tally.granted);
        let served = D::count(tally.served);
        Self {
            signalled: D::count(tally.signalled),
            applied: D::count(tally.applied),
            granted,
            served,
            usage_percentage: D::shown(granted)
                .zip(D::shown(served))
                .and_then(|(granted, served)| usage_percentage(served, granted)),
        }
    }
}

impl<D: Disclosure> Counts<D> {
    /// The totals of `parts` (secondary suppression): each step hidden where any part's is, since
    /// the total minus the shown parts would tell the hidden one; the usage with it.
    pub fn hidden_where_a_part_is<'a>(
        self,
        parts: impl Iterator<Item = &'a Counts<D>> + Clone,
    ) -> Self {
        let step = |count: D::Count, of: fn(&Counts<D>) -> D::Count| {
            if parts.clone().any(|part| D::shown(of(part)).is_none()) {
                D::hide(count)
            } else {
                count
            }
        };
        let granted = step(self.granted, |part| part.granted);
        let served = step(self.served, |part| part.served);
        Self {
            signalled: step(self.signalled, |part| part.signalled),
            applied: step(self.applied, |part| part.applied),
            granted,
            served,
            usage_percentage: self
                .usage_percentage
                .filter(|_| D::shown(granted).is_some() && D::shown(served).is_some()),
        }
    }
}

/// One gemeente's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(bound = "")]
#[schemars(rename = "Funnel{D}")]
pub struct Funnel<D: Disclosure> {
    /// The CBS code, e.g. `GM0518`.
    pub gemeente: GemeenteCode,
    #[serde(flatten)]
    pub counts: Counts<D>,
    pub partners: Vec<PartnerFigures<D>>,
    /// What expired unused at the year end: the outreach list of the next year.
    #[serde(rename = "nietGebruikt")]
    pub non_use: NonUse<D>,
    /// What was reclaimed after sample checks of declarations.
    #[serde(rename = "terugvorderingen")]
    pub reclaims: Reclaims<D>,
}

/// Reclaims decided in one gemeente, as counted, before disclosure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ReclaimTally {
    pub reclaims: i64,
    pub amount_cents: i64,
}

/// Reclaims after sample checks: how many, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(bound = "")]
#[schemars(rename = "Reclaims{D}")]
pub struct Reclaims<D: Disclosure> {
    #[serde(rename = "aantal")]
    pub count: D::Count,
    /// Reclaimed in total; hidden with a small number of reclaims.
    #[serde(rename = "bedragCent")]
    pub amount_cents: D::Amount,
}

impl<D: Disclosure> Reclaims<D> {
    pub fn disclose(tally: ReclaimTally) -> Self {
        let count = D::count(tally.reclaims);
        Self {
            count,
            amount_cents: D::amount(Cents::new(tally.amount_cents), count),
        }
    }
}

impl<D: Disclosure> Funnel<D> {
    /// A gemeente where nothing happened yet.
    pub fn empty(gemeente: GemeenteCode) -> Self {
        Self {
            gemeente,
            counts: Counts::disclose(StepTally::default()),
            partners: Vec::new(),
            non_use: NonUse::disclose(NonUseTally::default()),
            reclaims: Reclaims::disclose(ReclaimTally::default()),
        }
    }
}

/// Entitlements that expired, and what was left on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(bound = "")]
#[schemars(rename = "NonUse{D}")]
pub struct NonUse<D: Disclosure> {
    #[serde(rename = "vervallenRechten")]
    pub expired: D::Count,
    /// Expired without anything spent on them.
    #[serde(rename = "rechtenZonderGebruik")]
    pub expired_unused: D::Count,
    /// Children with at least one entitlement that expired unused.
    #[serde(rename = "kinderenZonderGebruik")]
    pub children_unused: D::Count,
    /// Left unused on the expired entitlements; hidden with the children without use.
    #[serde(rename = "ongebruiktCent")]
    pub unused_cents: D::Amount,
}

impl<D: Disclosure> NonUse<D> {
    pub fn disclose(tally: NonUseTally) -> Self {
        let children_unused = D::count(tally.children_unused);
        Self {
            expired: D::count(tally.expired),
            expired_unused: D::count(tally.expired_unused),
            children_unused,
            unused_cents: D::amount(Cents::new(tally.unused_cents), children_unused),
        }
    }
}

/// One partner's figures in one gemeente.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(bound = "")]
#[schemars(rename = "PartnerFigures{D}")]
pub struct PartnerFigures<D: Disclosure> {
    /// The partner's organisation code, e.g. `leergeld-den-haag`.
    pub partner: String,
    /// The partner's public name; its code while its enrolment has not reached the dashboard yet.
    #[serde(rename = "naam")]
    pub name: String,
    /// Children served by this partner.
    #[serde(rename = "bediend")]
    pub children_served: D::Count,
    #[serde(rename = "verstrekkingen")]
    pub deliveries: D::Count,
    /// What this partner's deliveries were worth; hidden with the children it served.
    #[serde(rename = "bedragCent")]
    pub amount_cents: D::Amount,
    /// Signals that referred a family to this partner.
    #[serde(rename = "doorverwezen")]
    pub referrals: D::Count,
}

impl<D: Disclosure> PartnerFigures<D> {
    pub fn disclose(tally: PartnerTally) -> Self {
        let children_served = D::count(tally.children_served);
        Self {
            partner: tally.partner,
            name: tally.name,
            children_served,
            deliveries: D::count(tally.deliveries),
            amount_cents: D::amount(Cents::new(tally.amount_cents), children_served),
            referrals: D::count(tally.referrals),
        }
    }
}

/// Every gemeente's funnel, and the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview<D: Disclosure> {
    pub gemeenten: Vec<Funnel<D>>,
    /// Across all gemeenten; a child known in two gemeenten counts once.
    pub total: Counts<D>,
}

/// Served as a whole percentage of granted, rounded half up; none when nobody was granted.
pub fn usage_percentage(served: i64, granted: i64) -> Option<i64> {
    (granted > 0).then(|| (served * 200 + granted) / (granted * 2))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    #[test]
    fn usage_is_served_over_granted_rounded_half_up() {
        assert_eq!(usage_percentage(1, 1), Some(100));
        assert_eq!(usage_percentage(2, 3), Some(67));
        assert_eq!(usage_percentage(1, 3), Some(33));
        assert_eq!(usage_percentage(1, 8), Some(13), "12.5 rounds up");
        assert_eq!(usage_percentage(1, 200), Some(1), "0.5 rounds up");
        assert_eq!(usage_percentage(1, 201), Some(0));
        assert_eq!(usage_percentage(0, 5), Some(0));
    }

    #[test]
    fn a_total_is_hidden_from_the_overleg_wherever_a_gemeentes_step_is() {
        let tally = |signalled, applied, granted, served| StepTally {
            signalled,
            applied,
            granted,
            served,
        };
        let parts = [
            Counts::<Overleg>::disclose(tally(3, 8, 6, 6)),
            Counts::<Overleg>::disclose(tally(20, 12, 10, 2)),
        ];
        let total =
            Counts::<Overleg>::disclose(tally(23, 20, 16, 8)).hidden_where_a_part_is(parts.iter());
        assert_eq!(total.signalled, None, "23 minus 20 would tell the 3");
        assert_eq!(total.applied, Some(20));
        assert_eq!(total.granted, Some(16));
        assert_eq!(total.served, None, "8 minus 6 would tell the 2");
        assert_eq!(total.usage_percentage, None, "nor from the usage");
        // Regie sees every figure: nothing of its is ever hidden.
        let exact = [Counts::<Exact>::disclose(tally(3, 8, 6, 6))];
        let total =
            Counts::<Exact>::disclose(tally(23, 20, 16, 8)).hidden_where_a_part_is(exact.iter());
        assert_eq!((total.signalled, total.served), (23, 8));
        assert_eq!(total.usage_percentage, Some(50));
    }

    #[test]
    fn usage_is_absent_when_nobody_was_granted() {
        assert_eq!(usage_percentage(0, 0), None);
        let counts = Counts::<Exact>::disclose(StepTally {
            signalled: 3,
            applied: 2,
            granted: 0,
            served: 0,
        });
        assert_eq!(counts.usage_percentage, None);
        let json = serde_json::to_value(counts).unwrap();
        assert!(
            json["gebruikPercentage"].is_null(),
            "shown as null, not left out: {json}"
        );
    }

    fn funnel<D: Disclosure>() -> Funnel<D> {
        Funnel {
            gemeente: gemeente(),
            counts: Counts::disclose(StepTally {
                signalled: 12,
                applied: 7,
                granted: 6,
                served: 3,
            }),
            partners: vec![
                PartnerFigures::disclose(PartnerTally {
                    partner: "leergeld".to_owned(),
                    name: "Stichting Leergeld".to_owned(),
                    children_served: 2,
                    deliveries: 2,
                    amount_cents: 7_550,
                    referrals: 0,
                }),
                PartnerFigures::disclose(PartnerTally {
                    partner: "jeugdfonds".to_owned(),
                    name: "Jeugdfonds".to_owned(),
                    children_served: 5,
                    deliveries: 9,
                    amount_cents: 90_000,
                    referrals: 6,
                }),
            ],
            non_use: NonUse::disclose(NonUseTally {
                expired: 1,
                expired_unused: 1,
                children_unused: 1,
                unused_cents: 2_500,
            }),
            reclaims: Reclaims::disclose(ReclaimTally {
                reclaims: 2,
                amount_cents: 1_234,
            }),
        }
    }

    #[test]
    fn a_funnel_reads_as_dutch_json_with_its_counts_beside_the_gemeente() {
        let json = serde_json::to_value(funnel::<Exact>()).unwrap();
        assert_eq!(
            json,
            json!({
                "gemeente": "GM0518",
                "gesignaleerd": 12, "aangevraagd": 7, "toegekend": 6, "bediend": 3,
                "gebruikPercentage": 50,
                "partners": [
                    {"partner": "leergeld", "naam": "Stichting Leergeld", "bediend": 2,
                     "verstrekkingen": 2, "bedragCent": 7_550, "doorverwezen": 0},
                    {"partner": "jeugdfonds", "naam": "Jeugdfonds", "bediend": 5,
                     "verstrekkingen": 9, "bedragCent": 90_000, "doorverwezen": 6}
                ],
                "nietGebruikt": {"vervallenRechten": 1, "rechtenZonderGebruik": 1,
                                 "kinderenZonderGebruik": 1, "ongebruiktCent": 2_500},
                "terugvorderingen": {"aantal": 2, "bedragCent": 1_234}
            })
        );
    }

    #[test]
    fn small_counts_and_what_would_reveal_them_are_hidden_from_the_overleg_and_the_rest_is_kept() {
        let figures = serde_json::to_value(funnel::<Overleg>()).unwrap();
        assert_eq!(
            figures,
            json!({
                "gemeente": "GM0518",
                "gesignaleerd": 12, "aangevraagd": 7, "toegekend": 6, "bediend": null,
                "gebruikPercentage": null,
                "partners": [
                    {"partner": "leergeld", "naam": "Stichting Leergeld", "bediend": null,
                     "verstrekkingen": null, "bedragCent": null, "doorverwezen": 0},
                    {"partner": "jeugdfonds", "naam": "Jeugdfonds", "bediend": 5,
                     "verstrekkingen": 9, "bedragCent": 90_000, "doorverwezen": 6}
                ],
                "nietGebruikt": {"vervallenRechten": null, "rechtenZonderGebruik": null,
                                 "kinderenZonderGebruik": null, "ongebruiktCent": null},
                "terugvorderingen": {"aantal": null, "bedragCent": null}
            })
        );
    }

    /// Every number in the JSON, wherever it is.
    fn numbers(value: &Value, found: &mut Vec<i64>) {
        match value {
            Value::Number(number) => found.extend(number.as_i64()),
            Value::Array(items) => items.iter().for_each(|item| numbers(item, found)),
            Value::Object(fields) => fields.values().for_each(|field| numbers(field, found)),
            _ => {}
        }
    }

    #[test]
    fn no_figure_of_the_overleg_escapes_the_policy() {
        // Every tally small: whatever field the figures have, none may show a number then. A field
        // added as a plain number instead of a `D::Count` or `D::Amount` fails here.
        for small in 1..disclosure::SMALL_CELL_THRESHOLD {
            let funnel = Funnel::<Overleg> {
                gemeente: gemeente(),
                counts: Counts::disclose(StepTally {
                    signalled: small,
                    applied: small,
                    granted: small,
                    served: small,
                }),
                partners: vec![PartnerFigures::disclose(PartnerTally {
                    partner: "leergeld".to_owned(),
                    name: "Stichting Leergeld".to_owned(),
                    children_served: small,
                    deliveries: small,
                    amount_cents: small,
                    referrals: small,
                })],
                non_use: NonUse::disclose(NonUseTally {
                    expired: small,
                    expired_unused: small,
                    children_unused: small,
                    unused_cents: small,
                }),
                reclaims: Reclaims::disclose(ReclaimTally {
                    reclaims: small,
                    amount_cents: small,
                }),
            };
            let mut shown = Vec::new();
            numbers(&serde_json::to_value(&funnel).unwrap(), &mut shown);
            assert_eq!(shown, Vec::<i64>::new(), "{small}: {funnel:?}");
        }
    }

    #[test]
    fn an_empty_gemeente_has_zeros_and_no_usage() {
        let funnel = Funnel::<Exact>::empty(GemeenteCode::parse("GM0014").unwrap());
        assert_eq!(funnel.counts.signalled, 0);
        assert_eq!(funnel.counts.served, 0);
        assert_eq!(funnel.counts.usage_percentage, None);
        assert!(funnel.partners.is_empty());
        let for_the_overleg = Funnel::<Overleg>::empty(GemeenteCode::parse("GM0014").unwrap());
        assert_eq!(for_the_overleg.counts.signalled, Some(0), "zero is shown");
    }
}

//! An application as a reader sees it. What it says about the household — the income, each
//! outcome's share and explanation, a maatwerk motivation, the reasons of a rejection or withdrawal
//! — is opened from its seal for each answer; once the household is forgotten those fields are
//! `null` and `gegevens` reads `vergeten`: an answer, never an error. An organisation (partner,
//! signaller) reads children, household and entitlements under its own pseudonyms
//! ([`crate::pseudonyms`]).

use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::vocabulary::FundingSourceDto;
use kindpakket_platform::shredding::{Opened, Sealed};
use kindpakket_proto::regie::Funder;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{
    Cents, ChildRef, GemeenteCode, HouseholdRef, OrganisationId, ProvisionCode,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::domain::application::taken::{ConsentForm, GezagSource, Taken};
use crate::domain::application::{
    Application, Decision, DecisionDetails, RejectionReason, Status, NOTHING_GRANTED,
};
use crate::domain::eligibility::AssessmentInputs;
use crate::overview::Listed;
use crate::pseudonyms::{Pseudonyms, Reader};
use crate::sealing::Sealer;

dutch_enum!(
    /// How the application came in.
    ChannelDto <=> kindpakket_proto::application::Channel {
        Loket = "loket",
        Online = "online",
        Partner = "partner",
        Wijkteam = "wijkteam",
        Cjg = "cjg",
    }
);

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum StatusDto {
    #[serde(rename = "ingediend")]
    Submitted,
    #[serde(rename = "toegekend")]
    Granted,
    #[serde(rename = "afgewezen")]
    Rejected,
    #[serde(rename = "ingetrokken")]
    Withdrawn,
}

/// Whether what the application says about the household can still be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum DataDto {
    #[serde(rename = "leesbaar")]
    Readable,
    /// The household was forgotten (erased, or its retention ended): its income, the
    /// explanations, the motivation and the reasons are gone for good; those fields are `null`.
    #[serde(rename = "vergeten")]
    Forgotten,
}

/// An application and its decision.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub gemeente: GemeenteCode,
    pub status: StatusDto,
    /// `leesbaar`, or `vergeten` once the household was forgotten: then the income, shares,
    /// explanations, motivation and reasons read `null`.
    #[serde(rename = "gegevens")]
    pub data: DataDto,
    #[serde(rename = "kanaal")]
    pub channel: ChannelDto,
    #[serde(rename = "namens")]
    pub on_behalf_of: Option<OrganisationId>,
    /// The household: to the gemeente and the family its id, to an organisation its own reference
    /// of it (`platform::reference`).
    #[serde(rename = "huishouden")]
    pub household: String,
    #[serde(rename = "kinderen")]
    pub children: Vec<ChildView>,
    /// `null` once the household was forgotten.
    #[serde(rename = "inkomenPercentage")]
    pub income_percent: Option<u16>,
    /// The provisions asked for; empty for the whole package.
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionCode>,
    #[serde(rename = "signalering")]
    pub signal_id: Option<Uuid>,
    #[serde(rename = "ingediendOp")]
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
    /// When it was decided or withdrawn.
    #[serde(rename = "besluitOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub decided_on: Option<Date>,
    /// `null` when not rejected, or once the household was forgotten.
    #[serde(rename = "redenAfwijzing")]
    pub rejection_reason: Option<String>,
    /// `null` when none was given, or once the household was forgotten.
    #[serde(rename = "redenIntrekking")]
    pub withdrawal_reason: Option<String>,
    #[serde(rename = "rechten")]
    pub entitlements: Vec<EntitlementView>,
    /// How it was assessed by the regeling, when it was.
    #[serde(rename = "beoordeling")]
    pub assessment: Option<AssessmentView>,
    /// How it was taken: by the parent (perhaps helped by an organisation) or on the family's
    /// behalf, with consent and gezag; `null` for applications from before this was recorded.
    #[serde(rename = "ingenomen")]
    pub taken: Option<TakenView>,
}

/// How an application was taken. Who the worker was (`medewerker`, `gecontroleerdDoor`: their
/// login's subject) reads only the gemeente and the organisation that took it; others read `null`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "door")]
pub enum TakenView {
    /// The parent under their own login.
    #[serde(rename = "ouder")]
    ByParent {
        /// The organisation that helped, if one did.
        #[serde(rename = "geholpenDoor")]
        assisted_by: Option<OrganisationId>,
    },
    /// An intermediary on the family's behalf.
    #[serde(rename = "intermediair")]
    OnBehalf {
        #[serde(rename = "organisatie")]
        organisation: OrganisationId,
        #[serde(rename = "rol")]
        role: String,
        #[serde(rename = "medewerker")]
        worker: Option<String>,
        #[serde(rename = "toestemming")]
        consent: ConsentView,
        #[serde(rename = "gezag")]
        gezag: GezagView,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConsentView {
    #[serde(rename = "gegeven")]
    pub given: bool,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub given_on: Date,
    /// `mondeling`, `schriftelijk` or `digitaal`.
    #[serde(rename = "vorm")]
    pub form: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct GezagView {
    /// The applicant declared to have gezag.
    #[serde(rename = "verklaard")]
    pub declared: bool,
    #[serde(rename = "gecontroleerdDoor")]
    pub checked_by: Option<String>,
    /// When it was checked (RFC 3339).
    #[serde(rename = "gecontroleerdOp")]
    pub checked_at: String,
    /// `verklaring` (the applicant's declaration), or `brp` (a lookup; not built yet).
    #[serde(rename = "bron")]
    pub source: String,
}

impl TakenView {
    /// `taken` as `reader` may read it: the worker only to the gemeente and to the organisation
    /// that took it.
    pub fn of(taken: Taken, reader: &Reader) -> Self {
        match taken {
            Taken::ByParent { assisted_by } => TakenView::ByParent { assisted_by },
            Taken::OnBehalf(on_behalf) => {
                let sees_worker = match reader {
                    Reader::AsThey => true,
                    Reader::Organisation(organisation) => {
                        *organisation == on_behalf.taken_by.organisation
                    }
                };
                let form = match on_behalf.consent.form {
                    ConsentForm::Oral => "mondeling",
                    ConsentForm::Written => "schriftelijk",
                    ConsentForm::Digital => "digitaal",
                };
                let source = match on_behalf.gezag.source {
                    GezagSource::Declaration => "verklaring",
                    GezagSource::Brp => "brp",
                };
                TakenView::OnBehalf {
                    organisation: on_behalf.taken_by.organisation,
                    role: on_behalf.taken_by.role,
                    worker: sees_worker.then_some(on_behalf.taken_by.subject),
                    consent: ConsentView {
                        given: on_behalf.consent.given,
                        given_on: on_behalf.consent.given_on,
                        form: form.to_owned(),
                    },
                    gezag: GezagView {
                        declared: on_behalf.gezag.declared,
                        checked_by: sees_worker.then_some(on_behalf.gezag.checked_by),
                        checked_at: on_behalf
                            .gezag
                            .checked_at
                            .format(&time::format_description::well_known::Rfc3339)
                            .unwrap_or_default(),
                        source: source.to_owned(),
                    },
                }
            }
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChildView {
    /// The child: to the gemeente and the family its id, to an organisation its own reference of it.
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "geboortejaar")]
    pub birth_year: i32,
    #[serde(rename = "geboortemaand")]
    pub birth_month: u8,
}

/// One child's right to one provision.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EntitlementView {
    /// The entitlement; to a partner its own id of it (as in the provision service).
    pub id: Uuid,
    /// The child, as in `kinderen`.
    #[serde(rename = "kind")]
    pub child: String,
    /// For a household budget (gezinstegoed): every child who shares it, as in `kinderen`; absent
    /// for one child's right.
    #[serde(rename = "gezinskinderen", skip_serializing_if = "Vec::is_empty")]
    pub household_children: Vec<String>,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
}

/// The regeling version applied (the decision is reproducible from it while the household's key
/// lives) and the outcome per child and provision.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AssessmentView {
    pub regeling: Uuid,
    /// Whether the regievoerder granted by hand (`/toekenning`): the amounts are its choice, each
    /// outcome's reason is `granted_by_hand`.
    #[serde(rename = "handmatig")]
    pub by_hand: bool,
    /// Whether maatwerk granted outside the rules.
    #[serde(rename = "maatwerk")]
    pub custom: bool,
    /// `null` once the household was forgotten.
    #[serde(rename = "inkomenPercentage")]
    pub income_percent: Option<u16>,
    /// `null` without maatwerk, or once the household was forgotten.
    #[serde(rename = "maatwerkMotivatie")]
    pub custom_motivation: Option<String>,
    #[serde(rename = "uitkomsten")]
    pub outcomes: Vec<OutcomeView>,
}

/// One child and one provision: granted or not, how much, and why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OutcomeView {
    /// The child, as in `kinderen`.
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "toegekend")]
    pub granted: bool,
    /// `null` once the household was forgotten.
    #[serde(rename = "aandeelPercentage")]
    pub share_percent: Option<u8>,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// A stable code for the reason (e.g. `within_threshold`).
    #[serde(rename = "reden")]
    pub reason: String,
    /// The reason in plain Dutch, as the family reads it; `null` once the household was forgotten.
    #[serde(rename = "uitleg")]
    pub explanation: Option<String>,
    /// Who pays, when granted.
    #[serde(rename = "financier")]
    pub funder: Option<FunderView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FunderView {
    #[serde(rename = "organisatie")]
    pub organisation: OrganisationId,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
}

/// One application in a list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationSummary {
    pub id: Uuid,
    pub status: StatusDto,
    #[serde(rename = "kanaal")]
    pub channel: Option<ChannelDto>,
    #[serde(rename = "namens")]
    pub on_behalf_of: Option<String>,
    /// The household (to an organisation its own reference of it); `null` once it was forgotten.
    #[serde(rename = "huishouden")]
    pub household: Option<String>,
    #[serde(rename = "aantalKinderen")]
    pub children: i32,
    #[serde(rename = "ingediendOp")]
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
    #[serde(rename = "besluitOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub decided_on: Option<Date>,
}

impl From<Status> for StatusDto {
    fn from(status: Status) -> Self {
        match status {
            Status::Submitted => StatusDto::Submitted,
            Status::Granted => StatusDto::Granted,
            Status::Rejected => StatusDto::Rejected,
            Status::Withdrawn => StatusDto::Withdrawn,
        }
    }
}

impl From<Funder> for FunderView {
    fn from(funder: Funder) -> Self {
        FunderView {
            organisation: funder.organisation,
            source: funder.source.into(),
        }
    }
}

/// What an application's seals hold, opened; `None` where the household was forgotten (or there
/// was nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unsealed {
    pub inputs: Option<AssessmentInputs>,
    pub details: Option<DecisionDetails>,
    pub rejection_reason: Option<String>,
    pub withdrawal_reason: Option<String>,
    /// Whether any seal opened to "forgotten".
    pub forgotten: bool,
}

impl Unsealed {
    /// Opens what `application` keeps sealed.
    pub async fn of(application: &Application, sealer: &Sealer) -> anyhow::Result<Self> {
        let mut unsealed = Unsealed::default();
        if let Some(submitted) = &application.submitted {
            unsealed.inputs = unsealed.open(sealer, &submitted.inputs).await?;
        }
        if let Some(decision) = &application.decision {
            unsealed.details = unsealed.open(sealer, &decision.details).await?;
        }
        match &application.rejection {
            Some(RejectionReason::Written(reason)) => {
                unsealed.rejection_reason = unsealed.open(sealer, reason).await?;
            }
            Some(RejectionReason::NothingGranted) => {
                unsealed.rejection_reason = Some(NOTHING_GRANTED.to_owned());
            }
            None => {}
        }
        if let Some(reason) = &application.withdrawal_reason {
            unsealed.withdrawal_reason = unsealed.open(sealer, reason).await?;
        }
        Ok(unsealed)
    }

    async fn open<T: DeserializeOwned>(
        &mut self,
        sealer: &Sealer,
        sealed: &Sealed<T>,
    ) -> anyhow::Result<Option<T>> {
        Ok(match sealer.open(sealed).await? {
            Opened::Value(value) => Some(value),
            Opened::Forgotten => {
                self.forgotten = true;
                None
            }
        })
    }
}

impl ApplicationView {
    /// The view of a submitted application of `gemeente` as `reader` reads it; `None` before it was
    /// submitted.
    pub fn of(
        gemeente: GemeenteCode,
        application: Application,
        unsealed: Unsealed,
        reader: &Reader,
        pseudonyms: &Pseudonyms,
    ) -> Option<Self> {
        let submitted = application.submitted?;
        let child = |child: ChildRef| pseudonyms.child(reader, child);
        Some(ApplicationView {
            id: submitted.application_id,
            gemeente,
            status: application.status.unwrap_or(Status::Submitted).into(),
            data: if unsealed.forgotten {
                DataDto::Forgotten
            } else {
                DataDto::Readable
            },
            channel: submitted.channel.into(),
            on_behalf_of: submitted.on_behalf_of,
            household: pseudonyms.household(reader, submitted.household),
            children: submitted
                .children
                .into_iter()
                .map(|applicant| ChildView {
                    child: child(applicant.child),
                    birth_year: applicant.birth_year,
                    birth_month: applicant.birth_month,
                })
                .collect(),
            income_percent: unsealed.inputs.as_ref().map(|inputs| inputs.income_percent),
            provisions: submitted.requested_provisions,
            signal_id: submitted.signal_id,
            submitted_on: submitted.submitted_on,
            decided_on: application.decided_on,
            rejection_reason: unsealed.rejection_reason,
            withdrawal_reason: unsealed.withdrawal_reason,
            entitlements: application
                .entitlements
                .into_iter()
                .map(|entitlement| EntitlementView {
                    id: pseudonyms.entitlement(reader, entitlement.entitlement_id),
                    child: child(entitlement.child),
                    household_children: entitlement
                        .household_children
                        .iter()
                        .map(|member| child(*member))
                        .collect(),
                    provision: entitlement.provision,
                    amount_cents: entitlement.amount_cents,
                    valid_from: entitlement.valid_from,
                    valid_until: entitlement.valid_until,
                })
                .collect(),
            assessment: application
                .decision
                .map(|decision| assessment_view(decision, unsealed.details.as_ref(), &child)),
            taken: submitted.taken.map(|taken| TakenView::of(taken, reader)),
        })
    }
}

fn assessment_view(
    decision: Decision,
    details: Option<&DecisionDetails>,
    child: &impl Fn(ChildRef) -> String,
) -> AssessmentView {
    AssessmentView {
        regeling: decision.regeling_id,
        by_hand: decision.by_hand,
        custom: decision.custom,
        income_percent: details.map(|details| details.inputs.income_percent),
        custom_motivation: details.and_then(|details| details.custom_motivation.clone()),
        outcomes: decision
            .outcomes
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| {
                let sealed = details.and_then(|details| details.outcomes.get(index));
                OutcomeView {
                    child: child(outcome.child),
                    provision: outcome.provision,
                    granted: outcome.granted,
                    share_percent: sealed.map(|sealed| sealed.share_percent),
                    amount_cents: outcome.amount_cents,
                    reason: outcome.reason,
                    explanation: sealed.map(|sealed| sealed.explanation.clone()),
                    funder: outcome.funder.map(Into::into),
                }
            })
            .collect(),
    }
}

impl ApplicationSummary {
    /// A listed application as `reader` reads it: an organisation its own reference of the
    /// household.
    pub fn of(listed: Listed, reader: &Reader, pseudonyms: &Pseudonyms) -> Self {
        let household = listed
            .household
            .map(|household| pseudonyms.household(reader, HouseholdRef(household)));
        ApplicationSummary {
            id: listed.application_id,
            status: match listed.status.as_str() {
                "granted" => StatusDto::Granted,
                "rejected" => StatusDto::Rejected,
                "withdrawn" => StatusDto::Withdrawn,
                _ => StatusDto::Submitted,
            },
            channel: serde_json::from_value::<kindpakket_proto::application::Channel>(
                serde_json::Value::String(listed.channel),
            )
            .ok()
            .map(Into::into),
            on_behalf_of: listed.organisation,
            household,
            children: listed.children,
            submitted_on: listed.submitted_on,
            decided_on: listed.decided_on,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::application::{DecidedOutcome, OutcomeDetails, Submitted};
    use kindpakket_proto::application::{ApplicantChild, Channel, GrantedEntitlement, SchoolLevel};
    use kindpakket_proto::regie::FundingSource;
    use serde_json::json;
    use time::macros::date;

    fn household() -> Uuid {
        Uuid::from_u128(6)
    }

    fn decided() -> Application {
        let child = ChildRef(Uuid::from_u128(11));
        let sport = ProvisionCode::parse("sportcontributie").unwrap();
        let funder = Funder {
            organisation: OrganisationId::parse("jeugdfonds-sport-cultuur").unwrap(),
            source: FundingSource::ExternalFunds,
        };
        let inputs = AssessmentInputs {
            income_percent: 115,
            adults: Some(2),
            money_left_cents: Some(Cents(30_000)),
        };
        let details = DecisionDetails {
            inputs: inputs.clone(),
            outcomes: vec![
                OutcomeDetails {
                    share_percent: 100,
                    explanation: "U krijgt het.".to_owned(),
                },
                OutcomeDetails {
                    share_percent: 0,
                    explanation: "Te oud.".to_owned(),
                },
            ],
            custom_motivation: None,
        };
        Application {
            gemeente: Some(GemeenteCode::parse("GM0518").unwrap()),
            submitted: Some(Submitted {
                application_id: Uuid::from_u128(5),
                household: HouseholdRef(household()),
                channel: Channel::Partner,
                on_behalf_of: Some(OrganisationId::parse("leergeld-den-haag").unwrap()),
                children: vec![ApplicantChild {
                    child,
                    birth_year: 2016,
                    birth_month: 5,
                    school: Some(SchoolLevel::Primary),
                }],
                requested_provisions: vec![sport.clone()],
                signal_id: None,
                submitted_on: date!(2026 - 09 - 01),
                inputs: Sealer::plain_sealed(household(), &inputs),
                taken: None,
            }),
            status: Some(Status::Granted),
            entitlements: vec![GrantedEntitlement {
                entitlement_id: Uuid::from_u128(9),
                child,
                provision: sport.clone(),
                amount_cents: Cents(25_000),
                valid_from: date!(2026 - 01 - 01),
                valid_until: date!(2026 - 12 - 31),
                funder: Some(funder.clone()),
                co_financing: None,
                form: None,
                unit_value_cents: None,
                household_children: vec![],
            }],
            rejection: None,
            withdrawal_reason: None,
            decided_on: Some(date!(2026 - 09 - 10)),
            decision: Some(Decision {
                regeling_id: Uuid::from_u128(2026),
                outcomes: vec![
                    DecidedOutcome {
                        child,
                        provision: sport.clone(),
                        granted: true,
                        amount_cents: Cents(25_000),
                        reason: "within_threshold".to_owned(),
                        funder: Some(funder),
                    },
                    DecidedOutcome {
                        child,
                        provision: ProvisionCode::parse("zwemles").unwrap(),
                        granted: false,
                        amount_cents: Cents::ZERO,
                        reason: "outside_age_band".to_owned(),
                        funder: None,
                    },
                ],
                custom: false,
                by_hand: false,
                details: Sealer::plain_sealed(household(), &details),
            }),
        }
    }

    fn pseudonyms() -> Pseudonyms {
        Pseudonyms::new(b"a pseudonym key for the view tests".to_vec())
    }

    async fn view(application: Application, sealer: &Sealer, reader: &Reader) -> serde_json::Value {
        let unsealed = Unsealed::of(&application, sealer).await.unwrap();
        let gemeente = GemeenteCode::parse("GM0518").unwrap();
        serde_json::to_value(
            ApplicationView::of(gemeente, application, unsealed, reader, &pseudonyms()).unwrap(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn an_application_reads_with_its_sealed_fields_opened() {
        let view = view(decided(), &Sealer::plain(), &Reader::AsThey).await;
        assert_eq!(
            view,
            json!({
                "id": Uuid::from_u128(5),
                "gemeente": "GM0518",
                "status": "toegekend",
                "gegevens": "leesbaar",
                "kanaal": "partner",
                "namens": "leergeld-den-haag",
                "huishouden": household(),
                "kinderen": [{"kind": Uuid::from_u128(11), "geboortejaar": 2016, "geboortemaand": 5}],
                "inkomenPercentage": 115,
                "voorzieningen": ["sportcontributie"],
                "signalering": null,
                "ingediendOp": "2026-09-01",
                "besluitOp": "2026-09-10",
                "redenAfwijzing": null,
                "redenIntrekking": null,
                "ingenomen": null,
                "rechten": [{
                    "id": Uuid::from_u128(9),
                    "kind": Uuid::from_u128(11),
                    "voorziening": "sportcontributie",
                    "bedragCent": 25000,
                    "geldigVanaf": "2026-01-01",
                    "geldigTot": "2026-12-31",
                }],
                "beoordeling": {
                    "regeling": Uuid::from_u128(2026),
                    "handmatig": false,
                    "maatwerk": false,
                    "inkomenPercentage": 115,
                    "maatwerkMotivatie": null,
                    "uitkomsten": [{
                        "kind": Uuid::from_u128(11),
                        "voorziening": "sportcontributie",
                        "toegekend": true,
                        "aandeelPercentage": 100,
                        "bedragCent": 25000,
                        "reden": "within_threshold",
                        "uitleg": "U krijgt het.",
                        "financier": {"organisatie": "jeugdfonds-sport-cultuur", "bron": "externe_fondsen"},
                    }, {
                        "kind": Uuid::from_u128(11),
                        "voorziening": "zwemles",
                        "toegekend": false,
                        "aandeelPercentage": 0,
                        "bedragCent": 0,
                        "reden": "outside_age_band",
                        "uitleg": "Te oud.",
                        "financier": null,
                    }],
                },
            })
        );
    }

    #[tokio::test]
    async fn a_forgotten_household_reads_as_forgotten_with_its_codes_and_amounts() {
        let sealer = Sealer::plain();
        sealer.forget(household());
        let view = view(decided(), &sealer, &Reader::AsThey).await;
        assert_eq!(view["gegevens"], "vergeten");
        assert_eq!(view["inkomenPercentage"], json!(null));
        let assessment = &view["beoordeling"];
        assert_eq!(assessment["inkomenPercentage"], json!(null));
        assert_eq!(assessment["uitkomsten"][0]["uitleg"], json!(null));
        assert_eq!(
            assessment["uitkomsten"][0]["aandeelPercentage"],
            json!(null)
        );
        assert_eq!(assessment["uitkomsten"][0]["reden"], "within_threshold");
        assert_eq!(assessment["uitkomsten"][0]["bedragCent"], 25000);
    }

    #[tokio::test]
    async fn a_partner_reads_children_households_and_entitlements_under_its_own_ids() {
        let leergeld = Reader::Organisation(OrganisationId::parse("leergeld-den-haag").unwrap());
        let jeugdfonds = Reader::Organisation(OrganisationId::parse("jeugdfonds").unwrap());
        let sealer = Sealer::plain();
        let a = view(decided(), &sealer, &leergeld).await;
        let b = view(decided(), &sealer, &jeugdfonds).await;
        let gemeente = view(decided(), &sealer, &Reader::AsThey).await;
        for pointer in [
            "/huishouden",
            "/kinderen/0/kind",
            "/rechten/0/id",
            "/rechten/0/kind",
            "/beoordeling/uitkomsten/0/kind",
        ] {
            assert_ne!(a.pointer(pointer), gemeente.pointer(pointer), "{pointer}");
            assert_ne!(a.pointer(pointer), b.pointer(pointer), "{pointer}");
        }
        assert_eq!(
            a.pointer("/kinderen/0/kind"),
            a.pointer("/beoordeling/uitkomsten/0/kind"),
            "one child, one pseudonym for one partner"
        );
        let text = a.to_string();
        for id in [household(), Uuid::from_u128(11), Uuid::from_u128(9)] {
            assert!(!text.contains(&id.to_string()), "{id} in {text}");
        }
    }

    #[tokio::test]
    async fn an_undecided_application_has_nulls_where_the_decision_goes() {
        let application = Application {
            status: Some(Status::Submitted),
            entitlements: vec![],
            decided_on: None,
            decision: None,
            ..decided()
        };
        let view = view(application, &Sealer::plain(), &Reader::AsThey).await;
        assert_eq!(view["status"], "ingediend");
        assert_eq!(view["besluitOp"], json!(null));
        assert_eq!(view["beoordeling"], json!(null));
        assert_eq!(view["rechten"], json!([]));
        assert!(ApplicationView::of(
            GemeenteCode::parse("GM0518").unwrap(),
            Application::default(),
            Unsealed::default(),
            &Reader::AsThey,
            &pseudonyms(),
        )
        .is_none());
    }
}

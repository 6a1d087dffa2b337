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
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, HouseholdRef, OrganisationId, ProvisionCode};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use time::Date;
use uuid::Uuid;

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
    /// The household; to a partner its own pseudonym of it.
    #[serde(rename = "huishouden")]
    pub household: HouseholdRef,
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
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChildView {
    /// The child; to a partner its own pseudonym of it.
    #[serde(rename = "kind")]
    pub child: ChildRef,
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
    #[serde(rename = "kind")]
    pub child: ChildRef,
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
    #[serde(rename = "kind")]
    pub child: ChildRef,
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

/// The applications a reader may list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationList {
    #[serde(rename = "aanvragen")]
    pub applications: Vec<ApplicationSummary>,
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
    /// The household (to a partner its own pseudonym of it); `null` once it was forgotten.
    #[serde(rename = "huishouden")]
    pub household: Option<HouseholdRef>,
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
                    provision: entitlement.provision,
                    amount_cents: entitlement.amount_cents,
                    valid_from: entitlement.valid_from,
                    valid_until: entitlement.valid_until,
                })
                .collect(),
            assessment: application
                .decision
                .map(|decision| assessment_view(decision, unsealed.details.as_ref(), &child)),
        })
    }
}

fn assessment_view(
    decision: Decision,
    details: Option<&DecisionDetails>,
    child: &impl Fn(ChildRef) -> ChildRef,
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
    /// A listed application as `reader` reads it: an organisation its own pseudonym of the household
    /// (it lists only what it took in, of which the overview keeps that pseudonym).
    pub fn of(listed: Listed, reader: &Reader) -> Self {
        let household = match reader {
            Reader::AsThey => listed.household,
            Reader::Organisation(_) => listed.household_pseudonym,
        };
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
            household: household.map(HouseholdRef),
            children: listed.children,
            submitted_on: listed.submitted_on,
            decided_on: listed.decided_on,
        }
    }
}

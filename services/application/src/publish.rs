//! Stored events to the shared contract, for the relay: the application's plain parts (codes,
//! amounts, children by pseudonym) and the subjects' erasures and rectifications. Nothing sealed is
//! published: the inputs, shares, explanations, motivations and reasons stay in this service's store.

use kindpakket_platform::relay::{by_aggregate_type, translator, Translator};
use kindpakket_proto::application::{
    ApplicationEvent as Contract, ApplicationGranted, ApplicationRejected, ApplicationSubmitted,
    ApplicationWithdrawn, Assessment, Outcome, SubjectForgotten, SubjectRectified,
};

use crate::domain::application::{Application, ApplicationEvent, Decision};
use crate::domain::subject::{Subject, SubjectEvent};

pub fn to_contract(event: ApplicationEvent) -> Contract {
    match event {
        ApplicationEvent::Submitted { application, .. } => {
            Contract::ApplicationSubmitted(ApplicationSubmitted {
                application_id: application.application_id,
                household: application.household,
                channel: application.channel,
                on_behalf_of: application.on_behalf_of,
                children: application.children,
                requested_provisions: application.requested_provisions,
                signal_id: application.signal_id,
                submitted_on: application.submitted_on,
            })
        }
        ApplicationEvent::Granted(granted) => Contract::ApplicationGranted(ApplicationGranted {
            application_id: granted.application_id,
            entitlements: granted.entitlements,
            decided_on: granted.decided_on,
            assessment: granted.assessment.map(assessment),
        }),
        ApplicationEvent::Rejected(rejected) => {
            Contract::ApplicationRejected(ApplicationRejected {
                application_id: rejected.application_id,
                decided_on: rejected.decided_on,
                assessment: rejected.assessment.map(assessment),
            })
        }
        ApplicationEvent::Withdrawn(withdrawn) => {
            Contract::ApplicationWithdrawn(ApplicationWithdrawn {
                application_id: withdrawn.application_id,
                withdrawn_on: withdrawn.withdrawn_on,
            })
        }
    }
}

/// A decision as others need to know it: the regeling version and the outcomes as codes.
fn assessment(decision: Decision) -> Assessment {
    Assessment {
        regeling_id: decision.regeling_id,
        outcomes: decision
            .outcomes
            .into_iter()
            .map(|outcome| Outcome {
                child: outcome.child,
                provision: outcome.provision,
                granted: outcome.granted,
                amount_cents: outcome.amount_cents,
                reason: outcome.reason,
                funder: outcome.funder,
            })
            .collect(),
        custom: decision.custom,
        by_hand: decision.by_hand,
    }
}

pub fn subject_to_contract(event: SubjectEvent) -> Contract {
    match event {
        SubjectEvent::Forgotten {
            subject,
            kind,
            why,
            forgotten_on,
            ..
        } => Contract::SubjectForgotten(SubjectForgotten {
            subject,
            kind,
            why,
            forgotten_on,
        }),
        SubjectEvent::Rectified {
            subject,
            kind,
            rectified_on,
            ..
        } => Contract::SubjectRectified(SubjectRectified {
            subject,
            kind,
            rectified_on,
        }),
    }
}

pub fn contract_translator() -> Translator {
    use cqrs_es::Aggregate;
    by_aggregate_type(vec![
        (Application::TYPE, translator(to_contract)),
        (Subject::TYPE, translator(subject_to_contract)),
    ])
}

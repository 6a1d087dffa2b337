//! The provision API: every endpoint declared once, in [`routes`]; who may call it, what it takes
//! and what it answers follow from its handler's types. Handlers map a request onto a command or a
//! use-case ([`crate::invoicing`], [`crate::sampling`], [`crate::year_end`]) and its result onto an
//! answer; what a partner or a parent may see is [`crate::access`]'s. The work lists are in
//! `lists`.

mod campaigns;
mod discounts;
mod entitlements;
mod feed;
mod finance;
mod invoices;
mod lists;
mod passes;
pub mod proofs;
mod reclaims;
mod samples;

use std::sync::Arc;

use aide::axum::routing::{get_with, post_with, put_with};
use aide::axum::ApiRouter;
pub use kindpakket_platform::http::vocabulary::{
    DeliveryFormDto, FundingSourceDto, ProvisionTypeDto,
};
use kindpakket_platform::http::{refused, ApiDescription, ApiError};
use kindpakket_platform::roles;
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_platform::store::{AggregateStore, LoadError, Tenanted};
use kindpakket_proto::GemeenteCode;
use sqlx::PgPool;
use uuid::Uuid;

use crate::access::Pseudonyms;
use crate::domain::campaign::Campaign;
use crate::domain::entitlement::Entitlement;
use crate::domain::invoice::Invoice;
use crate::domain::sample::SampleDraw;
use crate::notes::NoteError;

/// What the handlers work with: the three aggregates' stores, the database for the read models and
/// the history, the partners' pseudonyms, and the children's keys that seal what is written about
/// them.
#[derive(Clone)]
pub struct AppState {
    pub entitlements: Arc<AggregateStore<Entitlement>>,
    pub invoices: Arc<AggregateStore<Invoice>>,
    pub samples: Arc<AggregateStore<SampleDraw>>,
    pub campaigns: Arc<AggregateStore<Campaign>>,
    pub pool: PgPool,
    pub pseudonyms: Pseudonyms,
    pub keys: SubjectKeys,
    /// The largest proof document accepted (`KINDPAKKET_PROOF_MAX_BYTES`).
    pub proof_max_bytes: usize,
    /// A few connections of their own for the locks that serialise uploads of one declaration's
    /// proof ([`proofs::attach`]): a lock holder then never waits for a connection that waiting
    /// uploads hold.
    pub proof_locks: PgPool,
}

roles!(
    /// Who reads entitlements, invoices and statements (a partner only its own share of them).
    pub Readers = [Partner, Regievoerder, Auditor]
);
roles!(
    /// Who delivers, redeems passes and invoices: the partners.
    pub Partners = [Partner]
);
roles!(
    /// What only the gemeente's regie does: passes, decisions, settlements, the year end.
    pub Regie = [Regievoerder]
);
roles!(
    /// Who declares: a partner for what it paid, the gemeente's loket for a parent's receipt, and a
    /// parent for their own household's entitlement.
    pub Declarants = [Partner, Regievoerder, Applicant]
);
roles!(
    /// Who reads one entitlement: a partner what it serves, regie and the auditor, a parent their
    /// household's.
    pub EntitlementReaders = [Partner, Regievoerder, Auditor, Applicant]
);
roles!(
    /// Who looks up a pass by its code: the provider at the till, and regie.
    pub PassReaders = [Partner, Regievoerder]
);
roles!(
    /// Who controls the money: regie and the auditor (samples, the ledger).
    pub Control = [Regievoerder, Auditor]
);
roles!(
    /// Who reads the budgets to the cent: regie and the auditor. Not the overleg: exact amounts beside
    /// its hidden small counts would tell them (what one child got is an amount); it is to see them
    /// with disclosure control on the dashboard.
    pub BudgetReaders = [Regievoerder, Auditor]
);

pub const DESCRIPTION: ApiDescription = ApiDescription {
    title: "Kindpakket — verstrekking en afrekening",
    description: "Rechten, verstrekkingen, passen en tegoedbonnen, declaraties met steekproef, facturen, grootboek en budgetten.",
};

pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten",
            get_with(lists::list_entitlements, |op| {
                op.summary("De rechten die u mag zien, per pagina, met wat er nog over is")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}",
            get_with(entitlements::get_entitlement, |op| {
                op.summary("Een recht, met wat er nog over is")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/declaraties",
            get_with(lists::list_declarations, |op| {
                op.summary("De declaraties die u mag zien, per pagina; regie: te beoordelen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/verstrekkingen",
            post_with(entitlements::record_delivery, |op| {
                op.summary("Een verstrekking in natura of een korting vastleggen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/passen",
            post_with(entitlements::issue_pass, |op| {
                op.summary("Een pas of tegoedbon uitgeven")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/passen/{pas}/blokkering",
            post_with(entitlements::block_pass, |op| {
                op.summary("Een pas blokkeren, eventueel met een nieuwe pas")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties",
            post_with(entitlements::submit_declaration, |op| {
                op.summary("Een declaratie met bewijs indienen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties/{declaratie}/beoordeling",
            post_with(entitlements::decide_declaration, |op| {
                op.summary("Een declaratie goedkeuren of afwijzen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/passen/opvragen",
            post_with(passes::look_up_pass, |op| {
                op.summary("Saldo en status van een pas, met de code in de body")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/verzilveringen",
            post_with(passes::redeem, |op| {
                op.summary("Een pas of tegoedbon (deels) verzilveren, met de code in de body")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/facturen",
            post_with(invoices::submit_invoice, |op| {
                op.summary("Een periode factureren")
            })
            .get_with(lists::list_invoices, |op| {
                op.summary("De facturen die u mag zien, per pagina; regie: af te handelen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/facturen/{id}",
            get_with(invoices::get_invoice, |op| {
                op.summary("Een factuur met haar regels")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/facturen/{id}/beoordeling",
            post_with(invoices::settle_invoice, |op| {
                op.summary("Regels van een factuur goed- of afkeuren")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/steekproeven",
            post_with(samples::draw, |op| {
                op.summary("Een steekproef van declaraties trekken")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/steekproeven/{id}",
            get_with(samples::get_sample, |op| {
                op.summary("Een steekproef, reproduceerbaar")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/steekproeven/{id}/controles",
            post_with(samples::record_check, |op| {
                op.summary("De uitkomst van een controle vastleggen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/campagnes",
            post_with(campaigns::start, |op| {
                op.summary("Een herinneringscampagne starten voor toegekende rechten die nog niet gebruikt zijn")
            })
            .get_with(campaigns::list, |op| {
                op.summary("De campagnes met hun aantal rechten")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/herinneringen",
            get_with(campaigns::reminders, |op| {
                op.summary("De herinneringen van de campagnes die u verstuurt: de gezinnen waarvoor u aanvroeg, per pagina (`aantal`, `na`)")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/jaarafsluiting",
            post_with(finance::year_end, |op| {
                op.summary("Het jaar afsluiten: afgelopen rechten vervallen")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/grootboek/{jaar}",
            get_with(finance::get_ledger, |op| {
                op.summary("Het grootboek over alle financiers")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/budgetten/{jaar}",
            get_with(finance::get_budgets, |op| {
                op.summary("Budgetten: toegekend, vastgelegd en besteed")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/partners/{partner}/afrekeningen/{jaar}/{kwartaal}",
            get_with(finance::get_statement, |op| {
                op.summary("De afrekening van een partner over een kwartaal")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/kortingen",
            post_with(discounts::give, |op| {
                op.summary("Aan de kassa korting geven op een kortingspas, met de code en de volledige prijs in de body")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/facturen/{id}/creditnotas",
            post_with(invoices::credit, |op| {
                op.summary("Afgekeurde regels van een eigen factuur crediteren (creditnota)")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties/{declaratie}/bewijs",
            put_with(proofs::attach, |op| {
                op.summary("Het bewijsstuk (pdf, jpeg of png) bij een declaratie toevoegen of vervangen, zolang er niet over besloten is")
            })
            .get_with(proofs::download, |op| {
                op.summary("Het bewijsstuk van een declaratie downloaden (regie en de controller)")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/steekproeven/{id}/terugvorderingen",
            post_with(reclaims::decide, |op| {
                op.summary("Terugvorderen wat betaald is voor een getrokken declaratie die niet in orde was")
            }),
        )
        .api_route(
            "/api/v1/gemeenten/{gemeente}/feed",
            get_with(feed::read_feed, |op| {
                op.summary("De gebeurtenissen die een partner aangaan, als CloudEvents, vanaf een positie")
            }),
        )
}

impl From<NoteError> for ApiError {
    fn from(error: NoteError) -> Self {
        match error {
            NoteError::Refused(refusal) => refused(&refusal),
            NoteError::Forgotten(forgotten) => refused(&forgotten),
            NoteError::Technical(cause) => ApiError::internal(format!("{cause:#}")),
        }
    }
}

/// [`AggregateStore::load_in`], answering "not found" in this API's own words (which never repeat the
/// id the caller sent).
async fn load_in<A>(
    store: &AggregateStore<A>,
    gemeente: &GemeenteCode,
    id: Uuid,
    unknown: fn() -> ApiError,
) -> Result<A, ApiError>
where
    A: Tenanted,
    A::Command: Clone,
{
    store
        .load_in(gemeente, id)
        .await
        .map_err(|error| match error {
            LoadError::NotFound(_) => unknown(),
            technical @ LoadError::Technical(_) => ApiError::from(technical),
        })
}

#[cfg(test)]
mod tests;

//! A small client of the platform's HTTP APIs, speaking as the organisations of the flow do.
//! The end-to-end tests and the demo loader use it; it knows nothing the APIs don't say.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::wait::{wait_until, when, GiveUp};

/// Where each service listens.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub regie: String,
    pub signalling: String,
    pub application: String,
    pub provision: String,
    pub dashboard: String,
}

/// Who acts: an organisation in a role. The client signs a token for it with the development
/// issuer, valid for the gemeente of the URL it calls.
#[derive(Debug, Clone, Copy)]
pub struct As<'a> {
    pub organisation: &'a str,
    pub role: &'a str,
}

/// A member of the quarterly partner meeting: reads the dashboard.
pub const OVERLEG: As<'static> = As {
    organisation: "kwartaaloverleg",
    role: "overleg_viewer",
};

pub const REGIE: As<'static> = As {
    organisation: "gemeente-den-haag",
    role: "regievoerder",
};

/// An answer: its status and JSON body (problem+json for errors).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Answer {
    async fn from(response: Response) -> Result<Self> {
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Self {
            status,
            content_type,
            body,
        })
    }

    /// The body, when the status is the expected one; otherwise an error that shows the answer.
    pub fn expect(self, status: StatusCode) -> Result<Value> {
        if self.status != status {
            bail!("expected {status}, got {}: {}", self.status, self.body);
        }
        Ok(self.body)
    }

    /// The `detail` of a problem+json answer.
    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or("")
    }
}

/// The platform, as its users reach it.
#[derive(Debug, Clone)]
pub struct Kindpakket {
    pub http: Client,
    pub issuer: std::sync::Arc<kindpakket_platform::dev_issuer::DevIssuer>,
    pub endpoints: Endpoints,
    /// Sent as `X-Correlation-ID` when set.
    pub correlation_id: Option<Uuid>,
    /// The provision service's `KINDPAKKET_PSEUDONYM_KEY`, standing in for each partner's own
    /// administration: a partner knows an entitlement only under its own id (its referral carries
    /// it), and [`Kindpakket::partner_entitlement`] computes that id from the gemeente's.
    pub pseudonym_key: Option<std::sync::Arc<Vec<u8>>>,
}

impl Kindpakket {
    pub fn new(
        issuer: std::sync::Arc<kindpakket_platform::dev_issuer::DevIssuer>,
        endpoints: Endpoints,
    ) -> Self {
        let http = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client builds");
        Self {
            http,
            issuer,
            endpoints,
            correlation_id: None,
            pseudonym_key: None,
        }
    }

    /// With the provision service's pseudonym key, so that partners' own ids can be known.
    pub fn with_pseudonym_key(self, key: &[u8]) -> Self {
        Self {
            pseudonym_key: Some(std::sync::Arc::new(key.to_vec())),
            ..self
        }
    }

    /// `partner`'s own id of the entitlement the gemeente knows as `entitlement`: the only id under
    /// which the provision API shows it to that partner and takes it from that partner.
    pub fn partner_entitlement(&self, partner: &str, entitlement: Uuid) -> Result<Uuid> {
        let key = self
            .pseudonym_key
            .as_ref()
            .context("a partner's own ids need the pseudonym key: with_pseudonym_key")?;
        let partner = kindpakket_proto::OrganisationId::parse(partner)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        Ok(kindpakket_provision::access::entitlement_pseudonym(
            key,
            &partner,
            entitlement,
        ))
    }

    /// `organisation`'s own reference (`platform::reference`) of the child or household the
    /// gemeente knows as `id`: what the vault's identification answers it and the only name under
    /// which it reads and names them, in every service.
    pub fn reference_of(
        &self,
        organisation: &str,
        kind: kindpakket_platform::reference::ReferenceKind,
        id: Uuid,
    ) -> Result<String> {
        let key = self.pseudonym_key.as_ref().context(
            "an organisation's own references need the pseudonym key: with_pseudonym_key",
        )?;
        let organisation = kindpakket_proto::OrganisationId::parse(organisation)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        Ok(kindpakket_platform::reference::reference(
            key,
            &organisation,
            kind,
            id,
        ))
    }

    /// `organisation`'s reference of a child ([`Self::reference_of`]).
    pub fn child_reference(&self, organisation: &str, child: Uuid) -> Result<String> {
        self.reference_of(
            organisation,
            kindpakket_platform::reference::ReferenceKind::Child,
            child,
        )
    }

    /// `organisation`'s reference of a household ([`Self::reference_of`]).
    pub fn household_reference(&self, organisation: &str, household: Uuid) -> Result<String> {
        self.reference_of(
            organisation,
            kindpakket_platform::reference::ReferenceKind::Household,
            household,
        )
    }

    /// A signal's body as `signaller` sends it about the child the gemeente knows as `child`: by
    /// the signaller's reference, for help of the type `overig` (the loket, unless regie routes it).
    pub fn signal_body(&self, signaller: &str, child: Uuid) -> Result<Value> {
        Ok(json!({
            "kind": self.child_reference(signaller, child)?,
            "voorzieningsoort": "overig",
            "reden": "schulden",
        }))
    }

    /// `who` identifies a child (and optionally a parent) at the vault: `body` is
    /// `{"kind": {...}, "ouder": {...}}`.
    /// The application service learns of an enrolment from the regie stream; until it has, an
    /// organisation identifies nobody (403), so this retries that answer for a while.
    /// Waits until the platform knows `who` as enrolled in `gemeente` (its first identification is
    /// answered): the services learn of enrolments from the regie stream, a moment after regie.
    pub async fn wait_until_known(&self, gemeente: &str, who: As<'_>) -> Result<()> {
        let probe = serde_json::json!({"kind": {"voornaam": "Sam", "achternaam": "Proef",
                                                "geboortedatum": "2015-01-01"}});
        wait_until(
            &format!("{} known as enrolled", who.organisation),
            Duration::from_secs(30),
            || async {
                let answer = self.identify(gemeente, who, &probe).await?;
                Ok((answer.status == StatusCode::OK).then_some(()))
            },
        )
        .await
    }

    pub async fn identify(&self, gemeente: &str, who: As<'_>, body: &Value) -> Result<Answer> {
        let url = self.application_url(gemeente, "identificaties");
        let what = format!("{} identifying a child", who.organisation);
        let enrolled = wait_until(&what, Duration::from_secs(20), || async {
            let answer = self.post(&url, who, body).await?;
            if answer.status == StatusCode::FORBIDDEN
                && answer.detail().contains("niet ingeschreven")
            {
                bail!("enrolment not known yet: {}", answer.body);
            }
            Ok(Some(answer))
        })
        .await;
        match enrolled {
            Ok(answer) => Ok(answer),
            // Never enrolled: the refusal itself is the answer.
            Err(_) => self.post(&url, who, body).await,
        }
    }

    pub fn with_correlation(&self, correlation_id: Uuid) -> Self {
        Self {
            correlation_id: Some(correlation_id),
            ..self.clone()
        }
    }

    /// A token for `who`, acting for the gemeente named in `url` (if any).
    pub fn token(&self, url: &str, who: As<'_>) -> String {
        let gemeenten: Vec<&str> = gemeente_of(url).into_iter().collect();
        self.issuer
            .mint(who.organisation, who.role, &gemeenten, 3600)
    }

    /// POSTs JSON as `who`. A parent (`applicant`) acts for the household the body names, as their
    /// DigiD login at the gemeente would establish.
    pub async fn post(&self, url: &str, who: As<'_>, body: &Value) -> Result<Answer> {
        let token = match (who.role, body["huishouden"].as_str()) {
            ("applicant", Some(household)) => {
                let gemeenten: Vec<&str> = gemeente_of(url).into_iter().collect();
                self.issuer
                    .mint_for_household(who.organisation, &gemeenten, household, 3600)
            }
            _ => self.token(url, who),
        };
        let mut request = self.http.post(url).bearer_auth(token).json(body);
        if let Some(id) = self.correlation_id {
            request = request.header("x-correlation-id", id.to_string());
        }
        Answer::from(
            request
                .send()
                .await
                .with_context(|| format!("POST {url}"))?,
        )
        .await
    }

    /// POSTs JSON as a parent whose login names `household`, for a body that names none (the people
    /// of their household, registered in the vault).
    pub async fn post_as_parent(&self, url: &str, household: Uuid, body: &Value) -> Result<Answer> {
        let gemeenten: Vec<&str> = gemeente_of(url).into_iter().collect();
        let token =
            self.issuer
                .mint_for_household("ouder", &gemeenten, &household.to_string(), 3600);
        let request = self.http.post(url).bearer_auth(token).json(body);
        Answer::from(
            request
                .send()
                .await
                .with_context(|| format!("POST {url}"))?,
        )
        .await
    }

    /// Regie registers a child in `gemeente`'s vault (so that it can be forgotten later), for the
    /// purpose of an application; gives the child's id.
    pub async fn register_child(&self, gemeente: &str, bsn: &str, name: &str) -> Result<Uuid> {
        let answer = self
            .post_for_purpose(
                &self.application_url(gemeente, "personen"),
                REGIE,
                "aanvraag Kindpakket",
                &json!({"soort": "kind", "bsn": bsn, "naam": name}),
            )
            .await?
            .expect(StatusCode::CREATED)?;
        let id = answer["id"]
            .as_str()
            .with_context(|| format!("no id in {answer}"))?;
        Ok(Uuid::parse_str(id)?)
    }

    /// POSTs JSON as `who` with the purpose of the processing in `X-Doel` (doelbinding), as the
    /// vault asks of the gemeente when it registers or corrects a person.
    pub async fn post_for_purpose(
        &self,
        url: &str,
        who: As<'_>,
        purpose: &str,
        body: &Value,
    ) -> Result<Answer> {
        let request = self
            .http
            .post(url)
            .bearer_auth(self.token(url, who))
            .header("x-doel", purpose)
            .json(body);
        Answer::from(
            request
                .send()
                .await
                .with_context(|| format!("POST {url}"))?,
        )
        .await
    }

    /// POSTs JSON as `who`, with a token that acts for every one of `gemeenten` (a regievoerder of a
    /// samenwerkingsverband publishes for all its members).
    pub async fn post_for(
        &self,
        url: &str,
        who: As<'_>,
        gemeenten: &[&str],
        body: &Value,
    ) -> Result<Answer> {
        let token = self
            .issuer
            .mint(who.organisation, who.role, gemeenten, 3600);
        let mut request = self.http.post(url).bearer_auth(token).json(body);
        if let Some(id) = self.correlation_id {
            request = request.header("x-correlation-id", id.to_string());
        }
        Answer::from(
            request
                .send()
                .await
                .with_context(|| format!("POST {url}"))?,
        )
        .await
    }

    /// PUTs JSON as `who`.
    pub async fn put(&self, url: &str, who: As<'_>, body: &Value) -> Result<Answer> {
        let request = self
            .http
            .put(url)
            .bearer_auth(self.token(url, who))
            .json(body);
        Answer::from(request.send().await.with_context(|| format!("PUT {url}"))?).await
    }

    /// DELETEs as `who`.
    pub async fn delete(&self, url: &str, who: As<'_>) -> Result<Answer> {
        let request = self.http.delete(url).bearer_auth(self.token(url, who));
        Answer::from(
            request
                .send()
                .await
                .with_context(|| format!("DELETE {url}"))?,
        )
        .await
    }

    /// POSTs JSON without a token (a one-time link).
    pub async fn post_anonymously(&self, url: &str, body: &Value) -> Result<Answer> {
        Answer::from(
            self.http
                .post(url)
                .json(body)
                .send()
                .await
                .with_context(|| format!("POST {url}"))?,
        )
        .await
    }

    /// GETs as `who` (or anonymously).
    pub async fn get(&self, url: &str, who: Option<As<'_>>) -> Result<Answer> {
        let mut request = self.http.get(url);
        if let Some(who) = who {
            request = request.bearer_auth(self.token(url, who));
        }
        Answer::from(request.send().await.with_context(|| format!("GET {url}"))?).await
    }

    pub fn regie_url(&self, gemeente: &str, path: &str) -> String {
        format!(
            "{}/api/v1/gemeenten/{gemeente}/{path}",
            self.endpoints.regie
        )
    }
    pub fn signalling_url(&self, gemeente: &str, path: &str) -> String {
        format!(
            "{}/api/v1/gemeenten/{gemeente}/{path}",
            self.endpoints.signalling
        )
    }
    pub fn application_url(&self, gemeente: &str, path: &str) -> String {
        format!(
            "{}/api/v1/gemeenten/{gemeente}/{path}",
            self.endpoints.application
        )
    }
    pub fn provision_url(&self, gemeente: &str, path: &str) -> String {
        format!(
            "{}/api/v1/gemeenten/{gemeente}/{path}",
            self.endpoints.provision
        )
    }

    /// Publishes a regeling for `year` with the given provisions (code, name, type, ages, value, form).
    pub async fn publish_regeling(
        &self,
        gemeente: &str,
        year: i32,
        provisions: &[Value],
    ) -> Result<Uuid> {
        let body = json!({
            "jaar": year,
            "geldigVanaf": format!("{year}-01-01"),
            "geldigTot": format!("{year}-12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": provisions,
        });
        let created = self
            .post(&self.regie_url(gemeente, "regelingen"), REGIE, &body)
            .await?
            .expect(StatusCode::CREATED)?;
        id_of(&created)
    }

    /// The smallest regeling that serves a child: sportcontributie (€ 250, in kind, ages 4–17) in
    /// `year`, with the Jeugdfonds Sport & Cultuur (`jeugdfonds-sport-cultuur`) enrolled to deliver it.
    pub async fn sport_regeling(&self, gemeente: &str, year: i32) -> Result<()> {
        self.publish_regeling(
            gemeente,
            year,
            &[provision(
                "sportcontributie",
                "Sportcontributie",
                "maatschappelijke_participatie",
                (4, 17),
                25_000,
                "in_natura",
            )],
        )
        .await?;
        self.enrol_partner(
            gemeente,
            "jeugdfonds-sport-cultuur",
            "Jeugdfonds Sport & Cultuur",
            &["sportcontributie"],
        )
        .await
    }

    /// Sets the routing table of `gemeente` (regie): `routes` as the API takes them.
    pub async fn set_routing(&self, gemeente: &str, routes: Value) -> Result<Value> {
        self.put(
            &self.regie_url(gemeente, "routering"),
            REGIE,
            &json!({ "routes": routes }),
        )
        .await?
        .expect(StatusCode::OK)
    }

    /// Enrols a partner for provisions, in all four roles.
    pub async fn enrol_partner(
        &self,
        gemeente: &str,
        partner: &str,
        name: &str,
        provisions: &[&str],
    ) -> Result<()> {
        let body = json!({
            "partner": partner,
            "naam": name,
            "voorzieningen": provisions,
            "rollen": ["signaleren", "aanvragen_innemen", "verstrekken"],
            "datum": "2026-01-01",
        });
        self.post(&self.regie_url(gemeente, "partners"), REGIE, &body)
            .await?
            .expect(StatusCode::CREATED)?;
        Ok(())
    }

    /// Enrols an organisation that signals children (a wijkteam, school or CJG) with the one role
    /// `signaleren`: without it the signalling service accepts no signal of it.
    pub async fn enrol_signaller(
        &self,
        gemeente: &str,
        organisation: &str,
        name: &str,
    ) -> Result<()> {
        let body = json!({
            "partner": organisation,
            "naam": name,
            "rollen": ["signaleren"],
            "datum": "2026-01-01",
        });
        self.post(&self.regie_url(gemeente, "partners"), REGIE, &body)
            .await?
            .expect(StatusCode::CREATED)?;
        Ok(())
    }

    /// POSTs a signal as `who`. The signalling service learns enrolments from the regie stream; until
    /// it has learnt the signaller's (or the referred partner's), it refuses, so this retries that
    /// answer for a while. Any other answer, and a failure to reach the service, is returned at once.
    pub async fn post_signal(&self, gemeente: &str, who: As<'_>, body: &Value) -> Result<Answer> {
        let url = self.signalling_url(gemeente, "signaleringen");
        let what = format!(
            "{} enrolled in {gemeente} as the signalling service knows",
            who.organisation
        );
        wait_until(&what, Duration::from_secs(20), || async {
            let answer = self
                .post(&url, who, body)
                .await
                .map_err(|error| GiveUp(format!("{error:#}")))?;
            let not_enrolled_yet = (answer.status == StatusCode::FORBIDDEN
                || answer.status == StatusCode::UNPROCESSABLE_ENTITY)
                && answer.detail().contains("ingeschreven");
            if not_enrolled_yet {
                bail!("not enrolled yet: {}", answer.body);
            }
            Ok(Some(answer))
        })
        .await
    }

    /// A wijkteam signals a child and refers the family to the loket.
    pub async fn signal_child(
        &self,
        gemeente: &str,
        signaller: &str,
        child: Uuid,
        date: &str,
    ) -> Result<Uuid> {
        self.signal_child_referred(gemeente, signaller, child, None, date)
            .await
    }

    /// `signaller` signals `child` (the gemeente's id; sent as the signaller's reference) for help of
    /// `provision_type` (the regie's types: `school`, `maatschappelijke_participatie`, …); the
    /// gemeente's routing decides where it goes.
    pub async fn signal_child_for(
        &self,
        gemeente: &str,
        signaller: &str,
        child: Uuid,
        provision_type: &str,
        date: &str,
    ) -> Result<Uuid> {
        let body = json!({
            "kind": self.child_reference(signaller, child)?,
            "voorzieningsoort": provision_type,
            "reden": "laag_inkomen",
            "datum": date,
        });
        let who = As {
            organisation: signaller,
            role: "signaller",
        };
        let created = self
            .post_signal(gemeente, who, &body)
            .await?
            .expect(StatusCode::CREATED)?;
        id_of(&created)
    }

    /// A signaller signals a child (by its own reference of it) for help of the type
    /// `maatschappelijke_participatie` when `partner` is given (regie's routing decides where it
    /// goes: set a route to that partner with [`Self::set_routing`] first, or it goes to the loket),
    /// and of the type `overig` otherwise. The signaller must be enrolled with `signaleren`
    /// ([`Self::enrol_signaller`]); this waits until the signalling service knows the enrolment.
    pub async fn signal_child_referred(
        &self,
        gemeente: &str,
        signaller: &str,
        child: Uuid,
        partner: Option<&str>,
        date: &str,
    ) -> Result<Uuid> {
        let provision_type = match partner {
            Some(_) => "maatschappelijke_participatie",
            None => "overig",
        };
        let body = json!({
            "kind": self.child_reference(signaller, child)?,
            "voorzieningsoort": provision_type,
            "reden": "laag_inkomen",
            "datum": date,
        });
        let who = As {
            organisation: signaller,
            role: "signaller",
        };
        let created = self
            .post_signal(gemeente, who, &body)
            .await?
            .expect(StatusCode::CREATED)?;
        id_of(&created)
    }

    /// The parent applies for one child, citing a signal if there is one.
    pub async fn apply(
        &self,
        gemeente: &str,
        child: Uuid,
        birth_year: i32,
        provisions: &[&str],
        signal: Option<Uuid>,
        date: &str,
    ) -> Result<Uuid> {
        let body = json!({
            "kanaal": "online",
            "huishouden": Uuid::new_v4(),
            "kinderen": [{"kind": child, "geboortejaar": birth_year, "geboortemaand": 3}],
            "inkomenPercentage": 110,
            "voorzieningen": provisions,
            "signalering": signal,
            "datum": date,
        });
        let who = As {
            organisation: "ouder",
            role: "applicant",
        };
        let created = self
            .post(&self.application_url(gemeente, "aanvragen"), who, &body)
            .await?
            .expect(StatusCode::CREATED)?;
        id_of(&created)
    }

    /// The gemeente grants one entitlement for `child` and `provision`; returns the entitlement id.
    pub async fn grant(
        &self,
        gemeente: &str,
        application: Uuid,
        child: Uuid,
        provision: &str,
        amount_cents: i64,
        year: i32,
    ) -> Result<Uuid> {
        let body = json!({
            "rechten": [{
                "kind": child,
                "voorziening": provision,
                "bedragCent": amount_cents,
                "geldigVanaf": format!("{year}-01-01"),
                "geldigTot": format!("{year}-12-31"),
            }],
        });
        // Granted by the regeling in force, which reaches the service through the regie stream.
        let url = self.application_url(gemeente, &format!("aanvragen/{application}/toekenning"));
        let granted = wait_until(
            &format!("application {application} granted"),
            Duration::from_secs(20),
            || async {
                let answer = self.post(&url, REGIE, &body).await?;
                if answer.detail().contains("geen regeling van kracht") {
                    bail!("no regeling in force yet: {}", answer.body);
                }
                Ok(Some(answer))
            },
        )
        .await?
        .expect(StatusCode::OK)?;
        let id = granted["rechten"][0]["id"]
            .as_str()
            .context("a granted application lists its entitlements")?;
        Ok(Uuid::parse_str(id)?)
    }

    /// Waits until `partner` can see the entitlement (it was opened from the grant and the partner's
    /// enrolment reached the provision service), as a partner's screen would poll. `entitlement` is
    /// the gemeente's id; the partner asks for it under its own ([`Self::partner_entitlement`]).
    pub async fn wait_for_entitlement(
        &self,
        gemeente: &str,
        partner: &str,
        entitlement: Uuid,
        within: Duration,
    ) -> Result<Value> {
        let own = self.partner_entitlement(partner, entitlement)?;
        let url = self.provision_url(gemeente, &format!("rechten/{own}"));
        let who = As {
            organisation: partner,
            role: "partner",
        };
        let what = format!("entitlement {entitlement} visible to {partner}");
        wait_until(&what, within, || async {
            let answer = self.get(&url, Some(who)).await?;
            when(answer.status == StatusCode::OK, answer.body)
        })
        .await
    }

    /// A partner records a delivery in kind against an entitlement (the gemeente's id; the partner
    /// names it by its own).
    pub async fn deliver(
        &self,
        gemeente: &str,
        partner: &str,
        entitlement: Uuid,
        amount_cents: i64,
        date: &str,
    ) -> Result<Answer> {
        let body = json!({"vorm": "in_natura", "bedragCent": amount_cents, "datum": date});
        let who = As {
            organisation: partner,
            role: "partner",
        };
        let own = self.partner_entitlement(partner, entitlement)?;
        self.post(
            &self.provision_url(gemeente, &format!("rechten/{own}/verstrekkingen")),
            who,
            &body,
        )
        .await
    }

    /// The balance and status of a pass, asked at the till by its code (in the body, never in the
    /// URL).
    pub async fn pass_balance(&self, gemeente: &str, who: As<'_>, code: &str) -> Result<Answer> {
        self.post(
            &self.provision_url(gemeente, "passen/opvragen"),
            who,
            &json!({"code": code}),
        )
        .await
    }

    /// A partner redeems (part of) a pass by its code: `redemption` gives `bedragCent` or `aantal`,
    /// and optionally `datum` and `id`; the code is added to it.
    pub async fn redeem(
        &self,
        gemeente: &str,
        partner: &str,
        code: &str,
        redemption: &Value,
    ) -> Result<Answer> {
        let mut body = redemption.clone();
        body["code"] = json!(code);
        let who = As {
            organisation: partner,
            role: "partner",
        };
        self.post(&self.provision_url(gemeente, "verzilveringen"), who, &body)
            .await
    }

    /// Asks the application service to assess an application against the regeling in force. The
    /// service learns regelingen from the regie stream; until it has, it answers that none is in force,
    /// so this retries that answer for a while (as a caseworker would try again).
    pub async fn assess(&self, gemeente: &str, application: Uuid, body: &Value) -> Result<Answer> {
        let url = self.application_url(gemeente, &format!("aanvragen/{application}/beoordeling"));
        let what = format!("application {application} assessed");
        wait_until(&what, Duration::from_secs(20), || async {
            let answer = self.post(&url, REGIE, body).await?;
            let waiting = answer.status == StatusCode::UNPROCESSABLE_ENTITY
                && answer.detail().contains("geen regeling van kracht");
            if waiting {
                bail!("no regeling in force yet: {}", answer.body);
            }
            Ok(Some(answer))
        })
        .await
    }

    /// Submits an application as given (all fields of the API available).
    pub async fn submit(&self, gemeente: &str, body: &Value) -> Result<Uuid> {
        let who = As {
            organisation: "ouder",
            role: "applicant",
        };
        let created = self
            .post(&self.application_url(gemeente, "aanvragen"), who, body)
            .await?
            .expect(StatusCode::CREATED)?;
        id_of(&created)
    }

    /// Submits an application as `who`, a partner or signaller applying on a family's behalf. The
    /// service learns from the regie stream that `who` is enrolled to take in applications; until it
    /// has, it says so, so this retries that answer for a while.
    pub async fn submit_as(&self, gemeente: &str, who: As<'_>, body: &Value) -> Result<Answer> {
        let url = self.application_url(gemeente, "aanvragen");
        let what = format!("{} taking in an application", who.organisation);
        wait_until(&what, Duration::from_secs(20), || async {
            let answer = self.post(&url, who, body).await?;
            if answer
                .detail()
                .contains("niet ingeschreven om aanvragen in te nemen")
            {
                bail!("enrolment not known yet: {}", answer.body);
            }
            Ok(Some(answer))
        })
        .await
    }

    /// The dashboard's funnel for one gemeente, as regie reads it: exact (the overleg sees counts
    /// of 1 to 4 as `null`).
    pub async fn funnel(&self, gemeente: &str) -> Result<Value> {
        let url = format!(
            "{}/api/v1/gemeenten/{gemeente}/trechter",
            self.endpoints.dashboard
        );
        self.get(&url, Some(REGIE)).await?.expect(StatusCode::OK)
    }

    /// Polls the funnel until `done` holds for it, or fails with the last funnel seen.
    pub async fn wait_for_funnel(
        &self,
        gemeente: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Result<Value> {
        let what = format!("the dashboard's figures of {gemeente}");
        wait_until(&what, within, || async {
            let funnel = self.funnel(gemeente).await?;
            if done(&funnel) {
                Ok(Some(funnel))
            } else {
                bail!("{funnel}")
            }
        })
        .await
    }
}

/// The platform that `scripts/run.sh` runs, reached with the URLs of `args` (`--regie URL
/// --signalling URL --application URL --provision URL --dashboard URL`, each defaulting to its port
/// there), with tokens of the development issuer in `KINDPAKKET_DEV_ISSUER_DIR` (default
/// `.data/issuer`) and the provision service's pseudonym key (`KINDPAKKET_PSEUDONYM_KEY`, or the
/// `pseudonym.key` that scripts/run.sh keeps beside the issuer).
pub fn running_platform(args: &[String]) -> Result<Kindpakket> {
    let value = |flag: &str, default: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|index| args.get(index + 1).cloned())
            .unwrap_or_else(|| default.to_owned())
    };
    let endpoints = Endpoints {
        regie: value("--regie", "http://127.0.0.1:8081"),
        signalling: value("--signalling", "http://127.0.0.1:8082"),
        application: value("--application", "http://127.0.0.1:8083"),
        provision: value("--provision", "http://127.0.0.1:8084"),
        dashboard: value("--dashboard", "http://127.0.0.1:8080"),
    };
    let issuer_dir =
        std::env::var("KINDPAKKET_DEV_ISSUER_DIR").unwrap_or_else(|_| ".data/issuer".to_owned());
    let issuer =
        kindpakket_platform::dev_issuer::DevIssuer::open(std::path::Path::new(&issuer_dir))?;
    let pseudonym_key = match std::env::var("KINDPAKKET_PSEUDONYM_KEY") {
        Ok(key) => key,
        Err(_) => std::fs::read_to_string(std::path::Path::new(&issuer_dir).join("pseudonym.key"))
            .context("the provision service's pseudonym key: set KINDPAKKET_PSEUDONYM_KEY")?
            .trim()
            .to_owned(),
    };
    Ok(Kindpakket::new(std::sync::Arc::new(issuer), endpoints)
        .with_pseudonym_key(pseudonym_key.as_bytes()))
}

/// `application` with what an intermediary states when it applies on a family's behalf: the
/// parent's consent (oral, given today or on `date`) and the declared gezag.
pub fn on_behalf(mut application: Value) -> Value {
    let date = application["datum"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| kindpakket_platform::clock::today().to_string());
    application["toestemming"] = json!({"gegeven": true, "datum": date, "vorm": "mondeling"});
    application["gezag"] = json!({"verklaard": true});
    application
}

/// The gemeente a URL is about (`…/gemeenten/GM0518/…`), if any.
fn gemeente_of(url: &str) -> Option<&str> {
    url.split("/gemeenten/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .filter(|code| !code.is_empty())
}

fn id_of(body: &Value) -> Result<Uuid> {
    let id = body["id"]
        .as_str()
        .with_context(|| format!("no id in {body}"))?;
    Ok(Uuid::parse_str(id)?)
}

/// A provision of the catalogue as the regie API takes it.
pub fn provision(
    code: &str,
    name: &str,
    provision_type: &str,
    ages: (u8, u8),
    value_cents: i64,
    form: &str,
) -> Value {
    json!({
        "code": code,
        "naam": name,
        "type": provision_type,
        "leeftijdVan": ages.0,
        "leeftijdTot": ages.1,
        "waardeCent": value_cents,
        "vorm": form,
    })
}

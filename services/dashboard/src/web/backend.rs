//! The services' public APIs, called with the person's own token: a page can do nothing the API
//! would refuse that person. An API's refusal comes back as an [`ApiProblem`] with its Dutch
//! `detail`, which the page shows beside the form.

use std::time::Duration;

use kindpakket_proto::Service;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Where each service's API is (`KINDPAKKET_REGIE_URL`, …), and the client that calls them.
#[derive(Debug, Clone)]
pub struct Backends {
    http: reqwest::Client,
    regie: String,
    signalling: String,
    application: String,
    provision: String,
    /// The dashboard's own API (its quarterly figures): the pages read it as every other API, over
    /// HTTP with the person's token, so its roles and disclosure apply to the pages too.
    dashboard: String,
}

/// Which API a page calls: one of the four services', or the dashboard's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Service(Service),
    Dashboard,
}

impl From<Service> for Api {
    fn from(service: Service) -> Self {
        Api::Service(service)
    }
}

/// A refusal (or failure) of an API, as the page tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiProblem {
    pub status: u16,
    pub title: String,
    /// The API's Dutch explanation, shown to the person.
    pub detail: String,
}

impl ApiProblem {
    fn unreachable(service: Api) -> Self {
        Self {
            status: 502,
            title: "Dienst niet bereikbaar".into(),
            detail: format!(
                "De dienst {} is nu niet bereikbaar. Er is niets veranderd; probeer het over een paar minuten opnieuw.",
                service_label(service)
            ),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
}

impl std::fmt::Display for ApiProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

fn service_label(service: Api) -> &'static str {
    match service {
        Api::Service(Service::Regie) => "regie",
        Api::Service(Service::Signalling) => "signalering",
        Api::Service(Service::Application) => "aanvragen",
        Api::Service(Service::Provision) => "verstrekking",
        Api::Dashboard => "dashboard",
    }
}

#[derive(Deserialize)]
struct ProblemBody {
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
}

impl Backends {
    pub fn new(
        regie: &str,
        signalling: &str,
        application: &str,
        provision: &str,
        dashboard: &str,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_default();
        let trim = |url: &str| url.trim_end_matches('/').to_owned();
        Self {
            http,
            regie: trim(regie),
            signalling: trim(signalling),
            application: trim(application),
            provision: trim(provision),
            dashboard: trim(dashboard),
        }
    }

    pub fn base(&self, service: Api) -> &str {
        match service {
            Api::Service(Service::Regie) => &self.regie,
            Api::Service(Service::Signalling) => &self.signalling,
            Api::Service(Service::Application) => &self.application,
            Api::Service(Service::Provision) => &self.provision,
            Api::Dashboard => &self.dashboard,
        }
    }

    /// Calls `method path` of `service` as the holder of `token`, with a JSON body when given and the
    /// purpose of the processing (`X-Doel`) when the API asks for one; the JSON answer, or the
    /// problem.
    pub async fn call<T: DeserializeOwned>(
        &self,
        token: &str,
        correlation_id: uuid::Uuid,
        call: Call<'_>,
    ) -> Result<T, ApiProblem> {
        let Call {
            service,
            method,
            path,
            body,
            purpose,
        } = call;
        let url = format!("{}{path}", self.base(service));
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(token)
            .header("x-correlation-id", correlation_id.to_string());
        if let Some(purpose) = purpose {
            request = request.header("x-doel", purpose);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_json());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(%error, %url, "an API did not answer the page");
                return Err(ApiProblem::unreachable(service));
            }
        };
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            let bytes = if bytes.is_empty() {
                &b"null"[..]
            } else {
                &bytes[..]
            };
            return serde_json::from_slice(bytes).map_err(|error| {
                tracing::error!(%error, %url, "an API's answer is not what the page reads");
                ApiProblem {
                    status: 500,
                    title: "Onverwacht antwoord".into(),
                    detail: "Het antwoord van de dienst kon niet worden gelezen. Er is een fout gemeld aan de beheerders.".into(),
                }
            });
        }
        let problem: Option<ProblemBody> = serde_json::from_slice(&bytes).ok();
        let (title, detail) = match problem {
            Some(problem) if !problem.detail.is_empty() => (problem.title, problem.detail),
            _ => (
                status.canonical_reason().unwrap_or("Fout").to_owned(),
                default_detail(status).to_owned(),
            ),
        };
        Err(ApiProblem {
            status: status.as_u16(),
            title,
            detail,
        })
    }
}

fn default_detail(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "U bent niet (meer) ingelogd. Log opnieuw in.",
        403 => "U mag dit niet doen met uw rol.",
        404 => "Dit is niet gevonden.",
        429 => "Te veel verzoeken tegelijk. Wacht even en probeer het opnieuw.",
        _ => "Er ging iets mis bij de dienst. Er is niets veranderd; probeer het later opnieuw.",
    }
}

/// A JSON body of any serialisable type, behind a reference (so that `call` need not be generic in
/// the body).
pub mod erased {
    pub trait Body {
        fn to_json(&self) -> Vec<u8>;
    }

    impl<T: serde::Serialize> Body for T {
        fn to_json(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}

/// One call of an API.
pub struct Call<'a> {
    pub service: Api,
    pub method: Method,
    pub path: &'a str,
    pub body: Option<&'a (dyn erased::Body + Sync)>,
    /// `X-Doel`, for the calls the API audits.
    pub purpose: Option<&'a str>,
}

/// For a request without a body.
#[derive(Debug, Serialize)]
pub struct Empty {}

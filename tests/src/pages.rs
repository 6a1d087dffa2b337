//! The pages as a browser without a renderer reaches them: the OpenID Connect login by one-click
//! test user, a cookie jar, `GET` a page, `POST` a form with the session's form token. For the
//! attack tests of the pages (a missing form token, another role, another organisation's object)
//! and for quick checks of what a page says; the real browser (`crate::browser`) walks the pages
//! as people do.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

/// A page as it came back.
#[derive(Debug, Clone)]
pub struct PageAnswer {
    pub status: StatusCode,
    /// Where a redirect points (`Location`), if any.
    pub location: Option<String>,
    pub html: String,
}

impl PageAnswer {
    /// The page's text without tags, whitespace collapsed (what a person reads, roughly).
    pub fn text(&self) -> String {
        text_of(&self.html)
    }

    /// The value of the hidden form token in the page, if it has a form.
    pub fn csrf(&self) -> Option<String> {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.html.find(marker)? + marker.len();
        let end = self.html[start..].find('"')?;
        Some(self.html[start..start + end].to_owned())
    }
}

/// The text of some HTML: tags removed, entities for `&`, `<`, `>`, quotes decoded, whitespace
/// collapsed.
pub fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let decoded = text
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `2026-08-27` → `27 augustus 2026`, as the pages write dates.
pub fn dutch_date(day: time::Date) -> String {
    const MONTHS: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    format!(
        "{} {} {}",
        day.day(),
        MONTHS[usize::from(u8::from(day.month())) - 1],
        day.year()
    )
}

/// A file as it came back (a CSV file, a chart, a PDF): its bytes and the headers a browser acts on.
#[derive(Debug, Clone)]
pub struct Download {
    pub status: StatusCode,
    pub content_type: String,
    /// `Content-Disposition` (`attachment; filename="…"`), empty without.
    pub disposition: String,
    /// `Content-Security-Policy`, empty without.
    pub csp: String,
    pub bytes: Vec<u8>,
}

/// A person on the pages: a cookie jar and the session's form token.
#[derive(Debug, Clone)]
pub struct PageSession {
    http: Client,
    /// The dashboard's base URL, where the pages are.
    pub base: String,
    cookies: BTreeMap<String, String>,
    csrf: Option<String>,
}

impl PageSession {
    /// Nobody logged in yet.
    pub fn anonymous(base: &str) -> Self {
        let http = Client::builder()
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("an HTTP client builds");
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            cookies: BTreeMap::new(),
            csrf: None,
        }
    }

    /// Logs in through the OpenID Connect flow as the development issuer's test user `user`
    /// (`regievoerder`, `wijkteam`, `school`, `leergeld`, `jeugdfonds`, `winkel`, `ouder`,
    /// `overleg`, `auditor`) of `gemeente`; the issuer must run (`Platform::start_login`).
    pub async fn login(base: &str, user: &str, gemeente: &str) -> Result<Self> {
        let mut session = Self::anonymous(base);
        let begin = session.get("/aanmelden?terug=/start").await?;
        let authorize = begin
            .location
            .context("/aanmelden sends the browser to the identity provider")?;
        let (endpoint, query) = authorize
            .split_once('?')
            .context("an authorisation request has parameters")?;
        let mut fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .filter(|(name, _)| name != "scope")
            .collect();
        fields.push(("gebruiker".into(), user.into()));
        fields.push(("gemeente".into(), gemeente.into()));
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&fields)
            .finish();
        let chosen = session
            .http
            .post(endpoint)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .context("choosing the test user")?;
        let back = chosen
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .with_context(|| format!("the issuer refused the login: {}", chosen.status()))?;
        let path = back
            .strip_prefix(&session.base)
            .context("the issuer sends the browser back to the pages")?
            .to_owned();
        let finished = session.get(&path).await?;
        if finished.status != StatusCode::SEE_OTHER {
            bail!(
                "the login did not finish: {} {}",
                finished.status,
                finished.text()
            );
        }
        let start = session.get("/start").await?;
        if start.status != StatusCode::OK {
            bail!("/start after login: {}", start.status);
        }
        Ok(session)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or("");
            if let Some((name, content)) = pair.split_once('=') {
                let expired = value.to_ascii_lowercase().contains("max-age=0");
                if expired || content.is_empty() {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), content.trim().to_owned());
                }
            }
        }
    }

    async fn answer(&mut self, response: reqwest::Response) -> Result<PageAnswer> {
        self.keep_cookies(&response);
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let html = response.text().await?;
        let answer = PageAnswer {
            status,
            location,
            html,
        };
        if let Some(csrf) = answer.csrf() {
            self.csrf = Some(csrf);
        }
        Ok(answer)
    }

    /// `GET path` (not following redirects).
    pub async fn get(&mut self, path: &str) -> Result<PageAnswer> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        self.answer(response).await
    }

    /// `GET path` as a file: its bytes, not text (a PDF, a CSV file with its byte-order mark).
    pub async fn download(&mut self, path: &str) -> Result<Download> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        self.keep_cookies(&response);
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (content_type, disposition, csp) = (
            header(reqwest::header::CONTENT_TYPE),
            header(reqwest::header::CONTENT_DISPOSITION),
            header(reqwest::header::CONTENT_SECURITY_POLICY),
        );
        let status = response.status();
        let bytes = response.bytes().await?.to_vec();
        Ok(Download {
            status,
            content_type,
            disposition,
            csp,
            bytes,
        })
    }

    /// `POST path` with `fields` and the session's form token (as the page's form sends it).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<PageAnswer> {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// `POST path` with exactly `fields` (no form token added: the attack of another site).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<PageAnswer> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        self.answer(response).await
    }

    /// Follows a redirect answer (`303` after a form) to its page.
    pub async fn follow(&mut self, answer: &PageAnswer) -> Result<PageAnswer> {
        let location = answer
            .location
            .clone()
            .with_context(|| format!("expected a redirect, got {}", answer.status))?;
        let path = location
            .strip_prefix(&self.base)
            .unwrap_or(&location)
            .to_owned();
        self.get(&path).await
    }
}

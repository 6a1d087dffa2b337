//! A real browser for the server-rendered pages: headless Chromium driven through chromedriver, with
//! an axe-core accessibility check, screenshots at desktop and phone widths, and a check that nothing
//! scrolls sideways.
//!
//! Chromium and chromedriver are Debian's (`scripts/install-test-tools.sh` installs them); axe-core is
//! the one `web/package-lock.json` pins (`scripts/install-deps.sh` installs it into `.tools/web`).
//!
//! The pages run under a strict Content-Security-Policy without inline scripts. What this module runs
//! in a page (axe-core included) goes through WebDriver's Execute Script, which the policy does not
//! govern: the harness's own test shows that axe runs on a page whose inline scripts are blocked.
//!
//! WebDriver (W3C) is JSON over HTTP: the few commands used here are spoken through reqwest. (The
//! fantoccini crate would bring some twenty more crates, among them `webdriver` under MPL-2.0, which
//! deny.toml does not accept.)

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::harness::{free_port, tail, workspace_dir};
use crate::wait::{wait_until, when, GiveUp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL_HINT: &str =
    "run scripts/install-test-tools.sh (as root): it installs Debian's chromium and chromium-driver";

/// How long a page may take to load, and a click to lead to the next page.
const PAGE_LOAD: Duration = Duration::from_secs(30);
/// How long a script may run in the page (axe-core on a long page takes a few seconds).
const SCRIPT: Duration = Duration::from_secs(60);
/// The WCAG levels axe checks: A and AA of WCAG 2.0 and 2.1.
const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/// The key under which WebDriver serialises a DOM element.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The window a page is looked at in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// 1280 × 900 CSS pixels.
    Desktop,
    /// 360 × 740 CSS pixels: a small phone.
    Phone,
}

impl Viewport {
    /// Width and height in CSS pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Viewport::Desktop => (1280, 900),
            Viewport::Phone => (360, 740),
        }
    }

    /// `desktop` or `phone`, as in screenshot names.
    pub fn name(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop",
            Viewport::Phone => "phone",
        }
    }
}

/// One rule axe-core found broken, with the elements that break it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The axe rule, e.g. `image-alt`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks, in a sentence.
    pub help: String,
    /// Deque's page on the rule.
    pub help_url: String,
    /// A CSS selector for every element that breaks the rule.
    pub targets: Vec<String>,
}

impl Violation {
    /// Whether the impact is `serious` or `critical`: what [`Browser::assert_accessible`] refuses.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {} at {} ({})",
            self.id,
            self.impact.as_deref().unwrap_or("no impact given"),
            self.help,
            self.targets.join(", "),
            self.help_url
        )
    }
}

/// A DOM element found on the page shown (it goes stale when another page is loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    id: String,
    description: String,
}

impl Element {
    /// How it was found, for messages: a CSS selector or a text.
    pub fn description(&self) -> &str {
        &self.description
    }
}

/// A WebDriver session on chromedriver: commands and their answers as JSON.
struct Session {
    http: reqwest::Client,
    /// `http://127.0.0.1:<port>/session/<id>`.
    url: String,
}

impl Session {
    /// Opens a session with `capabilities` on the chromedriver at `base`.
    async fn open(base: &str, capabilities: Value) -> Result<Session> {
        let http = reqwest::Client::builder()
            // A command waits at most for a page load or a script, and chromedriver's own timeouts
            // end those first.
            .timeout(PAGE_LOAD + SCRIPT)
            .build()
            .context("building the WebDriver client")?;
        let answer = send(
            &http,
            Method::POST,
            &format!("{base}/session"),
            Some(json!({ "capabilities": { "alwaysMatch": capabilities } })),
        )
        .await
        .context("opening a WebDriver session")?;
        let id = answer["sessionId"]
            .as_str()
            .with_context(|| format!("a new session without an id: {answer}"))?;
        Ok(Session {
            http,
            url: format!("{base}/session/{id}"),
        })
    }

    async fn get(&self, path: &str) -> Result<Value> {
        send(
            &self.http,
            Method::GET,
            &format!("{}{path}", self.url),
            None,
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        send(
            &self.http,
            Method::POST,
            &format!("{}{path}", self.url),
            Some(body),
        )
        .await
    }

    async fn delete(&self, path: &str) -> Result<Value> {
        send(
            &self.http,
            Method::DELETE,
            &format!("{}{path}", self.url),
            None,
        )
        .await
    }

    async fn close(&self) -> Result<()> {
        send(&self.http, Method::DELETE, &self.url, None)
            .await
            .map(drop)
    }
}

/// One WebDriver command: its answer's `value`, or its error (`error` and `message`) as an error.
async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value> {
    let mut request = http.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("WebDriver {method} {url}"))?;
    let status = response.status();
    let mut answer: Value = response.json().await.with_context(|| {
        format!("WebDriver {method} {url}: an answer that is not JSON ({status})")
    })?;
    let value = answer["value"].take();
    if let Some(error) = value["error"].as_str() {
        let message = value["message"].as_str().unwrap_or_default();
        bail!("WebDriver {method} {url}: {error}: {message}");
    }
    if !status.is_success() {
        bail!("WebDriver {method} {url}: {status}: {value}");
    }
    Ok(value)
}

/// Headless Chromium in a fresh profile, driven through its own chromedriver on a free loopback port.
/// Both end when this is dropped.
pub struct Browser {
    session: Session,
    viewport: Viewport,
    /// Per test name: the number of the last screenshot step and its name.
    steps: HashMap<String, (u32, String)>,
    chromedriver: Child,
    port: u16,
    /// The profile (`--user-data-dir`) and chromedriver's log; removed after chromedriver ended
    /// (fields drop after `drop`).
    _dir: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port, waits until it answers, and opens a headless Chromium
    /// session in a fresh profile, at [`Viewport::Desktop`].
    pub async fn start() -> Result<Browser> {
        for (path, what) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")] {
            if !Path::new(path).exists() {
                bail!("{what} is not installed at {path}: {INSTALL_HINT}");
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("kindpakket-browser-")
            .tempdir()
            .context("creating a folder for the browser's profile")?;
        let profile = dir.path().join("profile");
        std::fs::create_dir(&profile).context("creating the browser's profile folder")?;
        let log_path = dir.path().join("chromedriver.log");
        let log = File::create(&log_path).context("creating chromedriver's log")?;
        let port = free_port();
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("sharing chromedriver's log")?)
            .stderr(log)
            // Its own process group, so that whatever it leaves behind is found and ended on drop.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {CHROMEDRIVER}: {INSTALL_HINT}"))?;
        let mut starting = BrowserStarting {
            chromedriver: Some(chromedriver),
            port,
        };
        starting
            .wait_until_ready(&log_path)
            .await
            .with_context(|| format!("chromedriver's log:\n{}", tail(&log_path, 20)))?;

        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {
                "pageLoad": PAGE_LOAD.as_millis() as u64,
                "script": SCRIPT.as_millis() as u64,
                "implicit": 0,
            },
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    // The design system scrolls smoothly unless motion is reduced; a click during
                    // the scroll lands on whatever passes under it.
                    "--force-prefers-reduced-motion",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let session = Session::open(&format!("http://127.0.0.1:{port}"), capabilities)
            .await
            .with_context(|| {
                format!(
                    "starting Chromium through chromedriver on port {port}; its log:\n{}",
                    tail(&log_path, 20)
                )
            })?;
        let chromedriver = starting
            .chromedriver
            .take()
            .context("chromedriver was started")?;
        let mut browser = Browser {
            session,
            viewport: Viewport::Desktop,
            steps: HashMap::new(),
            chromedriver,
            port,
            _dir: dir,
        };
        browser.desktop().await?;
        Ok(browser)
    }

    /// The viewport pages are shown in now.
    pub fn viewport(&self) -> Viewport {
        self.viewport
    }

    /// Shows pages at 1280 × 900 CSS pixels.
    pub async fn desktop(&mut self) -> Result<()> {
        self.set_viewport(Viewport::Desktop).await
    }

    /// Shows pages at 360 × 740 CSS pixels, a small phone's width.
    pub async fn phone(&mut self) -> Result<()> {
        self.set_viewport(Viewport::Phone).await
    }

    async fn set_viewport(&mut self, viewport: Viewport) -> Result<()> {
        let (width, height) = viewport.size();
        let mut window = (width, height);
        let mut inner = (0, 0);
        for _ in 0..6 {
            self.session
                .post(
                    "/window/rect",
                    json!({ "width": window.0, "height": window.1 }),
                )
                .await
                .with_context(|| format!("resizing the window to {window:?}"))?;
            // The page learns its new size a moment later, longer on a loaded machine: read it
            // until it holds still.
            let mut previous = None;
            for _ in 0..30 {
                let read = self
                    .execute("return [window.innerWidth, window.innerHeight];", vec![])
                    .await?;
                inner = (
                    read[0].as_u64().unwrap_or(0) as u32,
                    read[1].as_u64().unwrap_or(0) as u32,
                );
                if inner == (width, height) {
                    self.viewport = viewport;
                    return Ok(());
                }
                if previous == Some(inner) {
                    break;
                }
                previous = Some(inner);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // The window's frame (headless Chromium keeps room for a toolbar) takes its part: make
            // the window that much larger.
            window = (
                (window.0 + width).saturating_sub(inner.0),
                (window.1 + height).saturating_sub(inner.1),
            );
        }
        bail!(
            "the page did not become {width} × {height} CSS pixels for the {} viewport (it is {} × {})",
            viewport.name(),
            inner.0,
            inner.1
        )
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.session
            .post("/url", json!({ "url": url }))
            .await
            .with_context(|| format!("opening {url}"))
            .map(drop)
    }

    /// The address of the page shown.
    pub async fn current_url(&self) -> Result<url::Url> {
        let url = self
            .session
            .get("/url")
            .await
            .context("reading the address of the page")?;
        let url = url.as_str().unwrap_or_default();
        url::Url::parse(url).with_context(|| format!("the page's address {url:?}"))
    }

    /// The text of the page as a reader sees it (the body's `innerText`).
    pub async fn text(&self) -> Result<String> {
        let text = self
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `script` in the page as the body of a function (`arguments` holds `args`; `return`
    /// gives the answer), through WebDriver: the page's Content-Security-Policy does not apply.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.session
            .post("/execute/sync", json!({ "script": script, "args": args }))
            .await
            .context("running a script in the page")
    }

    /// The first element that matches the CSS selector `css`.
    pub async fn find(&self, css: &str) -> Result<Element> {
        let found = self
            .session
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await;
        let element = match found {
            Ok(element) => element,
            Err(error) => {
                let url = self.url_for_errors().await;
                return Err(error.context(format!("no element matches `{css}` on {url}")));
            }
        };
        let id = element[ELEMENT_KEY]
            .as_str()
            .with_context(|| format!("WebDriver found `{css}` as {element}"))?;
        Ok(Element {
            id: id.to_owned(),
            description: format!("`{css}`"),
        })
    }

    /// The visible text of `element`.
    pub async fn element_text(&self, element: &Element) -> Result<String> {
        let text = self
            .session
            .get(&format!("/element/{}/text", element.id))
            .await
            .with_context(|| format!("reading the text of {}", element.description))?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Clicks the element that matches `css`, then waits until the next page has loaded.
    pub async fn click_and_wait(&self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        self.click_element_and_wait(&element).await
    }

    /// Types `value` into the field that matches `css`, after clearing it.
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let field = self.find(css).await?;
        self.session
            .post(&format!("/element/{}/clear", field.id), json!({}))
            .await
            .with_context(|| format!("clearing `{css}`"))?;
        self.session
            .post(
                &format!("/element/{}/value", field.id),
                json!({ "text": value }),
            )
            .await
            .with_context(|| format!("typing into `{css}`"))
            .map(drop)
    }

    /// Presses keys on the keyboard, one after another, wherever the focus is (WebDriver's key
    /// actions): `keys::TAB`, `keys::ENTER`, `keys::SPACE`, `keys::DOWN`, or text to type.
    pub async fn press(&self, keys: &[&str]) -> Result<()> {
        let mut actions = Vec::new();
        for key in keys {
            for c in key.chars() {
                actions.push(json!({"type": "keyDown", "value": c.to_string()}));
                actions.push(json!({"type": "keyUp", "value": c.to_string()}));
            }
        }
        self.session
            .post(
                "/actions",
                json!({"actions": [{"type": "key", "id": "toetsenbord", "actions": actions}]}),
            )
            .await
            .context("pressing keys")?;
        self.session
            .delete("/actions")
            .await
            .context("releasing keys")
            .map(drop)
    }

    /// The element that has the keyboard focus: its `id`, tag, visible text, and whether a focus
    /// ring is drawn (an outline or a box shadow).
    pub async fn focused(&self) -> Result<Value> {
        self.execute(
            "const element = document.activeElement;
             const style = getComputedStyle(element);
             const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                          || style.boxShadow !== 'none';
             return {id: element.id, tag: element.tagName.toLowerCase(),
                     text: (element.innerText || element.value || '').trim(), ring: ring};",
            vec![],
        )
        .await
    }

    /// Chooses the option of the select list `css` whose value is `value`, or else whose visible
    /// label is `value`, by clicking it as a user would.
    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        let list = self.find(css).await?;
        let option = self
            .execute(
                r#"
                const [list, wanted] = arguments;
                const options = Array.from(list.options || []);
                const option = options.find((option) => option.value === wanted)
                    || options.find((option) => option.label.trim() === wanted.trim());
                return { option: option || null, there: options.map((option) => option.value + ' (' + option.label + ')') };
                "#,
                vec![json!({ ELEMENT_KEY: list.id }), json!(value)],
            )
            .await?;
        let Some(id) = option["option"][ELEMENT_KEY].as_str() else {
            bail!(
                "`{css}` has no option with the value or label {value:?}; it has {}",
                option["there"]
            );
        };
        self.session
            .post(&format!("/element/{id}/click"), json!({}))
            .await
            .with_context(|| format!("choosing {value:?} in `{css}`"))
            .map(drop)
    }

    /// The first visible button or link (`a[href]`, `button`, submit and button inputs, elements
    /// with the role button or link) whose visible text contains `text`. When there is none, the
    /// error lists the texts of those there are.
    pub async fn find_text(&self, text: &str) -> Result<Element> {
        let found = self
            .execute(
                r#"
                const wanted = arguments[0];
                const normal = (s) => (s || '').replace(/\s+/g, ' ').trim();
                const candidates = document.querySelectorAll(
                    'a[href], button, input[type=submit], input[type=button], [role=button], [role=link]');
                const texts = [];
                for (const element of candidates) {
                    if (element.getClientRects().length === 0) continue;
                    const shown = normal(element.tagName === 'INPUT' ? element.value : element.innerText);
                    if (shown.includes(normal(wanted))) return { element, texts };
                    texts.push(shown);
                }
                return { element: null, texts };
                "#,
                vec![json!(text)],
            )
            .await?;
        if let Some(id) = found["element"][ELEMENT_KEY].as_str() {
            return Ok(Element {
                id: id.to_owned(),
                description: format!("the button or link {text:?}"),
            });
        }
        let url = self.url_for_errors().await;
        bail!(
            "no visible button or link with the text {text:?} on {url}; there are: {}",
            found["texts"]
        )
    }

    /// Clicks the first visible button or link whose text contains `text` (see
    /// [`Browser::find_text`]), then waits until the next page has loaded.
    pub async fn click_button_with_text(&self, text: &str) -> Result<()> {
        let element = self.find_text(text).await?;
        self.click_element_and_wait(&element).await
    }

    /// Clicks `element` and waits until a new document has replaced the page and has loaded.
    pub async fn click_element_and_wait(&self, element: &Element) -> Result<()> {
        let what = &element.description;
        // A mark on the old document: gone once another one is shown.
        self.execute("window.__kindpakketOldPage = true; return null;", vec![])
            .await?;
        self.session
            .post(&format!("/element/{}/click", element.id), json!({}))
            .await
            .with_context(|| format!("clicking {what}"))?;
        wait_until(
            &format!("the page after clicking {what}"),
            PAGE_LOAD,
            || async {
                // While the next page is on its way the script may fail: that is "not yet".
                let state = self
                    .execute(
                        "return [window.__kindpakketOldPage === true, document.readyState];",
                        vec![],
                    )
                    .await?;
                when(
                    state[0] == json!(false) && state[1] == json!("complete"),
                    state,
                )
            },
        )
        .await
        .map(drop)
    }

    /// The value of the CSS `property` as computed for the first element that matches `css`.
    pub async fn computed_style(&self, css: &str, property: &str) -> Result<String> {
        let value = self
            .execute(
                r#"
                const element = document.querySelector(arguments[0]);
                return element ? getComputedStyle(element).getPropertyValue(arguments[1]) : null;
                "#,
                vec![json!(css), json!(property)],
            )
            .await?;
        match value.as_str() {
            Some(value) => Ok(value.to_owned()),
            None => {
                let url = self.url_for_errors().await;
                bail!("no element matches `{css}` on {url}")
            }
        }
    }

    /// Saves what the viewport shows as
    /// `target/test-output/screenshots/<test_name>/<nn>-<step_name>-<desktop|phone>.png` and returns
    /// that path. `nn` counts the steps of the test: screenshots of one step at both widths share
    /// it. A test's folder is emptied at its first screenshot, so it holds the last run only.
    pub async fn screenshot(&mut self, test_name: &str, step_name: &str) -> Result<PathBuf> {
        let (test_name, step_name) = (file_name_part(test_name), file_name_part(step_name));
        let dir = screenshot_root()?.join(&test_name);
        let number = match self.steps.get_mut(&test_name) {
            Some((number, last)) => {
                if *last != step_name {
                    *number += 1;
                    last.clone_from(&step_name);
                }
                *number
            }
            None => {
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)
                        .with_context(|| format!("emptying {}", dir.display()))?;
                }
                self.steps.insert(test_name.clone(), (1, step_name.clone()));
                1
            }
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!(
            "{number:02}-{step_name}-{}.png",
            self.viewport.name()
        ));
        // A screenshot asked for while the page still navigates (a form posted, a redirect) can
        // time out in Chromium ("aborted by navigation"): the page is there a moment later.
        let mut attempt = 0;
        let png = loop {
            attempt += 1;
            match self.session.get("/screenshot").await {
                Ok(png) => break png,
                Err(error) if attempt < 3 && format!("{error:#}").contains("timeout") => {
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                Err(error) => return Err(error.context("taking a screenshot")),
            }
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .context("decoding the screenshot")?;
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Runs axe-core on the page for WCAG 2.0 and 2.1, levels A and AA, and returns what it found
    /// broken, whatever the impact.
    pub async fn axe(&self) -> Result<Vec<Violation>> {
        let loaded = self
            .execute(
                "return typeof window.axe === 'object' && typeof window.axe.run === 'function';",
                vec![],
            )
            .await?;
        if loaded != json!(true) {
            let source = axe_source()?;
            // Through Execute Script: the page's Content-Security-Policy does not apply to it.
            let loaded = self
                .execute(
                    &format!("{source}\n;return typeof window.axe === 'object';"),
                    vec![],
                )
                .await
                .context("loading axe-core into the page")?;
            if loaded != json!(true) {
                bail!("axe-core did not load into the page");
            }
        }
        let script = r#"
                const [tags, done] = arguments;
                window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
                    .then((results) => done({ violations: results.violations.map((violation) => ({
                        id: violation.id,
                        impact: violation.impact,
                        help: violation.help,
                        helpUrl: violation.helpUrl,
                        targets: violation.nodes.map((node) => [].concat(node.target).join(' ')),
                    })) }))
                    .catch((error) => done({ error: String((error && error.stack) || error) }));
                "#;
        let outcome = self
            .session
            .post(
                "/execute/async",
                json!({ "script": script, "args": [WCAG_TAGS] }),
            )
            .await
            .context("running axe-core")?;
        if let Some(error) = outcome["error"].as_str() {
            bail!("axe-core failed: {error}");
        }
        let violations = outcome["violations"]
            .as_array()
            .with_context(|| format!("axe-core answered without violations: {outcome}"))?;
        Ok(violations
            .iter()
            .map(|violation| Violation {
                id: text_of(&violation["id"]),
                impact: violation["impact"].as_str().map(str::to_owned),
                help: text_of(&violation["help"]),
                help_url: text_of(&violation["helpUrl"]),
                targets: violation["targets"]
                    .as_array()
                    .map(|targets| targets.iter().map(text_of).collect())
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// Fails, listing them, when axe-core finds violations of `serious` or `critical` impact on the
    /// page; `test` and `step` name the page in the message and in the screenshot then saved.
    pub async fn assert_accessible(&mut self, test: &str, step: &str) -> Result<()> {
        let serious: Vec<Violation> = self
            .axe()
            .await?
            .into_iter()
            .filter(Violation::is_serious)
            .collect();
        if serious.is_empty() {
            return Ok(());
        }
        let url = self.url_for_errors().await;
        let screenshot = match self.screenshot(test, &format!("{step}-axe")).await {
            Ok(path) => path.display().to_string(),
            Err(error) => format!("none ({error:#})"),
        };
        let list: Vec<String> = serious
            .iter()
            .map(|violation| format!("  - {violation}"))
            .collect();
        Err(anyhow!(
            "{test}, {step}: {} serious or critical accessibility violation(s) on {url} at {} width:\n{}\nscreenshot: {screenshot}",
            serious.len(),
            self.viewport.name(),
            list.join("\n")
        ))
    }

    /// Fails when the page is wider than the viewport (`document.documentElement.scrollWidth >
    /// window.innerWidth`), so that it scrolls sideways; the message names the elements that stick out.
    pub async fn assert_fits_width(&self) -> Result<()> {
        let measured = self
            .execute(
                r#"
                const width = window.innerWidth;
                const wide = [];
                for (const element of document.body ? document.body.querySelectorAll('*') : []) {
                    const right = element.getBoundingClientRect().right + window.scrollX;
                    if (right > width + 0.5 && wide.length < 5) {
                        const classes = typeof element.className === 'string' && element.className.trim()
                            ? '.' + element.className.trim().split(/\s+/).join('.') : '';
                        wide.push(element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
                            + classes + ' (right edge at ' + Math.round(right) + 'px)');
                    }
                }
                return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide };
                "#,
                vec![],
            )
            .await?;
        let scroll_width = measured["scrollWidth"].as_u64().unwrap_or(0);
        let inner_width = measured["innerWidth"].as_u64().unwrap_or(0);
        if scroll_width > inner_width {
            let url = self.url_for_errors().await;
            bail!(
                "{url} scrolls sideways at {} width: {scroll_width} CSS pixels wide in a {inner_width} \
                 pixel viewport; sticking out: {}",
                self.viewport.name(),
                measured["wide"]
            );
        }
        Ok(())
    }

    /// Logs in through the development issuer: opens `start_url` (a platform page that sends an
    /// anonymous visitor to the issuer), clicks the button or link whose text contains `label` (the
    /// issuer's one-click users), and waits until the redirects have led back to a loaded page on the
    /// platform (the origin of `start_url`).
    pub async fn login_as(&self, start_url: &str, label: &str) -> Result<()> {
        let platform = url::Url::parse(start_url)
            .with_context(|| format!("{start_url:?} is not a URL"))?
            .origin();
        self.goto(start_url).await?;
        self.click_button_with_text(label)
            .await
            .with_context(|| format!("logging in as {label:?}"))?;
        wait_until(
            &format!(
                "back on {} after logging in as {label:?}",
                platform.ascii_serialization()
            ),
            PAGE_LOAD,
            || async {
                let url = self.current_url().await?;
                let state = self.execute("return document.readyState;", vec![]).await?;
                when(
                    url.origin() == platform && state == json!("complete"),
                    url.to_string(),
                )
            },
        )
        .await
        .map(drop)
    }

    /// Ends the session (and Chromium with it), then chromedriver.
    pub async fn close(self) -> Result<()> {
        self.session
            .close()
            .await
            .context("ending the browser session")
    }

    /// The page's address for an error message, or why there is none.
    async fn url_for_errors(&self) -> String {
        match self.current_url().await {
            Ok(url) => url.to_string(),
            Err(error) => format!("(an unknown page: {error})"),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        stop_chromedriver(&mut self.chromedriver, self.port);
    }
}

/// chromedriver between its start and the session, ended if starting fails.
struct BrowserStarting {
    chromedriver: Option<Child>,
    port: u16,
}

impl BrowserStarting {
    async fn wait_until_ready(&mut self, log_path: &Path) -> Result<()> {
        let port = self.port;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let chromedriver = &mut self.chromedriver;
        wait_until(
            &format!("chromedriver ready on port {port}"),
            Duration::from_secs(30),
            || {
                let exited = chromedriver
                    .as_mut()
                    .map(|child| child.try_wait().ok().flatten());
                let http = http.clone();
                async move {
                    if let Some(Some(status)) = exited {
                        return Err(GiveUp(format!(
                            "chromedriver exited ({status}); its log:\n{}",
                            tail(log_path, 20)
                        ))
                        .into());
                    }
                    let status: Value = http
                        .get(format!("http://127.0.0.1:{port}/status"))
                        .send()
                        .await?
                        .json()
                        .await?;
                    when(status["value"]["ready"] == json!(true), status)
                }
            },
        )
        .await
        .map(drop)
    }
}

impl Drop for BrowserStarting {
    fn drop(&mut self) {
        if let Some(mut chromedriver) = self.chromedriver.take() {
            stop_chromedriver(&mut chromedriver, self.port);
        }
    }
}

/// Asks chromedriver to shut down (it ends its sessions, and their Chromium, first), then ends
/// whatever is left of its process group.
fn stop_chromedriver(chromedriver: &mut Child, port: u16) {
    if let Ok(None) = chromedriver.try_wait() {
        let _ = request_shutdown(port);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match chromedriver.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                _ => break,
            }
        }
    }
    // Chromium's helpers, should any have outlived chromedriver (the group id is chromedriver's pid).
    let group = rustix::process::Pid::from_child(chromedriver);
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    let _ = chromedriver.kill();
    let _ = chromedriver.wait();
}

/// chromedriver's `GET /shutdown`, with a blocking socket: it is sent from `drop`.
fn request_shutdown(port: u16) -> std::io::Result<()> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(())
}

/// axe-core as `web/package-lock.json` pins it, installed by `scripts/install-deps.sh`.
fn axe_source() -> Result<String> {
    let path = workspace_dir().join(".tools/web/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: run scripts/install-deps.sh (it installs axe-core into .tools/web)",
            path.display()
        )
    })
}

/// `target/test-output/screenshots` of the target folder the test binary was built in (the one with
/// cargo's `CACHEDIR.TAG`; else the folder above the profile's, `target/debug`).
fn screenshot_root() -> Result<PathBuf> {
    let executable = std::env::current_exe().context("finding the test binary")?;
    let mut folder = executable
        .parent()
        .context("the test binary has a folder")?;
    if folder.ends_with("deps") {
        folder = folder.parent().context("target/debug")?;
    }
    let target = folder
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .or_else(|| folder.parent())
        .context("the target folder")?;
    Ok(target.join("test-output").join("screenshots"))
}

/// `name` with everything but letters, digits, `-` and `_` made `-`.
fn file_name_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// WebDriver's codes of the keys the tests press.
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SPACE: &str = " ";
    pub const DOWN: &str = "\u{E015}";
}

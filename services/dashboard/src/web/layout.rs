//! What every page carries around its content: the gemeente's house style and name, who is logged
//! in, the tasks of their role, and the form token. White-label per gemeente: a file
//! `<KINDPAKKET_HUISSTIJL_DIR>/<CBS-code>.json` names the gemeente and gives its colours and logo.

use std::collections::HashMap;
use std::path::Path;

use kindpakket_proto::{GemeenteCode, Role};
use serde::Deserialize;

/// A gemeente's house style, as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseStyle {
    /// The gemeente's name as people know it ("Den Haag").
    pub naam: String,
    /// The logo, an SVG file beside the JSON file; optional.
    #[serde(default)]
    pub logo: Option<String>,
    /// The header and primary buttons (`#rrggbb`).
    pub primair: String,
    /// Text on the primary colour (`#rrggbb`), at least 4.5:1 against it.
    #[serde(rename = "tekstOpPrimair")]
    pub on_primary: String,
    /// Links (`#rrggbb`), at least 4.5:1 against white.
    pub link: String,
}

/// Every configured house style, by gemeente.
#[derive(Debug, Clone, Default)]
pub struct HouseStyles {
    styles: HashMap<String, HouseStyle>,
    dir: Option<std::path::PathBuf>,
}

fn is_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// The relative luminance of `#rrggbb` (WCAG 2.1).
fn luminance(colour: &str) -> f64 {
    let channel = |index: usize| {
        let value = u8::from_str_radix(&colour[index..index + 2], 16).unwrap_or(0) as f64 / 255.0;
        if value <= 0.03928 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/// The contrast ratio of two colours (WCAG 2.1), from 1 to 21.
pub fn contrast(first: &str, second: &str) -> f64 {
    let (a, b) = (luminance(first), luminance(second));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

impl HouseStyles {
    /// Reads every `GM????.json` of `dir`; a file that is not a valid house style (or whose colours
    /// fail WCAG AA contrast) stops the start, naming the file.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut styles = HashMap::new();
        for entry in std::fs::read_dir(dir).map_err(|error| {
            anyhow::anyhow!("KINDPAKKET_HUISSTIJL_DIR {}: {error}", dir.display())
        })? {
            let path = entry?.path();
            let Some(code) = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .filter(|_| path.extension().is_some_and(|ext| ext == "json"))
            else {
                continue;
            };
            let code = GemeenteCode::parse(code)
                .map_err(|_| anyhow::anyhow!("{}: not named after a CBS code", path.display()))?;
            let style: HouseStyle = serde_json::from_slice(&std::fs::read(&path)?)
                .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            for colour in [&style.primair, &style.on_primary, &style.link] {
                if !is_colour(colour) {
                    anyhow::bail!("{}: colour {colour} is not #rrggbb", path.display());
                }
            }
            if contrast(&style.primair, &style.on_primary) < 4.5 {
                anyhow::bail!(
                    "{}: tekstOpPrimair on primair has less contrast than 4.5:1",
                    path.display()
                );
            }
            if contrast(&style.link, "#ffffff") < 4.5 {
                anyhow::bail!(
                    "{}: link on white has less contrast than 4.5:1",
                    path.display()
                );
            }
            if let Some(logo) = &style.logo {
                if logo.contains(['/', '\\']) || !logo.ends_with(".svg") {
                    anyhow::bail!("{}: logo must be an .svg file beside it", path.display());
                }
            }
            styles.insert(code.to_string(), style);
        }
        Ok(Self {
            styles,
            dir: Some(dir.to_owned()),
        })
    }

    pub fn get(&self, gemeente: &str) -> Option<&HouseStyle> {
        self.styles.get(gemeente)
    }

    /// The gemeente's name ("Den Haag"); its CBS code only when no house style names it.
    pub fn name(&self, gemeente: &str) -> String {
        self.get(gemeente).map_or_else(
            || format!("gemeente {gemeente}"),
            |style| style.naam.clone(),
        )
    }

    /// The style sheet of a gemeente's house style: its colours over the NL Design System tokens.
    pub fn css(&self, gemeente: &str) -> Option<String> {
        let style = self.get(gemeente)?;
        Some(format!(
            ".kp-huisstijl {{\n  --utrecht-page-header-background-color: {p};\n  --utrecht-page-header-color: {t};\n  --utrecht-button-primary-action-background-color: {p};\n  --utrecht-button-primary-action-border-color: {p};\n  --utrecht-button-primary-action-color: {t};\n  --utrecht-button-primary-action-hover-background-color: {l};\n  --utrecht-button-primary-action-hover-color: #ffffff;\n  --utrecht-link-color: {l};\n  --utrecht-link-visited-color: {l};\n  --kp-primair: {p};\n  --kp-tekst-op-primair: {t};\n}}\n",
            p = style.primair,
            t = style.on_primary,
            l = style.link,
        ))
    }

    /// The logo file of a gemeente, when it has one.
    pub fn logo_path(&self, gemeente: &str) -> Option<std::path::PathBuf> {
        let logo = self.get(gemeente)?.logo.as_ref()?;
        Some(self.dir.as_ref()?.join(logo))
    }
}

/// A task in the navigation: a page of a role's daily work.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    pub path: &'static str,
    pub label: &'static str,
    pub roles: &'static [Role],
    /// Whether the page is built; a task not yet built is not shown.
    pub ready: bool,
}

/// Every role's tasks, in the order the navigation shows them.
pub const TASKS: &[Task] = &[
    Task {
        path: "/signaleren",
        label: "Kind signaleren",
        roles: &[Role::Signaller, Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/signaleringen",
        label: "Mijn signaleringen",
        roles: &[Role::Signaller, Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/verwijzingen",
        label: "Verwijzingen",
        roles: &[Role::Partner],
        ready: true,
    },
    Task {
        path: "/aanvragen/nieuw",
        label: "Aanvraag invoeren",
        roles: &[Role::Partner, Role::Signaller, Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/aanvragen",
        label: "Aanvragen",
        // Signallers take in applications but read none (the application service's rule).
        roles: &[Role::Partner, Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/rechten",
        label: "Rechten",
        roles: &[Role::Partner],
        ready: true,
    },
    Task {
        path: "/kassa",
        label: "Pas of bon innemen",
        roles: &[Role::Partner],
        ready: true,
    },
    Task {
        path: "/declaraties",
        label: "Declaraties en facturen",
        roles: &[Role::Partner],
        ready: true,
    },
    Task {
        path: "/regie",
        label: "Werkbakken",
        roles: &[Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/regie/regeling",
        label: "Regeling",
        roles: &[Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/regie/partners",
        label: "Partners",
        roles: &[Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/regie/budgetten",
        label: "Budgetten",
        roles: &[Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/regie/doelgroep",
        label: "Doelgroep",
        roles: &[Role::Regievoerder],
        ready: true,
    },
    Task {
        path: "/ouder",
        label: "Ons Kindpakket",
        roles: &[Role::Applicant],
        ready: true,
    },
    Task {
        path: "/ouder/aanvragen",
        label: "Aanvragen",
        roles: &[Role::Applicant],
        ready: true,
    },
    Task {
        path: "/ouder/rechten",
        label: "Rechten en saldo",
        roles: &[Role::Applicant],
        ready: true,
    },
    Task {
        path: "/wensen",
        label: "Wensen",
        roles: &[Role::Applicant, Role::Partner, Role::Signaller],
        ready: true,
    },
    Task {
        path: "/overleg",
        label: "Kwartaaloverleg",
        roles: &[Role::OverlegViewer, Role::Regievoerder, Role::Auditor],
        ready: true,
    },
    Task {
        path: "/dashboard",
        label: "Dashboard",
        roles: &[Role::Regievoerder, Role::Auditor],
        ready: true,
    },
];

/// The tasks `role` sees, built ones only.
pub fn tasks_for(role: Role) -> impl Iterator<Item = &'static Task> {
    TASKS
        .iter()
        .filter(move |task| task.ready && task.roles.contains(&role))
}

/// How a role is called on the pages.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Regievoerder => "regievoerder",
        Role::Signaller => "signaleerder",
        Role::Partner => "partner",
        Role::Applicant => "ouder of verzorger",
        Role::OverlegViewer => "kwartaaloverleg",
        Role::Auditor => "controller",
        Role::System => "systeem",
    }
}

/// One entry of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// A gemeente the person may switch to.
#[derive(Debug, Clone)]
pub struct GemeenteChoice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// Everything around a page's content.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub gemeente_code: String,
    pub gemeente_name: String,
    pub huisstijl: bool,
    pub logo: bool,
    /// "Stichting Leergeld (partner)"; empty when nobody is logged in.
    pub user: String,
    pub nav: Vec<NavItem>,
    pub gemeenten: Vec<GemeenteChoice>,
    /// The form token every `POST` form carries (`_csrf`).
    pub csrf: String,
}

impl Layout {
    /// For a page nobody needs to be logged in for.
    pub fn public(title: &str, styles: &HouseStyles, gemeente: Option<&str>) -> Self {
        let code = gemeente.unwrap_or_default();
        Self {
            title: title.to_owned(),
            gemeente_code: code.to_owned(),
            gemeente_name: if code.is_empty() {
                String::new()
            } else {
                styles.name(code)
            },
            huisstijl: !code.is_empty() && styles.get(code).is_some(),
            logo: !code.is_empty() && styles.logo_path(code).is_some(),
            user: String::new(),
            nav: Vec::new(),
            gemeenten: Vec::new(),
            csrf: String::new(),
        }
    }

    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 0.01);
        assert!((contrast("#777777", "#ffffff") - 4.48).abs() < 0.01);
    }

    #[test]
    fn the_demo_house_styles_load_and_differ() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/huisstijl");
        let styles = HouseStyles::load(&dir).unwrap();
        let haag = styles.get("GM0518").unwrap();
        let groningen = styles.get("GM0014").unwrap();
        assert_ne!(haag.primair, groningen.primair);
        assert_eq!(styles.name("GM0014"), "Groningen");
        assert_eq!(styles.name("GM0363"), "gemeente GM0363");
        assert!(styles.css("GM0518").unwrap().contains(&haag.primair));
        assert!(styles.logo_path("GM0518").unwrap().exists());
    }

    #[test]
    fn a_house_style_with_too_little_contrast_is_refused() {
        let dir = tempdir();
        std::fs::write(
            dir.join("GM0001.json"),
            r##"{"naam": "Grijs", "primair": "#999999", "tekstOpPrimair": "#ffffff", "link": "#0000aa"}"##,
        )
        .unwrap();
        let refused = HouseStyles::load(&dir).unwrap_err().to_string();
        assert!(refused.contains("contrast"), "{refused}");
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("huisstijl-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

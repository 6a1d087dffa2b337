//! The quarterly report as PDF, printed by headless Chromium from a self-contained HTML file (its
//! style sheet and charts inline) in a directory of its own, removed afterwards. Chromium is
//! `KINDPAKKET_CHROMIUM`, or `chromium` on the PATH; without one the pages offer the report as a
//! page to print.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::Semaphore;

/// How long one print may take before it is stopped.
const PRINT_TIMEOUT: Duration = Duration::from_secs(60);

/// The headless browser that prints reports, and how many prints may run at once.
#[derive(Debug)]
pub struct Chromium {
    configured: Option<PathBuf>,
    /// One print at a time per instance: a browser is heavy, and the overleg prints a report a
    /// quarter, not a thousand a minute.
    printing: Semaphore,
}

/// Why no PDF came.
#[derive(Debug, PartialEq, Eq)]
pub enum PrintFailure {
    /// No Chromium on this server.
    Absent,
    /// It ran and failed, or took too long (the reason is logged, not shown).
    Failed(String),
}

impl Chromium {
    /// From `KINDPAKKET_CHROMIUM` (a path, or a name looked up on the PATH); `chromium` without it.
    pub fn configured(setting: Option<&str>) -> Self {
        Self {
            configured: setting
                .map(str::trim)
                .filter(|setting| !setting.is_empty())
                .map(PathBuf::from),
            printing: Semaphore::new(1),
        }
    }

    /// The browser's binary, when there is one.
    pub fn binary(&self) -> Option<PathBuf> {
        let wanted = self
            .configured
            .clone()
            .unwrap_or_else(|| PathBuf::from("chromium"));
        if wanted.components().count() > 1 {
            return is_executable(&wanted).then_some(wanted);
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(&wanted))
            .find(|candidate| is_executable(candidate))
    }

    /// Prints `html` (a complete, self-contained document) to PDF.
    pub async fn print(&self, html: &str) -> Result<Vec<u8>, PrintFailure> {
        let binary = self.binary().ok_or(PrintFailure::Absent)?;
        let _turn = self
            .printing
            .acquire()
            .await
            .map_err(|error| PrintFailure::Failed(error.to_string()))?;
        let dir = std::env::temp_dir().join(format!("kindpakket-rapport-{}", uuid::Uuid::new_v4()));
        let printed = print_in(&binary, &dir, html).await;
        if let Err(error) = tokio::fs::remove_dir_all(&dir).await {
            tracing::warn!(%error, dir = %dir.display(), "removing the report's print directory");
        }
        printed
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

async fn print_in(binary: &Path, dir: &Path, html: &str) -> Result<Vec<u8>, PrintFailure> {
    let failed = |what: &str, error: &dyn std::fmt::Display| {
        PrintFailure::Failed(format!("{what}: {error}"))
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|error| failed("making the print directory", &error))?;
    let source = dir.join("rapport.html");
    let target = dir.join("rapport.pdf");
    tokio::fs::write(&source, html)
        .await
        .map_err(|error| failed("writing the report", &error))?;
    let mut command = tokio::process::Command::new(binary);
    command
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--disable-extensions")
        .arg("--no-first-run")
        .arg("--no-default-browser-check")
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", dir.join("profiel").display()))
        .arg(format!("--print-to-pdf={}", target.display()))
        .arg(format!("file://{}", source.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .map_err(|error| failed("starting chromium", &error))?;
    let output = tokio::time::timeout(PRINT_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| PrintFailure::Failed("chromium took longer than a minute".into()))?
        .map_err(|error| failed("running chromium", &error))?;
    let pdf = tokio::fs::read(&target).await.unwrap_or_default();
    if !pdf.starts_with(b"%PDF") {
        return Err(PrintFailure::Failed(format!(
            "chromium made no PDF ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        )));
    }
    Ok(pdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_chromium_there_is_no_pdf_and_it_says_so() {
        let absent = Chromium::configured(Some("/nergens/chromium"));
        assert_eq!(absent.binary(), None);
        assert_eq!(
            absent.print("<html></html>").await,
            Err(PrintFailure::Absent)
        );
        let unknown = Chromium::configured(Some("geen-browser-met-deze-naam"));
        assert_eq!(unknown.binary(), None);
    }

    #[tokio::test]
    async fn a_browser_that_makes_no_pdf_is_a_failure_not_an_empty_file() {
        // `true` runs and exits 0 but prints nothing.
        let quiet = Chromium::configured(Some("/bin/true"));
        assert!(quiet.binary().is_some());
        match quiet.print("<html></html>").await {
            Err(PrintFailure::Failed(reason)) => assert!(reason.contains("no PDF"), "{reason}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}

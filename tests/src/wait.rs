//! Waiting for what happens elsewhere: the services work asynchronously (a relay publishes, consumers
//! project), so a test waits until what it expects is there, or fails saying what it saw last.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

/// How often a probe is asked again.
const EVERY: Duration = Duration::from_millis(100);

/// Asks `probe` until it answers `Ok(Some(value))`, then gives the value. `Ok(None)` and `Err(reason)`
/// both mean "not yet" (a service may be restarting); after `within`, fails with `what` and the last
/// reason, so that a test that times out says what it saw. A reason that is a [`GiveUp`] fails at
/// once: waiting longer cannot help (the process waited for has exited).
pub async fn wait_until<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + within;
    loop {
        let last = match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => String::from("not yet"),
            Err(reason) if reason.is::<GiveUp>() => bail!("{what}: {reason:#}"),
            Err(reason) => format!("{reason:#}"),
        };
        if Instant::now() > deadline {
            bail!("{what}: not within {within:?}; last seen: {last}");
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// Why waiting longer cannot help.
#[derive(Debug)]
pub struct GiveUp(pub String);

impl std::fmt::Display for GiveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GiveUp {}

/// `Ok(Some(value))` when `done`, else "not yet" with `value` shown: for probes that want the last
/// state in the failure message.
pub fn when<T: std::fmt::Debug>(done: bool, value: T) -> Result<Option<T>> {
    if done {
        Ok(Some(value))
    } else {
        bail!("{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_probe_is_asked_until_it_answers_and_a_timeout_says_what_was_seen() {
        let mut asked = 0;
        let value = wait_until("the third answer", Duration::from_secs(5), || {
            asked += 1;
            let answer = asked;
            async move { when(answer >= 3, answer) }
        })
        .await
        .unwrap();
        assert_eq!(value, 3);
        let error = wait_until("a miracle", Duration::from_millis(250), || async {
            when(false, "nothing happened")
        })
        .await
        .unwrap_err()
        .to_string();
        assert!(error.contains("a miracle"), "{error}");
        assert!(error.contains("nothing happened"), "{error}");
    }
}

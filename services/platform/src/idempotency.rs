//! A command that carries its own id (a delivery, a redemption, a declaration) may arrive twice: a
//! client retries after a timeout, a consumer gets an event redelivered. The same request again
//! changes nothing and succeeds; the same id with other data is refused. Pure, for the domain.

/// Whether a command with its own id is new, or the same request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Nothing was recorded under this id yet: carry out the command.
    First,
    /// The same request was recorded before: answer as then, record nothing.
    Again,
}

/// Compares a command with what was recorded earlier under its id: `same` says whether the earlier
/// record is the same request. A different request under a used id is refused with `reused`.
pub fn repeat_of<T, E>(
    earlier: Option<&T>,
    same: impl FnOnce(&T) -> bool,
    reused: E,
) -> Result<Repeat, E> {
    match earlier {
        None => Ok(Repeat::First),
        Some(earlier) if same(earlier) => Ok(Repeat::Again),
        Some(_) => Err(reused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_again_is_a_repeat_and_other_data_under_its_id_is_refused() {
        let recorded = [(1, 500), (2, 700)];
        let find = |id: i32| recorded.iter().find(|(i, _)| *i == id);
        assert_eq!(
            repeat_of(find(3), |_| true, "hergebruikt"),
            Ok(Repeat::First)
        );
        assert_eq!(
            repeat_of(find(1), |(_, amount)| *amount == 500, "hergebruikt"),
            Ok(Repeat::Again)
        );
        assert_eq!(
            repeat_of(find(2), |(_, amount)| *amount == 500, "hergebruikt"),
            Err("hergebruikt")
        );
    }
}

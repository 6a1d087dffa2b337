//! The wishes of a quarter (`docs/overleg.md`, "Wensen"): what children, parents, partners, schools
//! and wijkteams sent in that the package lacks, counted per category and per source. A wish names
//! nobody, but a count of few wishes from one school could still point at a family, so the overleg
//! reads them through the same policy as every count: the total through [`Policy::count`], each
//! grouping through [`Policy::protect_breakdown`] with the total as its total.

use kindpakket_platform::http::vocabulary::{WishCategoryDto, WishSourceDto};
use kindpakket_proto::regie::{WishCategory, WishSource};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;

use super::disclosure::{Policy, Relation};
use super::queries::Window;

/// One gemeente's wishes in a quarter, counted exactly: every category and every source, in their
/// fixed order, zeros included (what nobody asks for is worth reading too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WishTally {
    pub total: i64,
    pub categories: Vec<(String, i64)>,
    pub sources: Vec<(String, i64)>,
}

/// The wishes as a reader may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct WishFigures {
    #[serde(rename = "totaal")]
    pub total: Option<i64>,
    #[serde(rename = "categorieen")]
    pub categories: Vec<CategoryRow>,
    #[serde(rename = "van")]
    pub sources: Vec<SourceRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CategoryRow {
    /// `sport`, `cultuur_muziek`, `zwemles`, … as the regie API names them.
    #[serde(rename = "categorie")]
    pub category: String,
    #[serde(rename = "aantal")]
    pub count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SourceRow {
    /// `kind`, `ouder`, `partner`, `school` or `wijkteam`.
    #[serde(rename = "van")]
    pub source: String,
    #[serde(rename = "aantal")]
    pub count: Option<i64>,
}

/// The Dutch word of a contract value, as the dashboard keeps it.
fn dutch<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The wishes dated in the window that occurred before its moment.
pub async fn tally(
    pool: &PgPool,
    gemeente: &str,
    window: Window,
) -> Result<WishTally, sqlx::Error> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT category, source, count(*) FROM wishes
         WHERE gemeente = $1 AND submitted_on BETWEEN $2 AND $3 AND occurred_at < $4
         GROUP BY category, source",
    )
    .bind(gemeente)
    .bind(window.from)
    .bind(window.to)
    .bind(window.as_of)
    .fetch_all(pool)
    .await?;
    Ok(tally_of(&rows))
}

/// Counts (category, source, wishes) into every category and every source.
pub fn tally_of(rows: &[(String, String, i64)]) -> WishTally {
    let sum = |matches: &dyn Fn(&(String, String, i64)) -> bool| -> i64 {
        rows.iter()
            .filter(|row| matches(row))
            .map(|row| row.2)
            .sum()
    };
    WishTally {
        total: sum(&|_| true),
        categories: WishCategory::ALL
            .into_iter()
            .map(|category| {
                let word = dutch(WishCategoryDto::from(category));
                let count = sum(&|row| row.0 == word);
                (word, count)
            })
            .collect(),
        sources: WishSource::ALL
            .into_iter()
            .map(|source| {
                let word = dutch(WishSourceDto::from(source));
                let count = sum(&|row| row.1 == word);
                (word, count)
            })
            .collect(),
    }
}

/// The wishes as `policy` discloses them: the total a count, each grouping a breakdown of it.
pub fn disclose(policy: Policy, tally: &WishTally) -> WishFigures {
    let grouping = |parts: &[(String, i64)]| {
        policy.protect_breakdown(&Relation {
            total: tally.total,
            parts: parts.iter().map(|(_, count)| *count).collect(),
        })
    };
    let categories = grouping(&tally.categories);
    let sources = grouping(&tally.sources);
    WishFigures {
        total: policy.count(tally.total),
        categories: tally
            .categories
            .iter()
            .zip(categories)
            .map(|((category, _), count)| CategoryRow {
                category: category.clone(),
                count,
            })
            .collect(),
        sources: tally
            .sources
            .iter()
            .zip(sources)
            .map(|((source, _), count)| SourceRow {
                source: source.clone(),
                count,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVERLEG: Policy = Policy::DEFAULT_OVERLEG;

    fn rows() -> Vec<(String, String, i64)> {
        vec![
            ("zwemles".to_owned(), "ouder".to_owned(), 14),
            ("zwemles".to_owned(), "kind".to_owned(), 9),
            ("fiets".to_owned(), "school".to_owned(), 3),
        ]
    }

    fn count_of<'a>(
        rows: impl IntoIterator<Item = (&'a str, Option<i64>)>,
        of: &str,
    ) -> Option<i64> {
        rows.into_iter()
            .find(|(word, _)| *word == of)
            .and_then(|(_, count)| count)
    }

    #[test]
    fn wishes_are_counted_per_category_and_source_in_the_apis_words() {
        let tally = tally_of(&rows());
        assert_eq!(tally.total, 26);
        assert_eq!(tally.categories.len(), 10, "every category, zeros too");
        assert_eq!(tally.sources.len(), 5);
        let exact = disclose(Policy::Exact, &tally);
        let categories = || {
            exact
                .categories
                .iter()
                .map(|r| (r.category.as_str(), r.count))
        };
        assert_eq!(count_of(categories(), "zwemles"), Some(23));
        assert_eq!(count_of(categories(), "fiets"), Some(3));
        assert_eq!(count_of(categories(), "sport"), Some(0));
        let sources = || exact.sources.iter().map(|r| (r.source.as_str(), r.count));
        assert_eq!(count_of(sources(), "ouder"), Some(14));
        assert_eq!(count_of(sources(), "kind"), Some(9));
        assert_eq!(count_of(sources(), "school"), Some(3));
        assert_eq!(count_of(sources(), "wijkteam"), Some(0));
        assert_eq!(exact.total, Some(26));
    }

    #[test]
    fn few_wishes_are_hidden_with_a_second_cell_and_zeros_stay_shown() {
        let figures = disclose(OVERLEG, &tally_of(&rows()));
        assert_eq!(figures.total, Some(25), "26 rounded");
        let categories = || {
            figures
                .categories
                .iter()
                .map(|r| (r.category.as_str(), r.count))
        };
        // The 3 bicycles are hidden; 26 - 23 would tell them, so the swimming lessons hide too.
        assert_eq!(count_of(categories(), "fiets"), None);
        assert_eq!(count_of(categories(), "zwemles"), None);
        assert!(
            figures
                .categories
                .iter()
                .filter(|r| r.category != "fiets" && r.category != "zwemles")
                .all(|r| r.count == Some(0)),
            "{figures:?}"
        );
        let sources = || figures.sources.iter().map(|r| (r.source.as_str(), r.count));
        // The school's 3 and the children's 9 are hidden; together 12, not fewer than the
        // threshold, so the parents' 14 may stay (as 15).
        assert_eq!(count_of(sources(), "school"), None);
        assert_eq!(count_of(sources(), "kind"), None);
        assert_eq!(count_of(sources(), "ouder"), Some(15));
        assert_eq!(count_of(sources(), "partner"), Some(0));
    }
}

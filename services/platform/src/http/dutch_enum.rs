/// Defines an API enum whose values are Dutch words, mapped one to one onto a `proto` enum:
/// `dutch_enum!(ReasonDto <=> SignalReason { LowIncome = "laag_inkomen", Debts = "schulden" });`
#[macro_export]
macro_rules! dutch_enum {
    ($(#[$doc:meta])* $dto:ident <=> $domain:path { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        pub enum $dto {
            $(#[serde(rename = $word)] $variant),+
        }

        impl From<$dto> for $domain {
            fn from(value: $dto) -> Self {
                match value {
                    $($dto::$variant => <$domain>::$variant),+
                }
            }
        }

        impl From<$domain> for $dto {
            fn from(value: $domain) -> Self {
                match value {
                    $(<$domain>::$variant => $dto::$variant),+
                }
            }
        }
    };
}

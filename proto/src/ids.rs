//! Validated identifiers. Each parses from a string at the edge and cannot hold an invalid value.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why an identifier was refused; the message is Dutch because people read it in API errors. It
/// completes a sentence that names the field ("het veld 'gemeente' is geen geldige gemeentecode: …")
/// and never repeats the refused value, which may be anything a caller typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    pub message: String,
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InvalidId {}

/// A gemeente by its CBS code, `GM` followed by four digits (e.g. `GM0518` for 's-Gravenhage).
/// It is the tenancy key: on every event and in every NATS subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GemeenteCode(String);

impl GemeenteCode {
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let bytes = value.as_bytes();
        let valid = bytes.len() == 6
            && value.starts_with("GM")
            && bytes[2..].iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidId {
                message: "is geen geldige gemeentecode: gebruik de CBS-code, GM gevolgd door vier cijfers (bijvoorbeeld GM0518)".to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for GemeenteCode {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<GemeenteCode> for String {
    fn from(value: GemeenteCode) -> Self {
        value.0
    }
}

impl fmt::Display for GemeenteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for GemeenteCode {
    fn schema_name() -> Cow<'static, str> {
        "GemeenteCode".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^GM[0-9]{4}$",
            "description": "CBS code of the gemeente, e.g. GM0518"
        })
    }
}

/// A wijk (district) by its CBS code, `WK` followed by six digits: the gemeente's four and the
/// wijk's two (e.g. `WK051801`). Routes and referrals name a wijk this way, never by an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WijkCode(String);

impl WijkCode {
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let bytes = value.as_bytes();
        let valid = bytes.len() == 8
            && value.starts_with("WK")
            && bytes[2..].iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidId {
                message: "is geen geldige wijkcode: gebruik de CBS-code, WK gevolgd door zes cijfers (bijvoorbeeld WK051801)".to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WijkCode {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WijkCode> for String {
    fn from(value: WijkCode) -> Self {
        value.0
    }
}

impl fmt::Display for WijkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for WijkCode {
    fn schema_name() -> Cow<'static, str> {
        "WijkCode".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^WK[0-9]{6}$",
            "description": "CBS code of the wijk, e.g. WK051801"
        })
    }
}

/// Defines a short lowercase code (`a-z`, `0-9`, `-`, 2 to 64 characters), used for organisations and
/// provisions so that the code reads well in URLs, subjects and reports.
macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                let valid_length = (2..=64).contains(&value.len());
                let valid_chars = value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                let valid_edges = !value.starts_with('-') && !value.ends_with('-');
                if valid_length && valid_chars && valid_edges {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(InvalidId {
                        message: concat!("is geen geldige ", $what, ": gebruik 2 tot 64 kleine letters, cijfers of streepjes (bijvoorbeeld ", $example, ")").to_owned(),
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "pattern": "^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$",
                    "description": concat!($what, ", e.g. ", $example)
                })
            }
        }
    };
}

slug_id!(
    /// An organisation taking part: the gemeente's own departments, partners, signallers
    /// (e.g. `leergeld-den-haag`, `wijkteam-centrum`).
    OrganisationId,
    "organisatiecode",
    "leergeld-den-haag"
);

impl OrganisationId {
    /// A service of the platform itself, acting on its own (a job, or a command caused by an event).
    pub fn of_service(service: crate::Service) -> Self {
        Self(service.as_str().to_owned())
    }

    /// The gemeente's own general means, as a funder: who pays when a regeling names nobody.
    pub fn gemeente() -> Self {
        Self("gemeente".to_owned())
    }

    /// A parent who declared a receipt for their own household's entitlement (who exactly stays in
    /// the provision service's store): the submitter a declaration names then.
    pub fn parent() -> Self {
        Self("ouder".to_owned())
    }
}

slug_id!(
    /// A provision in a gemeente's catalogue (e.g. `sportcontributie`, `fiets-brugklas`).
    ProvisionCode,
    "voorzieningscode",
    "sportcontributie"
);

/// Defines a pseudonymous reference: a random UUID that stands for a person or household without
/// saying who it is. The link to a real identity lives only in the gemeente's identity store.
macro_rules! pseudonym {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

pseudonym!(
    /// A child, pseudonymously.
    ChildRef
);
pseudonym!(
    /// A household, pseudonymously.
    HouseholdRef
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemeente_code_accepts_cbs_codes_only() {
        assert!(GemeenteCode::parse("GM0518").is_ok());
        for bad in ["gm0518", "GM518", "GM05180", "0518", "GMabcd", ""] {
            let error = GemeenteCode::parse(bad).unwrap_err();
            assert!(
                error.message.contains("geen geldige gemeentecode"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn wijk_code_accepts_cbs_codes_only() {
        assert!(WijkCode::parse("WK051801").is_ok());
        for bad in [
            "wk051801",
            "WK05180",
            "WK0518011",
            "GM051801",
            "WKabcdef",
            "",
        ] {
            let error = WijkCode::parse(bad).unwrap_err();
            assert!(
                error.message.contains("geen geldige wijkcode"),
                "{bad}: {error}"
            );
        }
        assert!(serde_json::from_str::<WijkCode>("\"WK05\"").is_err());
    }

    #[test]
    fn organisation_codes_are_lowercase_slugs() {
        assert!(OrganisationId::parse("leergeld-den-haag").is_ok());
        for bad in [
            "Leergeld",
            "a",
            "-leergeld",
            "leergeld-",
            "leer geld",
            "leergeld_dh",
        ] {
            assert!(
                OrganisationId::parse(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn identifiers_refuse_invalid_values_when_deserialised() {
        let result: Result<GemeenteCode, _> = serde_json::from_str("\"GM12\"");
        assert!(result.is_err());
        let ok: GemeenteCode = serde_json::from_str("\"GM0014\"").unwrap();
        assert_eq!(ok.as_str(), "GM0014");
    }
}

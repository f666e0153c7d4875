//! Optional ISO-8601 times in requests, refused with a message that gives
//! the expected form rather than the parser's "invalid characters".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// Reads an optional RFC 3339 time (`2030-01-01T00:00:00Z`, or with an offset).
pub(super) fn option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|time| Some(time.with_timezone(&Utc)))
        .map_err(|_| {
            serde::de::Error::custom(format!(
                "{:?} is not an ISO-8601 time: use the form 2030-01-01T09:30:00Z \
                 (or an offset such as +02:00 instead of Z)",
                text.chars().take(64).collect::<String>()
            ))
        })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct At {
        #[serde(default, deserialize_with = "super::option")]
        at: Option<chrono::DateTime<chrono::Utc>>,
    }

    #[test]
    fn times_with_an_offset_are_read_and_garbage_names_the_form() {
        let at: At = serde_json::from_str(r#"{"at": "2030-01-01T10:00:00+01:00"}"#).expect("valid");
        assert_eq!(
            at.at.expect("some").to_rfc3339(),
            "2030-01-01T09:00:00+00:00"
        );
        let none: At = serde_json::from_str(r#"{"at": null}"#).expect("null");
        assert!(none.at.is_none());
        let error = serde_json::from_str::<At>(r#"{"at": "tomorrow"}"#).expect_err("refused");
        assert!(
            error.to_string().contains("2030-01-01T09:30:00Z"),
            "{error}"
        );
    }
}

//! The start-up check of the types a worker asks for: a type the server runs
//! itself is taken by the server's own pool first, and an unknown type is
//! refused, so either would leave the worker waiting without a word.

use reqwest::Method;
use serde::Deserialize;

use super::protocol::Protocol;

/// One type as `GET /api/types` lists it.
#[derive(Debug, Deserialize)]
struct TypeInfo {
    name: String,
    /// Absent from servers older than this field: taken as remote.
    #[serde(default)]
    local: bool,
}

/// Warns about every asked-for type the server runs itself or does not
/// know. Best effort: a server that cannot answer now is no reason to wait.
pub(super) async fn warn_about_types(protocol: &Protocol) {
    let client = protocol.client();
    let request = client.request(Method::GET, "/api/types");
    let known: Vec<TypeInfo> = match client.send_json(request).await {
        Ok(known) => known,
        Err(error) => {
            tracing::debug!("cannot check the task types now: {error}");
            return;
        }
    };
    for warning in warnings(protocol.types(), &known) {
        tracing::warn!("{warning}");
    }
}

fn warnings(asked: &[String], known: &[TypeInfo]) -> Vec<String> {
    asked
        .iter()
        .filter_map(|name| match known.iter().find(|t| &t.name == name) {
            None => Some(format!(
                "the server does not know task type {name}: declare it there with --remote-types"
            )),
            Some(info) if info.local => Some(format!(
                "the server runs task type {name} itself: its own workers take those tasks \
                 first, so this worker will rarely or never get one (declare a type of its \
                 own with --remote-types)"
            )),
            Some(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_unknown_types_are_warned_about() {
        let known = [
            TypeInfo {
                name: "EMAIL".into(),
                local: true,
            },
            TypeInfo {
                name: "RESIZE".into(),
                local: false,
            },
        ];
        let asked = ["EMAIL".to_owned(), "RESIZE".to_owned(), "NOPE".to_owned()];
        let said = warnings(&asked, &known);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].contains("runs task type EMAIL itself"));
        assert!(said[1].contains("does not know task type NOPE"));
    }
}

//! The HTTP client the command-line tools share: where the server is, the
//! bearer token, and errors that say whether trying again can help.

use std::time::Duration;

use clap::Args;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;

/// How long a call may take, unless it says otherwise (a long poll does).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server to talk to, and how to prove who we are.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The RustQueue server's base URL.
    #[arg(
        long,
        global = true,
        env = "RUSTQUEUE_SERVER",
        default_value = "http://127.0.0.1:8000"
    )]
    pub server: String,

    /// The server's API token, sent as `Authorization: Bearer <token>`.
    #[arg(
        long,
        global = true,
        env = "RUSTQUEUE_API_TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,
}

/// Why a call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: the server is down, restarting, or the network failed.
    #[error("cannot reach the server: {0}")]
    Unreachable(#[source] reqwest::Error),
    /// The server answered with an error status and its `detail`.
    #[error("{detail} (HTTP {status})")]
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// The server's `detail`, or the body itself when it has none.
        detail: String,
    },
    /// A setting the client cannot use, such as a malformed `--server`.
    #[error("{0}")]
    Invalid(String),
    /// A success whose body is not what the API promises.
    #[error("unexpected answer from the server: {0}")]
    Unexpected(String),
}

impl ClientError {
    /// Whether the same call may succeed later: no answer, an overloaded or
    /// unavailable server (5xx, 429). A 4xx other than 429 will not change.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Refused { status, .. } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
            Self::Invalid(_) | Self::Unexpected(_) => false,
        }
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A connection pool to one server, with its token.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl ApiClient {
    /// A client for the server these arguments name.
    pub fn new(args: &ServerArgs) -> Result<Self, ClientError> {
        let base = args.server.trim().trim_end_matches('/').to_owned();
        // This build speaks plain HTTP only (no TLS stack): put a proxy in front for https.
        if !base.starts_with("http://") {
            return Err(ClientError::Invalid(format!(
                "--server must be an http:// URL, not {:?}",
                args.server
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(ClientError::Unreachable)?;
        // An empty variable (RUSTQUEUE_API_TOKEN=) means no token, as for the server.
        let token = args.api_token.clone().filter(|token| !token.is_empty());
        Ok(Self { http, base, token })
    }

    /// A request to `path` (which starts with `/`), with the token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(CALL_TIMEOUT);
        match &self.token {
            Some(token) => builder.header(AUTHORIZATION, format!("Bearer {token}")),
            None => builder,
        }
    }

    /// A request carrying a JSON body.
    pub fn with_json(&self, method: Method, path: &str, body: &impl Serialize) -> RequestBuilder {
        self.request(method, path).json(body)
    }

    /// A request carrying JSON text exactly as given (payloads stay byte for byte).
    pub fn with_json_text(&self, method: Method, path: &str, body: String) -> RequestBuilder {
        self.request(method, path)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
    }

    /// Sends a request; a success answers its body's text, an error status its `detail`.
    pub async fn send(&self, request: RequestBuilder) -> Result<String, ClientError> {
        let response = request.send().await.map_err(ClientError::Unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(ClientError::Unreachable)?;
        if status.is_success() {
            return Ok(text);
        }
        Err(ClientError::Refused {
            status,
            detail: detail_of(&text, status),
        })
    }

    /// Sends a request and parses the JSON answer.
    pub async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, ClientError> {
        let text = self.send(request).await?;
        serde_json::from_str(&text).map_err(|error| ClientError::Unexpected(error.to_string()))
    }
}

/// The `detail` of an error body; a body in another shape (a proxy's page)
/// is shown as it is, shortened, so people still see what answered.
fn detail_of(text: &str, status: StatusCode) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        detail: serde_json::Value,
    }
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(ErrorBody {
            detail: serde_json::Value::String(detail),
        }) => detail,
        Ok(ErrorBody { detail }) => detail.to_string(),
        Err(_) if text.trim().is_empty() => status.canonical_reason().unwrap_or("error").to_owned(),
        Err(_) => text.trim().chars().take(500).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_come_from_the_body_or_the_status() {
        let status = StatusCode::NOT_FOUND;
        assert_eq!(
            detail_of(r#"{"detail": "Job x not found"}"#, status),
            "Job x not found"
        );
        assert_eq!(detail_of("", status), "Not Found");
        assert_eq!(
            detail_of("<html>bad gateway</html>", status),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn only_answers_that_may_change_are_transient() {
        let refused = |status| ClientError::Refused {
            status,
            detail: String::new(),
        };
        assert!(refused(StatusCode::SERVICE_UNAVAILABLE).is_transient());
        assert!(refused(StatusCode::TOO_MANY_REQUESTS).is_transient());
        assert!(!refused(StatusCode::UNAUTHORIZED).is_transient());
        assert!(!refused(StatusCode::CONFLICT).is_transient());
    }

    #[test]
    fn the_server_must_be_an_http_url() {
        let args = |server: &str| ServerArgs {
            server: server.into(),
            api_token: Some(String::new()),
        };
        assert!(ApiClient::new(&args("localhost:8000")).is_err());
        let client = ApiClient::new(&args("http://127.0.0.1:8000/")).expect("valid");
        assert_eq!(client.base, "http://127.0.0.1:8000");
        assert_eq!(client.token, None);
    }
}

//! Browser origins: the allowed list (normalised as browsers write them) and
//! the guard that refuses cross-site requests that would change the queue.
//!
//! A browser sends a cross-site POST with a "simple" body (`text/plain`, a
//! form, no body at all) without asking first, so CORS alone cannot stop a
//! page on another site from enqueueing, deleting or clearing on a RustQueue
//! at localhost. The guard looks at what the browser always sends: `Origin`
//! on every cross-origin request that changes state, and `Sec-Fetch-Site`.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Parses an origin as a browser writes it in `Origin`: `scheme://host[:port]`,
/// lower case, without a default port or a trailing slash.
pub fn normalize_origin(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let invalid =
        |why: &str| format!("{trimmed:?} is not an origin ({why}); write it as http://host:port");
    let uri: Uri = trimmed.parse().map_err(|_| invalid("unparsable"))?;
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let default_port = match scheme.as_deref() {
        Some("http") => 80,
        Some("https") => 443,
        _ => return Err(invalid("the scheme must be http or https")),
    };
    let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("an origin has no user name"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(invalid("an origin has no path or query"));
    }
    let host = authority.host().to_ascii_lowercase();
    let scheme = scheme.unwrap_or_default();
    Ok(match authority.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// The origins allowed to change the queue from a browser, besides the server's own.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Arc<HashSet<String>>);

impl AllowedOrigins {
    /// The allowed set, normalised; an invalid origin is refused.
    pub fn new(origins: &[String]) -> Result<Self, String> {
        let set = origins
            .iter()
            .filter(|origin| !origin.trim().is_empty())
            .map(|origin| normalize_origin(origin))
            .collect::<Result<HashSet<_>, _>>()?;
        Ok(Self(Arc::new(set)))
    }

    /// Every allowed origin, for the CORS layer.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether a request with these headers may change state: not from a
    /// browser (no `Origin`, not marked cross-site), or from the server's
    /// own origin, or from an allowed one.
    fn permits(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(origin) = headers.get(ORIGIN) else {
            let cross_site = headers
                .get("sec-fetch-site")
                .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"));
            return match cross_site {
                true => Err("cross-site request refused".to_owned()),
                false => Ok(()),
            };
        };
        let origin = origin.to_str().unwrap_or("");
        let Ok(normalized) = normalize_origin(origin) else {
            return Err(format!("cross-site request refused: origin {origin:?}"));
        };
        if self.0.contains(&normalized) || same_origin(&normalized, headers) {
            return Ok(());
        }
        Err(format!(
            "cross-site request refused: origin {normalized} is not allowed (see FRONTEND_ORIGIN)"
        ))
    }
}

/// Whether the origin names the host the request was sent to (the
/// dashboard this server serves calls its own API).
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    let with_default_port = |port: &str| format!("{authority}:{port}");
    let host = host.to_ascii_lowercase();
    host == authority
        || (origin.starts_with("http://") && host == with_default_port("80"))
        || (origin.starts_with("https://") && host == with_default_port("443"))
}

/// Refuses, with 403, requests that change state (any method but GET, HEAD
/// and OPTIONS) coming from a browser on another site.
pub async fn refuse_cross_site(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && let Err(detail) = allowed.permits(request.headers()) {
        return ApiError::new(StatusCode::FORBIDDEN, detail).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origins_are_written_as_browsers_send_them() {
        for (given, expected) in [
            ("http://127.0.0.1:5173/", "http://127.0.0.1:5173"),
            (" HTTP://LocalHost:5173 ", "http://localhost:5173"),
            ("https://queue.example.com:443", "https://queue.example.com"),
            ("http://example.com:80/", "http://example.com"),
            ("http://[::1]:8000", "http://[::1]:8000"),
        ] {
            assert_eq!(normalize_origin(given).as_deref(), Ok(expected), "{given}");
        }
        for invalid in [
            "localhost:5173",
            "ftp://example.com",
            "http://example.com/app",
            "http://example.com?x=1",
            "http://user@example.com",
            "http://",
            "*",
        ] {
            assert!(normalize_origin(invalid).is_err(), "{invalid} accepted");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_other_sites_are_refused() {
        let allowed = AllowedOrigins::new(&["http://localhost:5173/".to_owned()]).expect("valid");
        let host = ("host", "127.0.0.1:8000");
        for permitted in [
            headers(&[host]),
            headers(&[host, ("origin", "http://localhost:5173")]),
            headers(&[host, ("origin", "http://127.0.0.1:8000")]),
            headers(&[
                ("host", "queue.example.com"),
                ("origin", "http://queue.example.com"),
            ]),
            headers(&[host, ("sec-fetch-site", "same-origin")]),
        ] {
            assert!(allowed.permits(&permitted).is_ok(), "{permitted:?}");
        }
        for refused in [
            headers(&[host, ("origin", "http://evil.example")]),
            headers(&[host, ("origin", "http://127.0.0.1:8001")]),
            headers(&[host, ("origin", "null")]),
            headers(&[host, ("sec-fetch-site", "cross-site")]),
        ] {
            assert!(allowed.permits(&refused).is_err(), "{refused:?}");
        }
    }
}

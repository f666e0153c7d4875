//! The dashboard: the built React app (`dashboard/dist`, made by `build.rs`),
//! embedded in the binary and served at `/`. Paths without a file of their own
//! get `index.html`, so client-side routes such as `/tasks/<id>` survive a
//! reload; the API's and the docs' paths never do, so a mistyped API call still
//! gets the JSON 404.

use axum::extract::OriginalUri;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::{EmbeddedFile, RustEmbed};

use crate::error::ApiError;

/// The files of `dashboard/dist`; none when the build skipped the dashboard
/// (`RUSTQUEUE_SKIP_DASHBOARD=1`), and then every page says it was not built.
#[derive(RustEmbed)]
#[folder = "../../dashboard/dist/"]
#[allow_missing = true]
struct Assets;

/// Paths the server answers itself: never the dashboard.
const SERVER_PATHS: &[&str] = &[
    "/api",
    "/openapi.json",
    "/docs",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// The page may load only its own scripts and styles and talk only to its own
/// origin; no page may frame it (its buttons delete tasks).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The router's fallback: a dashboard file, `index.html` for a client route, or the JSON 404.
pub async fn serve(method: Method, OriginalUri(uri): OriginalUri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if !matches!(method, Method::GET | Method::HEAD) || is_server_path(path) {
        return not_found();
    }
    let name = path.trim_start_matches('/');
    if let Some(file) = (!name.is_empty()).then(|| Assets::get(name)).flatten() {
        return file_response(&file, name, &headers);
    }
    // A missing file (it has an extension) is a 404; anything else is a page of the app.
    let last = name.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return not_found();
    }
    match Assets::get("index.html") {
        Some(index) => file_response(&index, "index.html", &headers),
        None => not_built(),
    }
}

fn is_server_path(path: &str) -> bool {
    SERVER_PATHS.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

fn file_response(file: &EmbeddedFile, name: &str, request: &HeaderMap) -> Response {
    let etag = etag(file);
    let mut headers = HeaderMap::new();
    // Vite puts a content hash in every name under assets/, so those never change.
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if name == "index.html" {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    let fresh = request
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if let Ok(value) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(CONTENT_TYPE, value);
    }
    (headers, file.data.clone()).into_response()
}

fn etag(file: &EmbeddedFile) -> String {
    let hash = file.metadata.sha256_hash();
    let hex: String = hash[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("\"{hex}\"")
}

fn not_found() -> Response {
    // The same answer as the router's other unknown paths.
    ApiError::not_found("Not Found").into_response()
}

fn not_built() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "the dashboard was not built into this binary: run `npm ci && npm run build` in dashboard/ and rebuild",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Router::new()
            .fallback(serve)
            .oneshot(request.body(Body::empty()).expect("valid request"))
            .await
            .expect("infallible")
    }

    async fn text(response: Response) -> String {
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn header<'a>(response: &'a Response, name: &str) -> &'a str {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn the_root_and_client_routes_get_the_app() {
        for path in [
            "/",
            "/tasks/01a2206a-393c-7065-9572-fa5ca15da2cd",
            "/queues?x=1",
        ] {
            let response = get(path, &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert!(header(&response, "content-type").starts_with("text/html"));
            assert!(
                header(&response, "content-security-policy").contains("frame-ancestors 'none'")
            );
            assert_eq!(header(&response, "cache-control"), "no-cache");
            assert!(text(response).await.contains("<div id=\"root\">"));
        }
    }

    #[tokio::test]
    async fn hashed_assets_are_cached_for_good() {
        let asset = Assets::iter()
            .find(|name| name.starts_with("assets/") && name.ends_with(".js"))
            .expect("the build has a script");
        let response = get(&format!("/{asset}"), &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(header(&response, "content-type").contains("javascript"));
        assert!(header(&response, "cache-control").contains("immutable"));
    }

    #[tokio::test]
    async fn a_known_etag_gets_304() {
        let first = get("/", &[]).await;
        let etag = header(&first, "etag").to_owned();
        assert!(!etag.is_empty());
        let again = get("/", &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }

    #[tokio::test]
    async fn server_paths_and_missing_files_keep_the_json_404() {
        for path in [
            "/api",
            "/api/nope",
            "/openapi.json",
            "/docs/nope",
            "/healthz",
            "/readyz/x",
            "/missing.png",
            "/assets/gone.js",
        ] {
            let response = get(path, &[]).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(text(response).await.contains("\"detail\""), "{path}");
        }
    }

    #[tokio::test]
    async fn only_reads_get_the_app() {
        let response = Router::new()
            .fallback(serve)
            .oneshot(
                Request::post("/")
                    .body(Body::empty())
                    .expect("valid request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}

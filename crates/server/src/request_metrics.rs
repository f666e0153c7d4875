//! HTTP requests counted and timed by route and status, for `/metrics`. The
//! route is the matched path template (`/api/jobs/{id}`), never the raw URL,
//! so ids do not become series.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The labels of one series: method, route template and status code.
type Labels = Vec<(&'static str, String)>;

/// The route label of requests no route matched (the dashboard's files,
/// unknown paths): one series for all of them.
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the buckets, in seconds: API calls take milliseconds,
/// long-polling lease calls up to their wait.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Request durations by method, route and status; clones share the series.
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    durations: Family<Labels, Histogram, fn() -> Histogram>,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self {
            durations: Family::new_with_constructor(histogram),
        }
    }
}

impl RequestMetrics {
    /// Counts one request that took `seconds`.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = vec![
            ("method", method.to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        self.durations.get_or_create(&labels).observe(seconds);
    }

    /// Adds the series to a scrape's registry.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "http_request_duration_seconds",
            "HTTP requests served by this node, by method, route template and status, \
             until the response head (an event stream counts until it opens)",
            self.durations.clone(),
        );
    }
}

/// The method label: a client may send any token as a method, so the
/// unusual ones share one series.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("OTHER", |known| known.as_str())
}

/// Middleware: times every request, labelled with its matched route.
pub async fn track(
    State(metrics): State<RequestMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    metrics.observe(&method, &route, response.status().as_u16(), seconds);
    response
}

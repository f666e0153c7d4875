//! Distributed tracing: each HTTP request's span continues the caller's W3C
//! trace context, an enqueue stores the context its task's attempts continue,
//! and spans go to an OpenTelemetry collector over OTLP when an endpoint is set.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::{HeaderMap, Request, request::Parts};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use rustqueue_core::trace::parse_traceparent;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::request_metrics::UNMATCHED;

/// The W3C header that carries a trace context.
const TRACEPARENT: &str = "traceparent";

/// The OTLP path of traces under a collector's base URL.
const TRACES_PATH: &str = "/v1/traces";

/// Reads a trace context from request headers.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

/// The span of one HTTP request, named after its route template, a child of
/// the trace context the caller sent (if any).
pub fn request_span<B>(request: &Request<B>) -> Span {
    let method = request.method().as_str();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = method,
        http.route = route,
        url.path = request.uri().path(),
    );
    let parent = TraceContextPropagator::new().extract(&Headers(request.headers()));
    // Without the OpenTelemetry layer there is nothing to link, and nothing lost.
    let _ = span.set_parent(parent);
    span
}

/// Makes `traceparent` the parent of `span`: the engine's hook for attempts.
pub fn link_span(span: &Span, traceparent: &str) {
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    let parent = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(parent);
}

/// The `traceparent` of the current span, when spans are being traced.
fn current_traceparent() -> Option<String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&Span::current().context(), &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The trace context a task enqueued by this request stores: the request's
/// own span when tracing is on (so the trace shows request, then attempts),
/// else the caller's `traceparent` header as sent, when well-formed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceParent(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for TraceParent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let sent = || {
            parts
                .headers
                .get(TRACEPARENT)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_traceparent)
        };
        Ok(Self(current_traceparent().or_else(sent)))
    }
}

/// The collector URL for traces: `base` as given when it names a path,
/// else `base` + `/v1/traces` (the way `OTEL_EXPORTER_OTLP_ENDPOINT` is read).
fn traces_url(base: &str) -> String {
    let trimmed = base.trim_end_matches('/');
    let has_path = trimmed
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        trimmed.to_owned()
    } else {
        format!("{trimmed}{TRACES_PATH}")
    }
}

/// A tracer provider that sends spans in batches to the OTLP/HTTP collector
/// at `endpoint`; the service is named by `OTEL_SERVICE_NAME`, else `rustqueue`.
pub fn otlp_provider(endpoint: &str) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url(endpoint))
        .build()
        .map_err(|error| format!("cannot export traces to {endpoint}: {error}"))?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("rustqueue");
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

/// The tracer spans are exported with.
pub fn tracer(provider: &SdkTracerProvider) -> Tracer {
    provider.tracer("rustqueue")
}

#[cfg(test)]
mod tests {
    use super::traces_url;

    #[test]
    fn a_base_url_gets_the_traces_path() {
        assert_eq!(
            traces_url("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("https://otlp.example/custom/v1/traces"),
            "https://otlp.example/custom/v1/traces"
        );
    }
}

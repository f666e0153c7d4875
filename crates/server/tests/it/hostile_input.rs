//! Hostile and odd input: every refusal is a clear 4xx with `{"detail": ...}`, never a 5xx,
//! and odd-but-valid payloads come back byte for byte.

use crate::common::{self, Backend, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::Value;

async fn assert_refused(response: reqwest::Response, expected: StatusCode) {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, expected, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert!(
        json["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "no detail: {body}"
    );
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_answer_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let bodies = [
        "",
        "{",
        "not json",
        "[]",
        "null",
        r#"{"payload": "x"}"#,
        r#"{"t_type": "EMAIL"}"#,
        r#"{"payload": "x", "t_type": 5}"#,
        r#"{"payload": "x", "t_type": null}"#,
        r#"{"payload": "x", "t_type": "email"}"#,
        r#"{"payload": "x", "t_type": "EMAIL\u0000"}"#,
        "{\"payload\": \"a\u{0}b\", \"t_type\": \"EMAIL\"}",
    ];
    for body in bodies {
        let response = app.post_body("/api/enqueue", body).await;
        assert_refused(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let invalid_utf8 = app.post_body("/api/enqueue", vec![b'{', 0xff, b'}']).await;
    assert_refused(invalid_utf8, StatusCode::UNPROCESSABLE_ENTITY).await;
    let listed: Vec<Value> = app.get_json("/api/jobs").await;
    assert!(listed.is_empty(), "nothing half-written");
}

#[tokio::test]
async fn bodies_must_be_objects_and_errors_name_the_field() {
    let app = spawn_app(Backend::Memory).await;
    // serde reads a struct from an array of its fields; no client means that.
    let array = app.post_body("/api/enqueue", r#"["x", "EMAIL"]"#).await;
    assert_refused(array, StatusCode::UNPROCESSABLE_ENTITY).await;
    let cases = [
        (
            "/api/tasks/batch",
            r#"{"tasks": [{"type": "SMS"}, {"type": "SMS", "run_at": "tomorrow"}]}"#,
            ["tasks[1].run_at", "2030-01-01T09:30:00Z"],
        ),
        (
            "/api/tasks/batch",
            r#"{"tasks": [{"type": "SMS"}, {"type": "NOPE"}]}"#,
            ["tasks[1]", "known types"],
        ),
        (
            "/api/tasks",
            r#"{"type": "SMS", "priority": "high"}"#,
            ["priority", "expected i32"],
        ),
    ];
    for (path, body, named) in cases {
        let response = app.post_body(path, body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let detail = response.json::<Value>().await.expect("json")["detail"].to_string();
        for part in named {
            assert!(detail.contains(part), "{body}: {detail} lacks {part}");
        }
    }
    let listed: Vec<Value> = app.get_json("/api/jobs").await;
    assert!(listed.is_empty(), "nothing half-written");
}

#[tokio::test]
async fn deep_nesting_is_refused() {
    let app = spawn_app(Backend::Memory).await;
    let payload = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let body = format!(r#"{{"payload": {payload}, "t_type": "EMAIL"}}"#);
    let response = app.post_body("/api/enqueue", body).await;
    assert_refused(response, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn an_oversize_body_answers_413() {
    let app = spawn_app(Backend::Memory).await;
    let body = format!(
        r#"{{"payload": "{}", "t_type": "EMAIL"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let response = app.post_body("/api/enqueue", body).await;
    assert_refused(response, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn odd_ids_and_paths_answer_4xx() {
    let app = spawn_app(Backend::Sqlite).await;
    let long = "a".repeat(60_000);
    for path in [
        format!("/api/jobs/{long}"),
        "/api/jobs/%00".into(),
        "/api/jobs/%F0%9F%92%A9".into(),
        "/api/jobs/..%2F..".into(),
    ] {
        let response = app.send(reqwest::Method::GET, &path).await;
        assert!(
            response.status().is_client_error(),
            "{path}: {}",
            response.status()
        );
        assert!(response.json::<Value>().await.expect("json")["detail"].is_string());
    }
    let bad_utf8 = app.send(reqwest::Method::GET, "/api/jobs/%FF%FE").await;
    assert_refused(bad_utf8, StatusCode::BAD_REQUEST).await;
    let bad_limit = app.send(reqwest::Method::GET, "/api/jobs?limit=-1").await;
    assert_refused(bad_limit, StatusCode::BAD_REQUEST).await;
    assert_refused(
        app.send(reqwest::Method::GET, "/api/nope").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_refused(
        app.send(reqwest::Method::PUT, "/api/enqueue").await,
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_but_valid_payloads_round_trip_byte_for_byte() {
    for backend in [Backend::Memory, Backend::Sqlite, Backend::Postgres] {
        let app = spawn_app(backend).await;
        let payloads = [
            r#""plain""#,
            r#""\u0000 nul, \t tab, \ud83d\ude00 escaped emoji""#,
            "\"héllo wörld 💩 \u{202e}rtl \u{feff}bom \u{10ffff}\"",
            r#"{"z": 1, "a": [1.0, 1e400, 123456789012345678901234567890, -0], "m": {"": null}}"#,
            "[ 1 ,\n\t2 ]",
            "true",
            "-1.5e-7",
            r#""<script>alert(1)</script>""#,
            r#""\ud800 lone surrogate escape""#,
            &format!("{}1{}", "[".repeat(64), "]".repeat(64)),
        ];
        for payload in &payloads {
            let body = format!(r#"{{"t_type": "TAKESLONG", "payload": {payload}}}"#);
            let response = app.post_body("/api/enqueue", body).await;
            assert_eq!(response.status(), 200, "{payload}");
            let text = response.text().await.expect("body");
            // Not parsed as a Value: 1e400 is valid JSON but out of f64's range.
            let id_start = text.find(r#""id":""#).expect("id") + 6;
            let id = &text[id_start..id_start + 36];
            let stored = app
                .send(reqwest::Method::GET, &format!("/api/jobs/{id}"))
                .await
                .text()
                .await
                .expect("body");
            let expected = format!(r#""payload":{payload},"#);
            assert!(
                stored.contains(&expected),
                "{backend:?}: {payload} came back as {stored}"
            );
        }
    }
}

#[tokio::test]
async fn the_api_token_guards_api_routes_but_not_health() {
    let mut settings = common::settings();
    settings.api_token = Some("s3cret".into());
    let app = spawn_app_with(Backend::Memory, settings).await;
    assert_refused(
        app.send(reqwest::Method::GET, "/api/jobs").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let wrong = app
        .client
        .get(app.url("/api/jobs"))
        .bearer_auth("s3creT")
        .send()
        .await
        .expect("request");
    assert_refused(wrong, StatusCode::UNAUTHORIZED).await;
    let right = app
        .client
        .get(app.url("/api/jobs"))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("request");
    assert_eq!(right.status(), 200);
    assert_eq!(
        app.send(reqwest::Method::GET, "/healthz").await.status(),
        200
    );
    assert_eq!(
        app.send(reqwest::Method::GET, "/readyz").await.status(),
        200
    );
}

#[tokio::test]
async fn cors_allows_the_configured_origin_only() {
    let app = spawn_app(Backend::Memory).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/enqueue"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("http://localhost:5173").await.expect("request");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let refused = preflight("http://evil.example").await.expect("request");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

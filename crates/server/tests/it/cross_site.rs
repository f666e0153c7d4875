//! A web page on another site must not change the queue: browsers send
//! `text/plain`, form and bodiless POSTs cross-site without a preflight, so
//! such requests are refused (415, 403) and nothing is written. Same-origin
//! dashboard calls, allowed origins and clients without an `Origin` still work.

use std::process::Command;

use crate::common::{Backend, TestApp, settings, spawn_app, spawn_app_with};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

const ENQUEUE: &str = r#"{"payload": "from another site", "t_type": "EMAIL"}"#;

async fn expect(request: RequestBuilder, status: StatusCode) -> Value {
    let response = request.send().await.expect("request");
    let got = response.status();
    let body: Value = response.json().await.expect("json body");
    assert_eq!(got, status, "{body}");
    body
}

async fn task_count(app: &TestApp) -> usize {
    app.get_json::<Vec<Value>>("/api/jobs").await.len()
}

#[tokio::test]
async fn non_json_bodies_answer_415_and_write_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    for content_type in [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let request = app
            .client
            .post(app.url("/api/enqueue"))
            .header("content-type", content_type)
            .body(ENQUEUE);
        let refused = expect(request, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        assert!(refused["detail"].as_str().expect("detail").contains("JSON"));
    }
    let batch = app
        .client
        .post(app.url("/api/tasks/batch"))
        .header("content-type", "text/plain")
        .body(r#"{"tasks": [{"type": "EMAIL"}]}"#);
    expect(batch, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(task_count(&app).await, 0, "nothing was enqueued");

    let json_charset = app
        .client
        .post(app.url("/api/enqueue"))
        .header("content-type", "application/json; charset=utf-8")
        .body(ENQUEUE);
    expect(json_charset, StatusCode::OK).await;
    // Old clients send no content type at all; no browser sends such a body cross-site unasked.
    expect(
        app.client.post(app.url("/api/enqueue")).body(ENQUEUE),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn changes_from_other_sites_answer_403_and_change_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = app.enqueue(json!("keep me"), "EMAIL").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let from = |method: Method, path: &str, origin: &str| {
        app.client
            .request(method, app.url(path))
            .header("origin", origin)
    };
    for origin in ["http://evil.example", "http://127.0.0.1:1", "null"] {
        expect(
            from(Method::POST, "/api/clear", origin),
            StatusCode::FORBIDDEN,
        )
        .await;
        expect(
            from(Method::DELETE, &format!("/api/jobs/{id}"), origin),
            StatusCode::FORBIDDEN,
        )
        .await;
        let enqueue = from(Method::POST, "/api/enqueue", origin)
            .header("content-type", "application/json")
            .body(ENQUEUE);
        let refused = expect(enqueue, StatusCode::FORBIDDEN).await;
        assert!(
            refused["detail"]
                .as_str()
                .expect("detail")
                .contains("cross-site"),
            "{refused}"
        );
    }
    let marked = app
        .client
        .post(app.url("/api/clear"))
        .header("sec-fetch-site", "cross-site");
    expect(marked, StatusCode::FORBIDDEN).await;
    assert_eq!(task_count(&app).await, 1, "the task is still there");
    // Reading is harmless: CORS keeps the answer from the other site's script.
    let read = app
        .client
        .get(app.url("/api/jobs"))
        .header("origin", "http://evil.example");
    assert_eq!(read.send().await.expect("get").status(), StatusCode::OK);

    // The dashboard this server serves calls its own origin; curl sends no origin.
    let own = from(Method::POST, "/api/enqueue", &app.base)
        .header("content-type", "application/json")
        .body(ENQUEUE);
    expect(own, StatusCode::OK).await;
    expect(
        app.client.delete(app.url(&format!("/api/jobs/{id}"))),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn an_allowed_origin_with_a_trailing_slash_works() {
    let mut http = settings();
    http.cors_origins = vec!["http://127.0.0.1:5173/".into()];
    let app = spawn_app_with(Backend::Memory, http).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/enqueue"))
        .header("origin", "http://127.0.0.1:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight");
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://127.0.0.1:5173"
    );
    let enqueue = app
        .client
        .post(app.url("/api/enqueue"))
        .header("origin", "http://127.0.0.1:5173")
        .header("content-type", "application/json")
        .body(ENQUEUE)
        .send()
        .await
        .expect("enqueue");
    assert_eq!(enqueue.status(), StatusCode::OK);
    assert_eq!(
        enqueue.headers()["access-control-allow-origin"],
        "http://127.0.0.1:5173"
    );
}

#[test]
fn an_invalid_origin_is_refused_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_rustqueue"))
        .args(["serve", "--database-url", "memory://"])
        .env("FRONTEND_ORIGIN", "http://localhost:5173,localhost:3000")
        .output()
        .expect("rustqueue runs");
    assert!(!output.status.success(), "started with an invalid origin");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("localhost:3000") && stderr.contains("http://host:port"),
        "{stderr}"
    );
}

#[test]
fn a_fatal_start_up_error_is_said_once_on_stderr() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = taken.local_addr().expect("address").to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_rustqueue"))
        .args(["serve", "--database-url", "memory://", "--bind", &address])
        .output()
        .expect("rustqueue runs");
    assert!(!output.status.success(), "served on a taken port");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    let said = |text: &str| text.matches(address.as_str()).count();
    assert_eq!(
        (said(&stdout), said(&stderr)),
        (0, 1),
        "stdout: {stdout} stderr: {stderr}"
    );
}

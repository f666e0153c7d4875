//! `GET /metrics`: Prometheus text with task counts from the store and this
//! node's transitions and workers, behind the API token when one is set.

use crate::common::{Backend, TestApp, settings, spawn_app, spawn_app_with};
use serde_json::json;

on_every_backend!(
    metrics_count_tasks_and_transitions,
    histograms_move_when_tasks_run,
    limited_queues_show_running_against_their_limits
);

/// What Prometheus sends when it scrapes.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,\
     application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// A scrape as Prometheus makes it: OpenMetrics text.
async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .header("accept", PROMETHEUS_ACCEPT)
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    response.text().await.expect("text")
}

async fn metrics_count_tasks_and_transitions(backend: Backend) {
    let app = spawn_app(backend).await;
    let done = app.enqueue(json!("a"), "EMAIL").await;
    app.wait_for_status(done["id"].as_str().expect("id"), "COMPLETED")
        .await;
    app.post_expect(
        "/api/tasks",
        &json!({"type": "REMOTE", "queue": "later"}),
        201,
    )
    .await;
    let text = scrape(&app).await;
    for line in [
        "rustqueue_store_up 1",
        "rustqueue_tasks{scope=\"cluster\",status=\"COMPLETED\"} 1",
        "rustqueue_tasks{scope=\"cluster\",status=\"QUEUED\"} 1",
        "rustqueue_queue_tasks{scope=\"cluster\",queue=\"later\",status=\"QUEUED\"} 1",
        "rustqueue_type_tasks{scope=\"cluster\",type=\"EMAIL\",status=\"COMPLETED\"} 1",
        "rustqueue_transitions_total{kind=\"completed\"} 1",
        "rustqueue_transitions_total{kind=\"enqueued\"} 2",
        "rustqueue_attempts_total{type=\"EMAIL\"} 1",
        "rustqueue_workers 64",
        "rustqueue_workers_busy 0",
        "# EOF",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    // EMAIL sleeps 2 ms at the tests' speed.
    let seconds: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("rustqueue_attempt_seconds_total{type=\"EMAIL\"} "))
        .expect("attempt seconds")
        .parse()
        .expect("number");
    assert!((0.002..5.0).contains(&seconds), "{seconds}");
}

/// The value of the sample named exactly `series` (name and labels), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(value.parse().expect("a number"))
    })
}

/// Runs one `EMAIL` task in queue `mail` and returns its id.
async fn run_one_in_mail(app: &TestApp) -> String {
    let body = json!({"type": "EMAIL", "queue": "mail", "payload": "hi"});
    let created = app.post_expect("/api/tasks", &body, 201).await;
    let id = created["task"]["id"].as_str().expect("id").to_owned();
    app.wait_for_status(&id, "COMPLETED").await;
    id
}

async fn histograms_move_when_tasks_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let wait = r#"rustqueue_task_wait_seconds_count{type="EMAIL",queue="mail"}"#;
    let run_sum = r#"rustqueue_attempt_duration_seconds_sum{type="EMAIL",queue="mail"}"#;
    let run_all =
        r#"rustqueue_attempt_duration_seconds_bucket{le="+Inf",type="EMAIL",queue="mail"}"#;
    let run_minute =
        r#"rustqueue_attempt_duration_seconds_bucket{le="60.0",type="EMAIL",queue="mail"}"#;
    let before = scrape(&app).await;
    assert_eq!(sample(&before, wait), None, "no series before any task ran");

    let id = run_one_in_mail(&app).await;
    let once = scrape(&app).await;
    assert_eq!(sample(&once, wait), Some(1.0), "{once}");
    assert_eq!(sample(&once, run_all), Some(1.0), "{once}");
    assert_eq!(sample(&once, run_minute), Some(1.0), "{once}");
    let first_sum = sample(&once, run_sum).expect("a sum");
    assert!(first_sum >= 0.002, "{first_sum}");

    run_one_in_mail(&app).await;
    let twice = scrape(&app).await;
    assert_eq!(sample(&twice, wait), Some(2.0), "{twice}");
    assert_eq!(sample(&twice, run_all), Some(2.0), "{twice}");
    assert_eq!(sample(&twice, run_minute), Some(2.0), "{twice}");
    let second_sum = sample(&twice, run_sum).expect("a sum");
    assert!(
        second_sum >= first_sum + 0.002,
        "{first_sum} then {second_sum}"
    );
    // Every store call is timed under the trait method's name.
    let claims = r#"rustqueue_store_call_duration_seconds_count{op="task_claim"}"#;
    let finishes =
        r#"rustqueue_store_call_duration_seconds_bucket{le="+Inf",op="task_finish_many"}"#;
    assert!(sample(&twice, claims).is_some_and(|n| n >= 2.0), "{twice}");
    assert!(
        sample(&twice, finishes).is_some_and(|n| n >= 2.0),
        "{twice}"
    );

    // Each request is counted under its route template and status, never its URL.
    app.send(reqwest::Method::GET, &format!("/api/tasks/{id}/events"))
        .await;
    app.send(reqwest::Method::GET, "/api/tasks/no-such-task")
        .await;
    let text = scrape(&app).await;
    let http = "rustqueue_http_request_duration_seconds";
    let events =
        format!(r#"{http}_count{{method="GET",route="/api/tasks/{{id}}/events",status="200"}}"#);
    let missing = format!(r#"{http}_count{{method="GET",route="/api/tasks/{{id}}",status="404"}}"#);
    let scrapes = format!(r#"{http}_count{{method="GET",route="/metrics",status="200"}}"#);
    assert_eq!(sample(&text, &events), Some(1.0), "{text}");
    assert_eq!(sample(&text, &missing), Some(1.0), "{text}");
    assert_eq!(sample(&text, &scrapes), Some(3.0), "{text}");
    assert!(!text.contains(&id), "a task id became a label:\n{text}");
}

#[tokio::test]
async fn metrics_need_the_api_token_when_one_is_set() {
    let mut settings = settings();
    settings.api_token = Some("s3cret".into());
    let app = spawn_app_with(Backend::Memory, settings).await;
    let refused = app.send(reqwest::Method::GET, "/metrics").await;
    assert_eq!(refused.status(), 401);
    let allowed = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("scrape");
    assert_eq!(allowed.status(), 200);
}

/// A scrape that asks for nothing in particular (curl, promtool): the
/// Prometheus 0.0.4 text format.
async fn scrape_text(app: &TestApp, accept: Option<&str>) -> String {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.expect("scrape");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.expect("text")
}

/// Runs `promtool check metrics` on `text` and returns its exit code and output.
fn promtool(text: &str) -> (i32, String) {
    use std::io::Write;
    let promtool = std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".to_owned());
    let mut child = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| {
            panic!("cannot run {promtool} ({err}): scripts/install-promtool installs it")
        });
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(text.as_bytes()).expect("write to promtool");
    drop(stdin);
    let out = child.wait_with_output().expect("promtool ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), said)
}

/// Fills every kind of series: tasks run and fail, one is scheduled, and a
/// request is counted.
async fn busy_app() -> TestApp {
    let app = spawn_app(Backend::Memory).await;
    run_one_in_mail(&app).await;
    let failed = app.enqueue(json!("x"), "FAILABS").await;
    app.wait_for_status(failed["id"].as_str().expect("id"), "FAILED")
        .await;
    let later = json!({"type": "REMOTE", "queue": "later", "delay_ms": 3_600_000});
    app.post_expect("/api/tasks", &later, 201).await;
    fill_limited_queue(&app).await;
    app
}

#[tokio::test]
async fn the_text_format_passes_promtool() {
    let app = busy_app().await;
    let text = scrape_text(&app, None).await;
    assert!(!text.contains("# EOF"), "{text}");
    assert!(!text.contains("# UNIT"), "{text}");
    assert!(
        text.contains("# HELP rustqueue_transitions_total "),
        "{text}"
    );
    let (code, said) = promtool(&text);
    assert_eq!(code, 0, "promtool check metrics:\n{said}\non:\n{text}");
    assert_eq!(said.trim(), "", "promtool has remarks on:\n{text}");
    let explicit = scrape_text(&app, Some("text/plain;version=0.0.4")).await;
    assert!(explicit.contains("rustqueue_transitions_total{kind=\"failed\"} 1"));
}

/// Checks OpenMetrics structure: every sample belongs to a family declared
/// before it with HELP and TYPE (a counter `x` has samples `x_total`, a
/// histogram `x_bucket`, `x_sum` and `x_count`), and `# EOF` ends it.
fn assert_openmetrics(text: &str) {
    assert_eq!(text.lines().last(), Some("# EOF"), "{text}");
    let mut families: std::collections::HashMap<&str, (bool, &str)> = Default::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("name");
            families.entry(name).or_insert((false, "")).0 = true;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("name and type");
            families.entry(name).or_insert((false, "")).1 = kind;
        } else if !line.starts_with('#') {
            let name = line.split(['{', ' ']).next().expect("sample name");
            let family = families.iter().find(|(family, (_, kind))| {
                let suffixes: &[&str] = match *kind {
                    "counter" => &["_total"],
                    "histogram" => &["_bucket", "_sum", "_count"],
                    _ => &[""],
                };
                suffixes
                    .iter()
                    .any(|s| name.strip_suffix(s) == Some(**family))
            });
            let (_, (help, _)) = family.unwrap_or_else(|| panic!("{name} has no family:\n{text}"));
            assert!(help, "{name} has no HELP:\n{text}");
        }
    }
}

#[tokio::test]
async fn openmetrics_goes_to_scrapers_that_ask_for_it() {
    let app = busy_app().await;
    let text = scrape(&app).await;
    assert!(text.contains("# HELP rustqueue_transitions "), "{text}");
    // promtool reads only the 0.0.4 text format: given OpenMetrics it takes
    // `x_total` for a metric of its own with no HELP, so it is no judge of
    // this answer. Its structure is checked here instead.
    assert_openmetrics(&text);
}

/// Limits queue `limited` to 2 running, 1 per key, and leases its tasks of
/// keys a, a and b: a and b run, the second a waits.
async fn fill_limited_queue(app: &TestApp) {
    let limits = json!({"concurrency": 2, "per_key_limit": 1});
    let set = app
        .client
        .put(app.url("/api/queues/limited/limits"))
        .json(&limits)
        .send()
        .await
        .expect("put limits");
    assert_eq!(set.status(), 200);
    for key in ["a", "a", "b"] {
        let body = json!({"type": "REMOTE", "queue": "limited", "concurrency_key": key});
        app.post_expect("/api/tasks", &body, 201).await;
    }
    let lease = json!({"types": ["REMOTE"], "limit": 10, "lease_ms": 60_000});
    let leased = app.post_expect("/api/worker/lease", &lease, 200).await;
    assert_eq!(
        leased["leases"].as_array().map(Vec::len),
        Some(2),
        "{leased}"
    );
}

async fn limited_queues_show_running_against_their_limits(backend: Backend) {
    let app = spawn_app(backend).await;
    run_one_in_mail(&app).await;
    fill_limited_queue(&app).await;
    let text = scrape(&app).await;
    let series = |name: &str, labels: &str| {
        let labels = format!(r#"scope="cluster",queue="limited"{labels}"#);
        sample(&text, &format!("rustqueue_{name}{{{labels}}}"))
    };
    assert_eq!(series("queue_concurrency_limit", ""), Some(2.0), "{text}");
    assert_eq!(series("queue_per_key_limit", ""), Some(1.0), "{text}");
    assert_eq!(series("queue_held_back", ""), Some(1.0), "{text}");
    assert_eq!(
        series("queue_key_running", r#",key="a""#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        series("queue_key_running", r#",key="b""#),
        Some(1.0),
        "{text}"
    );
    let running = series("queue_tasks", r#",status="INPROGRESS""#);
    assert_eq!(running, Some(2.0), "{text}");
    assert!(
        !text.contains(r#"rustqueue_queue_concurrency_limit{scope="cluster",queue="mail"}"#),
        "an unlimited queue has no limit series:\n{text}"
    );
}

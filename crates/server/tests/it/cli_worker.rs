//! `rustqueue worker` against the real server: each task runs the command
//! with its payload on stdin and its details in the environment; exit codes
//! complete, fail or permanently fail it; timeouts and lost leases kill the
//! command's whole process group; a SIGKILLed worker's task runs again on
//! another; SIGTERM lets running commands finish (or kills them after the
//! grace period and hands their tasks back); the worker rides out a server
//! restart, and its running task survives one; and it warns about types the
//! server runs itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::node::{Node, free_port};
use rustqueue_store_tests::eventually;
use serde_json::{Value, json};

/// A running `rustqueue worker`, killed if the test ends early.
struct Worker {
    child: Child,
    log: PathBuf,
}

impl Worker {
    /// Starts a worker on `server` for the type `SCRIPT`, running `sh -c script`;
    /// the script finds the test's folder in `$TEST_DIR`.
    fn start(
        server: &str,
        dir: &Path,
        flags: &[&str],
        env: &[(&str, &str)],
        script: &str,
    ) -> Worker {
        static WORKERS: AtomicUsize = AtomicUsize::new(0);
        let log = dir.join(format!(
            "worker-{}.log",
            WORKERS.fetch_add(1, Ordering::Relaxed)
        ));
        let child = Command::new(env!("CARGO_BIN_EXE_rustqueue"))
            .args(["worker", "--types", "SCRIPT"])
            .args(flags)
            .args(["--", "sh", "-c", script])
            .env("RUSTQUEUE_SERVER", server)
            .env("TEST_DIR", dir)
            .env("RUST_LOG", "info")
            .env_remove("RUSTQUEUE_API_TOKEN")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("worker starts");
        Worker { child, log }
    }

    fn logged(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the worker's log says `text`.
    async fn wait_log(&self, text: &str) {
        eventually(
            format!("the worker logs {text:?}"),
            Duration::from_secs(10),
            async || {
                let logged = self.logged();
                if logged.contains(text) {
                    Ok(())
                } else {
                    Err(logged)
                }
            },
        )
        .await;
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args([name, &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {name} {pid}");
    }

    /// Waits up to `limit` for the worker to exit by itself.
    async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        eventually("the worker exits", limit, async || {
            match self.child.try_wait().expect("try_wait") {
                Some(status) => Ok(status),
                None => Err(self.logged()),
            }
        })
        .await
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills a process group when dropped: commands orphaned by a SIGKILLed worker.
struct GroupGuard(u32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .status();
    }
}

/// A server whose remote type is `SCRIPT`, with short back-off.
async fn server(extra: &[(&str, String)]) -> Node {
    let mut settings = vec![
        ("RUSTQUEUE_DATABASE_URL", "memory://".to_owned()),
        ("RUSTQUEUE_REMOTE_TYPES", "SCRIPT".to_owned()),
        ("RUSTQUEUE_BACKOFF_BASE_MS", "10".to_owned()),
        ("RUSTQUEUE_BACKOFF_CAP_MS", "50".to_owned()),
    ];
    settings.extend(extra.iter().cloned());
    Node::start(&settings).await
}

/// `rustqueue serve` on a port chosen before it starts (`Node::start`
/// picks its own), on a SQLite file, once it is ready.
async fn serve_on(port: u16, db: &Path) -> Node {
    let settings = [
        (
            "RUSTQUEUE_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        ),
        ("RUSTQUEUE_REMOTE_TYPES", "SCRIPT".to_owned()),
    ];
    Node::start_on(port, &settings).await
}

/// The node's API, with a token when it needs one.
struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    fn new(node: &Node, token: Option<&str>) -> Api {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().expect("header");
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client");
        Api {
            base: node.base.clone(),
            client,
        }
    }

    async fn enqueue(&self, payload: Value, extra: Value) -> String {
        let mut body = json!({"type": "SCRIPT", "payload": payload});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().cloned().unwrap_or_default());
        let answer = self
            .client
            .post(format!("{}/api/tasks", self.base))
            .json(&body)
            .send()
            .await
            .expect("enqueue");
        assert_eq!(
            answer.status(),
            201,
            "{}",
            answer.text().await.unwrap_or_default()
        );
        answer.json::<Value>().await.expect("json")["task"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    async fn get(&self, path: &str) -> Value {
        let answer = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get");
        answer.json().await.expect("json")
    }

    async fn task(&self, id: &str) -> Value {
        self.get(&format!("/api/tasks/{id}")).await
    }

    /// Waits until `count` lease calls wait for work on the server.
    async fn wait_lease_calls(&self, count: usize) {
        let line = format!("\nrustqueue_lease_calls_waiting {count}\n");
        eventually(
            format!("{count} lease calls"),
            Duration::from_secs(10),
            async || {
                let metrics = self
                    .client
                    .get(format!("{}/metrics", self.base))
                    .send()
                    .await
                    .expect("metrics")
                    .text()
                    .await
                    .expect("text");
                if metrics.contains(&line) {
                    Ok(())
                } else {
                    Err(metrics)
                }
            },
        )
        .await;
    }

    /// Polls the task until `done` holds, for at most `limit`.
    async fn wait_task(&self, id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        eventually(format!("task {id} gets there"), limit, async || {
            let task = self.task(id).await;
            if done(&task) { Ok(task) } else { Err(task) }
        })
        .await
    }

    /// The kinds of the task's events, oldest first.
    async fn event_kinds(&self, id: &str) -> Vec<String> {
        let events = self.get(&format!("/api/tasks/{id}/events")).await;
        let events = events.as_array().cloned().unwrap_or_default();
        events
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until `GET /api/workers` shows the worker seen after `since`.
    async fn wait_heartbeat_since(&self, worker_id: &str, since: chrono::DateTime<chrono::Utc>) {
        eventually(
            format!("{worker_id} seen again"),
            Duration::from_secs(15),
            async || {
                let workers = self.get("/api/workers").await;
                let seen = workers.as_array().into_iter().flatten().find_map(|w| {
                    let at = w["last_seen_at"].as_str()?;
                    (w["id"] == worker_id)
                        .then(|| at.parse::<chrono::DateTime<chrono::Utc>>().ok())?
                });
                if seen.is_some_and(|at| at > since) {
                    Ok(())
                } else {
                    Err(workers)
                }
            },
        )
        .await;
    }

    async fn wait_status(&self, id: &str, status: &str) -> Value {
        self.wait_task(id, Duration::from_secs(15), |task| task["status"] == status)
            .await
    }
}

/// Waits for a file a script writes, and reads it.
async fn wait_file(path: &Path) -> String {
    eventually(
        format!("{} written", path.display()),
        Duration::from_secs(15),
        async || {
            let text = std::fs::read_to_string(path).ok()?;
            text.ends_with('\n').then(|| text.trim().to_owned())
        },
    )
    .await
}

/// Whether a process runs (a zombie waiting for its reaper counts as gone).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    })
}

async fn wait_gone(pid: &str) {
    eventually(
        format!("process {pid} gone"),
        Duration::from_secs(10),
        async || !alive(pid),
    )
    .await;
}

const ECHO_SCRIPT: &str = r#"
payload=$(cat)
case "$payload" in
  *text*) printf '  plain words  \n' ;;
  *empty*) ;;
  *) printf '{"payload": %s, "id": "%s", "type": "%s", "attempt": %s, "queue": "%s"}' \
       "$payload" "$RUSTQUEUE_TASK_ID" "$RUSTQUEUE_TASK_TYPE" "$RUSTQUEUE_ATTEMPT" "$RUSTQUEUE_QUEUE" ;;
esac"#;

/// A command can continue the trace of the request that enqueued its task:
/// it gets the task's W3C context as `TRACEPARENT`, and nothing without one.
#[tokio::test]
async fn the_command_gets_the_trace_context_of_the_enqueue() {
    const SENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let node = server(&[]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let script = r#"printf '"%s"' "${TRACEPARENT:-none}""#;
    let _worker = Worker::start(&node.base, dir.path(), &[], &[], script);
    let traced = api
        .client
        .post(format!("{}/api/tasks", api.base))
        .header("traceparent", SENT)
        .json(&json!({"type": "SCRIPT"}))
        .send()
        .await
        .expect("enqueue")
        .json::<Value>()
        .await
        .expect("json");
    let traced = traced["task"]["id"].as_str().expect("id");
    let plain = api.enqueue(json!(1), json!({})).await;
    assert_eq!(api.wait_status(traced, "COMPLETED").await["result"], SENT);
    assert_eq!(api.wait_status(&plain, "COMPLETED").await["result"], "none");
}

#[tokio::test]
async fn each_task_runs_the_command_with_its_payload_and_completes_with_stdout() {
    let node = server(&[]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let _worker = Worker::start(
        &node.base,
        dir.path(),
        &["--concurrency", "4"],
        &[],
        ECHO_SCRIPT,
    );
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(
            api.enqueue(
                json!({"n": n, "big": 12345678901234567890_u64}),
                json!({"queue": "q"}),
            )
            .await,
        );
    }
    let text = api.enqueue(json!("text"), json!({})).await;
    let empty = api.enqueue(json!("empty"), json!({})).await;
    for (n, id) in ids.iter().enumerate() {
        let task = api.wait_status(id, "COMPLETED").await;
        let expected = json!({"payload": {"n": n, "big": 12345678901234567890_u64}, "id": id,
                              "type": "SCRIPT", "attempt": 1, "queue": "q"});
        assert_eq!(task["result"], expected);
    }
    assert_eq!(
        api.wait_status(&text, "COMPLETED").await["result"],
        "plain words"
    );
    assert_eq!(
        api.wait_status(&empty, "COMPLETED").await["result"],
        Value::Null
    );
}

#[tokio::test]
async fn concurrency_bounds_the_tasks_leased_at_once() {
    let node = server(&[]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let script = r#"touch "$TEST_DIR/$RUSTQUEUE_TASK_ID.started"
        while [ ! -e "$TEST_DIR/release" ]; do sleep 0.02; done"#;
    let _worker = Worker::start(&node.base, dir.path(), &["--concurrency", "2"], &[], script);
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(api.enqueue(json!(n), json!({})).await);
    }
    let started = || {
        ids.iter()
            .filter(|id| dir.path().join(format!("{id}.started")).exists())
            .count()
    };
    eventually("two tasks start", Duration::from_secs(10), async || {
        started() >= 2
    })
    .await;
    // A negative cannot be awaited: give a third lease a fair chance to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let counts = api.get("/api/counts").await;
    assert_eq!(counts["by_status"]["INPROGRESS"], 2, "{counts}");
    assert_eq!(counts["by_status"]["QUEUED"], 3, "{counts}");
    assert_eq!(started(), 2);
    std::fs::write(dir.path().join("release"), "").expect("release");
    for id in &ids {
        api.wait_status(id, "COMPLETED").await;
    }
}

#[tokio::test]
async fn failures_carry_the_stderr_tail_and_the_permanent_code_ends_the_task() {
    let node = server(&[]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let script = r#"
        case "$(cat)" in
          *permanent*) echo "bad input" >&2; exit 65 ;;
          *) { printf BEGIN; head -c 3000 /dev/zero | tr '\0' x; printf '\nthe end of stderr\n'; } >&2; exit 3 ;;
        esac"#;
    let worker = Worker::start(&node.base, dir.path(), &["--concurrency", "2"], &[], script);
    let retried = api.enqueue(json!("again"), json!({"max_retries": 2})).await;
    let permanent = api
        .enqueue(json!("permanent"), json!({"max_retries": 3}))
        .await;

    let task = api.wait_status(&retried, "FAILED").await;
    assert_eq!(task["attempts"], 2);
    let error = task["last_error"].as_str().expect("error");
    assert!(
        error.starts_with("exit code 3: …") && error.ends_with("the end of stderr"),
        "{error}"
    );
    assert!(
        !error.contains("BEGIN") && error.len() < 2200,
        "not a tail: {} bytes",
        error.len()
    );

    let task = api.wait_status(&permanent, "FAILED").await;
    assert_eq!(
        (task["attempts"].clone(), task["last_error"].clone()),
        (json!(1), json!("exit code 65: bad input"))
    );

    // Its log goes to a file: one line per record, no colour codes.
    let log = worker.logged();
    assert!(!log.contains('\u{1b}'), "colour codes in a file: {log}");
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("attempt failed"))
        .collect();
    assert!(
        failures.len() >= 2 && failures.iter().any(|l| l.contains("the end of stderr")),
        "each failure, stderr tail included, on its own line: {log}"
    );
    // Every record starts with its time; a spilled-over line would not.
    assert!(
        log.lines().all(|l| l.starts_with("20")),
        "a record spilled over lines: {log}"
    );
}

#[tokio::test]
async fn a_command_past_its_timeout_is_killed_with_its_process_group() {
    let node = server(&[]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    // The command starts a child of its own; both must die at the timeout.
    let script = r#"sleep 300 & echo $! > "$TEST_DIR/$RUSTQUEUE_TASK_ID.grandchild"
        echo $$ > "$TEST_DIR/$RUSTQUEUE_TASK_ID.child"; wait"#;
    let flags = ["--concurrency", "2", "--timeout-secs", "2"];
    let _worker = Worker::start(&node.base, dir.path(), &flags, &[], script);
    let by_flag = api.enqueue(json!(1), json!({"max_retries": 1})).await;
    let by_task = api
        .enqueue(json!(2), json!({"max_retries": 1, "timeout_ms": 1000}))
        .await;
    for (id, after) in [(&by_task, "1s"), (&by_flag, "2s")] {
        let child = wait_file(&dir.path().join(format!("{id}.child"))).await;
        let grandchild = wait_file(&dir.path().join(format!("{id}.grandchild"))).await;
        let task = api.wait_status(id, "FAILED").await;
        let error = task["last_error"].as_str().expect("error");
        assert!(
            error.starts_with(&format!("timed out after {after}")),
            "{error}"
        );
        wait_gone(&child).await;
        wait_gone(&grandchild).await;
    }
}

#[tokio::test]
async fn a_lost_lease_kills_the_command_and_the_worker_goes_on() {
    // Heartbeats every ~0.7 s with 2 s leases.
    let node = server(&[("RUSTQUEUE_LEASE_SECS", "2".into())]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let script = r#"case "$(cat)" in *quick*) echo '"quick"' ;;
        *) echo $$ > "$TEST_DIR/$RUSTQUEUE_TASK_ID.pid"; exec sleep 300 ;; esac"#;
    let _worker = Worker::start(&node.base, dir.path(), &[], &[], script);
    let slow = api.enqueue(json!("slow"), json!({})).await;
    let pid = wait_file(&dir.path().join(format!("{slow}.pid"))).await;
    let deleted = api
        .client
        .delete(format!("{}/api/tasks/{slow}", api.base))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 200);
    wait_gone(&pid).await;
    let quick = api.enqueue(json!("quick"), json!({})).await;
    assert_eq!(
        api.wait_status(&quick, "COMPLETED").await["result"],
        "quick"
    );
}

#[tokio::test]
async fn the_task_of_a_killed_worker_runs_again_on_another() {
    let node = server(&[("RUSTQUEUE_LEASE_SECS", "2".into())]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let script = r#"echo $$ > "$TEST_DIR/attempt-$RUSTQUEUE_ATTEMPT.pid"
        if [ "$RUSTQUEUE_ATTEMPT" = 1 ]; then exec sleep 300; fi
        echo '"second worker"'"#;
    let mut first = Worker::start(&node.base, dir.path(), &[], &[], script);
    let id = api.enqueue(json!(1), json!({})).await;
    let orphan = wait_file(&dir.path().join("attempt-1.pid")).await;
    let _orphan = GroupGuard(orphan.parse().expect("pid"));
    first.signal("-KILL");
    first.wait_exit(Duration::from_secs(5)).await;

    let _second = Worker::start(&node.base, dir.path(), &[], &[], script);
    let task = api.wait_status(&id, "COMPLETED").await;
    assert_eq!(
        (task["result"].clone(), task["attempts"].clone()),
        (json!("second worker"), json!(2))
    );
    let events = api.get(&format!("/api/tasks/{id}/events")).await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"lease_expired"), "{kinds:?}");
}

#[tokio::test]
async fn sigterm_lets_running_commands_finish_and_leases_nothing_new() {
    let node = server(&[]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let script = r#"touch "$TEST_DIR/$RUSTQUEUE_TASK_ID.started"
        while [ ! -e "$TEST_DIR/release" ]; do sleep 0.02; done; echo '"finished"'"#;
    let mut worker = Worker::start(&node.base, dir.path(), &["--concurrency", "2"], &[], script);
    let running = api.enqueue(json!(1), json!({})).await;
    wait_file_exists(&dir.path().join(format!("{running}.started"))).await;
    // The free slot keeps a lease call waiting for work.
    api.wait_lease_calls(1).await;
    worker.signal("-TERM");
    worker.wait_log("stopping: no new tasks").await;
    // A lease call already answered is lost with the worker's hang-up (its
    // lease lapses); the worker must have hung up before the next task.
    api.wait_lease_calls(0).await;
    let later = api.enqueue(json!(2), json!({})).await;
    std::fs::write(dir.path().join("release"), "").expect("release");
    let status = worker.wait_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}: {}", worker.logged());
    assert_eq!(api.task(&running).await["result"], "finished");
    let untouched = api.task(&later).await;
    assert_eq!(
        (untouched["status"].clone(), untouched["attempts"].clone()),
        (json!("QUEUED"), json!(0))
    );
}

#[tokio::test]
async fn past_the_grace_period_commands_are_killed_and_their_tasks_handed_back() {
    let node = server(&[]).await;
    let api = Api::new(&node, None);
    let dir = tempfile::tempdir().expect("dir");
    let script = r#"echo $$ > "$TEST_DIR/$RUSTQUEUE_TASK_ID.pid"; exec sleep 300"#;
    let mut worker = Worker::start(
        &node.base,
        dir.path(),
        &["--shutdown-grace-secs", "1"],
        &[],
        script,
    );
    // One attempt in all: a hand-back that used it would leave the task FAILED.
    let id = api.enqueue(json!(1), json!({"max_retries": 1})).await;
    let pid = wait_file(&dir.path().join(format!("{id}.pid"))).await;
    worker.signal("-TERM");
    let status = worker.wait_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}: {}", worker.logged());
    wait_gone(&pid).await;
    let task = api.task(&id).await;
    assert_eq!(
        (task["status"].clone(), task["attempts"].clone()),
        (json!("QUEUED"), json!(0)),
        "{task}"
    );
    let kinds = api.event_kinds(&id).await;
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("released"),
        "{kinds:?}"
    );
}

/// The server restarts, gracefully and by a crash, on the same SQLite file
/// while a remote worker runs a task that spans both restarts: the task is
/// neither rescued nor killed, the worker's heartbeats reach the new
/// process, and the task completes on its first attempt.
#[tokio::test]
async fn a_server_restart_leaves_a_remote_workers_task_running() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let db = dir.path().join("q.db");
    let mut node = serve_on(port, &db).await;
    let api = Api::new(&node, None);
    let script = r#"touch "$TEST_DIR/started"
        while [ ! -e "$TEST_DIR/finish" ]; do sleep 0.02; done; echo '"done"'"#;
    // Heartbeats every 2 s: the lease (6 s) outlives each restart's downtime.
    let flags = ["--lease-secs", "6", "--worker-id", "restart-test"];
    let mut worker = Worker::start(&node.base, dir.path(), &flags, &[], script);
    let id = api.enqueue(json!(1), json!({"max_retries": 1})).await;
    wait_file_exists(&dir.path().join("started")).await;

    for crash in [false, true] {
        let restarted_at = chrono::Utc::now();
        if crash {
            node.kill();
        } else {
            node.terminate();
            assert!(node.wait_exit(Duration::from_secs(15)).await.success());
        }
        node = serve_on(port, &db).await;
        let task = api.task(&id).await;
        assert_eq!(
            (&task["status"], &task["attempts"], &task["worker"]),
            (&json!("INPROGRESS"), &json!(1), &json!("restart-test")),
            "after the restart (crash: {crash}): {task}"
        );
        api.wait_heartbeat_since("restart-test", restarted_at).await;
    }
    std::fs::write(dir.path().join("finish"), "").expect("finish");
    let done = api.wait_status(&id, "COMPLETED").await;
    assert_eq!(
        (&done["attempts"], &done["result"]),
        (&json!(1), &json!("done"))
    );
    let kinds = api.event_kinds(&id).await;
    assert_eq!(
        kinds,
        ["enqueued", "started", "completed"],
        "{}",
        worker.logged()
    );
    assert!(
        !worker.logged().contains("lease lost"),
        "{}",
        worker.logged()
    );
    worker.signal("-TERM");
    assert!(worker.wait_exit(Duration::from_secs(10)).await.success());
}

/// A type the server runs itself is taken by its own pool: the worker says so.
#[tokio::test]
async fn the_worker_warns_about_types_the_server_runs_itself() {
    let node = server(&[]).await;
    let dir = tempfile::tempdir().expect("dir");
    let worker = Worker::start(&node.base, dir.path(), &["--types", "EMAIL"], &[], "cat");
    worker
        .wait_log("the server runs task type EMAIL itself")
        .await;
    assert!(
        !worker.logged().contains("type SCRIPT"),
        "{}",
        worker.logged()
    );
}

#[tokio::test]
async fn the_worker_waits_for_the_server_and_rides_out_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut worker = Worker::start(&base, dir.path(), &[], &[], r#"cat"#);
    worker.wait_log("cannot reach the server").await;
    let db = dir.path().join("q.db");
    let mut node = serve_on(port, &db).await;
    let api = Api::new(&node, None);
    let id = api.enqueue(json!({"run": 1}), json!({})).await;
    assert_eq!(
        api.wait_status(&id, "COMPLETED").await["result"],
        json!({"run": 1})
    );

    node.kill();
    let node = serve_on(port, &db).await;
    let id = api.enqueue(json!({"run": 2}), json!({})).await;
    assert_eq!(
        api.wait_status(&id, "COMPLETED").await["result"],
        json!({"run": 2})
    );
    assert!(
        worker.child.try_wait().expect("try_wait").is_none(),
        "the worker stayed up"
    );
    worker.signal("-TERM");
    assert!(worker.wait_exit(Duration::from_secs(10)).await.success());
    drop(node);
}

#[tokio::test]
async fn the_worker_sends_the_token_and_exits_when_refused() {
    let node = server(&[("RUSTQUEUE_API_TOKEN", "s3cret".into())]).await;
    let api = Api::new(&node, Some("s3cret"));
    let dir = tempfile::tempdir().expect("dir");
    let mut refused = Worker::start(&node.base, dir.path(), &[], &[], "cat");
    let status = refused.wait_exit(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(1), "{}", refused.logged());
    assert!(
        refused.logged().contains("HTTP 401"),
        "{}",
        refused.logged()
    );

    let _worker = Worker::start(
        &node.base,
        dir.path(),
        &[],
        &[("RUSTQUEUE_API_TOKEN", "s3cret")],
        "cat",
    );
    let id = api.enqueue(json!("with a token"), json!({})).await;
    assert_eq!(
        api.wait_status(&id, "COMPLETED").await["result"],
        "with a token"
    );
}

async fn wait_file_exists(path: &Path) {
    eventually(
        format!("{} created", path.display()),
        Duration::from_secs(15),
        async || path.exists(),
    )
    .await;
}

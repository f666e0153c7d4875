//! Runs the worker's command for one task: payload on stdin, task details
//! in the environment, stdout captured, the tail of stderr kept. The child
//! leads a process group of its own, so a timeout, a lost lease or the end
//! of the grace period kills everything it started, not just itself.

use std::future::Future;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// The most stdout kept: a result must fit in a request the server accepts.
pub const MAX_STDOUT: usize = 8 * 1024 * 1024;

/// How much of the end of stderr is kept as the error of a failed attempt.
pub const STDERR_TAIL: usize = 2048;

/// How long output is still read once the process group is gone; only a
/// process that escaped the group (setsid) can hold the pipes open longer.
const OUTPUT_AFTER_EXIT: Duration = Duration::from_secs(2);

/// What to run, and what the child gets.
#[derive(Debug)]
pub struct Job<'a> {
    /// The program and its arguments.
    pub command: &'a [String],
    /// Variables added to the worker's own environment.
    pub env: Vec<(&'static str, String)>,
    /// Written to the child's stdin, which is then closed.
    pub stdin: Vec<u8>,
    /// The child's process group is killed when this runs out.
    pub timeout: Duration,
}

/// Why the worker stopped a child before it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The server no longer holds this lease for us (or we could not renew it in time).
    LeaseLost,
    /// The worker is shutting down and the grace period is over.
    Shutdown,
}

/// How the child's run ended.
#[derive(Debug)]
pub enum Ending {
    /// It exited by itself (with a code, or killed by a signal from elsewhere).
    Exited(ExitStatus),
    /// It ran past its timeout and was killed.
    TimedOut(Duration),
    /// The worker killed it.
    Stopped(Stop),
    /// It could not be started or waited for.
    Broken(String),
}

/// Everything known once the child is gone.
#[derive(Debug)]
pub struct Ended {
    /// How it ended.
    pub ending: Ending,
    /// Its whole stdout; `None` when it wrote more than [`MAX_STDOUT`], or
    /// when a process outside its group kept it open.
    pub stdout: Option<Vec<u8>>,
    /// The last [`STDERR_TAIL`] bytes of its stderr, as text.
    pub stderr_tail: String,
}

/// Whether `program` can be started: a path to an executable file, or a
/// name found on `PATH`. Checked once at start, so a typo does not fail
/// every task it leases.
pub fn check_program(program: &str) -> Result<(), String> {
    let executable = |path: &Path| {
        path.metadata()
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    };
    let found = if program.contains('/') {
        executable(Path::new(program))
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).any(|dir| executable(&dir.join(program)))
    };
    match found {
        true => Ok(()),
        false => Err(format!("command not found or not executable: {program}")),
    }
}

/// Runs the job until the child exits, times out, or `stop` says why it must end.
pub async fn run(job: Job<'_>, stop: impl Future<Output = Stop>) -> Ended {
    let mut child = match spawn(&job) {
        Ok(child) => child,
        Err(error) => return broken(format!("cannot start {:?}: {error}", job.command[0])),
    };
    // The child leads its group, so its pid is the group id. Taken now: after a wait it is gone.
    let group = child.id();
    let feeder = child.stdin.take().map(|stdin| feed(stdin, job.stdin));
    let stdout = child
        .stdout
        .take()
        .map(|out| tokio::spawn(read_capped(out)));
    let stderr = child.stderr.take().map(|err| tokio::spawn(read_tail(err)));
    tokio::pin!(stop);
    let ending = tokio::select! {
        status = child.wait() => match status {
            Ok(status) => Ending::Exited(status),
            Err(error) => Ending::Broken(format!("cannot wait for the command: {error}")),
        },
        () = tokio::time::sleep(job.timeout) => Ending::TimedOut(job.timeout),
        reason = &mut stop => Ending::Stopped(reason),
    };
    // After an exit this ends what the command left behind in its group (a
    // task ends with its command); otherwise it ends the whole run. The group
    // id cannot have been reused yet: pids are handed out in sequence, and the
    // leader was reaped microseconds ago at most.
    kill_group(group);
    if !matches!(ending, Ending::Exited(_)) {
        let _ = child.wait().await;
    }
    if let Some(feeder) = feeder {
        feeder.abort();
    }
    Ended {
        ending,
        stdout: joined(stdout).await.flatten(),
        stderr_tail: joined(stderr).await.unwrap_or_default(),
    }
}

fn spawn(job: &Job<'_>) -> io::Result<Child> {
    let (program, args) = job
        .command
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command"))?;
    Command::new(program)
        .args(args)
        .envs(job.env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: one signal reaches everything the command starts,
        // and a Ctrl-C at the worker's terminal does not reach it directly.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
}

fn broken(why: String) -> Ended {
    Ended {
        ending: Ending::Broken(why),
        stdout: Some(Vec::new()),
        stderr_tail: String::new(),
    }
}

/// SIGKILL to the whole group; a group already gone (ESRCH) is the usual case.
fn kill_group(group: Option<u32>) {
    let pid = group
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Writes the payload and closes stdin; a child that does not read it is fine.
fn feed(mut stdin: impl AsyncWrite + Unpin + Send + 'static, bytes: Vec<u8>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let _ = stdin.write_all(&bytes).await;
        let _ = stdin.shutdown().await;
    })
}

/// A reader's result, waiting a little once the group is dead.
async fn joined<T>(handle: Option<JoinHandle<T>>) -> Option<T> {
    let mut handle = handle?;
    match tokio::time::timeout(OUTPUT_AFTER_EXIT, &mut handle).await {
        Ok(joined) => joined.ok(),
        Err(_) => {
            handle.abort();
            None
        }
    }
}

/// All of stdout, or `None` past [`MAX_STDOUT`] (the rest is drained so the child never blocks).
async fn read_capped(stream: impl AsyncRead + Unpin) -> Option<Vec<u8>> {
    let mut kept = Vec::new();
    let mut limited = stream.take(MAX_STDOUT as u64 + 1);
    limited.read_to_end(&mut kept).await.ok()?;
    if kept.len() <= MAX_STDOUT {
        return Some(kept);
    }
    let _ = tokio::io::copy(&mut limited.into_inner(), &mut tokio::io::sink()).await;
    None
}

/// The last [`STDERR_TAIL`] bytes of stderr as text, marked `…` when cut.
async fn read_tail(mut stream: impl AsyncRead + Unpin) -> String {
    let mut tail = Vec::new();
    let mut cut = false;
    let mut chunk = vec![0; 8192];
    while let Ok(read @ 1..) = stream.read(&mut chunk).await {
        tail.extend_from_slice(&chunk[..read]);
        if tail.len() > 2 * STDERR_TAIL {
            tail.drain(..tail.len() - STDERR_TAIL);
            cut = true;
        }
    }
    if tail.len() > STDERR_TAIL {
        tail.drain(..tail.len() - STDERR_TAIL);
        cut = true;
    }
    tail_text(&tail, cut)
}

fn tail_text(bytes: &[u8], cut: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    // A cut through a multi-byte character leaves replacement characters at the start.
    let text = text.trim_start_matches('\u{FFFD}').trim();
    match cut {
        true => format!("…{text}"),
        false => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stderr_keeps_its_tail() {
        let mut noise = "é".repeat(3000).into_bytes();
        noise.extend_from_slice(b"the end\n");
        let tail = read_tail(noise.as_slice()).await;
        assert!(tail.starts_with('…') && tail.ends_with("the end"), "{tail}");
        assert!(tail.len() <= STDERR_TAIL + '…'.len_utf8());
        assert_eq!(read_tail(&b" short \n"[..]).await, "short");
    }

    #[tokio::test]
    async fn stdout_past_the_cap_is_refused() {
        assert_eq!(read_capped(&b"{}"[..]).await, Some(b"{}".to_vec()));
        let big = vec![b'x'; MAX_STDOUT + 1];
        assert_eq!(read_capped(big.as_slice()).await, None);
    }

    #[test]
    fn programs_are_found_on_the_path_or_by_path() {
        assert!(check_program("sh").is_ok());
        assert!(check_program("/bin/sh").is_ok());
        assert!(check_program("no-such-program-here").is_err());
        assert!(check_program("/etc/passwd").is_err());
    }
}

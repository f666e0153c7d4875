//! A PostgreSQL server of the test's own, in a temporary folder on a free
//! port, so a test can restart it without disturbing the machine's server
//! that every other test shares. Built from the machine's PostgreSQL binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::node::free_port;

/// A running private PostgreSQL; stopped and removed when dropped.
pub(crate) struct PrivatePostgres {
    bin: PathBuf,
    /// PostgreSQL refuses to run as root: then its programs run as `postgres`.
    as_root: bool,
    dir: tempfile::TempDir,
    port: u16,
}

/// The newest `/usr/lib/postgresql/<version>/bin` (Debian's layout).
fn binaries() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .max()
        .expect("a PostgreSQL version under /usr/lib/postgresql");
    root.join(newest.to_string()).join("bin")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0"))
}

impl PrivatePostgres {
    /// Initialises a cluster and starts it.
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let as_root = running_as_root();
        if as_root {
            // PostgreSQL refuses to run as root: its files belong to `postgres`.
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown the data folder to postgres");
        }
        let server = Self {
            bin: binaries(),
            as_root,
            port: free_port(),
            dir,
        };
        let data = server.data();
        server.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        );
        server.pg_ctl(&["start"]);
        server
    }

    /// The URL of its `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A crash and restart: every session is cut at once, and the server
    /// recovers from its write-ahead log, as after a power cut.
    pub(crate) fn crash_restart(&self) {
        self.pg_ctl(&["restart", "-m", "immediate"]);
    }

    /// Stops the server at once, as a crash would, and leaves it down.
    pub(crate) fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "immediate"]);
    }

    /// Starts the server again after [`PrivatePostgres::stop`].
    pub(crate) fn restart(&self) {
        self.pg_ctl(&["start"]);
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg_ctl(&self, action: &[&str]) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let data = self.data();
        let mut args = vec!["-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60"];
        args.extend_from_slice(action);
        self.run("pg_ctl", &args);
    }

    /// A command running one of the server's programs as the `postgres` user.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        command.current_dir(self.dir.path());
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("cannot run {program}: {err}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "stop", "-m", "immediate"])
            .output();
    }
}

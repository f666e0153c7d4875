//! The writer: one thread owns the write connection and commits in groups.
//!
//! Callers send boxed commands over a channel. The thread takes the first,
//! drains whatever else is already waiting, runs them all in one `BEGIN
//! IMMEDIATE` transaction (each in its own savepoint, so a failing command
//! undoes only itself), commits, and only then replies to each caller. One
//! commit (and one WAL append) is shared by every command in the group, which
//! is where the throughput comes from; and no caller hears "done" before its
//! change is durable.

use std::fs::File;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::errors::{Fault, copy, store_error};

use rustqueue_core::store::{StoreError, StoreResult};

/// The most commands committed together, bounding each caller's wait.
const MAX_GROUP: usize = 512;

/// One unit of work for the writer thread.
trait Command: Send {
    /// Runs the work inside a savepoint, keeping its outcome for the reply.
    /// An error here means the transaction itself is broken.
    fn run(&mut self, conn: &Connection) -> rusqlite::Result<()>;

    /// Sends the outcome once the group's commit is known.
    fn reply(self: Box<Self>, committed: Result<(), &StoreError>);
}

/// A command's closure, its outcome once run, and where to send it.
struct Pending<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, Fault>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Command for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, Fault> + Send,
{
    fn run(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let Some(work) = self.work.take() else {
            return Ok(());
        };
        conn.prepare_cached("SAVEPOINT command")?.execute([])?;
        // A panic in one command must not take the writer (and every later
        // caller) down with it: it fails that command, which is rolled back.
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or_else(|_| {
                tracing::error!("a sqlite write command panicked");
                Err(StoreError::other("a sqlite write command panicked".to_owned()).into())
            });
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (I/O error, full disk):
            // the group cannot commit.
            self.outcome = Some(outcome);
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("transaction rolled back by sqlite".to_owned()),
            ));
        }
        if outcome.is_err() {
            conn.prepare_cached("ROLLBACK TO command")?.execute([])?;
        }
        conn.prepare_cached("RELEASE command")?.execute([])?;
        self.outcome = Some(outcome);
        Ok(())
    }

    fn reply(self: Box<Self>, committed: Result<(), &StoreError>) {
        let outcome = match (self.outcome, committed) {
            // A command that failed was rolled back alone; its own error stands.
            (Some(Err(fault)), _) => Err(fault.into()),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(err)) => Err(copy(err)),
            (None, Ok(())) => Err(StoreError::other(
                "sqlite writer skipped a command".to_owned(),
            )),
        };
        // The caller may have stopped waiting (its future was dropped); that is fine.
        let _ = self.reply.send(outcome);
    }
}

/// The handle to the writer thread; dropping it finishes queued work and closes the file.
pub(crate) struct Writer {
    commands: Option<mpsc::Sender<Box<dyn Command>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the thread, which owns `conn` and releases `lock` after closing it.
    pub(crate) fn spawn(conn: Connection, lock: File) -> std::io::Result<Self> {
        let (commands, inbox) = mpsc::channel::<Box<dyn Command>>();
        let thread = std::thread::Builder::new()
            .name("rustqueue-sqlite-writer".to_owned())
            .spawn(move || {
                serve(&conn, &inbox);
                if let Err((_, err)) = conn.close() {
                    tracing::warn!(error = %err, "closing the sqlite write connection failed");
                }
                drop(lock);
            })?;
        Ok(Self {
            commands: Some(commands),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the next group commit and returns its outcome once committed.
    pub(crate) async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Fault> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let pending = Box::new(Pending {
            work: Some(work),
            outcome: None,
            reply,
        });
        let stopped = || StoreError::unavailable("the sqlite writer has stopped".to_owned());
        self.commands
            .as_ref()
            .ok_or_else(stopped)?
            .send(pending)
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Writer {
    /// Whether the thread is still taking commands.
    pub(crate) fn is_running(&self) -> bool {
        self.thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread once queued commands are done;
        // waiting for it means the file is closed and unlocked when drop returns.
        drop(self.commands.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the sqlite writer thread panicked");
        }
    }
}

/// The thread's loop: wait for a command, gather the queue behind it, commit them together.
fn serve(conn: &Connection, inbox: &mpsc::Receiver<Box<dyn Command>>) {
    let mut group: Vec<Box<dyn Command>> = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = inbox.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match inbox.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let committed = commit_group(conn, &mut group).map_err(store_error);
        if let Err(err) = &committed {
            tracing::warn!(error = %err, commands = group.len(), "sqlite group commit failed");
        }
        for command in group.drain(..) {
            command.reply(committed.as_ref().map(|_| ()));
        }
    }
}

fn commit_group(conn: &Connection, group: &mut [Box<dyn Command>]) -> rusqlite::Result<()> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    let done = group
        .iter_mut()
        .try_for_each(|command| command.run(conn))
        .and_then(|()| {
            conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(())
        });
    if done.is_err() && !conn.is_autocommit() {
        // Undo the whole group; if even that fails the connection's next BEGIN will say so.
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> Writer {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .expect("schema");
        Writer::spawn(conn, tempfile::tempfile().expect("lock file")).expect("spawn")
    }

    fn insert(x: i64) -> impl FnOnce(&Connection) -> Result<usize, Fault> + Send + 'static {
        move |conn| {
            // Two statements, so a failure in the second must undo the first.
            conn.execute("INSERT INTO t (x) VALUES (?1)", [x + 1000])?;
            Ok(conn.execute("INSERT INTO t (x) VALUES (?1)", [x])?)
        }
    }

    #[tokio::test]
    async fn a_failing_command_undoes_only_itself() {
        let writer = writer();
        writer.run(insert(3)).await.expect("seed");

        // Queued together, so they share a group; the duplicate fails alone.
        let (a, dup, b) = tokio::join!(
            writer.run(insert(1)),
            writer.run(insert(3)),
            writer.run(insert(2))
        );

        assert_eq!((a.expect("a"), b.expect("b")), (1, 1));
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        let rows = writer
            .run(|conn| {
                Ok(conn.query_row(
                    "SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)",
                    [],
                    |r| r.get::<_, String>(0),
                )?)
            })
            .await
            .expect("read");
        assert_eq!(rows, "1,2,3,1001,1002,1003");
    }

    #[tokio::test]
    async fn a_panicking_command_fails_alone_and_the_writer_lives_on() {
        let writer = writer();

        let panicked = writer
            .run(|_conn| -> Result<(), Fault> { panic!("boom") })
            .await;

        assert!(
            matches!(panicked, Err(StoreError::Other(_))),
            "{panicked:?}"
        );
        assert!(writer.is_running());
        assert_eq!(writer.run(insert(1)).await.expect("insert"), 1);
    }
}

//! Wake-ups across nodes: writes that make work ready `pg_notify` the schema's
//! channel in their own statement (so the notice goes out only if they
//! commit), and every store keeps one dedicated connection that LISTENs on it
//! and fires the store's work signal. Other nodes' shared transitions arrive
//! on the same channel (see [`crate::relay`]) and go to the store's feed.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Config, Connection, NoTls, Socket};

use crate::errors::{Fault, store_error};

use rustqueue_core::store::{StoreError, TransitionBatch};

/// The longest channel name PostgreSQL accepts, in bytes.
const MAX_CHANNEL_LEN: usize = 63;

/// The first wait before reconnecting a lost LISTEN connection; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The channel of the tables in `schema`, so that stores in different schemas
/// of one database do not wake each other.
pub(crate) fn channel(schema: &str) -> String {
    let mut name = format!("rustqueue_work.{schema}");
    if name.len() > MAX_CHANNEL_LEN {
        // Two long names sharing a prefix only cost each other spurious wake-ups.
        let mut end = MAX_CHANNEL_LEN;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// How many shared batches a slow subscriber may fall behind before it lags.
const FEED_CAPACITY: usize = 256;

/// The background task that LISTENs and fires the signal; stops when dropped.
pub(crate) struct Listener {
    signal: Arc<Notify>,
    feed: broadcast::Sender<TransitionBatch>,
    task: JoinHandle<()>,
}

/// Where a listener delivers what it hears.
struct Routes {
    signal: Arc<Notify>,
    feed: broadcast::Sender<TransitionBatch>,
    /// This store's node id: its own shared transitions are not delivered back.
    node: String,
}

impl Listener {
    /// Opens the LISTEN connection (failing if it cannot), then keeps it open
    /// in the background, reconnecting with back-off whenever it drops.
    pub(crate) async fn start(
        config: Config,
        channel: String,
        node: String,
    ) -> Result<Self, Fault> {
        let session = open(&config, &channel).await?;
        let routes = Routes {
            signal: Arc::new(Notify::new()),
            feed: broadcast::channel(FEED_CAPACITY).0,
            node,
        };
        let (signal, feed) = (Arc::clone(&routes.signal), routes.feed.clone());
        let task = tokio::spawn(run(config, channel, routes, session));
        Ok(Self { signal, feed, task })
    }

    /// Transitions shared by other nodes.
    pub(crate) fn feed(&self) -> broadcast::Receiver<TransitionBatch> {
        self.feed.subscribe()
    }

    /// The signal fired on every wake-up and after every reconnection.
    pub(crate) fn signal(&self) -> Arc<Notify> {
        Arc::clone(&self.signal)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Dropping the task's future drops the connection, which closes it.
        self.task.abort();
    }
}

/// A LISTENing connection: the client must live as long as the connection.
type Session = (Client, Connection<Socket, NoTlsStream>);

/// Wakes a dispatcher: one waiter now, or the next one to wait (a stored
/// permit), so a notice arriving between two waits is not lost.
fn fire(signal: &Notify) {
    signal.notify_one();
}

async fn run(config: Config, channel: String, routes: Routes, mut session: Session) {
    loop {
        let lost = store_error(forward(&mut session, &routes).await);
        tracing::warn!(%channel, error = %lost, "listen connection lost; reconnecting");
        session = reconnect(&config, &channel).await;
        // Notifications sent while no one listened are gone: look for work
        // anyway, and tell live views they may have missed transitions.
        fire(&routes.signal);
        let _ = routes.feed.send(TransitionBatch {
            transitions: Vec::new(),
            skipped: 1,
        });
    }
}

/// Routes each notification until the connection ends: other nodes' shared
/// transitions to the feed, wake-ups (empty payloads) to the work signal;
/// this node's own notices are dropped.
async fn forward(session: &mut Session, routes: &Routes) -> Fault {
    let (_client, connection) = session;
    while let Some(message) = poll_fn(|cx| connection.poll_message(cx)).await {
        match message {
            Ok(AsyncMessage::Notification(notice)) => {
                if let Some(batch) = crate::relay::decode(notice.payload(), &routes.node) {
                    // No subscriber is fine: nobody is watching live.
                    let _ = routes.feed.send(batch);
                } else if notice.payload().is_empty() {
                    fire(&routes.signal);
                }
            }
            Ok(_) => {}
            Err(err) => return err.into(),
        }
    }
    closed()
}

fn closed() -> Fault {
    StoreError::unavailable("the listen connection was closed".to_owned()).into()
}

/// Opens a LISTEN session, retrying with back-off until one opens.
async fn reconnect(config: &Config, channel: &str) -> Session {
    let mut backoff = FIRST_BACKOFF;
    loop {
        tokio::time::sleep(backoff).await;
        match open(config, channel).await {
            Ok(session) => {
                tracing::info!(%channel, "listen connection restored");
                return session;
            }
            Err(err) => {
                let err = store_error(err);
                tracing::warn!(%channel, error = %err, retry_in = ?backoff, "cannot reopen listen connection");
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Connects and runs `LISTEN`, driving the connection until the server confirms.
async fn open(config: &Config, channel: &str) -> Result<Session, Fault> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let sql = format!("LISTEN \"{}\"", channel.replace('"', "\"\""));
    {
        let mut listen = pin!(client.batch_execute(&sql));
        loop {
            tokio::select! {
                done = &mut listen => { done?; break; }
                message = poll_fn(|cx| connection.poll_message(cx)) => match message {
                    // Notices only: nothing is delivered before LISTEN returns.
                    Some(Ok(_)) => {}
                    Some(Err(err)) => return Err(err.into()),
                    None => return Err(closed()),
                },
            }
        }
    }
    Ok((client, connection))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_name_the_schema_and_fit() {
        assert_eq!(channel("public"), "rustqueue_work.public");
        let long = channel(&"é".repeat(40));
        assert!(long.len() <= MAX_CHANNEL_LEN && long.starts_with("rustqueue_work.é"));
    }
}

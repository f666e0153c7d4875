//! Serving the router and shutting down gracefully: the engine drains
//! first while HTTP keeps answering, then HTTP stops.

use std::future::{Future, IntoFuture};
use std::time::Duration;

use axum::Router;
use rustqueue_core::Engine;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::StartError;

/// Serves `router` on `listener` until `stop` resolves, then drains the
/// engine and HTTP; `force` resolving during the drain stops at once.
pub(super) async fn run_http(
    engine: Engine,
    listener: TcpListener,
    router: Router,
    grace_secs: u64,
    stop: impl Future<Output = ()>,
    force: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let http_stop = CancellationToken::new();
    let server =
        axum::serve(listener, router).with_graceful_shutdown(http_stop.clone().cancelled_owned());
    let mut server = tokio::spawn(server.into_future());
    tokio::select! {
        ended = &mut server => {
            engine.shutdown().await;
            return match ended {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(StartError::Serve(error)),
                Err(error) => Err(StartError::Task(error)),
            };
        }
        () = stop => {}
    }
    tracing::info!(
        grace_secs,
        "shutting down: taking no new work, finishing running tasks"
    );
    tokio::select! {
        () = drain(&engine, server, http_stop) => tracing::info!("stopped"),
        () = force => tracing::warn!(
            "second signal: stopping now; running tasks run again when their leases expire"
        ),
    }
    Ok(())
}

/// How long open HTTP requests may take once the engine has drained.
const HTTP_DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// Drains the engine first while HTTP keeps answering (event streams end at
/// once, `/readyz` says 503, remote workers can still report their tasks),
/// then stops HTTP, giving open requests [`HTTP_DRAIN_LIMIT`].
async fn drain(
    engine: &Engine,
    mut server: JoinHandle<std::io::Result<()>>,
    http_stop: CancellationToken,
) {
    engine.shutdown().await;
    http_stop.cancel();
    if tokio::time::timeout(HTTP_DRAIN_LIMIT, &mut server)
        .await
        .is_err()
    {
        tracing::warn!("HTTP requests still open after the drain; closing them");
        server.abort();
    }
}

/// The URL without any password, for logs.
pub(super) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Resolves at SIGTERM or Ctrl-C.
pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact("postgres://user:secret@db:5432/q"),
            "postgres://***@db:5432/q"
        );
        assert_eq!(redact("sqlite://rustqueue.db"), "sqlite://rustqueue.db");
    }
}

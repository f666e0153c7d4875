//! `rustqueue serve`: opens the store, starts the engine, serves HTTP, and shuts down gracefully.

use rustqueue_core::builtin::register_demo_types;
use rustqueue_core::clock::SystemClock;
use rustqueue_core::{Engine, Registry};
use std::future::IntoFuture;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::AppState;
use crate::app::{HttpSettings, app};
use crate::config::ServeArgs;
use crate::storage::open_store;

/// Runs the server until SIGTERM or Ctrl-C, then drains the engine and the
/// HTTP server; a second signal stops at once.
pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let store = open_store(&args).await?;
    let mut registry = Registry::new();
    register_demo_types(&mut registry, args.demo_speed);
    for task_type in &args.remote_types {
        registry.declare_remote(task_type, "declared with --remote-types");
    }
    let engine = Engine::new(
        store,
        registry,
        args.engine_config(),
        std::sync::Arc::new(SystemClock),
    );
    engine
        .start()
        .await
        .map_err(|error| format!("cannot start the engine: {error}"))?;
    let settings = HttpSettings {
        api_token: args.api_token.clone().filter(|token| !token.is_empty()),
        cors_origins: args.frontend_origin.clone(),
        body_limit: args.body_limit_bytes,
    };
    let router = app(
        AppState {
            engine: engine.clone(),
        },
        &settings,
    )?;
    let listener = TcpListener::bind(args.bind)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.bind))?;
    tracing::info!(address = %args.bind, database = %redact(&args.database_url), workers = args.workers, "RustQueue is listening");
    let http_stop = CancellationToken::new();
    let server =
        axum::serve(listener, router).with_graceful_shutdown(http_stop.clone().cancelled_owned());
    let mut server = tokio::spawn(server.into_future());
    tokio::select! {
        ended = &mut server => {
            engine.shutdown().await;
            return match ended {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(format!("server error: {error}")),
                Err(error) => Err(format!("server task failed: {error}")),
            };
        }
        () = shutdown_signal() => {}
    }
    tracing::info!(
        grace_secs = args.shutdown_grace_secs,
        "shutting down: taking no new work, finishing running tasks"
    );
    tokio::select! {
        () = drain(&engine, server, http_stop) => tracing::info!("stopped"),
        () = shutdown_signal() => tracing::warn!(
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
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
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

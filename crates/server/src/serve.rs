//! `rustqueue serve`: the embedding builder, set up from the command line.

use crate::config::ServeArgs;
use crate::embed::{RustQueue, Settings, StartError};

/// Runs the server until SIGTERM or Ctrl-C, then drains the engine and the
/// HTTP server; a second signal stops at once.
pub async fn serve(args: ServeArgs) -> Result<(), StartError> {
    let settings = Settings::from(args);
    let bind = settings.bind;
    RustQueue::builder().settings(settings).serve(bind).await
}

#!/usr/bin/env bash
# End-to-end tests of the dashboard: Debian's Chromium, the real rustqueue binary
# (target/debug/rustqueue, or RUSTQUEUE_BIN), then vitest with vitest.e2e.config.ts.
# Screenshots land in artifacts/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/chromium.sh

# The binary embeds dashboard/dist; its build script rebuilds that when the sources changed.
if [[ -z "${RUSTQUEUE_BIN:-}" ]]; then
    (cd .. && cargo build --locked --bin rustqueue)
    target="${CARGO_TARGET_DIR:-target}"
    [[ "$target" == /* ]] || target="$PWD/../$target"
    export RUSTQUEUE_BIN="$target/debug/rustqueue"
fi

exec npx vitest run --config vitest.e2e.config.ts "$@"

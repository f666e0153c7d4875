#!/usr/bin/env bash
# The million-task performance run: the release binary on a fresh SQLite file,
# measured in Chromium (e2e/perf). Takes a few minutes; prints the numbers and
# keeps them in artifacts/perf/million.txt. PERF_DB=/tmp/x.db keeps the loaded
# file for the next run; PERF_TASKS and PERF_RUNS change the size of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/chromium.sh

if [[ -z "${RUSTQUEUE_BIN:-}" ]]; then
    (cd .. && cargo build --release --locked --bin rustqueue)
    target="${CARGO_TARGET_DIR:-target}"
    [[ "$target" == /* ]] || target="$PWD/../$target"
    export RUSTQUEUE_BIN="$target/release/rustqueue"
fi

exec npx vitest run --config vitest.perf.config.ts "$@"

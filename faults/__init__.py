"""RustQueue's fault suite (issue 9): drives the real binary under load while
faults are injected, then checks the guarantees of the README on what is left.

Entry point: `python3 -m faults.run` (wrapped by `scripts/faults`)."""

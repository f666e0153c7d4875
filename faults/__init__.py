"""RustQueue's fault suite: drives the real binary under load while faults are
injected, then checks the guarantees of docs/guarantees.md on what is left.

Entry point: `python3 -m faults.run` (wrapped by `scripts/faults`)."""

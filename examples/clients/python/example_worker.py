"""A sample remote worker: runs RESIZE tasks until Ctrl-C or SIGTERM.

    rustqueue serve --remote-types RESIZE
    python3 example_worker.py                # RUSTQUEUE_SERVER, RUSTQUEUE_API_TOKEN to change
    curl -s -X POST localhost:8000/api/tasks -H 'content-type: application/json' \\
         -d '{"type": "RESIZE", "payload": {"url": "cat.png", "width": 640}}'
"""

import logging
import os

from rustqueue_client import Client, Job, PermanentError, Worker


def resize(job: Job) -> dict:
    payload = job.payload
    if not isinstance(payload, dict) or not isinstance(payload.get("width"), int):
        raise PermanentError("payload needs an integer width")  # retrying cannot fix this
    if payload["width"] <= 0:
        raise PermanentError(f"width must be positive, got {payload['width']}")
    # ... the real work goes here; check job.lost.is_set() now and then if it is long ...
    return {"width": payload["width"], "url": payload.get("url")}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    client = Client.from_env()
    worker = Worker(client, {"RESIZE": resize}, concurrency=4, lease_ms=30_000, wait_ms=20_000,
                    worker_id=os.environ.get("RUSTQUEUE_WORKER_ID"))
    logging.info("running RESIZE tasks as %s; Ctrl-C to stop", worker.worker_id)
    worker.run_until_signal()
    logging.info("stopped: %s", worker.stats)


if __name__ == "__main__":
    main()

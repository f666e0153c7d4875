"""Unit tests of the checker: each broken end state must be caught, in its own
category, and a clean one must pass. Run from the repository root:

    python3 -m unittest discover -s faults -t .
"""

import unittest
from datetime import datetime, timezone

from faults import checker

NOW = checker.parse_time("2026-01-01T00:10:00Z")
EARLIER = "2026-01-01T00:00:00Z"
LATER = "2026-01-01T01:00:00Z"


def task(task_id, op, status="COMPLETED", attempts=1, max_retries=3, item=0, **extra):
    return {"id": task_id, "type": "EMAIL", "queue": "default", "status": status,
            "attempts": attempts, "max_retries": max_retries, "run_at": EARLIER,
            "payload": {"op": op, "i": item}, **extra}


def op(number, outcome="ack", ids=(), items=1, route="/api/tasks"):
    return {"op": number, "outcome": outcome, "ids": list(ids), "items": items,
            "route": route, "status": 201 if outcome == "ack" else 503}


def event(kind, attempt, at=EARLIER, message=None):
    return {"kind": kind, "attempt": attempt, "at": at, "message": message}


T0 = checker.parse_time(EARLIER)
RESCUED_AT_START = "lease expired: the previous server process stopped while it ran"


def at(seconds):
    """EARLIER plus `seconds`, as the server writes times."""
    return datetime.fromtimestamp(T0 + seconds, timezone.utc).isoformat(timespec="milliseconds")


def ran_once(outcome="completed"):
    return [event("enqueued", 0), event("started", 1), event(outcome, 1)]


def counts_of(tasks):
    listed = checker.tally(tasks)
    return {"by_status": dict(listed["by_status"]),
            "by_type": {k: dict(v) for k, v in listed["by_type"].items()},
            "by_queue": {k: dict(v) for k, v in listed["by_queue"].items()}}


class World:
    """A clean end state that each test breaks in one way."""

    def __init__(self):
        self.tasks = [task("a", 1), task("b", 2, status="FAILED", attempts=2, max_retries=2),
                      task("c", 3, item=0), task("d", 3, item=1)]
        self.ops = [op(1, ids=["a"]), op(2, ids=["b"]),
                    op(3, outcome="indeterminate", items=2, route="/api/tasks/batch"),
                    op(4, outcome="refused"), op(5, outcome="rejected")]
        self.histories = {
            "a": ran_once(),
            "b": [event("enqueued", 0), event("started", 1), event("retry_scheduled", 1),
                  event("started", 2), event("failed", 2)],
            "c": ran_once(), "d": ran_once(),
        }
        self.answers = []
        self.counts = None
        self.workers = []
        self.restarts = []

    def check(self):
        counts = self.counts if self.counts is not None else counts_of(self.tasks)
        return checker.check(self.ops, self.tasks, self.histories, self.answers, counts, NOW,
                             self.workers, self.restarts)

    def remote_lease_across_restart(self, beat_code=200, killed_at=None):
        """Task a leased at 0 s by worker0 for 1.5 s and renewed at 1 s for 6 s
        (when `beat_code` is 200); node0 SIGKILLed at 1.5 s, back at 1.8 s."""
        self.workers = [("worker0", [
            {"e": "lease", "task": "a", "token": "5", "attempt": 1, "behaviour": "long",
             "sent": T0, "lease_ms": 1500, "t": T0 + 0.01},
            {"e": "beat", "task": "a", "token": "5", "sent": T0 + 1, "lease_ms": 6000,
             "code": beat_code, "lost": False, "t": T0 + 1.01},
        ], killed_at)]
        self.restarts = [("node0", T0 + 1.5, T0 + 1.8)]

    def ended_by_expiry_at(self, seconds, message=RESCUED_AT_START):
        """Task a's first attempt ended by lease expiry at `seconds`, then ran again."""
        self.tasks[0]["attempts"] = 2
        self.histories["a"] = [event("enqueued", 0), event("started", 1, at(0.005)),
                               event("lease_expired", 1, at(seconds), message),
                               event("started", 2, at(seconds + 0.1)),
                               event("completed", 2, at(seconds + 0.2))]


def answer(task_id, token, action="complete", code=200, status="COMPLETED"):
    return {"e": "answer", "task": task_id, "token": token, "action": action,
            "code": code, "status": status}


class CheckerTest(unittest.TestCase):
    def assertOnly(self, report, category, at_least=1):
        """The report breaks `category` (at least `at_least` times) and nothing else."""
        self.assertGreaterEqual(report.count(category), at_least, report.violations)
        others = {c: v for c, v in report.violations.items() if v and c != category}
        self.assertEqual(others, {}, f"unexpected violations besides {category}")

    def test_clean_history_passes(self):
        report = World().check()
        self.assertEqual(report.total(), 0, report.violations)
        self.assertEqual(report.stats["acknowledged"], 2)

    def test_lost_task_is_caught(self):
        world = World()
        world.ops.append(op(6, ids=["gone"]))
        self.assertOnly(world.check(), "lost")

    def test_double_completed_events_are_caught(self):
        world = World()
        world.histories["a"] = ran_once() + [event("completed", 1)]
        report = world.check()
        self.assertGreaterEqual(report.count("duplicated"), 1)

    def test_two_completions_of_two_leases_are_caught(self):
        world = World()
        world.tasks[0]["attempts"] = 2
        world.histories["a"] = [event("enqueued", 0), event("started", 1), event("lease_expired", 1),
                                event("started", 2), event("completed", 2)]
        # The first lease's late complete was accepted as well: a double completion.
        world.answers = [answer("a", "111"), answer("a", "222")]
        self.assertOnly(world.check(), "duplicated")

    def test_one_lease_finished_twice_is_caught(self):
        world = World()
        world.answers = [answer("b", "7", action="fail", status="QUEUED"),
                         answer("b", "7", action="fail", status="QUEUED")]
        self.assertOnly(world.check(), "duplicated")

    def test_completion_answered_but_not_kept_is_caught(self):
        world = World()
        world.answers = [answer("b", "9")]  # b ended FAILED
        self.assertOnly(world.check(), "duplicated")

    def test_refused_answers_are_not_duplicates(self):
        world = World()
        world.answers = [answer("a", "1"), answer("a", "2", code=409), answer("a", "3", code=None)]
        self.assertEqual(world.check().total(), 0)

    def test_stuck_tasks_are_caught(self):
        world = World()
        world.tasks.append(task("e", 6, status="INPROGRESS"))
        world.tasks.append(task("f", 7, status="QUEUED", attempts=0))
        world.ops += [op(6, ids=["e"]), op(7, ids=["f"])]
        world.histories["e"] = [event("enqueued", 0), event("started", 1)]
        world.histories["f"] = [event("enqueued", 0)]
        self.assertOnly(world.check(), "stuck", at_least=2)

    def test_a_task_waiting_for_its_run_at_is_not_stuck(self):
        world = World()
        world.tasks.append(task("g", 6, status="QUEUED", attempts=0, run_at=LATER))
        world.ops.append(op(6, ids=["g"]))
        world.histories["g"] = [event("enqueued", 0)]
        self.assertEqual(world.check().total(), 0)

    def test_attempts_over_max_are_caught(self):
        world = World()
        world.tasks[1]["max_retries"] = 1  # b ran twice
        self.assertOnly(world.check(), "over_attempts")

    def test_a_released_attempt_gives_its_budget_back(self):
        world = World()
        world.tasks[1]["attempts"] = 2
        world.histories["b"] = [event("enqueued", 0), event("started", 1), event("released", 0),
                                event("started", 1), event("retry_scheduled", 1),
                                event("started", 2), event("failed", 2)]
        self.assertEqual(world.check().total(), 0)

    def test_phantoms_are_caught(self):
        world = World()
        world.tasks.append(task("h", 4))  # op 4 was refused
        world.tasks.append(task("i", 5))  # op 5 was rejected
        world.tasks.append(task("j", 99))  # no such op
        world.tasks.append({**task("k", 1), "payload": "no marker"})
        for name in "hijk":
            world.histories[name] = ran_once()
        self.assertOnly(world.check(), "phantom", at_least=4)

    def test_a_half_written_batch_is_caught(self):
        world = World()
        del world.tasks[3]  # d, the second task of the indeterminate batch
        del world.histories["d"]
        self.assertOnly(world.check(), "phantom")

    def test_a_batch_that_did_not_happen_at_all_is_fine(self):
        world = World()
        del world.tasks[2:]
        del world.histories["c"], world.histories["d"]
        self.assertEqual(world.check().total(), 0)

    def test_histories_that_do_not_replay_are_caught(self):
        broken = {
            "a": [event("started", 1), event("completed", 1)],  # no enqueued
            "c": [event("enqueued", 0), event("completed", 0)],  # completed while QUEUED
            "d": [event("enqueued", 0), event("started", 1), event("retry_scheduled", 1)],
        }
        for task_id, events in broken.items():
            with self.subTest(task_id):
                world = World()
                world.histories[task_id] = events
                self.assertOnly(world.check(), "replay")

    def test_attempt_numbers_must_follow_the_starts(self):
        world = World()
        world.histories["a"] = [event("enqueued", 0), event("started", 2), event("completed", 2)]
        self.assertOnly(world.check(), "replay")

    def test_counts_that_disagree_are_caught(self):
        world = World()
        counts = counts_of(world.tasks)
        counts["by_status"]["COMPLETED"] += 1
        counts["by_queue"]["default"]["QUEUED"] = 2
        world.counts = counts
        self.assertOnly(world.check(), "counts", at_least=2)

    def test_zero_counts_are_not_disagreements(self):
        world = World()
        counts = counts_of(world.tasks)
        counts["by_status"]["INPROGRESS"] = 0
        counts["by_type"]["SMS"] = {"QUEUED": 0, "COMPLETED": 0}
        world.counts = counts
        self.assertEqual(world.check().total(), 0)

    def test_re_executions_are_counted_not_judged(self):
        world = World()
        world.tasks[0]["attempts"] = 2
        world.histories["a"] = [event("enqueued", 0), event("started", 1), event("lease_expired", 1),
                                event("started", 2), event("completed", 2)]
        report = world.check()
        self.assertEqual(report.total(), 0, report.violations)
        self.assertEqual(report.stats["re_executed"], 1)


    def test_a_live_workers_lease_rescued_at_a_restart_is_caught(self):
        world = World()
        world.remote_lease_across_restart()
        world.ended_by_expiry_at(1.9)  # start-up recovery took it, 5.1 s before it ran out
        report = world.check()
        self.assertOnly(report, "restart_lease_lost")
        self.assertIn("task a attempt 1", report.violations["restart_lease_lost"][0])
        self.assertEqual((report.stats["restart_leases_held"], report.stats["restart_leases_kept"]),
                         (1, 0))

    def test_a_rescue_that_ends_the_last_attempt_is_caught_too(self):
        world = World()
        world.remote_lease_across_restart()
        world.tasks[0].update(status="FAILED", max_retries=1)
        world.histories["a"] = [event("enqueued", 0), event("started", 1, at(0.005)),
                                event("failed", 1, at(1.9), RESCUED_AT_START)]
        self.assertOnly(world.check(), "restart_lease_lost")

    def test_a_lease_kept_through_a_restart_passes(self):
        world = World()
        world.remote_lease_across_restart()
        world.histories["a"] = [event("enqueued", 0), event("started", 1, at(0.005)),
                                event("completed", 1, at(8))]
        report = world.check()
        self.assertEqual(report.total(), 0, report.violations)
        self.assertEqual((report.stats["restart_leases_held"], report.stats["restart_leases_kept"]),
                         (1, 1))

    def test_a_lease_that_lapsed_while_no_node_answered_may_be_taken(self):
        world = World()
        world.remote_lease_across_restart(beat_code=None)  # the renewal never got through
        world.ended_by_expiry_at(2.5, "lease expired: the worker stopped renewing it")
        report = world.check()
        self.assertEqual(report.total(), 0, report.violations)
        self.assertEqual(report.stats["restart_leases_lapsed"], 1)

    def test_a_killed_workers_lease_may_be_taken(self):
        world = World()
        world.remote_lease_across_restart(killed_at=T0 + 1.2)
        world.ended_by_expiry_at(1.9)
        self.assertEqual(world.check().total(), 0)

    def test_an_expiry_with_no_restart_inside_the_attempt_is_not_judged_here(self):
        world = World()
        world.remote_lease_across_restart()
        world.restarts = [("node0", T0 + 30, T0 + 31)]
        world.ended_by_expiry_at(1.9)
        report = world.check()
        self.assertEqual(report.total(), 0, report.violations)
        self.assertEqual(report.stats["restart_leases_held"], 0)


if __name__ == "__main__":
    unittest.main()


class LimitsTest(unittest.TestCase):
    """The most tasks ever running per limited queue and key, from histories."""

    LIMITS = {"mail": {"concurrency": 3, "per_key_limit": 1, "key_limits": {"gold": 2}}}

    def run_spans(self, shapes):
        """Tasks of queue mail from (key, [(start, end or None), ...]) shapes."""
        tasks, histories = [], {}
        for n, (key, spans) in enumerate(shapes):
            task_id = f"t{n}"
            tasks.append(task(task_id, n, queue="mail", concurrency_key=key))
            events = [event("enqueued", 0)]
            for attempt, (start, end) in enumerate(spans, start=1):
                events.append(event("started", attempt, at(start)))
                if end is not None:
                    events.append(event("retry_scheduled" if attempt < len(spans) else "completed",
                                        attempt, at(end)))
            histories[task_id] = events
        report = checker.Report()
        checker.check_limits(report, tasks, histories, self.LIMITS)
        return report

    def test_keys_that_take_turns_pass(self):
        report = self.run_spans([("a", [(0, 5)]), ("a", [(5, 9)]), ("b", [(6, 8)]),
                                 ("gold", [(0, 9)]), ("gold", [(2, 3)])])
        self.assertEqual(report.violations["over_limit"], [])
        self.assertEqual(report.stats["most_running_per_key"], 2)
        self.assertEqual(report.stats["most_running_per_queue"], {"mail": 3})

    def test_two_of_one_key_at_once_is_caught(self):
        report = self.run_spans([("a", [(0, 5)]), ("a", [(4, 9)])])
        self.assertEqual(len(report.violations["over_limit"]), 1)
        self.assertIn("key a: 2 tasks ran at once, limit 1", report.violations["over_limit"][0])

    def test_a_named_keys_own_limit_is_used(self):
        report = self.run_spans([("gold", [(0, 5)]), ("gold", [(1, 5)]), ("gold", [(2, 5)])])
        self.assertEqual(len(report.violations["over_limit"]), 1)
        self.assertIn("key gold: 3 tasks ran at once, limit 2", report.violations["over_limit"][0])

    def test_the_queue_limit_counts_every_key_and_running_attempts(self):
        report = self.run_spans([("a", [(0, 5)]), ("b", [(1, 5)]), (None, [(2, 5)]),
                                 ("c", [(3, None)])])
        self.assertEqual(report.violations["over_limit"],
                         ["queue mail: 4 tasks ran at once, limit 3"])

    def test_a_lapsed_lease_holds_its_place_until_rescued(self):
        # The second attempt starts while the first's lease had lapsed but
        # was not yet rescued: that is two at once.
        report = self.run_spans([("a", [(0, 10)]), ("a", [(6, 8)])])
        self.assertEqual(len(report.violations["over_limit"]), 1)

    def test_unlimited_queues_are_not_judged(self):
        tasks = [task("x", 1, concurrency_key="a"), task("y", 2, concurrency_key="a")]
        histories = {"x": [event("enqueued", 0), event("started", 1, at(0))],
                     "y": [event("enqueued", 0), event("started", 1, at(0))]}
        report = checker.Report()
        checker.check_limits(report, tasks, histories, self.LIMITS)
        self.assertEqual(report.total(), 0)

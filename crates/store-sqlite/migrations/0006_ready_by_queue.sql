-- Claims read the ready tasks per unpaused queue and per priority level, as a
-- range of run_at (see src/ready.rs): queue first, so a paused queue's backlog
-- is never stepped over, and run_at right after priority, so neither are
-- tasks scheduled for later. The old order (priority first) made every claim
-- walk past both, which with a large paused or scheduled backlog cost the
-- writer milliseconds per claim.
DROP INDEX tasks_ready;
CREATE INDEX tasks_ready ON tasks (queue, priority DESC, run_at, id, task_type)
    WHERE status = 'QUEUED';

-- Retention deletes the longest-finished tasks of one status in small
-- batches; this index leads straight to them at any table size. Only
-- finished tasks have `finished_at`, so unfinished ones cost nothing here.
CREATE INDEX tasks_finished ON tasks (status, finished_at) WHERE finished_at IS NOT NULL;

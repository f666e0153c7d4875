-- The highest priority level below `above` among a queue's queued tasks
-- (NULL when none is left): one seek in tasks_ready.
CREATE OR REPLACE FUNCTION next_level(queue_name text, above bigint) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT t.priority FROM tasks t
    WHERE t.status = 'QUEUED' AND t.queue = queue_name AND t.priority < above
    ORDER BY t.priority DESC LIMIT 1
$$;

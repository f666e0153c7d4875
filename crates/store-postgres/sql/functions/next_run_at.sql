-- The earliest run_at among queued tasks of the types in unpaused queues,
-- read per queue and priority level like due_tasks.
CREATE OR REPLACE FUNCTION next_run_at(types text[]) RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET enable_sort = off
AS $$
DECLARE
    active text;
    level integer;
    above bigint;
    levels integer;
    first timestamptz;
    earliest timestamptz;
BEGIN
    FOR active IN SELECT * FROM active_queues() LOOP
        above := 2147483648;
        levels := 0;
        LOOP
            level := next_level(active, above);
            EXIT WHEN level IS NULL;
            levels := levels + 1;
            IF levels > 32 THEN
                SELECT min(t.run_at) INTO first FROM tasks t
                WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority < above
                  AND t.task_type = ANY(types);
                earliest := least(earliest, first);
                EXIT;
            END IF;
            SELECT t.run_at INTO first FROM tasks t
            WHERE t.status = 'QUEUED' AND t.queue = active AND t.priority = level
              AND t.task_type = ANY(types)
            ORDER BY t.run_at LIMIT 1;
            earliest := least(earliest, first);
            above := level;
        END LOOP;
    END LOOP;
    RETURN earliest;
END
$$;

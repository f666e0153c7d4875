-- The W3C trace context of the request that enqueued a task, which its
-- attempts continue (NULL when the request carried none). Adding a nullable
-- column without a default rewrites no rows.
ALTER TABLE tasks ADD COLUMN traceparent TEXT;

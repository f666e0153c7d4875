-- The W3C trace context of the request that enqueued a task, which its
-- attempts continue (NULL when the request carried none). A nullable column
-- without a default is added without rewriting the table or a long lock.
ALTER TABLE tasks ADD COLUMN traceparent TEXT;

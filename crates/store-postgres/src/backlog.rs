//! Each queue's backlog beyond the counters: the queued tasks not due yet
//! (scheduled or retrying) and the oldest due one.

use rustqueue_core::store::QueueBacklog;
use rustqueue_core::task::Timestamp;

use crate::connection::Db;
use crate::errors::Fault;

/// One statement over `tasks_ready` (queue, priority DESC, run_at, id). It
/// walks the queues with queued tasks (paused ones too: a backlog is a
/// backlog) by one seek per name, and their priority levels by one seek per
/// level (`next_level`, in `sql/functions/`). Per level, one seek finds the oldest
/// due task and one range `run_at > $1` counts the tasks not due yet, with a
/// heap fetch each for `attempts`. So a scrape reads the not-yet-due tasks
/// (the minority) and never the due ones, which the counters already count;
/// nothing is added to the write path. Past 32 levels the rest of a queue is
/// read in one walk, as claims do.
const BACKLOG: &str = "WITH RECURSIVE queued(name) AS ( \
         SELECT min(t.queue) FROM tasks t WHERE t.status = 'QUEUED' \
         UNION ALL \
         SELECT (SELECT min(t.queue) FROM tasks t WHERE t.status = 'QUEUED' AND t.queue > q.name) \
         FROM queued q WHERE q.name IS NOT NULL), \
     levels(queue, priority, depth) AS ( \
         SELECT q.name, next_level(q.name, 2147483648), 1 FROM queued q WHERE q.name IS NOT NULL \
         UNION ALL \
         SELECT l.queue, next_level(l.queue, l.priority), l.depth + 1 FROM levels l \
         WHERE l.priority IS NOT NULL AND l.depth < 32), \
     parts(queue, oldest, later, retrying) AS ( \
         SELECT l.queue, \
             (SELECT t.run_at FROM tasks t WHERE t.status = 'QUEUED' AND t.queue = l.queue \
              AND t.priority = l.priority AND t.run_at <= $1 ORDER BY t.run_at LIMIT 1), \
             c.later, c.retrying \
         FROM levels l CROSS JOIN LATERAL ( \
             SELECT count(*) AS later, count(*) FILTER (WHERE t.attempts > 0) AS retrying \
             FROM tasks t WHERE t.status = 'QUEUED' AND t.queue = l.queue \
             AND t.priority = l.priority AND t.run_at > $1) c \
         WHERE l.priority IS NOT NULL \
         UNION ALL \
         SELECT l.queue, \
             (SELECT min(t.run_at) FROM tasks t WHERE t.status = 'QUEUED' AND t.queue = l.queue \
              AND t.priority < l.priority AND t.run_at <= $1), \
             c.later, c.retrying \
         FROM levels l CROSS JOIN LATERAL ( \
             SELECT count(*) AS later, count(*) FILTER (WHERE t.attempts > 0) AS retrying \
             FROM tasks t WHERE t.status = 'QUEUED' AND t.queue = l.queue \
             AND t.priority < l.priority AND t.run_at > $1) c \
         WHERE l.priority IS NOT NULL AND l.depth = 32) \
     SELECT queue, min(oldest), sum(later)::bigint, sum(retrying)::bigint \
     FROM parts GROUP BY queue ORDER BY queue";

/// Every queue's backlog at `now`, by name.
pub(crate) async fn backlog(db: &Db, now: Timestamp) -> Result<Vec<QueueBacklog>, Fault> {
    let client = db.client().await?;
    let rows = client
        .query(&client.prepare_cached(BACKLOG).await?, &[&now])
        .await?;
    let mut backlog = Vec::with_capacity(rows.len());
    for row in &rows {
        let later: i64 = row.try_get(2)?;
        let retrying: i64 = row.try_get(3)?;
        backlog.push(QueueBacklog {
            queue: row.try_get(0)?,
            scheduled: u64::try_from(later - retrying).unwrap_or(0),
            retrying: u64::try_from(retrying).unwrap_or(0),
            oldest_ready_at: row.try_get(1)?,
        });
    }
    backlog.sort_by(|a, b| a.queue.cmp(&b.queue));
    Ok(backlog)
}

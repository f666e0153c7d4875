//! The claim's walk of a round-robin queue (`rustqueue_core::fairness`).
//!
//! The candidates are those of a limited queue (each unsaturated key's first
//! due tasks, at most its room, and the tasks without a key), ordered
//! round-robin by the keys' turns in `key_turns`, admitted by the queue's
//! room, and given the claim-order places their tasks hold together, so
//! that `ready::due` merges them with other queues without reordering them.
//! The keys of the picks that survive the merge take their turns there.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use rustqueue_core::fairness::{Offered, claim_places, round_robin, turns_taken};
use rustqueue_core::limits::QueueLimits;

use crate::errors::Fault;
use crate::limited::{offered, room};
use crate::ready::{Candidate, FairPick, Wanted};

/// One key's last turn in a queue.
const TURN: &str = "SELECT turn FROM key_turns WHERE queue = ?1 AND key = ?2";

/// A queue's latest turn.
const LATEST_TURN: &str = "SELECT max(turn) FROM key_turns INDEXED BY key_turns_latest \
     WHERE queue = ?1";

/// Records a key's turn.
const TAKE_TURN: &str = "INSERT INTO key_turns (queue, key, turn) VALUES (?1, ?2, ?3) \
     ON CONFLICT (queue, key) DO UPDATE SET turn = max(turn, excluded.turn)";

/// Adds the due tasks of a round-robin queue that its limits let start now,
/// at most `wanted.limit`, at the places they take in claim order.
pub(crate) fn due_in_fair_queue(
    conn: &Connection,
    queue: &str,
    limits: &QueueLimits,
    wanted: &Wanted<'_>,
    candidates: &mut Vec<Candidate>,
) -> Result<(), Fault> {
    let mut room = room(conn, queue, limits, wanted.limit)?;
    if room.left() == 0 {
        return Ok(());
    }
    let offered: Vec<Offered<Candidate>> = offered(conn, queue, &room, wanted)?
        .into_iter()
        .map(|(candidate, key)| Offered {
            key,
            priority: i32::try_from(candidate.priority).unwrap_or(i32::MIN),
            task: candidate,
        })
        .collect();
    let turns = turns_of(conn, queue, &offered)?;
    let picks: Vec<Offered<Candidate>> = round_robin(offered, &turns)
        .into_iter()
        .filter(|pick| room.left() > 0 && room.admit(pick.key.as_deref()))
        .collect();
    let latest: Option<u64> = conn
        .prepare_cached(LATEST_TURN)?
        .query_row([queue], |row| row.get(0))?;
    let taken = turns_taken(&picks, latest.unwrap_or(0));
    let places: Vec<(i64, i64, String)> = picks
        .iter()
        .map(|pick| (-pick.task.priority, pick.task.run_at, pick.task.id.clone()))
        .collect();
    for (pick, (priority, run_at, place_id)) in picks.into_iter().zip(claim_places(&places)) {
        let key = pick.turn_key().to_owned();
        let turn = taken[&key];
        candidates.push(Candidate {
            priority: -priority,
            run_at,
            id: pick.task.id,
            fair: Some(Box::new(FairPick {
                place_id,
                queue: queue.to_owned(),
                key,
                turn,
            })),
        });
    }
    Ok(())
}

/// The last turns of the keys among `offered`.
fn turns_of<T>(
    conn: &Connection,
    queue: &str,
    offered: &[Offered<T>],
) -> Result<HashMap<String, u64>, Fault> {
    let mut turn = conn.prepare_cached(TURN)?;
    let mut turns = HashMap::new();
    for task in offered {
        let key = task.turn_key();
        if turns.contains_key(key) {
            continue;
        }
        if let Some(last) = turn
            .query_row(params![queue, key], |row| row.get::<_, u64>(0))
            .optional()?
        {
            turns.insert(key.to_owned(), last);
        }
    }
    Ok(turns)
}

/// Records the turns of the round-robin picks a claim kept.
pub(crate) fn take_turns(conn: &Connection, kept: &[Candidate]) -> Result<(), Fault> {
    let mut picks = kept.iter().filter_map(|c| c.fair.as_deref()).peekable();
    if picks.peek().is_none() {
        return Ok(());
    }
    let mut take = conn.prepare_cached(TAKE_TURN)?;
    for pick in picks {
        take.execute(params![pick.queue, pick.key, pick.turn])?;
    }
    Ok(())
}

/// Every statement a round-robin claim runs besides a limited one's, for plan checks.
pub(crate) fn statements() -> [&'static str; 3] {
    [TURN, LATEST_TURN, TAKE_TURN]
}

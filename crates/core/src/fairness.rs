//! Round-robin between the keys of a queue: the order a fair queue's claim
//! hands out its due tasks in, written once for the stores that claim in
//! Rust (the PostgreSQL claim computes the same order in SQL, and the
//! conformance suite holds all of them to it).
//!
//! Within a priority level, each round gives every key with due tasks one
//! start; in a round, the key least recently started goes first (a key
//! never started before all others, then the key whose first due task comes
//! first in claim order). Tasks without a key take their turns as one more
//! key, [`UNKEYED`]. So A, A, A, B, B, C start as A, B, C, A, B, A, and
//! claims of one task at a time give the same order as one claim of six,
//! because each claim records when it last started each key (its turn).
//!
//! As a rule over the due tasks: order by priority (highest first), then by
//! the task's rank among its key's tasks of that level, then by its key's
//! turn (never started first), then by where its key's first task of that
//! level stands in claim order.

use std::cmp::Reverse;
use std::collections::HashMap;

/// The key under which tasks without a `concurrency_key` take their turns.
pub const UNKEYED: &str = "";

/// A due task of a fair queue, as the round robin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered<T> {
    /// Its `concurrency_key`, if any.
    pub key: Option<String>,
    /// Its priority.
    pub priority: i32,
    /// What the store carries along (the task, or its id).
    pub task: T,
}

impl<T> Offered<T> {
    /// The key its turns are recorded under.
    pub fn turn_key(&self) -> &str {
        self.key.as_deref().unwrap_or(UNKEYED)
    }
}

/// `offered` (due tasks of one queue, in claim order) in round-robin order.
/// `turns` holds each key's last turn (a larger turn started more recently);
/// a key without one was never started.
pub fn round_robin<T>(offered: Vec<Offered<T>>, turns: &HashMap<String, u64>) -> Vec<Offered<T>> {
    // Rank within (key, level) and the position of that group's first task.
    let mut groups: HashMap<(&str, i32), (usize, u64)> = HashMap::new();
    let mut order: Vec<(Reverse<i32>, u64, Option<u64>, usize)> = Vec::with_capacity(offered.len());
    for (position, task) in offered.iter().enumerate() {
        let (head, count) = groups
            .entry((task.turn_key(), task.priority))
            .or_insert((position, 0));
        *count += 1;
        let turn = turns.get(task.turn_key()).copied();
        order.push((Reverse(task.priority), *count, turn, *head));
    }
    let mut ranked: Vec<_> = order.into_iter().zip(offered).collect();
    // The head positions differ between groups, so no two tasks tie.
    ranked.sort_by_key(|(order, _)| *order);
    ranked.into_iter().map(|(_, task)| task).collect()
}

/// The turn each key takes by the picks of one claim, in round-robin order:
/// `after` plus the place of its last pick, so that every key started now
/// counts as more recent than every key started before.
pub fn turns_taken<'a, T>(
    picks: impl IntoIterator<Item = &'a Offered<T>>,
    after: u64,
) -> HashMap<String, u64>
where
    T: 'a,
{
    let mut taken = HashMap::new();
    for (place, pick) in (1..).zip(picks) {
        taken.insert(pick.turn_key().to_owned(), after + place);
    }
    taken
}

/// Gives the picks, kept in their round-robin order, the claim-order places
/// their tasks hold together (sorted), so that a claim merging several
/// queues by claim order keeps this queue's picks in round-robin order and
/// ends a short claim after a prefix of them. Each pick keeps its own
/// priority: round-robin order never puts a lower level before a higher one.
pub fn claim_places<P: Ord + Clone>(places_of_picks: &[P]) -> Vec<P> {
    let mut places = places_of_picks.to_vec();
    places.sort();
    places
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(tasks: &[(&str, i32)]) -> Vec<Offered<usize>> {
        tasks
            .iter()
            .enumerate()
            .map(|(i, (key, priority))| Offered {
                key: (!key.is_empty()).then(|| (*key).to_owned()),
                priority: *priority,
                task: i,
            })
            .collect()
    }

    fn keys(picks: &[Offered<usize>]) -> Vec<&str> {
        picks.iter().map(Offered::turn_key).collect()
    }

    #[test]
    fn keys_take_turns_in_one_claim() {
        let tasks = offered(&[("A", 0), ("A", 0), ("A", 0), ("B", 0), ("B", 0), ("C", 0)]);
        let picks = round_robin(tasks, &HashMap::new());
        assert_eq!(keys(&picks), ["A", "B", "C", "A", "B", "A"]);
    }

    #[test]
    fn claims_of_one_give_the_same_order_through_their_turns() {
        let mut queued = offered(&[("A", 0), ("A", 0), ("A", 0), ("B", 0), ("B", 0), ("C", 0)]);
        let (mut turns, mut last, mut started) = (HashMap::new(), 0, Vec::new());
        while !queued.is_empty() {
            let first = round_robin(queued.clone(), &turns).remove(0);
            turns.extend(turns_taken([&first], last));
            last += 1;
            queued.retain(|task| task.task != first.task);
            started.push(first.turn_key().to_owned());
        }
        assert_eq!(started, ["A", "B", "C", "A", "B", "A"]);
    }

    #[test]
    fn priority_comes_first_and_unkeyed_tasks_are_one_key() {
        let tasks = offered(&[("B", 5), ("A", 0), ("A", 0), ("", 0), ("", 0), ("B", 0)]);
        let picks = round_robin(tasks, &HashMap::new());
        assert_eq!(
            picks.iter().map(|p| p.task).collect::<Vec<_>>(),
            [0, 1, 3, 5, 2, 4]
        );
    }

    #[test]
    fn the_least_recently_started_key_goes_first() {
        let tasks = offered(&[("A", 0), ("B", 0), ("C", 0)]);
        let turns = HashMap::from([("A".to_owned(), 9), ("B".to_owned(), 4)]);
        assert_eq!(keys(&round_robin(tasks, &turns)), ["C", "B", "A"]);
    }

    #[test]
    fn a_key_takes_the_turn_of_its_last_pick() {
        let picks = offered(&[("A", 0), ("B", 0), ("A", 0)]);
        let taken = turns_taken(&picks, 10);
        assert_eq!(
            taken,
            HashMap::from([("A".to_owned(), 13), ("B".to_owned(), 12)])
        );
    }

    #[test]
    fn places_are_the_picks_places_in_claim_order() {
        assert_eq!(
            claim_places(&[(Reverse(0), 3), (Reverse(0), 1), (Reverse(0), 2)]),
            [(Reverse(0), 1), (Reverse(0), 2), (Reverse(0), 3)]
        );
    }
}

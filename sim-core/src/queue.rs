//! The event queue: a min-heap keyed by `(time, seq)`.
//!
//! `seq` is an insertion counter, so events scheduled for the same instant pop in the
//! order they were scheduled. That makes the run a pure function of its inputs: no tie
//! is ever broken by heap layout.
//!
//! Every request passes through here once (its completion), so the heap is built for
//! speed: the key is one `u128` (time in the high half, seq in the low half, so a
//! single integer comparison orders both), and it is 4-ary, which halves the depth of
//! the binary heap for the few dozen events a fleet keeps pending. Popping moves the
//! hole down to a leaf along the smallest children and then sifts the last entry up
//! from there, the same strategy as `std`'s `BinaryHeap`.

use crate::time::SimTime;

const ARITY: usize = 4;

#[derive(Clone, Copy)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

/// Pending events in `(time, seq)` order.
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> EventQueue<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(capacity),
            next_seq: 0,
        }
    }

    pub fn push(&mut self, time: SimTime, event: E) {
        let key = (u128::from(time.0) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        let mut hole = self.heap.len();
        self.heap.push(Entry { key, event });
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if self.heap[parent].key <= key {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = Entry { key, event };
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let Some(&top) = self.heap.first() else {
            return Some((last.time(), last.event));
        };
        let n = self.heap.len();
        // Move the hole at the root down to a leaf, along the smallest children.
        let mut hole = 0;
        loop {
            let first = hole * ARITY + 1;
            if first >= n {
                break;
            }
            let end = (first + ARITY).min(n);
            let mut best = first;
            for c in first + 1..end {
                if self.heap[c].key < self.heap[best].key {
                    best = c;
                }
            }
            self.heap[hole] = self.heap[best];
            hole = best;
        }
        // Put the last entry in the hole and sift it up to where it belongs.
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if self.heap[parent].key <= last.key {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = last;
        Some((top.time(), top.event))
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(Entry::time)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_and_fifo_on_ties() {
        let mut q = EventQueue::with_capacity(8);
        q.push(SimTime(30), 'c');
        q.push(SimTime(10), 'a');
        q.push(SimTime(20), 'b');
        q.push(SimTime(10), 'x');
        q.push(SimTime(10), 'y');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'x', 'y', 'b', 'c']);
    }

    /// Against a sorted reference, with pushes and pops interleaved as the engine does
    /// (many ties, times never before the last pop).
    #[test]
    fn agrees_with_a_sorted_reference() {
        let mut q = EventQueue::with_capacity(4);
        let mut reference: Vec<(u64, u64, u32)> = Vec::new();
        let mut seq = 0;
        let mut now = 0u64;
        // A small deterministic generator: the test needs variety, not quality.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for step in 0..20_000u32 {
            let r = next();
            if r % 5 < 3 || reference.is_empty() {
                let t = now + next() % 50;
                q.push(SimTime(t), step);
                reference.push((t, seq, step));
                seq += 1;
            } else {
                reference.sort_unstable();
                let (t, _, e) = reference.remove(0);
                assert_eq!(q.pop(), Some((SimTime(t), e)));
                now = t;
            }
            assert_eq!(q.len(), reference.len());
        }
        reference.sort_unstable();
        for (t, _, e) in reference {
            assert_eq!(q.pop(), Some((SimTime(t), e)));
        }
        assert!(q.is_empty() && q.pop().is_none());
    }
}

//! A bounded log: the newest entries, and how many there have been in all.

use std::collections::VecDeque;

/// Keeps the last `capacity` entries; each gets a sequence number, which a keyed list can use.
#[derive(Debug, Clone, PartialEq)]
pub struct Log<T> {
    entries: VecDeque<(u64, T)>,
    total: u64,
    capacity: usize,
}

impl<T> Log<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            total: 0,
            capacity: capacity.max(1),
        }
    }

    /// Appends an entry, dropping the oldest past the capacity; returns its sequence number.
    pub fn push(&mut self, entry: T) -> u64 {
        let seq = self.total;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((seq, entry));
        self.total += 1;
        seq
    }

    /// Keeps at most `capacity` entries from now on, dropping the oldest past it.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        let excess = self.entries.len().saturating_sub(self.capacity);
        self.entries.drain(..excess);
    }

    /// The entries kept, oldest first, with their sequence numbers.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &(u64, T)> + ExactSizeIterator {
        self.entries.iter()
    }

    /// At most `take` entries, newest first, after skipping the `skip` newest: the rows of a
    /// list scrolled to row `skip`, without walking the entries before them.
    pub fn newest(&self, skip: usize, take: usize) -> impl Iterator<Item = &(u64, T)> {
        let end = self.entries.len().saturating_sub(skip);
        self.entries.range(end.saturating_sub(take)..end).rev()
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut (u64, T)> {
        self.entries.iter_mut()
    }

    pub fn last(&self) -> Option<&T> {
        self.entries.back().map(|(_, entry)| entry)
    }

    /// Entries kept (at most the capacity).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries ever pushed, including those dropped.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Forgets the entries kept; the count goes on.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The newest entry for which `find` holds, searching from the newest.
    pub fn find_last_mut(&mut self, mut find: impl FnMut(&T) -> bool) -> Option<&mut T> {
        self.entries
            .iter_mut()
            .rev()
            .find(|(_, entry)| find(entry))
            .map(|(_, entry)| entry)
    }
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Self::new(500)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_counts_all() {
        let mut log = Log::new(2);
        assert_eq!(log.push("a"), 0);
        log.push("b");
        log.push("c");
        let kept: Vec<_> = log.iter().cloned().collect();
        assert_eq!(kept, [(1, "b"), (2, "c")]);
        assert_eq!(log.total(), 3);
        log.clear();
        assert!(log.is_empty());
        assert_eq!(log.push("d"), 3);
    }

    #[test]
    fn a_smaller_capacity_drops_the_oldest_and_keeps_the_count() {
        let mut log = Log::new(10);
        for n in 0..6 {
            log.push(n);
        }
        log.set_capacity(4);
        let kept: Vec<_> = log.iter().map(|(_, n)| *n).collect();
        assert_eq!(kept, [2, 3, 4, 5]);
        log.push(6);
        assert_eq!(log.len(), 4);
        assert_eq!(log.total(), 7);
    }

    #[test]
    fn newest_pages_from_the_newest_end() {
        let mut log = Log::new(100);
        for n in 0..10 {
            log.push(n);
        }
        let page = |skip, take| log.newest(skip, take).map(|(_, n)| *n).collect::<Vec<_>>();
        assert_eq!(page(0, 3), [9, 8, 7]);
        assert_eq!(page(4, 3), [5, 4, 3]);
        assert_eq!(page(8, 5), [1, 0]);
        assert!(page(12, 5).is_empty());
    }

    #[test]
    fn finds_from_the_newest() {
        let mut log = Log::new(10);
        log.push((1, "old"));
        log.push((1, "new"));
        *log.find_last_mut(|(key, _)| *key == 1).unwrap() = (1, "found");
        assert_eq!(log.last(), Some(&(1, "found")));
        assert!(log.find_last_mut(|(key, _)| *key == 2).is_none());
    }
}

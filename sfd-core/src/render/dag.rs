//! The nodes of one render and what they wait for: a pure state machine
//! (no I/O, no clock) the render job drives. A node is *ready* once every
//! input that this run renders has *finished*; when a node *fails*,
//! everything that needs it, directly or not, is skipped.

use std::collections::{HashMap, HashSet};

/// The nodes a render makes, each with the inputs it waits for.
#[derive(Debug, Default)]
pub(crate) struct Dag<'a> {
    /// Per node still to start: how many of its inputs are not finished.
    waiting: HashMap<&'a str, usize>,
    /// Per node: the nodes of this run that take its file.
    dependants: HashMap<&'a str, Vec<&'a str>>,
    /// Nodes in the order given, for [`Dag::ready`].
    order: Vec<&'a str>,
}

impl<'a> Dag<'a> {
    /// The nodes to render, in the order ready ones should start (by level),
    /// each with its inputs; inputs not among the nodes are already made.
    pub(crate) fn new<I, E>(nodes: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, E)>,
        E: IntoIterator<Item = &'a str>,
    {
        let nodes: Vec<(&'a str, Vec<&'a str>)> =
            nodes.into_iter().map(|(id, e)| (id, e.into_iter().collect())).collect();
        let ids: HashSet<&str> = nodes.iter().map(|(id, _)| *id).collect();
        let mut dag = Dag::default();
        for (id, edges) in &nodes {
            let pending: Vec<&'a str> = edges.iter().copied().filter(|e| ids.contains(e)).collect();
            for e in &pending {
                dag.dependants.entry(e).or_default().push(id);
            }
            dag.waiting.insert(id, pending.len());
            dag.order.push(id);
        }
        dag
    }

    /// The nodes that wait for nothing, in the order given (taken once:
    /// later ones come from [`Dag::finish`]).
    pub(crate) fn ready(&mut self) -> Vec<&'a str> {
        let ready: Vec<&'a str> = self
            .order
            .iter()
            .copied()
            .filter(|id| self.waiting.get(id) == Some(&0))
            .collect();
        for id in &ready {
            self.waiting.remove(id);
        }
        ready
    }

    /// How many nodes still to start take `id`'s file.
    pub(crate) fn takers(&self, id: &str) -> usize {
        self.dependants
            .get(id)
            .map_or(0, |ds| ds.iter().filter(|d| self.waiting.contains_key(*d)).count())
    }

    /// `id` finished: the dependants that became ready.
    pub(crate) fn finish(&mut self, id: &str) -> Vec<&'a str> {
        let mut ready = Vec::new();
        for d in self.dependants.get(id).cloned().unwrap_or_default() {
            if let Some(w) = self.waiting.get_mut(d) {
                *w = w.saturating_sub(1);
                if *w == 0 {
                    self.waiting.remove(d);
                    ready.push(d);
                }
            }
        }
        ready
    }

    /// `id` failed: every node still to start that needs it, directly or
    /// not, in the order found (none of them will start).
    pub(crate) fn fail(&mut self, id: &str) -> Vec<&'a str> {
        let mut skipped = Vec::new();
        let mut stack = self.dependants.get(id).cloned().unwrap_or_default();
        let mut seen = HashSet::new();
        while let Some(d) = stack.pop() {
            if seen.insert(d) && self.waiting.remove(d).is_some() {
                skipped.push(d);
                stack.extend(self.dependants.get(d).cloned().unwrap_or_default());
            }
        }
        skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// portrait → img1, img2; img1 → vid1; speech stands alone.
    fn dag() -> Dag<'static> {
        Dag::new([
            ("portrait", vec![]),
            ("speech", vec![]),
            ("img1", vec!["portrait", "made-before"]),
            ("img2", vec!["portrait"]),
            ("vid1", vec!["img1"]),
        ])
    }

    #[test]
    fn nodes_start_once_their_inputs_of_this_run_finish() {
        let mut d = dag();
        assert_eq!(d.ready(), ["portrait", "speech"]);
        assert!(d.ready().is_empty(), "a ready node is handed out once");
        assert_eq!(d.takers("portrait"), 2);
        assert!(d.finish("speech").is_empty());
        assert_eq!(d.finish("portrait"), ["img1", "img2"]);
        assert_eq!(d.takers("portrait"), 0, "both took it");
        assert_eq!(d.finish("img1"), ["vid1"]);
        assert!(d.finish("img2").is_empty() && d.finish("vid1").is_empty());
    }

    #[test]
    fn a_failure_skips_everything_that_needs_it_and_nothing_else() {
        let mut d = dag();
        d.ready();
        let mut skipped = d.fail("portrait");
        skipped.sort();
        assert_eq!(skipped, ["img1", "img2", "vid1"]);
        assert!(d.finish("speech").is_empty());
        assert!(d.fail("img1").is_empty(), "skipped once");
    }

    #[test]
    fn a_failure_after_one_input_finished_still_skips_the_dependant() {
        let mut d = Dag::new([("a", vec![]), ("b", vec![]), ("c", vec!["a", "b"])]);
        assert_eq!(d.ready(), ["a", "b"]);
        assert!(d.finish("a").is_empty());
        assert_eq!(d.fail("b"), ["c"]);
        assert!(d.ready().is_empty());
    }
}

//! Node labels, kept compactly: ten thousand nodes carry the same dozen keys and a few
//! dozen distinct values, so each string is stored once and shared.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::{Deref, Index};
use std::sync::Arc;

/// Anything labels can be looked up in: an object's label map or a node's compact labels.
pub trait LabelSet {
    fn label(&self, key: &str) -> Option<&str>;
}

impl LabelSet for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// A label value shared between the nodes that carry it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelValue(Arc<str>);

impl Deref for LabelValue {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LabelValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for LabelValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for LabelValue {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for LabelValue {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// A node's labels: (key, value) pairs sorted by key, every string shared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeLabels(Box<[(LabelValue, LabelValue)]>);

impl NodeLabels {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &*self.0[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl LabelSet for NodeLabels {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key)
    }
}

impl Index<&str> for NodeLabels {
    type Output = LabelValue;

    /// Panics when the label is missing, like a map's index.
    fn index(&self, key: &str) -> &LabelValue {
        match self.0.binary_search_by(|(k, _)| (**k).cmp(key)) {
            Ok(i) => &self.0[i].1,
            Err(_) => panic!("node has no label {key:?}"),
        }
    }
}

/// The strings node labels share.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner(HashSet<Arc<str>>, usize);

impl Interner {
    fn intern(&mut self, s: String) -> LabelValue {
        if let Some(shared) = self.0.get(s.as_str()) {
            return LabelValue(shared.clone());
        }
        let shared: Arc<str> = Arc::from(s);
        self.0.insert(shared.clone());
        LabelValue(shared)
    }

    /// Compacts a label map (already sorted by key).
    pub fn labels(&mut self, labels: BTreeMap<String, String>) -> NodeLabels {
        NodeLabels(labels.into_iter().map(|(k, v)| (self.intern(k), self.intern(v))).collect())
    }

    /// Forgets strings no node uses any more (nodes come and go with unique hostnames),
    /// once the set has doubled since it was last pruned: amortized constant time.
    pub fn prune(&mut self) {
        if self.0.len() > 2 * self.1 + 1024 {
            self.0.retain(|s| Arc::strong_count(s) > 1);
            self.1 = self.0.len();
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
        self.1 = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_shared_found_and_pruned() {
        let mut interner = Interner::default();
        let map = |host: &str| -> BTreeMap<String, String> {
            [("kubernetes.io/hostname", host), ("topology.kubernetes.io/region", "ap-southeast-3")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let a = interner.labels(map("a"));
        let b = interner.labels(map("b"));
        assert_eq!(a["topology.kubernetes.io/region"], "ap-southeast-3");
        assert_eq!(b.get("kubernetes.io/hostname"), Some("b"));
        assert_eq!(a.get("missing"), None);
        assert!(Arc::ptr_eq(&a.0[1].1.0, &b.0[1].1.0), "one copy of the region");
        drop(b);
        interner.prune();
        assert_eq!(interner.0.len(), 5, "small sets are left alone: {:?}", interner.0);
        for n in 0..2000 {
            drop(interner.labels(map(&format!("gone-{n}"))));
            interner.prune();
        }
        assert!(interner.0.len() < 1100, "{}", interner.0.len());
        assert_eq!(a["kubernetes.io/hostname"], "a");
    }
}

//! The labels of an object as it was (an admission request's `oldObject`), read in the
//! review's single pass: its own `metadata.labels` and its pod template's, everything else
//! skipped without being built. The declassification guard needs no more of it for any
//! kind but SovereigntyPolicies, which admission reads whole on their rare updates.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::inventory::Labels;

/// Where label sets are looked for: the object's own, and a workload's pod template
/// (`spec.template`, or a CronJob's `spec.jobTemplate.spec.template`).
const PATHS: [&[&str]; 3] = [
    &["metadata", "labels"],
    &["spec", "template", "metadata", "labels"],
    &["spec", "jobTemplate", "spec", "template", "metadata", "labels"],
];

/// An object's label sets, as it was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OldLabels {
    pub own: Option<Labels>,
    /// Its pod template's, for a workload.
    pub template: Option<Labels>,
}

impl<'de> Deserialize<'de> for OldLabels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut found: [Option<Labels>; 3] = Default::default();
        let wanted = PATHS.iter().enumerate().map(|(i, p)| (i, *p)).collect();
        Seek { wanted, found: &mut found }.deserialize(deserializer)?;
        let [own, template, job_template] = found;
        Ok(OldLabels { own, template: template.or(job_template) })
    }
}

/// Walks into the maps along the wanted paths, skipping every other value.
struct Seek<'a> {
    /// (index in [`PATHS`], what is left of the path).
    wanted: Vec<(usize, &'static [&'static str])>,
    found: &'a mut [Option<Labels>; 3],
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if let Some((index, _)) = self.wanted.iter().find(|(_, rest)| rest.is_empty()) {
            self.found[*index] = deserializer.deserialize_any(LabelMap)?;
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Seek { wanted, found } = self;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let next: Vec<_> = wanted
                .iter()
                .filter(|(_, rest)| rest.first() == Some(&key.as_ref()))
                .map(|(i, rest)| (*i, &rest[1..]))
                .collect();
            if next.is_empty() {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(Seek { wanted: next, found: &mut *found })?;
            }
        }
        Ok(())
    }

    not_an_object!(());
}

/// A label map: string values kept, anything else (which no API server stores) skipped.
struct LabelMap;

impl<'de> Visitor<'de> for LabelMap {
    type Value = Option<Labels>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of labels")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut labels = Labels::new();
        while let Some(key) = map.next_key::<String>()? {
            if let MaybeText(Some(value)) = map.next_value::<MaybeText>()? {
                labels.insert(key, value);
            }
        }
        Ok(Some(labels))
    }

    not_an_object!(None);
}

/// A string, or nothing for any other value.
struct MaybeText(Option<String>);

impl<'de> Deserialize<'de> for MaybeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<String>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        deserializer.deserialize_any(V).map(MaybeText)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> OldLabels {
        serde_json::from_str(json).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> Option<Labels> {
        Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn own_and_template_labels_are_read_and_the_rest_skipped() {
        let pod = read(
            r#"{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"annotations":{"x":"{\"y\":1}"}},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running"}}"#,
        );
        assert_eq!(pod, OldLabels { own: labels(&[("a", "1"), ("b", "2")]), template: None });
        let deployment =
            read(r#"{"metadata":{},"spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"w"}},"spec":{}}}}"#);
        assert_eq!(deployment, OldLabels { own: None, template: labels(&[("app", "w")]) });
        let cronjob = read(
            r#"{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels":{"sovereignty.io/data-class":"x"}}}}}}}"#,
        );
        assert_eq!(cronjob.template, labels(&[("sovereignty.io/data-class", "x")]));
    }

    #[test]
    fn odd_shapes_are_skipped_never_an_error() {
        for json in [
            "null",
            "[]",
            "3",
            r#"{"metadata":"x","spec":[1,2]}"#,
            r#"{"metadata":{"labels":null},"spec":{"template":"t"}}"#,
            r#"{"metadata":{"labels":{"a":1,"b":{"c":2},"d":[3]}}}"#,
        ] {
            let old: OldLabels = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert!(old.template.is_none(), "{json}");
            assert!(old.own.as_ref().is_none_or(Labels::is_empty), "{json}: {old:?}");
        }
        // An escaped key is still found.
        let old = read(r#"{"meta\u0064ata":{"labels":{"k":"v"}}}"#);
        assert_eq!(old.own, labels(&[("k", "v")]));
    }
}

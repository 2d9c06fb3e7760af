//! Label selectors, compiled once so matching allocates nothing.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// A validated `metav1.LabelSelector`. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Selector {
    /// Compiles a selector, or says what is malformed about it.
    pub fn compile(selector: &LabelSelector) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement::In(key.clone(), vec![value.clone()]));
        }
        for expr in selector.match_expressions.iter().flatten() {
            let values = expr.values.clone().unwrap_or_default();
            if expr.key.is_empty() {
                return Err("matchExpressions entry has an empty key".into());
            }
            let requirement = match expr.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(format!("matchExpressions {} {} needs at least one value", expr.key, expr.operator));
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(format!("matchExpressions {} {} takes no values", expr.key, expr.operator));
                }
                "In" => Requirement::In(expr.key.clone(), values),
                "NotIn" => Requirement::NotIn(expr.key.clone(), values),
                "Exists" => Requirement::Exists(expr.key.clone()),
                "DoesNotExist" => Requirement::DoesNotExist(expr.key.clone()),
                other => {
                    return Err(format!(
                        "matchExpressions {} has operator {other:?}; use In, NotIn, Exists or DoesNotExist",
                        expr.key
                    ));
                }
            };
            requirements.push(requirement);
        }
        Ok(Selector { requirements })
    }

    /// A label every set the selector matches must carry, with the values it may have
    /// (the first `matchLabels` entry or `In` expression); `None` when it requires none.
    pub fn required_label(&self) -> Option<(&str, &[String])> {
        self.requirements.iter().find_map(|r| match r {
            Requirement::In(key, values) => Some((key.as_str(), values.as_slice())),
            _ => None,
        })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelector {
        LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: key.into(),
                operator: op.into(),
                values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn empty_selector_matches_everything() {
        let s = Selector::compile(&LabelSelector::default()).unwrap();
        assert!(s.matches(&labels(&[])));
    }

    #[test]
    fn match_labels_require_equal_values() {
        let sel = LabelSelector { match_labels: Some(labels(&[("tenant", "gov-id")])), ..Default::default() };
        let s = Selector::compile(&sel).unwrap();
        assert!(s.matches(&labels(&[("tenant", "gov-id"), ("x", "y")])));
        assert!(!s.matches(&labels(&[("tenant", "gov-eu")])));
        assert!(!s.matches(&labels(&[])));
    }

    #[test]
    fn each_operator_behaves_as_kubernetes_does() {
        let l = labels(&[("a", "1")]);
        assert!(Selector::compile(&expr("a", "In", &["1", "2"])).unwrap().matches(&l));
        assert!(!Selector::compile(&expr("a", "NotIn", &["1"])).unwrap().matches(&l));
        assert!(Selector::compile(&expr("b", "NotIn", &["1"])).unwrap().matches(&l));
        assert!(Selector::compile(&expr("a", "Exists", &[])).unwrap().matches(&l));
        assert!(Selector::compile(&expr("a", "DoesNotExist", &[])).unwrap().matches(&labels(&[("b", "1")])));
    }

    #[test]
    fn the_required_label_is_the_first_equality() {
        let sel = LabelSelector { match_labels: Some(labels(&[("tenant", "gov-id")])), ..expr("a", "Exists", &[]) };
        let s = Selector::compile(&sel).unwrap();
        assert_eq!(s.required_label(), Some(("tenant", &["gov-id".to_string()][..])));
        assert_eq!(Selector::compile(&expr("a", "NotIn", &["1"])).unwrap().required_label(), None);
    }

    #[test]
    fn malformed_selectors_are_rejected_with_a_reason() {
        assert!(Selector::compile(&expr("a", "In", &[])).unwrap_err().contains("at least one value"));
        assert!(Selector::compile(&expr("a", "Exists", &["x"])).unwrap_err().contains("takes no values"));
        assert!(Selector::compile(&expr("a", "Gt", &["1"])).unwrap_err().contains("operator"));
    }
}

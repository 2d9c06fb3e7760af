//! The chart's webhook rules and ClusterRole agree with the kinds table: every kind the
//! table judges is sent to the webhook on the operations it is judged on, nothing else is
//! sent, and the server may read every kind it watches, keeps or audits.

use std::collections::BTreeMap;

use sovereign::kinds::{self, KINDS};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One rule of a webhook or a ClusterRole: each key's inline list (`key: ["a", "b"]`).
type Rule = BTreeMap<String, Vec<String>>;

fn inline_list(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    // `[""]` is the core group: an empty string, unlike `[]`.
    Some(inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.trim_matches('"').to_string()).collect())
}

/// A value rendered by `{{ include "NAME" . }}`: the union of the inline lists the named
/// template in `_helpers.tpl` can render (whichever branch a cluster version takes).
fn included_lists(value: &str) -> Option<Vec<String>> {
    let name = value.trim().strip_prefix("{{ include \"")?.split('"').next()?;
    let helpers = std::fs::read_to_string(format!("{ROOT}/charts/sovereign/templates/_helpers.tpl")).unwrap();
    let start = helpers.find(&format!("define \"{name}\""))?;
    // The block runs to the next definition (or the end of the file).
    let end = helpers[start + 1..].find("define \"").map_or(helpers.len(), |i| start + 1 + i);
    let block = &helpers[start..end];
    let mut out: Vec<String> = Vec::new();
    for piece in block.split('[').skip(1) {
        let list = inline_list(&format!("[{}]", piece.split(']').next()?))?;
        out.extend(list.into_iter().filter(|v| !out.contains(v)).collect::<Vec<_>>());
    }
    Some(out)
}

/// The rules under every `rules:` key of a template: list items whose keys hold inline
/// lists. Template directives (`{{ ... }}`) are skipped, so conditional rules count too.
fn rules(template: &str) -> Vec<Rule> {
    let path = format!("{ROOT}/charts/sovereign/templates/{template}");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out: Vec<Rule> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("{{") || trimmed.starts_with('#') {
            continue;
        }
        let (starts_item, body) = match trimmed.strip_prefix("- ") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let Some((key, value)) = body.split_once(':') else { continue };
        let Some(list) = inline_list(value).or_else(|| included_lists(value)) else { continue };
        if starts_item || out.is_empty() {
            out.push(Rule::new());
        }
        out.last_mut().unwrap().insert(key.trim().to_string(), list);
    }
    out
}

fn has(rule: &Rule, key: &str, value: &str) -> bool {
    rule.get(key).is_some_and(|values| values.iter().any(|v| v == value))
}

#[test]
fn every_judged_kind_is_sent_to_the_webhook_on_its_operations() {
    let webhook = rules("validatingwebhookconfiguration.yaml");
    for kind in KINDS.iter().filter(|k| k.roles.judged || !k.guarded.is_empty()) {
        let sending: Vec<&Rule> =
            webhook.iter().filter(|r| has(r, "apiGroups", kind.group) && has(r, "resources", kind.plural)).collect();
        assert!(!sending.is_empty(), "no webhook rule sends {} ({}/{})", kind.kind, kind.group, kind.plural);
        for operation in kind.operations.iter().chain(kind.guarded) {
            let rule = sending.iter().find(|r| has(r, "operations", operation));
            let rule = rule.unwrap_or_else(|| panic!("{} {operation} is not sent", kind.kind));
            for version in kind.versions {
                assert!(has(rule, "apiVersions", version), "{} {version} is not sent for {operation}", kind.kind);
            }
        }
    }
}

#[test]
fn the_webhook_is_sent_no_kind_or_operation_the_table_does_not_judge_or_guard() {
    for rule in rules("validatingwebhookconfiguration.yaml") {
        let (Some(groups), Some(resources)) = (rule.get("apiGroups"), rule.get("resources")) else { continue };
        for group in groups {
            for resource in resources {
                let row = KINDS.iter().find(|k| k.group == group && k.plural == resource);
                let row = row.unwrap_or_else(|| panic!("the webhook is sent {group}/{resource}, which no row names"));
                for operation in rule.get("operations").into_iter().flatten() {
                    let known = row.operations.iter().chain(row.guarded).any(|o| o == operation);
                    assert!(
                        known,
                        "the webhook is sent {operation} of {group}/{resource}, which the table neither judges nor guards"
                    );
                }
            }
        }
    }
}

#[test]
fn the_cluster_role_lets_the_server_read_every_kind_it_watches_keeps_or_audits() {
    let role = rules("clusterrole.yaml");
    for kind in KINDS.iter().filter(|k| k.roles.watched || k.roles.inventory || k.roles.audited) {
        let rule = role
            .iter()
            .find(|r| has(r, "apiGroups", kind.group) && has(r, "resources", kind.plural))
            .unwrap_or_else(|| panic!("the ClusterRole does not let the server read {}", kind.kind));
        for verb in ["list", "watch"] {
            assert!(has(rule, "verbs", verb), "the ClusterRole does not let the server {verb} {}", kind.kind);
        }
    }
}

#[test]
fn the_rule_reader_reads_what_it_should() {
    let webhook = rules("validatingwebhookconfiguration.yaml");
    assert!(webhook.len() >= 8, "{webhook:?}");
    assert!(webhook.iter().any(|r| has(r, "resources", "pods/binding")));
}

/// The `.Values.stores.<family>` switch guarding each line of a template (`None` outside).
fn store_switches(template: &str) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(format!("{ROOT}/charts/sovereign/templates/{template}")).unwrap();
    let mut switch: Option<String> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("{{- if .Values.stores.") {
            switch = rest.split_whitespace().next().map(str::to_string);
        } else if trimmed == "{{- end }}" && switch.is_some() {
            switch = None;
        }
        out.push((trimmed.to_string(), switch.clone()));
    }
    out
}

#[test]
fn every_store_group_can_be_switched_off_in_values() {
    let values = std::fs::read_to_string(format!("{ROOT}/charts/sovereign/values.yaml")).unwrap();
    let values: serde_json::Value = serde_yaml_ng::from_str(&values).unwrap();
    for template in ["validatingwebhookconfiguration.yaml", "clusterrole.yaml"] {
        let lines = store_switches(template);
        for kind in KINDS.iter().filter(|k| matches!(k.reading, kinds::Reading::Store(_))) {
            let rule = format!("- apiGroups: [\"{}\"]", kind.group);
            let guarded: Vec<&Option<String>> =
                lines.iter().filter(|(line, _)| *line == rule).map(|(_, switch)| switch).collect();
            assert!(!guarded.is_empty(), "{template} has no rule for {}", kind.group);
            for switch in guarded {
                let switch = switch.as_deref().unwrap_or_else(|| panic!("{template}: {} is always on", kind.group));
                let path = format!("/stores/{}", switch.replace('.', "/"));
                assert_eq!(
                    values.pointer(&path),
                    Some(&serde_json::Value::Bool(true)),
                    "values {path} for {}",
                    kind.group
                );
            }
        }
    }
}

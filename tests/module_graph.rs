//! The shape docs/architecture.md promises, checked on the source: imports run downwards
//! only (the core imports no adapter, admission and the audit never import the server) and
//! no two files import each other, directly or round a circle. A module importing from its
//! own parent (`mod.rs` re-exports) or a parent from its children is not a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every module of `src/` (`evaluate::judge`), with its source up to its unit tests.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
                continue;
            }
            let relative = path.strip_prefix(Path::new(ROOT).join("src")).unwrap().to_string_lossy().to_string();
            let Some(stem) = relative.strip_suffix(".rs") else { continue };
            let module = stem.trim_end_matches("/mod").replace('/', "::");
            if module.ends_with("_tests") || module.ends_with("::tests") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String =
                code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
            out.insert(module, code);
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(ROOT).join("src"), &mut out);
    out
}

/// The paths a file names: `crate::a::b`, `super::c`, `self::d`.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::").chain(code.match_indices("super::")).chain(code.match_indices("self::"))
    {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = code[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        out.push(path.trim_end_matches(':').to_string());
    }
    out
}

/// The module file a path lands in, seen from `from`.
fn resolve(from: &str, path: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let mut base: Vec<&str> = from.split("::").collect();
    let mut parts: Vec<&str> = path.split("::").collect();
    match parts[0] {
        "crate" => base.clear(),
        "super" => {
            while parts.first() == Some(&"super") {
                base.pop();
                parts.remove(0);
            }
            parts.insert(0, "super");
        }
        _ => {}
    }
    parts.remove(0);
    let candidate: Vec<&str> = base.into_iter().chain(parts).collect();
    (1..=candidate.len()).rev().map(|k| candidate[..k].join("::")).find(|m| modules.contains_key(m))
}

/// Module → the modules it imports (parents and children aside).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for (module, code) in &modules {
        let targets: BTreeSet<String> = paths(code)
            .iter()
            .filter_map(|p| resolve(module, p, &modules))
            .filter(|t| t != module && !module.starts_with(&format!("{t}::")) && !t.starts_with(&format!("{module}::")))
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

#[test]
fn no_two_files_import_each_other_even_round_a_circle() {
    let graph = graph();
    assert!(graph.len() > 50, "the walk found too few modules: {:?}", graph.keys());
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            circles.push(format!("{} -> {node}", stack[at..].join(" -> ")));
            return;
        }
        if !done.insert(node.to_string()) {
            return;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, stack, done, circles);
        }
        stack.pop();
    }
    let (mut done, mut circles) = (BTreeSet::new(), Vec::new());
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(circles.is_empty(), "files importing each other:\n{}", circles.join("\n"));
}

#[test]
fn imports_run_downwards_only() {
    let core = ["evaluate", "policy", "catalog", "inventory", "read", "kinds", "object"];
    let adapters = ["admission", "audit", "cli", "server", "state"];
    let top = |m: &str| m.split("::").next().unwrap_or_default().to_string();
    let mut upward = Vec::new();
    for (module, targets) in graph() {
        for target in targets {
            let (from, to) = (top(&module), top(&target));
            let core_to_adapter = core.contains(&from.as_str()) && adapters.contains(&to.as_str());
            let to_server = matches!(from.as_str(), "admission" | "audit" | "state") && to == "server";
            let state_to_adapter = from == "state" && matches!(to.as_str(), "admission" | "audit" | "cli");
            if core_to_adapter || to_server || state_to_adapter {
                upward.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(upward.is_empty(), "imports running back up:\n{}", upward.join("\n"));
}

#[test]
fn the_checker_sees_a_circle_and_an_upward_import_when_there_is_one() {
    let mut modules = BTreeMap::new();
    modules.insert("evaluate".to_string(), String::new());
    modules.insert("evaluate::judge".to_string(), String::new());
    modules.insert("server".to_string(), String::new());
    assert_eq!(resolve("evaluate::judge", "super::message::who", &modules).as_deref(), Some("evaluate"));
    assert_eq!(resolve("evaluate::judge", "crate::server::watch", &modules).as_deref(), Some("server"));
    assert_eq!(paths("use super::a::{B, C};\nlet x = crate::b::c();"), ["crate::b::c", "super::a"]);
}

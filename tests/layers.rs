//! The server's layers, checked on its source (docs/ARCHITECTURE.md, "Layers"): every import
//! of `crate::…` goes down, never up; only the edges know `Context`; and no two files of
//! one folder import each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` with its layer, lowest first. A module may import only
/// modules of a lower layer.
const LAYERS: &[(&str, u32)] = &[
    // ground
    ("vocabulary", 0),
    ("address", 1),
    ("time_format", 1),
    ("opening_hours", 1),
    ("log_throttle", 1),
    ("writable", 1),
    // a socket for the writers' tests (test builds only)
    ("short_writes", 1),
    ("names", 2),
    ("config", 3),
    ("fixed", 3),
    ("http1", 4),
    ("proxy_header", 4),
    ("web_client", 4),
    // services
    ("logging", 10),
    ("metrics", 10),
    ("password", 10),
    ("certs", 10),
    ("memory", 10),
    ("directory", 10),
    ("texts", 11),
    ("store", 11),
    ("transport", 11),
    ("gate", 11),
    ("chat", 12),
    ("moderation", 13),
    ("roster", 12),
    // edges
    ("render", 19),
    ("context", 20),
    ("session", 21),
    ("monitoring", 21),
    ("admin", 21),
    ("listener", 22),
    ("server", 23),
    ("cli", 24),
    ("fuzzing", 25),
    ("lib", 26),
    ("main", 26),
];

/// The edges: the only modules that may import `context`.
const EDGES: &[&str] = &[
    "session",
    "monitoring",
    "admin",
    "listener",
    "server",
    "cli",
    "lib",
    "main",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code outside comments and unit tests.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The first identifier of each path in `use` tree text such as `{a::b, c, d::{e, f}}` or `a`.
fn tree_heads(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(inner) = tree.strip_prefix('{') else {
        return vec![tree.chars().take_while(|&c| is_ident(c)).collect()];
    };
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_start = true;
    let mut word = String::new();
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                if !word.is_empty() {
                    heads.push(std::mem::take(&mut word));
                }
                at_start = true;
            }
            c if at_start && depth == 0 && is_ident(c) => word.push(c),
            _ if at_start && !word.is_empty() => {
                heads.push(std::mem::take(&mut word));
                at_start = false;
            }
            _ => {}
        }
    }
    if !word.is_empty() {
        heads.push(word);
    }
    heads
}

/// The first identifier after each `prefix` (`crate::` or `super::`) in `code`, including
/// the heads of a brace group (`crate::{a, b}`).
fn heads_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut heads = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().last();
        if before.is_some_and(is_ident) || (prefix == "super::" && code[..at].ends_with("super::"))
        {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        heads.extend(tree_heads(rest).into_iter().filter(|h| !h.is_empty()));
    }
    heads
}

struct SourceFile {
    /// `chat/names` for `src/chat/names.rs`, `chat` for `src/chat/mod.rs`.
    module: String,
    code: String,
}

fn sources() -> Vec<SourceFile> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut module = relative.to_string_lossy().replace('\\', "/");
            if let Some(parent) = module.strip_suffix("/mod") {
                module = parent.to_owned();
            }
            SourceFile {
                code: code_of(&std::fs::read_to_string(&path).unwrap()),
                module,
            }
        })
        .collect()
}

fn top(module: &str) -> &str {
    module.split('/').next().unwrap()
}

#[test]
fn every_import_goes_down_a_layer_and_only_edges_know_the_context() {
    let layers: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut problems = Vec::new();
    let sources = sources();
    for file in &sources {
        let from = top(&file.module);
        let Some(&from_layer) = layers.get(from) else {
            problems.push(format!(
                "src/{}: module {from} has no layer in LAYERS",
                file.module
            ));
            continue;
        };
        for to in heads_after(&file.code, "crate::") {
            if to == from || to == "self" {
                continue;
            }
            let Some(&to_layer) = layers.get(to.as_str()) else {
                continue; // an item of lib.rs, not a module
            };
            if to == "context" && !EDGES.contains(&from) {
                problems.push(format!("src/{}: a service imports context", file.module));
            } else if to_layer >= from_layer {
                problems.push(format!(
                    "src/{}: {from} (layer {from_layer}) imports {to} (layer {to_layer})",
                    file.module
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The test reads the real tree: it found the modules it checks.
    assert!(sources.iter().any(|f| f.module == "chat/names"));
}

#[test]
fn no_two_files_of_a_folder_import_each_other_in_a_circle() {
    let sources = sources();
    let modules: BTreeSet<&str> = sources.iter().map(|f| f.module.as_str()).collect();
    // Sibling edges: `super::x` from `dir/file` names `dir/x` when that file exists.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &sources {
        let Some((dir, _)) = file.module.rsplit_once('/') else {
            continue;
        };
        for head in heads_after(&file.code, "super::") {
            let sibling = format!("{dir}/{head}");
            if sibling != file.module && modules.contains(sibling.as_str()) {
                edges
                    .entry(file.module.clone())
                    .or_default()
                    .insert(sibling);
            }
        }
    }
    assert!(
        edges.contains_key("chat/names"),
        "the scan found the chat core's sibling imports"
    );
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, bool>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(true) => {
                let start = path.iter().position(|n| n == node).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            Some(false) => return None,
            None => {}
        }
        state.insert(node.to_owned(), true);
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, path) {
                return Some(cycle);
            }
        }
        path.pop();
        state.insert(node.to_owned(), false);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut state, &mut Vec::new()) {
            panic!("import circle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_scanner_reads_use_trees() {
    assert_eq!(tree_heads("{a::b, c, d::{e, f}};"), ["a", "c", "d"]);
    assert_eq!(tree_heads("names::NameKey;"), ["names"]);
    let code = "use crate::{chat::Chat, context::Context};\nlet x = crate::time_format::now_ms();";
    let heads: Vec<String> = heads_after(code, "crate::").into_iter().collect();
    assert_eq!(heads, ["chat", "context", "time_format"]);
}

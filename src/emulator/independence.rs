//! The emulator's independence, checked on its source: it imports nothing from the rest of this crate
//! (the host adapts to the emulator's types, never the reverse) and no AWS crate, so the SDKs that
//! judge it share no code with it; and its modules import each other without cycles.
//!
//! The forbidden names are spelled in pieces below so this file passes its own check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

fn emulator_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("emulator")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A line without its `//` comment (doc comments may name anything).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |at| &line[..at])
}

/// How many modules below `emulator` a file is: `mod.rs` 0, `x.rs` 1, `dir/mod.rs` 1, `dir/y.rs` 2.
fn depth(relative: &Path) -> usize {
    let components = relative.components().count();
    if relative.file_name().is_some_and(|name| name == "mod.rs") { components - 1 } else { components }
}

/// Crate names that are AWS's: the fixed list plus every `aws-*` dependency of Cargo.toml, under its
/// own key (a renamed dependency is caught by the name the code would use).
fn aws_crate_names() -> BTreeSet<String> {
    let aws = concat!("aws", "_");
    let mut names: BTreeSet<String> = ["sdk_", "config", "smithy", "credential_types", "types", "sigv4", "runtime"]
        .iter()
        .map(|suffix| format!("{aws}{suffix}"))
        .collect();
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("Cargo.toml is readable");
    let mut in_dependencies = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line.contains("dependencies");
            continue;
        }
        let Some((key, value)) = line.split_once('=').filter(|_| in_dependencies) else { continue };
        let key = key.trim().trim_matches('"');
        if key.starts_with("aws-") || value.contains(concat!("package = \"aws", "-")) {
            names.insert(key.replace('-', "_"));
        }
    }
    names
}

/// What one line must not contain, given the file's depth; each entry says why.
fn violations(line: &str, depth: usize, aws_crates: &BTreeSet<String>) -> Vec<String> {
    let crate_path = concat!("crate", "::");
    let mut found = Vec::new();
    for (at, _) in line.match_indices(crate_path) {
        let rest = &line[at + crate_path.len()..];
        let names = |module: &str| {
            rest.strip_prefix(module).is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
        };
        // `smithy` is the test-only reader of Bedrock's Smithy model: data the emulator is checked
        // against, and itself free of any import from the crate (so not a door to the host's types).
        let inside = names("emulator") || names("smithy");
        if !inside {
            found.push(format!(
                "`{crate_path}{}` reaches outside the emulator",
                rest.split([';', ' ', ',']).next().unwrap_or_default()
            ));
        }
    }
    let supers = line.split(concat!("super", "::")).count() - 1;
    let chain = concat!("super", "::").repeat(depth + 1);
    if supers > depth && line.contains(&chain) {
        found.push(format!("`{chain}` climbs out of the emulator"));
    }
    static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("valid"));
    for word in WORD.find_iter(line).map(|word| word.as_str()) {
        if word == concat!("bedrock", "_host") {
            found.push(format!("`{word}` names this crate from outside"));
        }
        if aws_crates.iter().any(|name| word == name || (name.ends_with('_') && word.starts_with(name.as_str())))
            || word.starts_with(concat!("aws", "_smithy"))
        {
            found.push(format!("`{word}` is an AWS crate"));
        }
    }
    for (pattern, why) in [
        (concat!("#[", "path"), "a path attribute may put a module outside src/emulator"),
        (concat!("include", "!("), "`include!` may pull in code from outside src/emulator"),
        (concat!("extern ", "crate"), "an extern-crate item may rename a forbidden crate"),
    ] {
        if line.contains(pattern) {
            found.push(why.to_owned());
        }
    }
    found
}

/// The emulator imports nothing of the host (no `crate::` path outside `crate::emulator`, no
/// `super::` climbing out of it) and no AWS crate (`aws_sdk_*`, `aws_config`, `aws_smithy_*`,
/// `aws_credential_types`, `aws_types`, ...), in code and tests alike.
#[test]
fn emulator_imports_nothing_from_the_host_or_aws() {
    let dir = emulator_dir();
    let aws_crates = aws_crate_names();
    let mut problems = Vec::new();
    for file in rust_files(&dir) {
        let relative = file.strip_prefix(&dir).expect("under src/emulator").to_path_buf();
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
        for (index, line) in text.lines().enumerate() {
            for why in violations(code(line), depth(&relative), &aws_crates) {
                problems.push(format!("src/emulator/{}:{}: {why}: {}", relative.display(), index + 1, line.trim()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the emulator must stay independent of the host and of AWS's crates (ARCHITECTURE.md \"Invariants\"):\n{}",
        problems.join("\n")
    );
}

/// The check itself catches what it is meant to catch.
#[test]
fn the_check_catches_forbidden_imports() {
    let aws = aws_crate_names();
    let bad = [
        concat!("use crate", "::cli::EmulatorArgs;"),
        concat!("use crate", "::{emulator, cli};"),
        concat!("let x = crate", "::emulatorish::X;"),
        concat!("use aws", "_smithy_types::event_stream::Message;"),
        concat!("use aws", "_sdk_bedrockruntime as sdk;"),
        concat!("aws", "_config::load_defaults"),
        concat!("use super::super", "::cli;"),
        concat!("bedrock", "_host::run"),
    ];
    for line in bad {
        assert!(!violations(line, 1, &aws).is_empty(), "{line} passed");
    }
    let good = [
        concat!("use crate", "::emulator::script::Script;"),
        concat!("use super", "::script::Script;"),
        "let aws_region = \"us-east-1\";",
        "use axum::http::HeaderMap;",
    ];
    for line in good {
        assert_eq!(violations(line, 1, &aws), Vec::<String>::new(), "{line}");
    }
    assert!(!violations(concat!("use super", "::x;"), 0, &aws).is_empty(), "mod.rs has no emulator-level super");
}

/// The modules directly under src/emulator (mod.rs aside): each `x.rs`, and each folder `x/` with a
/// `mod.rs` (all its files together); and the siblings each imports (`super::y` in `x.rs` or `x/mod.rs`,
/// `super::super::y` in `x/z.rs`).
fn module_graph(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut sources: BTreeMap<String, Vec<(PathBuf, usize)>> = BTreeMap::new();
    for file in rust_files(dir) {
        let relative = file.strip_prefix(dir).expect("under src/emulator").to_path_buf();
        let mut parts = relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned());
        let first = parts.next().unwrap_or_default();
        let module = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
        if module == "mod" {
            continue;
        }
        // How many `super::` reach src/emulator from this file: 1 from `x.rs` and `x/mod.rs`, 2 from `x/z.rs`.
        let climbs = depth(&relative);
        sources.entry(module).or_default().push((file, climbs));
    }
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, files) in &sources {
        let mut imports = BTreeSet::new();
        for (file, climbs) in files {
            let prefix = format!(r"\b{}", "super::".repeat(*climbs));
            let single = Regex::new(&format!(r"{prefix}([a-z_][a-z0-9_]*)")).expect("valid");
            let grouped = Regex::new(&format!(r"{prefix}\{{([^}}]*)\}}")).expect("valid");
            let text = std::fs::read_to_string(file).expect("readable");
            let code: String = text.lines().map(code).collect::<Vec<_>>().join("\n");
            imports.extend(single.captures_iter(&code).map(|captures| captures[1].to_owned()));
            for captures in grouped.captures_iter(&code) {
                imports.extend(
                    captures[1].split(',').map(|part| part.trim().split("::").next().unwrap_or_default().to_owned()),
                );
            }
        }
        imports.retain(|import| modules.contains(import) && import != module);
        graph.insert(module.clone(), imports);
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|visited| *visited == node) {
            let mut cycle: Vec<String> = path[at..].iter().map(|name| (*name).to_owned()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

/// The emulator's modules form a DAG (ARCHITECTURE.md lists its edges).
#[test]
fn emulator_modules_import_each_other_without_cycles() {
    let graph = module_graph(&emulator_dir());
    assert!(graph.contains_key("script") && graph.contains_key("server"), "the module graph was read: {graph:?}");
    assert!(
        graph.get("families").is_some_and(|imports| imports.contains("reply")),
        "folder modules are read with their files: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = graph.iter().map(|(module, imports)| format!("{module} -> {imports:?}")).collect();
        panic!("the emulator's modules import each other in a cycle: {}\n{}", cycle.join(" -> "), edges.join("\n"));
    }
}

#[test]
fn cycles_are_found() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph.entry((*from).to_owned()).or_default().insert((*to).to_owned());
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    };
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "b")])),
        Some(vec!["b".into(), "c".into(), "b".into()])
    );
}

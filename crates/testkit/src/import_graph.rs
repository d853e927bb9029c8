//! The file-level import graph of a crate's `src`, and its cycles (issue 11: "no import
//! cycle among the files of any crate").
//!
//! Each `.rs` file is a node, named by its module path (`src/edge/auth.rs` is
//! `edge::auth`, `src/lib.rs` is `crate`). An edge goes from a file to the file of every
//! module it names: `use crate::a::b::{C, d::E}`, `crate::a::f()` in code, `super::` and
//! `self::` (from where they are written, inline `mod tests { .. }` included), and paths
//! that start with a child module of the file (`state::AppState` in `lib.rs`). A name is
//! resolved to the deepest module file it passes through (`crate::edge::envelope::ApiError`
//! is `edge::envelope`; `crate::AppState` is `crate`). `mod x;` declarations are not
//! edges, and neither are comments or string literals.
//!
//! Binary roots (`main.rs`, `src/bin/`) are left out: they hold no modules here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The files of a crate and who imports whom, by module path (`crate`, `edge::auth`).
#[derive(Debug, Default)]
pub struct ImportGraph {
    /// Module path -> the module paths of the files it imports (itself excluded).
    pub edges: BTreeMap<String, BTreeSet<String>>,
}

impl ImportGraph {
    /// The graph of the crate whose sources are in `src` (its `lib.rs` and modules).
    pub fn of_crate(src: &Path) -> std::io::Result<ImportGraph> {
        let mut files = Vec::new();
        collect(src, src, &mut files)?;
        let modules: BTreeSet<Vec<String>> = files.iter().map(|(path, _)| path.clone()).collect();
        let mut graph = ImportGraph::default();
        for (module, file) in &files {
            let text = fs::read_to_string(file)?;
            let code = strip_comments_and_strings(&text);
            let mut targets = BTreeSet::new();
            for path in referenced_paths(&code, module, &modules) {
                let target = resolve(&path, &modules);
                if &target != module {
                    targets.insert(name(&target));
                }
            }
            graph.edges.insert(name(module), targets);
        }
        Ok(graph)
    }

    /// The import cycles: each a set of two or more files that all reach one another
    /// (strongly connected components), smallest name first.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let reach: BTreeMap<&String, BTreeSet<String>> = self
            .edges
            .keys()
            .map(|node| (node, self.reachable(node)))
            .collect();
        let mut seen = BTreeSet::new();
        let mut cycles = Vec::new();
        for node in self.edges.keys() {
            if seen.contains(node) {
                continue;
            }
            let component: Vec<String> = self
                .edges
                .keys()
                .filter(|other| {
                    *other == node || (reach[node].contains(*other) && reach[*other].contains(node))
                })
                .cloned()
                .collect();
            seen.extend(component.iter().cloned());
            if component.len() > 1 {
                cycles.push(component);
            }
        }
        cycles
    }

    fn reachable(&self, from: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut pending = vec![from.to_owned()];
        while let Some(node) = pending.pop() {
            for next in self.edges.get(&node).into_iter().flatten() {
                if found.insert(next.clone()) {
                    pending.push(next.clone());
                }
            }
        }
        found
    }
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// Every library file under `dir`, with its module path.
fn collect(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(Vec<String>, PathBuf)>,
) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if path.is_dir() {
            if relative != Path::new("bin") {
                collect(root, &path, files)?;
            }
            continue;
        }
        if path.extension().and_then(|ext| ext.to_str()) != Some("rs") {
            continue;
        }
        let mut module: Vec<String> = relative
            .with_extension("")
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        match module.last().map(String::as_str) {
            Some("main") if module.len() == 1 => continue,
            Some("lib") if module.len() == 1 => module.clear(),
            Some("mod") => {
                module.pop();
            }
            _ => {}
        }
        files.push((module, path));
    }
    Ok(())
}

/// `text` with comments and the contents of string and char literals blanked out.
fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let next = chars.get(index + 1).copied();
        if c == '/' && next == Some('/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while index < chars.len() {
                if chars[index] == '/' && chars.get(index + 1) == Some(&'*') {
                    depth += 1;
                    index += 2;
                } else if chars[index] == '*' && chars.get(index + 1) == Some(&'/') {
                    depth -= 1;
                    index += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    index += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && matches!(next, Some('#' | '"'))
            && !chars
                .get(index.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"..." or r#"..."#.
            let mut hashes = 0;
            let mut cursor = index + 1;
            while chars.get(cursor) == Some(&'#') {
                hashes += 1;
                cursor += 1;
            }
            if chars.get(cursor) != Some(&'"') {
                out.push(c);
                index += 1;
                continue;
            }
            cursor += 1;
            loop {
                if cursor >= chars.len() {
                    break;
                }
                if chars[cursor] == '"'
                    && (0..hashes).all(|offset| chars.get(cursor + 1 + offset) == Some(&'#'))
                {
                    cursor += 1 + hashes;
                    break;
                }
                cursor += 1;
            }
            out.push_str("\"\"");
            index = cursor;
        } else if c == '"' {
            index += 1;
            while index < chars.len() && chars[index] != '"' {
                if chars[index] == '\\' {
                    index += 1;
                }
                index += 1;
            }
            index += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{1F}') or a lifetime ('a): skip only literals.
            let close = if next == Some('\\') {
                (index + 2..chars.len().min(index + 12)).find(|at| chars[*at] == '\'')
            } else if chars.get(index + 2) == Some(&'\'') {
                Some(index + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    out.push_str("' '");
                    index = end + 1;
                }
                None => {
                    out.push(c);
                    index += 1;
                }
            }
        } else {
            out.push(c);
            index += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Path,
    Open,
    Close,
    Comma,
    Star,
    Other(char),
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c.is_alphabetic() || c == '_' {
            let start = index;
            while index < chars.len() && (chars[index].is_alphanumeric() || chars[index] == '_') {
                index += 1;
            }
            tokens.push(Token::Ident(chars[start..index].iter().collect()));
            continue;
        }
        match c {
            ':' if chars.get(index + 1) == Some(&':') => {
                tokens.push(Token::Path);
                index += 2;
                continue;
            }
            '{' => tokens.push(Token::Open),
            '}' => tokens.push(Token::Close),
            ',' => tokens.push(Token::Comma),
            '*' => tokens.push(Token::Star),
            c if c.is_whitespace() => {}
            c => tokens.push(Token::Other(c)),
        }
        index += 1;
    }
    tokens
}

/// The absolute module paths (with the item last) named in `code`, a file of `module`.
fn referenced_paths(
    code: &str,
    module: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Vec<Vec<String>> {
    let tokens = tokens(code);
    let mut found = Vec::new();
    // Inline modules (`mod tests {`) open at a brace depth; paths inside them are
    // relative to them.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut index = 0;
    while index < tokens.len() {
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(name, _)| name.clone()))
            .collect();
        match &tokens[index] {
            Token::Open => {
                depth += 1;
                index += 1;
                continue;
            }
            Token::Close => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, at)| *at == depth) {
                    inline.pop();
                }
                index += 1;
                continue;
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Open)) =
                    (tokens.get(index + 1), tokens.get(index + 2))
                {
                    inline.push((name.clone(), depth));
                    depth += 1;
                    index += 3;
                    continue;
                }
            }
            Token::Ident(word) => {
                let after_path = index > 0 && tokens[index - 1] == Token::Path;
                let starts_path = tokens.get(index + 1) == Some(&Token::Path);
                if !after_path && starts_path {
                    let base: Option<Vec<String>> = match word.as_str() {
                        "crate" => Some(Vec::new()),
                        "self" => Some(here.clone()),
                        "super" => Some(here[..here.len().saturating_sub(1)].to_vec()),
                        child => {
                            let mut path = here.clone();
                            path.push(child.to_owned());
                            modules.contains(&path).then_some(here.clone())
                        }
                    };
                    if let Some(base) = base {
                        let skip_first = matches!(word.as_str(), "crate" | "self" | "super");
                        let start = if skip_first { index + 2 } else { index };
                        let mut prefix = base;
                        // `super::super::x`
                        let mut cursor = start;
                        while let (Some(Token::Ident(part)), Some(Token::Path)) =
                            (tokens.get(cursor), tokens.get(cursor + 1))
                        {
                            if part != "super" {
                                break;
                            }
                            prefix.pop();
                            cursor += 2;
                        }
                        let end = use_tree(&tokens, cursor, &prefix, &mut found);
                        index = end.max(index + 1);
                        continue;
                    }
                }
            }
            _ => {}
        }
        index += 1;
    }
    found
}

/// Reads a use tree or path at `index` below `prefix` (`a::b::{c, d::*}`), pushing each
/// full path; returns the index after it.
fn use_tree(
    tokens: &[Token],
    index: usize,
    prefix: &[String],
    found: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix.to_vec();
    let mut index = index;
    loop {
        match tokens.get(index) {
            Some(Token::Ident(part)) => {
                if part != "self" {
                    path.push(part.clone());
                }
                index += 1;
                if tokens.get(index) == Some(&Token::Path) {
                    index += 1;
                    continue;
                }
                found.push(path);
                return index;
            }
            Some(Token::Star) => {
                found.push(path);
                return index + 1;
            }
            Some(Token::Open) => {
                index += 1;
                loop {
                    match tokens.get(index) {
                        Some(Token::Close) => return index + 1,
                        Some(Token::Comma) => index += 1,
                        Some(Token::Ident(word)) if word == "as" => index += 2,
                        Some(Token::Ident(_) | Token::Star | Token::Open) => {
                            index = use_tree(tokens, index, &path, found);
                        }
                        Some(Token::Path | Token::Other(_)) => index += 1,
                        None => return index,
                    }
                }
            }
            _ => {
                found.push(path);
                return index;
            }
        }
    }
}

/// The deepest module file `path` passes through.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_files(src: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        collect(src, src, &mut files).expect("the sources are readable");
        files.into_iter().map(|(_, path)| path).collect()
    }

    fn workspace_crates() -> Vec<PathBuf> {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found: Vec<PathBuf> = fs::read_dir(&crates)
            .expect("crates/ is readable")
            .map(|entry| entry.expect("an entry of crates/").path().join("src"))
            .filter(|src| src.join("lib.rs").is_file())
            .collect();
        found.sort();
        found
    }

    #[test]
    fn no_crate_has_an_import_cycle_among_its_files() {
        let crates = workspace_crates();
        assert!(crates.len() >= 7, "found {crates:?}");
        let mut report = Vec::new();
        for src in crates {
            let krate = src
                .parent()
                .and_then(Path::file_name)
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let graph = ImportGraph::of_crate(&src).expect("the sources are readable");
            assert!(graph.edges.contains_key("crate"));
            for cycle in graph.cycles() {
                report.push(format!("{krate}: {}", cycle.join(" <-> ")));
            }
        }
        assert!(report.is_empty(), "import cycles:\n{}", report.join("\n"));
    }

    #[test]
    fn the_http_surfaces_and_the_document_keep_their_places() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../http/src");
        let graph = ImportGraph::of_crate(&src).expect("the sources are readable");
        // The adapter reaches storage and the outside world only through the domain.
        for file in source_files(&src) {
            let code = strip_comments_and_strings(&fs::read_to_string(&file).expect("readable"));
            for forbidden in ["hostpay_store", "hostpay_upstream", "diesel", "reqwest"] {
                let named = tokens(&code).contains(&Token::Ident(forbidden.to_owned()));
                assert!(!named, "{} names {forbidden}", file.display());
            }
        }
        let surfaces = ["miniapp", "boxo", "checkout", "internal"];
        for (file, targets) in &graph.edges {
            let surface = file.split("::").next().unwrap_or_default();
            for target in targets {
                let other = target.split("::").next().unwrap_or_default();
                // A surface never imports another surface.
                if surfaces.contains(&surface) && surfaces.contains(&other) {
                    assert_eq!(surface, other, "{file} imports {target}");
                }
                // Nothing but the crate root imports the OpenAPI document.
                if other == "openapi" && surface != "openapi" {
                    assert_eq!(file, "crate", "{file} imports {target}");
                }
                // Views and the edge know no surface and no route.
                if matches!(surface, "views" | "edge") {
                    assert!(
                        !surfaces.contains(&other) && other != "routes" && other != "openapi",
                        "{file} imports {target}"
                    );
                }
            }
        }
    }

    #[test]
    fn reads_use_trees_relative_paths_and_inline_modules() {
        let modules: BTreeSet<Vec<String>> = [
            vec![],
            vec!["a".to_owned()],
            vec!["a".to_owned(), "b".to_owned()],
            vec!["c".to_owned()],
        ]
        .into_iter()
        .collect();
        let code = strip_comments_and_strings(
            "use crate::a::{b::{X, Y as Z}, self};\n// crate::c::Gone\nfn f() { let s = \"crate::c\"; super::Top; }\nmod tests { use super::*; fn g() { c::h(); } }",
        );
        let module = vec!["a".to_owned(), "b".to_owned()];
        let targets: BTreeSet<Vec<String>> = referenced_paths(&code, &module, &modules)
            .iter()
            .map(|path| resolve(path, &modules))
            .collect();
        let expected: BTreeSet<Vec<String>> =
            [vec!["a".to_owned(), "b".to_owned()], vec!["a".to_owned()]]
                .into_iter()
                .collect();
        assert_eq!(targets, expected);
    }
}

//! Pins the claims of `docs/aof-format.md` and `docs/durability.md` to the code: the error
//! texts they list, the manifest example, and every test they cite as evidence.

use std::path::{Path, PathBuf};

use vk_storage::aof::manifest::{reasons, Manifest};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn doc(name: &str) -> String {
    std::fs::read_to_string(root().join("docs").join(name)).unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

#[test]
fn manifest_error_texts_are_documented() {
    let d = doc("aof-format.md");
    for r in [
        reasons::INVALID_FORMAT,
        reasons::TOO_LONG_LINE,
        reasons::NOT_BASENAME,
        reasons::DUPLICATE_BASE,
        reasons::NON_MONOTONIC,
        reasons::UNKNOWN_TYPE,
        reasons::NOT_UTF8,
        "Found an empty AOF manifest",
    ] {
        assert!(d.contains(r), "docs/aof-format.md does not mention {r:?}");
    }
}

#[test]
fn manifest_example_parses() {
    let d = doc("aof-format.md");
    let start = d.find("```text\nfile ").expect("manifest example") + "```text\n".len();
    let len = d.get(start..).and_then(|s| s.find("```")).expect("end of example");
    let example = d.get(start..start + len).expect("example");
    let m = Manifest::parse(example.as_bytes()).expect("example parses");
    assert_eq!(m.to_bytes(), example.as_bytes());
    assert_eq!(m.incr.len(), 2);
}

/// `[`a::b`, `c::d`]` references whose first segment is a test or source module.
fn cited_tests(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split('[').skip(1) {
        let Some(inner) = chunk.split(']').next() else { continue };
        for (i, part) in inner.split('`').enumerate() {
            if i % 2 == 1 && part.contains("::") && !part.contains(' ') && !part.contains('(') {
                out.push(part.to_string());
            }
        }
    }
    out
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, post)) => name.starts_with(pre) && name.ends_with(post) && name.len() >= pre.len() + post.len(),
    }
}

#[test]
fn every_test_cited_by_the_docs_exists() {
    let mut checked = 0;
    for name in ["aof-format.md", "durability.md"] {
        for cite in cited_tests(&doc(name)) {
            let segs: Vec<&str> = cite.split("::").collect();
            let (Some(module), Some(func)) = (segs.first(), segs.last()) else { continue };
            let candidates = [
                root().join(format!("storage/tests/{module}.rs")),
                root().join(format!("recovery/tests/{module}.rs")),
                root().join(format!("storage/src/aof/{module}.rs")),
                root().join(format!("recovery/src/aof/{module}.rs")),
                // Server-side tests (the docs also cite the server's crash and fault tests).
                root().join(format!("tests/{module}.rs")),
                root().join(format!("src/{module}/mod.rs")),
                root().join(format!("src/{module}.rs")),
            ];
            let found = candidates.iter().filter_map(|p| std::fs::read_to_string(p).ok()).any(|src| {
                src.lines()
                    .filter_map(|l| l.trim().strip_prefix("fn "))
                    .filter_map(|l| l.split('(').next())
                    .any(|f| matches(func, f))
            });
            assert!(found, "docs/{name} cites `{cite}`, which does not exist");
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} citations found");
}

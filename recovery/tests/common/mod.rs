#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vk_recovery::aof::loader::AofVisitor;
use vk_recovery::aof::rdb_hook::{ChecksumScan, RdbHook};
use vk_recovery::aof::{AofFile, BoxError};
use vk_storage::aof::command::{Annotation, Command};

pub fn fixtures() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    assert!(p.join("README.md").is_file(), "fixtures missing at {}", p.display());
    p
}

pub fn case(rel: &str) -> PathBuf {
    let p = fixtures().join(rel);
    assert!(p.is_dir(), "missing fixture case {}", p.display());
    p
}

pub fn meta(case: &Path) -> Value {
    let text = std::fs::read_to_string(case.join("meta.json")).expect("meta.json");
    serde_json::from_str(&text).expect("meta.json is JSON")
}

/// Copies a case directory (fixtures are read-only) into a writable temp dir.
pub fn copy_case(case: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(case, tmp.path());
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).expect("copy");
            let mut perm = std::fs::metadata(&dst).expect("meta").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&dst, perm).expect("chmod");
        }
    }
}

/// Records what the loader delivers; skips RDB images with the checksum scan.
#[derive(Default)]
pub struct Recorder {
    pub rdb_files: Vec<String>,
    pub commands: Vec<(String, Command)>,
    pub transactions: Vec<(String, Vec<Command>)>,
    pub timestamps: Vec<i64>,
}

impl AofVisitor for Recorder {
    fn rdb(&mut self, file: &AofFile, reader: &mut dyn BufRead) -> Result<(), BoxError> {
        self.rdb_files.push(file.name.clone());
        ChecksumScan.read_rdb(&file.path, reader)
    }
    fn command(&mut self, file: &AofFile, cmd: Command) -> Result<(), BoxError> {
        self.commands.push((file.name.clone(), cmd));
        Ok(())
    }
    fn transaction(&mut self, file: &AofFile, cmds: Vec<Command>) -> Result<(), BoxError> {
        self.transactions.push((file.name.clone(), cmds));
        Ok(())
    }
    fn annotation(&mut self, _file: &AofFile, note: &Annotation) -> Result<(), BoxError> {
        self.timestamps.extend(note.timestamp());
        Ok(())
    }
}

/// `key=<number>` from a redis-check-aof output line.
pub fn field(line: &str, key: &str) -> Option<u64> {
    let start = line.find(&format!("{key}="))? + key.len() + 1;
    line.get(start..)?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// The `AOF analyzed:` line of `file` in a redis-check-aof output.
pub fn analyzed_line<'a>(output: &'a str, file: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.starts_with("AOF analyzed:") && l.contains(&format!("filename={file},")))
        .unwrap_or_else(|| panic!("no 'AOF analyzed' line for {file} in {output}"))
}

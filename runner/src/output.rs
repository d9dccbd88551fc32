//! Writing outputs: never half-written (each file goes to a temporary name in the same
//! directory and is renamed into place), never silently overwritten (an existing,
//! non-empty output directory needs `--force`), and never written by two processes at
//! once (an output directory is locked while a command writes it).
//!
//! The lock is an OS advisory lock (`flock` on Unix, through std's `File::try_lock`)
//! on `.rollcage.lock` inside the directory, which holds the holder's process id for
//! the message a second writer gets. The kernel drops the lock when its process ends
//! however it ends, so a lock file left behind by a killed process is stale by
//! construction: the next writer takes it over. A released lock removes its file, so
//! a finished directory holds only its outputs; a directory holding nothing but a
//! stale lock file counts as empty.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::RunnerError;

/// The lock file inside a directory being written. Never an output: emptiness checks
/// skip it and a released lock removes it.
pub const LOCK_FILE: &str = ".rollcage.lock";

/// An exclusive hold on an output directory, released (and its file removed) on drop,
/// on every path out of a command, errors included.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
}

impl DirLock {
    /// Takes the lock of `dir` (which must exist), or refuses naming the directory and
    /// the process holding it.
    pub fn acquire(dir: &Path) -> Result<DirLock, RunnerError> {
        let path = dir.join(LOCK_FILE);
        let io = |e| RunnerError::io(&path, e);
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    let mut pid = String::new();
                    let _ = file.read_to_string(&mut pid);
                    let holder = match pid.trim() {
                        "" => "another rollcage process".to_string(),
                        pid => format!("another rollcage process (pid {pid})"),
                    };
                    return Err(RunnerError::Usage(format!(
                        "{}: {holder} is writing this directory; wait for it to finish, or write \
                         somewhere else",
                        dir.display()
                    )));
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            // A holder releasing its lock removes the file first: if ours is that
            // removed file, the lock we hold guards nothing, so open the path afresh.
            if !still_at(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            writeln!(file, "{}", std::process::id()).map_err(io)?;
            return Ok(DirLock { file, path });
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, then let closing the file
        // release it (see `acquire` for why that order is safe).
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere an open file cannot be removed, so the path still names it.
#[cfg(not(unix))]
fn still_at(_: &File, path: &Path) -> bool {
    path.exists()
}

/// Whether `dir` holds nothing but (possibly) a lock file. A missing directory is
/// empty.
pub fn is_empty_dir(dir: &Path) -> Result<bool, RunnerError> {
    if !dir.exists() {
        return Ok(true);
    }
    if !dir.is_dir() {
        return Ok(false);
    }
    for entry in fs::read_dir(dir).map_err(|e| RunnerError::io(dir, e))? {
        let entry = entry.map_err(|e| RunnerError::io(dir, e))?;
        if entry.file_name() != LOCK_FILE {
            return Ok(false);
        }
    }
    Ok(true)
}

/// An output directory that may be written to, locked for as long as this value lives.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    _lock: DirLock,
}

impl OutputDir {
    /// Creates `path` (and parents) and locks it, refusing a non-empty existing
    /// directory unless `force` is set.
    pub fn create(path: &Path, force: bool) -> Result<OutputDir, RunnerError> {
        let dir = OutputDir::lock(path)?;
        if !force && !dir.is_empty()? {
            return Err(RunnerError::Usage(format!(
                "{}: output directory exists and is not empty; pass --force to overwrite",
                path.display()
            )));
        }
        Ok(dir)
    }

    /// Creates `path` (and parents) if needed and locks it, whatever it holds: for a
    /// command that decides itself what an existing directory may hold (`sweep
    /// --resume`). The lock comes first, so that no check races another writer.
    pub fn lock(path: &Path) -> Result<OutputDir, RunnerError> {
        if path.exists() && !path.is_dir() {
            return Err(RunnerError::Usage(format!(
                "{}: exists and is not a directory",
                path.display()
            )));
        }
        fs::create_dir_all(path).map_err(|e| RunnerError::io(path, e))?;
        Ok(OutputDir {
            path: path.to_path_buf(),
            _lock: DirLock::acquire(path)?,
        })
    }

    /// Locks an existing directory without creating it (`report DIR`).
    pub fn lock_existing(path: &Path) -> Result<OutputDir, RunnerError> {
        if !path.is_dir() {
            return Err(RunnerError::Usage(format!(
                "{}: not a directory",
                path.display()
            )));
        }
        OutputDir::lock(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the directory holds nothing but its lock file.
    pub fn is_empty(&self) -> Result<bool, RunnerError> {
        is_empty_dir(&self.path)
    }

    /// Writes `name` atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, RunnerError> {
        write_atomic(&self.path.join(name), bytes)
    }
}

/// Writes to `path.tmp` then renames, so a reader never sees a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<PathBuf, RunnerError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        RunnerError::io(path, e)
    })?;
    Ok(path.to_path_buf())
}

/// Writes a file atomically, refusing one that exists unless `force` is set: for
/// single-file outputs (`check --junit`, `check --markdown`). `flag` names the option
/// in the message.
pub fn write_new_file(
    path: &Path,
    bytes: &[u8],
    force: bool,
    flag: &str,
) -> Result<PathBuf, RunnerError> {
    refuse_existing_file(path, force, flag)?;
    write_atomic(path, bytes)
}

/// Refuses an existing `path` unless `force` is set; called before the work that
/// produces the file, so that a refusal costs nothing.
pub fn refuse_existing_file(path: &Path, force: bool, flag: &str) -> Result<(), RunnerError> {
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(RunnerError::Usage(format!(
            "{}: {flag}: the file exists; pass --force to overwrite it",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(name: &str) -> PathBuf {
        let base = std::env::temp_dir().join(format!("rollcage-out-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        base
    }

    #[test]
    fn refuses_non_empty_directory_without_force() {
        let base = fresh("force");
        let out = OutputDir::create(&base, false).unwrap();
        out.write("a.txt", b"one").unwrap();
        drop(out);
        assert_eq!(fs::read_to_string(base.join("a.txt")).unwrap(), "one");
        let err = OutputDir::create(&base, false).err().unwrap().to_string();
        assert!(err.contains("pass --force"), "{err}");
        let out = OutputDir::create(&base, true).unwrap();
        out.write("a.txt", b"two").unwrap();
        assert_eq!(fs::read_to_string(base.join("a.txt")).unwrap(), "two");
        assert!(!base.join(".a.txt.tmp").exists());
        drop(out);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid_until_the_first_lets_go() {
        let base = fresh("lock");
        let first = OutputDir::create(&base, false).unwrap();
        let pid = std::process::id().to_string();
        assert_eq!(
            fs::read_to_string(base.join(LOCK_FILE)).unwrap().trim(),
            pid
        );
        // The lock file is not content: the directory still counts as empty.
        assert!(first.is_empty().unwrap());
        for second in [
            OutputDir::create(&base, false),
            OutputDir::create(&base, true),
            OutputDir::lock(&base),
            OutputDir::lock_existing(&base),
        ] {
            let err = second.expect_err("refused").to_string();
            assert!(err.starts_with(&base.display().to_string()), "{err}");
            assert!(
                err.contains(&format!("another rollcage process (pid {pid}) is writing")),
                "{err}"
            );
        }
        drop(first);
        assert!(
            !base.join(LOCK_FILE).exists(),
            "a released lock leaves nothing behind"
        );
        let again = OutputDir::create(&base, false).unwrap();
        drop(again);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_stale_lock_file_does_not_block_and_does_not_count_as_content() {
        let base = fresh("stale");
        fs::create_dir_all(&base).unwrap();
        // What a killed holder leaves: the file with its pid, and no lock on it.
        fs::write(base.join(LOCK_FILE), "4194304\n").unwrap();
        assert!(is_empty_dir(&base).unwrap());
        let dir = OutputDir::create(&base, false).expect("a stale lock is taken over");
        assert_eq!(
            fs::read_to_string(base.join(LOCK_FILE)).unwrap(),
            format!("{}\n", std::process::id())
        );
        drop(dir);
        assert!(!base.join(LOCK_FILE).exists());
        // Anything else is content.
        fs::write(base.join("notes.txt"), "mine").unwrap();
        assert!(!is_empty_dir(&base).unwrap());
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn locks_are_released_on_error_paths() {
        let base = fresh("error-path");
        fs::create_dir_all(&base).unwrap();
        fs::write(base.join("x"), "").unwrap();
        // Refused for being non-empty: the lock taken for the check is given back.
        assert!(OutputDir::create(&base, false).is_err());
        assert!(!base.join(LOCK_FILE).exists());
        assert!(OutputDir::lock(&base).is_ok());
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn single_files_are_not_overwritten_without_force() {
        let base = fresh("file");
        fs::create_dir_all(&base).unwrap();
        let f = base.join("junit.xml");
        write_new_file(&f, b"one", false, "--junit").unwrap();
        let err = write_new_file(&f, b"two", false, "--junit")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("junit.xml: --junit: the file exists; pass --force"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&f).unwrap(), "one");
        write_new_file(&f, b"two", true, "--junit").unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "two");
        fs::remove_dir_all(&base).unwrap();
    }
}

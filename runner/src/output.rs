//! Writing outputs: never half-written (each file goes to a temporary name in the same
//! directory and is renamed into place), never silently overwritten (an existing,
//! non-empty output directory needs `--force`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::RunnerError;

/// An output directory that may be written to.
pub struct OutputDir {
    path: PathBuf,
}

impl OutputDir {
    /// Creates `path` (and parents), refusing a non-empty existing directory unless
    /// `force` is set.
    pub fn create(path: &Path, force: bool) -> Result<OutputDir, RunnerError> {
        if path.exists() {
            if !path.is_dir() {
                return Err(RunnerError::Usage(format!(
                    "{}: exists and is not a directory",
                    path.display()
                )));
            }
            let non_empty = fs::read_dir(path)
                .map_err(|e| RunnerError::io(path, e))?
                .next()
                .is_some();
            if non_empty && !force {
                return Err(RunnerError::Usage(format!(
                    "{}: output directory exists and is not empty; pass --force to overwrite",
                    path.display()
                )));
            }
        }
        fs::create_dir_all(path).map_err(|e| RunnerError::io(path, e))?;
        Ok(OutputDir {
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_empty_directory_without_force() {
        let base = std::env::temp_dir().join(format!("rollcage-out-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let out = OutputDir::create(&base, false).unwrap();
        out.write("a.txt", b"one").unwrap();
        assert_eq!(fs::read_to_string(base.join("a.txt")).unwrap(), "one");
        let err = OutputDir::create(&base, false).err().unwrap().to_string();
        assert!(err.contains("pass --force"), "{err}");
        let out = OutputDir::create(&base, true).unwrap();
        out.write("a.txt", b"two").unwrap();
        assert_eq!(fs::read_to_string(base.join("a.txt")).unwrap(), "two");
        assert!(!base.join(".a.txt.tmp").exists());
        fs::remove_dir_all(&base).unwrap();
    }
}

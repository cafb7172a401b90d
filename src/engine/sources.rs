//! The texts of a run's files, for the reporters. A file whose text the
//! run did not keep (no finding needed it after the walk, or its result
//! came from the cache) is read again only when something asks for it: a
//! `--quiet`, JSON or GitHub report of a warm run reads no source at all.

use std::borrow::Cow;
use std::ops::{Index, IndexMut};
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Debug, Default)]
pub struct Sources {
    slots: Vec<Slot>,
}

#[derive(Debug)]
struct Slot {
    text: OnceLock<String>,
    /// Where to read the text from, at most how many bytes, and the length
    /// the decoded text had when the file was checked: a file changed since
    /// reads as empty (as one that vanished), never as text its findings'
    /// spans do not fit.
    lazy: Option<(PathBuf, u64, usize)>,
}

impl Slot {
    fn text(&self) -> &String {
        self.text.get_or_init(|| self.read())
    }

    /// The text from disk, without keeping it (empty if it changed since).
    fn read(&self) -> String {
        match &self.lazy {
            Some((path, cap, len)) => {
                let text = super::read_text(path, *cap);
                if text.len() == *len {
                    text
                } else {
                    String::new()
                }
            }
            None => String::new(),
        }
    }
}

impl Sources {
    /// A text already in memory.
    pub fn push(&mut self, text: String) {
        self.slots.push(Slot {
            text: OnceLock::from(text),
            lazy: None,
        });
    }

    /// The text of the file at `path`, read on first use; `len`: its
    /// decoded length when it was checked.
    pub fn push_lazy(&mut self, path: PathBuf, cap: u64, len: usize) {
        self.slots.push(Slot {
            text: OnceLock::new(),
            lazy: Some((path, cap, len)),
        });
    }

    /// The text of `file`, kept for the rest of the run (see [`Sources::load`]).
    pub fn get(&self, file: usize) -> Option<&String> {
        self.slots.get(file).map(Slot::text)
    }

    /// The text of `file` for one use: borrowed if it is in memory, else
    /// read from disk and handed over, not kept. Reporters that go through
    /// the findings file by file call this, so that a report holds one
    /// file's text at a time, not the text of every file with a finding.
    pub fn load(&self, file: usize) -> Option<Cow<'_, str>> {
        let slot = self.slots.get(file)?;
        Some(match slot.text.get() {
            Some(text) => Cow::Borrowed(text.as_str()),
            None => Cow::Owned(slot.read()),
        })
    }

    /// Is the text of `file` in memory (kept by the run, or loaded by [`Sources::get`])?
    pub fn is_loaded(&self, file: usize) -> bool {
        self.slots.get(file).is_some_and(|s| s.text.get().is_some())
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The length of `file`'s text: as kept, else as it was when checked.
    pub fn recorded_len(&self, file: usize) -> Option<usize> {
        let slot = self.slots.get(file)?;
        match (&slot.lazy, slot.text.get()) {
            (Some((_, _, len)), _) => Some(*len),
            (None, text) => text.map(String::len),
        }
    }

    /// The text of `file` when the run kept it (never read from disk here).
    pub fn kept(&self, file: usize) -> Option<&str> {
        let slot = self.slots.get(file)?;
        match slot.lazy {
            Some(_) => None,
            None => slot.text.get().map(String::as_str),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

impl FromIterator<String> for Sources {
    fn from_iter<I: IntoIterator<Item = String>>(texts: I) -> Sources {
        let mut sources = Sources::default();
        for text in texts {
            sources.push(text);
        }
        sources
    }
}

impl Index<usize> for Sources {
    type Output = String;

    fn index(&self, file: usize) -> &String {
        self.slots[file].text()
    }
}

impl IndexMut<usize> for Sources {
    fn index_mut(&mut self, file: usize) -> &mut String {
        let slot = &mut self.slots[file];
        let text = std::mem::take(&mut slot.text)
            .into_inner()
            .unwrap_or_else(|| Slot::text(slot).clone());
        slot.lazy = None;
        slot.text = OnceLock::from(text);
        match slot.text.get_mut() {
            Some(text) => text,
            None => unreachable!("the text was just set"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_texts_are_read_on_first_use_and_checked_against_their_length() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.py");
        std::fs::write(&path, "x = 1\r\n").expect("write");
        let mut sources = Sources::default();
        sources.push("kept".to_owned());
        sources.push_lazy(path.clone(), 1 << 20, 7);
        sources.push_lazy(path.clone(), 1 << 20, 99);
        sources.push_lazy(dir.path().join("gone.py"), 1 << 20, 3);
        assert_eq!(sources.len(), 4);
        assert_eq!(&sources[0], "kept");
        assert_eq!(sources.get(1).map(String::as_str), Some("x = 1\r\n"));
        // Changed since the check, or gone: empty, like a file that vanished.
        assert_eq!(&sources[2], "");
        assert_eq!(&sources[3], "");
        assert_eq!(sources.get(4), None);
        // `load` reads without keeping; a text `get` kept is borrowed.
        let mut fresh = Sources::default();
        fresh.push_lazy(path.clone(), 1 << 20, 7);
        assert!(matches!(fresh.load(0), Some(Cow::Owned(t)) if t == "x = 1\r\n"));
        assert!(!fresh.is_loaded(0));
        assert!(fresh.load(1).is_none());
        assert!(matches!(sources.load(0), Some(Cow::Borrowed("kept"))));
        sources[1].push('#');
        assert_eq!(&sources[1], "x = 1\r\n#");
        std::fs::write(&path, "y = 22\n").expect("rewrite");
        assert_eq!(&sources[1], "x = 1\r\n#", "read twice");
    }
}

//! Interned names: the identifiers and dotted paths the per-file facts hold
//! (class, field, parameter and module names, callees), stored once per run
//! however many files and facts repeat them.
//!
//! A [`Name`] is one pointer (8 bytes, no heap block of its own) to a
//! string kept for the rest of the process in a global interner, so the
//! memory it holds is bounded by the number of *distinct* names a run sees
//! (a linter run's vocabulary), not by how often they occur. Equality,
//! ordering and hashing are those of the text, so a `Name` sorts and
//! compares like the `String` it replaces; serde reads and writes it as a
//! plain string (the cache format does not change).

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock};

/// An interned string (see the module documentation).
#[derive(Clone, Copy)]
pub struct Name(&'static &'static str);

/// The interner's hash: a multiply-rotate word hash (the shape of rustc's
/// FxHash), several times cheaper than the default SipHash on the short
/// identifiers interned here, on every name of every cached file read back
/// (a warm run spends most of its time decoding names). Its weakness to
/// crafted collisions can cost a hostile tree time, never a wrong answer:
/// entries are compared by their text.
#[derive(Clone, Copy, Default)]
struct Fast;

/// [`Fast`]'s state.
#[derive(Default)]
struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

impl BuildHasher for Fast {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher::default()
    }
}

/// Shards of the interner: threads interning different names rarely wait
/// for one another.
const SHARDS: usize = 16;

struct Interner {
    hasher: Fast,
    shards: Vec<Mutex<HashSet<Entry, Fast>>>,
}

/// A set entry: the interned text, found by its content.
#[derive(Clone, Copy)]
struct Entry(&'static &'static str);

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        **self.0 == **other.0
    }
}

impl Eq for Entry {}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self.0).hash(state);
    }
}

impl std::borrow::Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        self.0
    }
}

static EMPTY: &str = "";

fn interner() -> &'static Interner {
    static INTERNER: OnceLock<Interner> = OnceLock::new();
    INTERNER.get_or_init(|| Interner {
        hasher: Fast,
        shards: (0..SHARDS)
            .map(|_| Mutex::new(HashSet::with_hasher(Fast)))
            .collect(),
    })
}

impl Name {
    /// The interned copy of `text`.
    pub fn new(text: &str) -> Name {
        if text.is_empty() {
            return Name(&EMPTY);
        }
        let interner = interner();
        // Middle bits pick the shard: a set's buckets use the low ones and
        // its tags the top seven.
        let shard = (interner.hasher.hash_one(text) >> 32) as usize % SHARDS;
        let mut set = interner.shards[shard]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = set.get(text) {
            return Name(entry.0);
        }
        let text: &'static str = Box::leak(Box::from(text));
        let entry = Entry(Box::leak(Box::new(text)));
        set.insert(entry);
        Name(entry.0)
    }

    /// The text, for as long as the process runs.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl Default for Name {
    fn default() -> Name {
        Name(&EMPTY)
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        // Interned: the same text is the same pointer.
        std::ptr::eq(self.0, other.0) || **self.0 == **other.0
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        (**self.0).cmp(*other.0)
    }
}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self.0).hash(state);
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        **self.0 == *other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        **self.0 == **other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        **self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        *self == **other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        **self == **other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == **other.0
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name::new(text)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name::new(&text)
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Name {
        Name::new(text)
    }
}

impl From<std::borrow::Cow<'_, str>> for Name {
    fn from(text: std::borrow::Cow<'_, str>) -> Name {
        Name::new(&text)
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.as_str().to_owned()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(*self.0, f)
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Name::new(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_name() {
        let a = Name::new("app.models.User");
        let b = Name::new(&String::from("app.models.User"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, b);
        assert_eq!(a, "app.models.User");
        assert_ne!(a, Name::new("app.models.Item"));
        assert_eq!(Name::new(""), Name::default());
        assert!(Name::default().is_empty());
    }

    #[test]
    fn orders_and_hashes_like_the_text() {
        let mut names: Vec<Name> = ["b", "a.b", "a", "B", ""].map(Name::new).to_vec();
        names.sort();
        let texts: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        assert_eq!(texts, ["", "B", "a", "a.b", "b"]);
        let set: HashSet<Name> = names.iter().copied().collect();
        assert!(set.contains("a.b"));
        assert_eq!(format!("{:?}", Name::new("x\"y")), format!("{:?}", "x\"y"));
        assert_eq!(Name::new("x").to_string(), "x");
    }

    #[test]
    fn serde_as_a_plain_string() {
        let name = Name::new("fastapi.Depends");
        let json = serde_json::to_string(&name).expect("serialise");
        assert_eq!(json, "\"fastapi.Depends\"");
        let back: Name = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, name);
        let bytes = postcard::to_allocvec(&vec![name, Name::default()]).expect("postcard");
        let back: Vec<Name> = postcard::from_bytes(&bytes).expect("postcard back");
        assert_eq!(back, vec![name, Name::default()]);
    }

    #[test]
    fn many_threads_agree() {
        let names: Vec<Vec<Name>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..200).map(|i| Name::new(&format!("n{i}"))).collect()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        for other in &names[1..] {
            for (a, b) in names[0].iter().zip(other) {
                assert!(std::ptr::eq(a.as_str(), b.as_str()));
            }
        }
    }
}

//! [`Slim`]: a per-file fact set that takes one pointer when it is empty.
//!
//! The project pass holds every file's [`super::FileFacts`] at once; a
//! fact set of a dozen `Vec`s is ~250 bytes even when the file contributes
//! nothing to it (most files of a large tree define no route, an
//! `IMPORTS`-only run collects no architecture or symbol facts at all).
//! `Slim` boxes a non-empty set and stores nothing for an empty one; it
//! reads like the set itself (`Deref`), an empty one as a shared static.
//!
//! The lists inside the fact sets (and inside their records: a route's
//! parameters, loops, queries...) are `thin_vec::ThinVec`s: one pointer
//! (8 bytes instead of a `Vec`'s 24) with the length and capacity in the
//! heap block, and no block at all when empty. Most of them are empty
//! (a handler without loops or session calls, a parameter without
//! `Depends`), and the project pass holds every file's at once.

use std::fmt;

/// A fact set with a static empty value, what [`Slim`] reads when it holds none.
pub trait EmptyFacts: Default + PartialEq + 'static {
    fn empty() -> &'static Self;
}

/// `T`, boxed when it is not empty (see the module documentation).
#[derive(Clone, Default)]
pub struct Slim<T>(Option<Box<T>>);

impl<T: EmptyFacts> Slim<T> {
    pub fn new(value: T) -> Slim<T> {
        if value == T::default() {
            Slim(None)
        } else {
            Slim(Some(Box::new(value)))
        }
    }
}

impl<T: EmptyFacts> std::ops::Deref for Slim<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match &self.0 {
            Some(value) => value,
            None => T::empty(),
        }
    }
}

impl<T: EmptyFacts + fmt::Debug> fmt::Debug for Slim<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: EmptyFacts + serde::Serialize> serde::Serialize for Slim<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de, T: EmptyFacts + serde::Deserialize<'de>> serde::Deserialize<'de> for Slim<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Slim<T>, D::Error> {
        T::deserialize(d).map(Slim::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::arch::ArchFacts;

    #[test]
    fn empty_sets_take_no_box_and_read_as_empty() {
        let empty = Slim::new(ArchFacts::default());
        assert!(empty.0.is_none());
        assert!(empty.handlers.is_empty() && empty.classes == 0);
        let full = Slim::new(ArchFacts {
            classes: 2,
            ..ArchFacts::default()
        });
        assert!(full.0.is_some());
        assert_eq!(full.classes, 2);
        let bytes = postcard::to_allocvec(&full).expect("serialise");
        let back: Slim<ArchFacts> = postcard::from_bytes(&bytes).expect("deserialise");
        assert_eq!(back.classes, 2);
        let bytes = postcard::to_allocvec(&empty).expect("serialise");
        let back: Slim<ArchFacts> = postcard::from_bytes(&bytes).expect("deserialise");
        assert!(back.0.is_none());
    }
}

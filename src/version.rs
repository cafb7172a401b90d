//! Python language versions: the target a project is checked against.

use std::fmt;

/// A Python minor version such as 3.12. Ordered, so `target < PY310` reads
/// as "older than 3.10".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    pub major: u8,
    pub minor: u8,
}

impl PythonVersion {
    pub const fn new(major: u8, minor: u8) -> Self {
        PythonVersion { major, minor }
    }

    /// The oldest and newest targets fortress knows the grammar and stdlib of.
    pub const OLDEST: PythonVersion = PythonVersion::new(3, 7);
    pub const NEWEST: PythonVersion = PythonVersion::new(3, 14);

    /// The target when neither the configuration nor `requires-python`
    /// names one: the oldest Python still supported upstream.
    pub const DEFAULT: PythonVersion = PythonVersion::new(3, 10);

    /// Parses `py310`, `3.10` or `3.10.4` (the patch is ignored).
    pub fn parse(text: &str) -> Option<PythonVersion> {
        let text = text.trim();
        if let Some(digits) = text.strip_prefix("py") {
            if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let major: u8 = digits[..1].parse().ok()?;
            let minor: u8 = digits[1..].parse().ok()?;
            return Some(PythonVersion::new(major, minor));
        }
        let mut parts = text.split('.');
        let major: u8 = parts.next()?.parse().ok()?;
        let minor: u8 = parts.next()?.parse().ok()?;
        if let Some(patch) = parts.next() {
            if patch.is_empty() || !patch.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
        }
        if parts.next().is_some() {
            return None;
        }
        Some(PythonVersion::new(major, minor))
    }

    /// `py310`: the spelling of `target-version` and `--target-version`.
    pub fn config_name(self) -> String {
        format!("py{}{}", self.major, self.minor)
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Default for PythonVersion {
    fn default() -> Self {
        PythonVersion::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings() {
        assert_eq!(
            PythonVersion::parse("py310"),
            Some(PythonVersion::new(3, 10))
        );
        assert_eq!(PythonVersion::parse("py39"), Some(PythonVersion::new(3, 9)));
        assert_eq!(
            PythonVersion::parse("3.12"),
            Some(PythonVersion::new(3, 12))
        );
        assert_eq!(
            PythonVersion::parse("3.12.1"),
            Some(PythonVersion::new(3, 12))
        );
        assert_eq!(PythonVersion::parse("py3"), None);
        assert_eq!(PythonVersion::parse("3"), None);
        assert_eq!(PythonVersion::parse("3.x"), None);
        assert_eq!(PythonVersion::parse("3.1.2.3"), None);
    }

    #[test]
    fn orders_and_prints() {
        assert!(PythonVersion::new(3, 9) < PythonVersion::new(3, 10));
        assert_eq!(PythonVersion::new(3, 14).to_string(), "3.14");
        assert_eq!(PythonVersion::new(3, 14).config_name(), "py314");
    }
}

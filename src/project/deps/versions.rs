//! Version ranges of declared and locked distributions: PEP 440 specifiers
//! (parsed by `pep440_rs`) reduced to the bounds a rule asks about, and
//! Poetry's constraint syntax (`^1.9`, `~1.2`, `1.*`, `>=1,<2 || >=3`)
//! translated explicitly into PEP 440 first.

use std::str::FromStr;

use pep508_rs::pep440_rs::{Operator, Version, VersionSpecifiers};

/// What a declaration allows: an exact version, or bounds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Range {
    /// `==1.2.3` (or a lockfile's version).
    pub exact: Option<Version>,
    /// Lowest allowed version (inclusive or not: `>1.2` counts as 1.2).
    pub lower: Option<Version>,
    /// Versions from this one on are excluded (`<2`, `~=1.4` -> 2, `^1.9` -> 2).
    pub upper: Option<Version>,
}

fn bump(release: &[u64], at: usize) -> Version {
    let mut parts: Vec<u64> = release.iter().take(at + 1).copied().collect();
    while parts.len() <= at {
        parts.push(0);
    }
    parts[at] += 1;
    Version::new(parts)
}

impl Range {
    pub fn exact(v: Version) -> Range {
        Range {
            exact: Some(v),
            ..Range::default()
        }
    }

    /// The bounds of a PEP 440 specifier set (all specifiers hold at once).
    pub fn of(specs: &VersionSpecifiers) -> Range {
        let mut r = Range::default();
        let raise = |slot: &mut Option<Version>, v: Version| {
            if slot.as_ref().is_none_or(|s| v > *s) {
                *slot = Some(v);
            }
        };
        let lower_to = |slot: &mut Option<Version>, v: Version| {
            if slot.as_ref().is_none_or(|s| v < *s) {
                *slot = Some(v);
            }
        };
        for s in specs.iter() {
            let v = s.version().clone();
            let release = v.release().to_vec();
            match s.operator() {
                Operator::Equal | Operator::ExactEqual => r.exact = Some(v),
                Operator::EqualStar => {
                    lower_to(
                        &mut r.upper,
                        bump(&release, release.len().saturating_sub(1)),
                    );
                    raise(&mut r.lower, v);
                }
                Operator::TildeEqual => {
                    lower_to(
                        &mut r.upper,
                        bump(&release, release.len().saturating_sub(2)),
                    );
                    raise(&mut r.lower, v);
                }
                Operator::GreaterThan | Operator::GreaterThanEqual => raise(&mut r.lower, v),
                Operator::LessThan => lower_to(&mut r.upper, v),
                // `<=1.9` excludes 1.9.1 on: treat as the next patch release.
                Operator::LessThanEqual => lower_to(
                    &mut r.upper,
                    bump(&release, release.len().saturating_sub(1)),
                ),
                Operator::NotEqual | Operator::NotEqualStar => {}
            }
        }
        r
    }

    /// The smallest range holding every alternative (Poetry's `||`).
    fn hull(alternatives: Vec<Range>) -> Range {
        let mut it = alternatives.into_iter();
        let Some(first) = it.next() else {
            return Range::default();
        };
        let mut out = first.into_bounds();
        for r in it {
            let r = r.into_bounds();
            out.lower = match (out.lower, r.lower) {
                (Some(a), Some(b)) => Some(a.min(b)),
                _ => None,
            };
            out.upper = match (out.upper, r.upper) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        out
    }

    fn into_bounds(self) -> Range {
        match self.exact {
            Some(v) => Range {
                exact: None,
                upper: Some(bump(v.release(), v.release().len().saturating_sub(1))),
                lower: Some(v),
            },
            None => self,
        }
    }

    /// The major version the project runs: the exact one, else the lower
    /// bound's, else the highest major below the upper bound (`<2` -> 1).
    pub fn major(&self) -> Option<u64> {
        if let Some(v) = self.exact.as_ref().or(self.lower.as_ref()) {
            return v.release().first().copied();
        }
        let upper = self.upper.as_ref()?;
        let release = upper.release();
        let major = *release.first()?;
        if release[1..].iter().all(|&p| p == 0) && upper.pre().is_none() {
            major.checked_sub(1)
        } else {
            Some(major)
        }
    }
}

/// Parse PEP 440 specifiers (`>=1.2,<2`) into a range.
pub fn pep440(text: &str) -> Option<Range> {
    let text = text.trim();
    if text.is_empty() || text == "*" {
        return None;
    }
    VersionSpecifiers::from_str(text)
        .ok()
        .map(|s| Range::of(&s))
}

/// Translate one Poetry constraint into PEP 440 specifiers:
/// `^1.9` -> `>=1.9,<2`, `^0.3` -> `>=0.3,<0.4`, `~1.2` -> `>=1.2,<1.3`,
/// `1.2.*` -> `==1.2.*`, `1.2` -> `==1.2`; PEP 440 operators pass through.
pub fn poetry_to_pep440(constraint: &str) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    // Poetry separates the parts of one range by commas or spaces.
    let mut tokens: Vec<String> = Vec::new();
    for raw in constraint.split([',', ' ']).filter(|t| !t.is_empty()) {
        // `>= 1.2` written with a space: glue the operator to its version.
        match tokens.last_mut() {
            Some(last) if last.chars().all(|c| "<>=!~^".contains(c)) => last.push_str(raw),
            _ => tokens.push(raw.to_owned()),
        }
    }
    for t in tokens {
        if t == "*" {
            continue;
        }
        let (op, version) = match t.find(|c: char| c.is_ascii_digit()) {
            Some(at) => t.split_at(at),
            None => return Err(format!("`{constraint}`: no version in `{t}`")),
        };
        let parse = |v: &str| {
            Version::from_str(v.trim_end_matches(".*")).map_err(|e| format!("`{constraint}`: {e}"))
        };
        match op {
            "^" => {
                let v = parse(version)?;
                let release = v.release();
                let at = release
                    .iter()
                    .position(|&p| p != 0)
                    .unwrap_or(release.len().saturating_sub(1));
                out.push(format!(">={v}"));
                out.push(format!("<{}", bump(release, at)));
            }
            "~" => {
                let v = parse(version)?;
                let release = v.release();
                let at = if release.len() >= 2 { 1 } else { 0 };
                out.push(format!(">={v}"));
                out.push(format!("<{}", bump(release, at)));
            }
            "" if version.ends_with(".*") => out.push(format!("=={version}")),
            "" => out.push(format!("=={version}")),
            "=" => out.push(format!("=={version}")),
            _ => out.push(format!("{op}{version}")),
        }
    }
    Ok(out.join(","))
}

/// A Poetry constraint as a range; `None` for `*` or when it cannot be read.
pub fn poetry(constraint: &str) -> Option<Range> {
    let mut alternatives = Vec::new();
    for alt in constraint.split("||") {
        let pep = poetry_to_pep440(alt.trim()).ok()?;
        if pep.is_empty() {
            return None;
        }
        alternatives.push(Range::of(&VersionSpecifiers::from_str(&pep).ok()?));
    }
    Some(Range::hull(alternatives))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    #[test]
    fn poetry_translation() {
        assert_eq!(poetry_to_pep440("^1.9").unwrap(), ">=1.9,<2");
        assert_eq!(poetry_to_pep440("^0.3.1").unwrap(), ">=0.3.1,<0.4");
        assert_eq!(poetry_to_pep440("^0.0.3").unwrap(), ">=0.0.3,<0.0.4");
        assert_eq!(poetry_to_pep440("^0").unwrap(), ">=0,<1");
        assert_eq!(poetry_to_pep440("~1.2.3").unwrap(), ">=1.2.3,<1.3");
        assert_eq!(poetry_to_pep440("~1").unwrap(), ">=1,<2");
        assert_eq!(poetry_to_pep440("1.2.*").unwrap(), "==1.2.*");
        assert_eq!(poetry_to_pep440("2.0.1").unwrap(), "==2.0.1");
        assert_eq!(poetry_to_pep440(">= 1.2, < 2").unwrap(), ">=1.2,<2");
        assert_eq!(poetry_to_pep440(">=1.2 <2").unwrap(), ">=1.2,<2");
        assert_eq!(poetry_to_pep440("~=1.4").unwrap(), "~=1.4");
        assert_eq!(poetry_to_pep440("*").unwrap(), "");
        assert!(poetry_to_pep440("^abc").is_err());
    }

    #[test]
    fn majors() {
        assert_eq!(poetry("^1.9").unwrap().major(), Some(1));
        assert_eq!(poetry("^2.5").unwrap().major(), Some(2));
        assert_eq!(poetry("^1.9 || ^2.0").unwrap().major(), Some(1));
        assert_eq!(poetry("*"), None);
        assert_eq!(pep440("<2").unwrap().major(), Some(1));
        assert_eq!(pep440("<2.5").unwrap().major(), Some(2));
        assert_eq!(pep440("<=1.10.2").unwrap().major(), Some(1));
        assert_eq!(pep440(">=2.0,<3").unwrap().major(), Some(2));
        assert_eq!(pep440("~=1.10").unwrap().major(), Some(1));
        assert_eq!(pep440("==1.10.*").unwrap().major(), Some(1));
        assert_eq!(pep440("==1.10.13").unwrap().exact, Some(v("1.10.13")));
        assert_eq!(pep440("!=1.8"), Some(Range::default()));
        assert_eq!(Range::default().major(), None);
        assert_eq!(pep440("~=1.4").unwrap().upper, Some(v("2")));
        assert_eq!(pep440("~=1.4.2").unwrap().upper, Some(v("1.5")));
    }
}

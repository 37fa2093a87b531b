//! Character sets over UTF-16 code units, for overlap questions in the backtracking analysis.
//!
//! ASCII is exact; beyond ASCII the Unicode classes (`\w`, `\d`, `\p{L}`) are approximated by
//! the whole non-ASCII range, which errs towards "these may overlap" (a warning too many,
//! never one too few) only outside ASCII.

/// A set of UTF-16 code units as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CharSet {
    ranges: Vec<(u16, u16)>,
}

const NON_ASCII: (u16, u16) = (0x80, 0xFFFF);

impl CharSet {
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn all() -> Self {
        Self::from_ranges(vec![(0, 0xFFFF)])
    }

    pub fn single(c: u16) -> Self {
        Self::from_ranges(vec![(c, c)])
    }

    pub fn from_ranges(mut ranges: Vec<(u16, u16)>) -> Self {
        ranges.retain(|(a, b)| a <= b);
        ranges.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match out.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Self { ranges: out }
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The one code unit this set holds, if it holds exactly one.
    pub fn as_single(&self) -> Option<u16> {
        match self.ranges.as_slice() {
            [(a, b)] if a == b => Some(*a),
            _ => None,
        }
    }

    pub fn union(&self, other: &CharSet) -> CharSet {
        let mut r = self.ranges.clone();
        r.extend_from_slice(&other.ranges);
        Self::from_ranges(r)
    }

    pub fn negate(&self) -> CharSet {
        let mut out = Vec::new();
        let mut next: u32 = 0;
        for &(a, b) in &self.ranges {
            if u32::from(a) > next {
                out.push((next as u16, a - 1));
            }
            next = u32::from(b) + 1;
        }
        if next <= 0xFFFF {
            out.push((next as u16, 0xFFFF));
        }
        Self { ranges: out }
    }

    pub fn subtract(&self, other: &CharSet) -> CharSet {
        self.intersect(&other.negate())
    }

    pub fn intersect(&self, other: &CharSet) -> CharSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a1, b1) = self.ranges[i];
            let (a2, b2) = other.ranges[j];
            let (lo, hi) = (a1.max(a2), b1.min(b2));
            if lo <= hi {
                out.push((lo, hi));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { ranges: out }
    }

    pub fn intersects(&self, other: &CharSet) -> bool {
        !self.intersect(other).is_empty()
    }

    /// Adds the other case of every ASCII letter (for `(?i)`).
    pub fn case_folded(&self) -> CharSet {
        let mut extra = Vec::new();
        for &(a, b) in &self.ranges {
            for (lo, hi, delta) in [(b'A', b'Z', 32i32), (b'a', b'z', -32)] {
                let (lo, hi) = (u16::from(lo), u16::from(hi));
                let (s, e) = (a.max(lo), b.min(hi));
                if s <= e {
                    extra.push(((i32::from(s) + delta) as u16, (i32::from(e) + delta) as u16));
                }
            }
        }
        self.union(&Self::from_ranges(extra))
    }

    /// `\w`: ASCII letters, digits, `_`, and (approximately) everything beyond ASCII.
    pub fn word() -> CharSet {
        Self::from_ranges(vec![
            (b'0'.into(), b'9'.into()),
            (b'A'.into(), b'Z'.into()),
            (b'_'.into(), b'_'.into()),
            (b'a'.into(), b'z'.into()),
            NON_ASCII,
        ])
    }

    /// `\d`: ASCII digits and (approximately) the digits beyond ASCII.
    pub fn digit() -> CharSet {
        Self::from_ranges(vec![(b'0'.into(), b'9'.into()), (0x0660, 0xFFFF)])
    }

    /// `\s`: the .NET white-space characters.
    pub fn space() -> CharSet {
        Self::from_ranges(vec![
            (0x09, 0x0D),
            (0x20, 0x20),
            (0x85, 0x85),
            (0xA0, 0xA0),
            (0x1680, 0x1680),
            (0x2000, 0x200A),
            (0x2028, 0x2029),
            (0x202F, 0x202F),
            (0x205F, 0x205F),
            (0x3000, 0x3000),
        ])
    }

    /// `.` without `s`: anything but `\n`.
    pub fn dot(singleline: bool) -> CharSet {
        if singleline {
            Self::all()
        } else {
            Self::single(b'\n'.into()).negate()
        }
    }

    /// `\p{name}`: exact for blocks, approximate (exact on ASCII) for categories.
    pub fn property(name: &str) -> CharSet {
        if let Some((_, a, b)) = super::names::BLOCKS.iter().find(|(n, _, _)| *n == name) {
            return Self::from_ranges(vec![(*a, *b)]);
        }
        let ascii = |f: fn(u8) -> bool| -> Vec<(u16, u16)> {
            (0u8..128)
                .filter(|&c| f(c))
                .map(|c| (c.into(), c.into()))
                .collect()
        };
        let mut r = match name.chars().next() {
            Some('L') => ascii(|c| c.is_ascii_alphabetic()),
            Some('N') => ascii(|c| c.is_ascii_digit()),
            Some('P') => ascii(|c| c.is_ascii_punctuation() && !b"$+<=>^`|~".contains(&c)),
            Some('S') => ascii(|c| b"$+<=>^`|~".contains(&c)),
            Some('Z') => vec![(0x20, 0x20)],
            Some('C') => ascii(|c| c.is_ascii_control()),
            _ => Vec::new(),
        };
        r.push(NON_ASCII);
        Self::from_ranges(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra() {
        let az = CharSet::from_ranges(vec![(b'a'.into(), b'z'.into())]);
        assert!(az.intersects(&CharSet::word()));
        assert!(!az.intersects(&CharSet::digit()));
        assert!(!CharSet::word().intersects(&CharSet::word().negate()));
        assert_eq!(az.negate().negate(), az);
        let vowels = CharSet::from_ranges(vec![(97, 97), (101, 101)]);
        assert!(!az.subtract(&vowels).intersects(&vowels));
        assert!(CharSet::single(b'A'.into()).case_folded().intersects(&az));
        assert!(!CharSet::single(b'.'.into()).intersects(&CharSet::word()));
    }
}

//! Opaque listing cursors.
//!
//! A cursor names the last drama id of a page, hex-encoded, with a checksum,
//! so a cursor this library did not issue is told apart from a real one and
//! answered with [`Error::InvalidCursor`] instead of an empty page.

use std::fmt;

use crate::model::id::is_valid_id;
use crate::{Error, Result};

const TAG: &str = "c1";

/// A position in a listing: after the drama with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    after: String,
}

/// FNV-1a, 64 bits: a checksum that needs no dependency and is stable across builds.
fn checksum(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in TAG.bytes().chain(s.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Cursor {
    /// The cursor that continues after drama `id`.
    pub fn after(id: impl Into<String>) -> Self {
        Cursor { after: id.into() }
    }

    /// The id of the last drama before this position.
    pub fn last_id(&self) -> &str {
        &self.after
    }

    /// Reads a cursor string issued by [`Cursor::to_string`].
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || Error::InvalidCursor("this cursor was not issued by the server; start again without one".into());
        let rest = s.strip_prefix(TAG).and_then(|r| r.strip_prefix('.')).ok_or_else(bad)?;
        let (hex, sum) = rest.split_once('.').ok_or_else(bad)?;
        if hex.len() % 2 != 0 || hex.len() > 256 || sum.len() != 16 {
            return Err(bad());
        }
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
        let id = bytes.and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
        let sum = u64::from_str_radix(sum, 16).map_err(|_| bad())?;
        if !is_valid_id(&id) || checksum(&id) != sum {
            return Err(bad());
        }
        Ok(Cursor { after: id })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TAG}.")?;
        for b in self.after.bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ".{:016x}", checksum(&self.after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = Cursor::after("drama_abc");
        let s = c.to_string();
        assert_eq!(Cursor::parse(&s).unwrap(), c);
    }

    #[test]
    fn garbage_is_rejected() {
        let good = Cursor::after("d1").to_string();
        let tampered = good.replace("6431", "6432");
        for bad in [
            "",
            "garbage",
            "c1.",
            "c1.zz.0000000000000000",
            &tampered,
            "c1.2e2e2f.0000000000000000",
        ] {
            assert!(matches!(Cursor::parse(bad), Err(Error::InvalidCursor(_))), "{bad}");
        }
    }
}

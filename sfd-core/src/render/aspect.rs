//! [`AspectRatio`]: the frame a render asks the provider for.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A frame shape such as `9:16` (the default: a phone held upright).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AspectRatio {
    /// Width units.
    pub width: u32,
    /// Height units.
    pub height: u32,
}

impl AspectRatio {
    /// `9:16`, vertical video.
    pub const PORTRAIT: AspectRatio = AspectRatio { width: 9, height: 16 };

    /// The most elongated frame allowed: the long side is at most this
    /// many times the short side (providers offer up to 21:9).
    pub const MAX_ELONGATION: u32 = 4;

    /// This ratio, or an error when a side is 0 or the frame is more
    /// elongated than [`AspectRatio::MAX_ELONGATION`] (a `1:10000` frame
    /// would be a gigapixel image).
    pub fn checked(self) -> Result<Self> {
        let (long, short) = (self.width.max(self.height), self.width.min(self.height));
        if short == 0 || u64::from(long) > u64::from(short) * u64::from(Self::MAX_ELONGATION) {
            return Err(Error::invalid(
                "aspect_ratio",
                format!(
                    "'{self}' is not a frame sfd renders: the long side may be at most {} times the short one",
                    Self::MAX_ELONGATION
                ),
            ));
        }
        Ok(self)
    }

    /// True when taller than wide.
    pub fn is_portrait(self) -> bool {
        self.height > self.width
    }

    /// True when wider than tall.
    pub fn is_landscape(self) -> bool {
        self.width > self.height
    }

    /// Pixel dimensions whose shorter side is `short` and which keep this
    /// ratio, rounded to even numbers (as video encoders need).
    pub fn fit(self, short: u32) -> (u32, u32) {
        let even = |v: f64| ((v / 2.0).round() as u32).max(1) * 2;
        let short = f64::from(short.max(2));
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        if self.is_portrait() {
            (even(short), even(short * h / w))
        } else {
            (even(short * w / h), even(short))
        }
    }
}

impl Default for AspectRatio {
    fn default() -> Self {
        Self::PORTRAIT
    }
}

impl fmt::Display for AspectRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.width, self.height)
    }
}

impl FromStr for AspectRatio {
    type Err = Error;

    /// Reads `W:H` (or `WxH`) with positive whole numbers up to 10,000,
    /// [`checked`](AspectRatio::checked).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid("aspect_ratio", format!("'{s}' is not an aspect ratio such as 9:16"));
        let (w, h) = s.trim().split_once([':', 'x', 'X']).ok_or_else(bad)?;
        let parse = |v: &str| v.trim().parse::<u32>().ok().filter(|n| (1..=10_000).contains(n));
        AspectRatio {
            width: parse(w).ok_or_else(bad)?,
            height: parse(h).ok_or_else(bad)?,
        }
        .checked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_fits() {
        let p: AspectRatio = "9:16".parse().unwrap();
        assert_eq!(p, AspectRatio::PORTRAIT);
        assert_eq!(p.to_string(), "9:16");
        assert_eq!(p.fit(72), (72, 128));
        assert_eq!("16x9".parse::<AspectRatio>().unwrap().fit(72), (128, 72));
        assert_eq!("1:1".parse::<AspectRatio>().unwrap().fit(64), (64, 64));
        assert_eq!("21:9".parse::<AspectRatio>().unwrap().fit(72), (168, 72));
        for bad in ["", "9", "0:16", "a:b", "9:16:1", "1:10000", "10000:1", "1:5"] {
            assert!(bad.parse::<AspectRatio>().is_err(), "{bad}");
        }
    }
}

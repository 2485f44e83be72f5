//! Fitting a reference image to the exact frame a provider asks for:
//! scaled to cover the frame and cropped at the centre (the `/v1/videos`
//! shape refuses an `input_reference` whose size differs from `size`).

use std::io::Cursor;

use bytes::Bytes;
use image::imageops::FilterType;

use super::Reference;
use crate::model::MediaType;
use crate::{Error, Result};

/// `reference` at exactly `width` × `height`: unchanged when it already is,
/// otherwise scaled to cover and centre-cropped, as a PNG.
pub(crate) fn cover(reference: &Reference, width: u32, height: u32) -> Result<Reference> {
    let bad = |e: image::ImageError| {
        Error::invalid(
            "references",
            format!("'{}' cannot be read as an image: {e}", reference.name),
        )
    };
    let img = image::load_from_memory(&reference.bytes).map_err(bad)?;
    if (img.width(), img.height()) == (width, height) {
        return Ok(reference.clone());
    }
    let fitted = img.resize_to_fill(width, height, FilterType::Triangle);
    let mut out = Cursor::new(Vec::new());
    fitted.write_to(&mut out, image::ImageFormat::Png).map_err(bad)?;
    Ok(Reference {
        name: reference.name.clone(),
        media_type: MediaType::Png,
        bytes: Bytes::from(out.into_inner()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Reference {
        let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 255) as u8, 0, 0]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        Reference {
            name: "sc1-img".into(),
            media_type: MediaType::Png,
            bytes: Bytes::from(out.into_inner()),
        }
    }

    #[test]
    fn a_portrait_is_cropped_to_the_exact_size_and_a_fitting_one_is_kept() {
        let fitted = cover(&png(1024, 1536), 720, 1280).unwrap();
        let img = image::load_from_memory(&fitted.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (720, 1280));
        let same = png(72, 128);
        assert_eq!(cover(&same, 72, 128).unwrap(), same);
        let broken = Reference {
            bytes: Bytes::from_static(b"not an image"),
            ..same
        };
        assert!(cover(&broken, 72, 128).unwrap_err().to_string().contains("sc1-img"));
    }
}

//! A ZIP archive written as it streams out: stored entries (media files
//! are compressed already) with data descriptors, so nothing is held whole
//! and nothing needs seeking. Archives up to 4 GiB (no ZIP64).

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::storage::ByteStream;
use crate::{Error, Result};

/// One file of the archive: its name and, when asked, its bytes.
pub struct ZipEntry {
    /// The path inside the archive.
    pub name: String,
    /// Opens the file's bytes.
    pub open: futures::future::BoxFuture<'static, Result<ByteStream>>,
}

/// General purpose flags: sizes follow in a data descriptor; UTF-8 names.
const FLAGS: u16 = 0x0008 | 0x0800;
/// 1980-01-01, the first day ZIP can say.
const DOS_DATE: u16 = 0x21;

fn too_large() -> Error {
    Error::invalid(
        "zip",
        "the archive would be larger than 4 GiB, which a ZIP without ZIP64 cannot hold",
    )
}

fn u32_of(n: u64) -> Result<u32> {
    u32::try_from(n).map_err(|_| too_large())
}

/// The archive of `entries`, in order, as a stream. Reading stops at the
/// first failure (the stream then ends with that error).
pub fn zip_stream(entries: Vec<ZipEntry>) -> Result<ByteStream> {
    if entries.len() > usize::from(u16::MAX) {
        return Err(Error::invalid("zip", "more than 65,535 files"));
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes>>(4);
    tokio::spawn(async move {
        if let Err(e) = write(entries, &tx).await {
            let _ = tx.send(Err(e)).await;
        }
    });
    Ok(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed())
}

async fn write(entries: Vec<ZipEntry>, tx: &mpsc::Sender<Result<Bytes>>) -> Result<()> {
    let send = |b: Bytes| async move {
        tx.send(Ok(b))
            .await
            .map_err(|_| Error::Cancelled("the reader of the archive went away".into()))
    };
    let mut offset = 0u64;
    let mut central = BytesMut::new();
    let mut count = 0usize;
    for entry in entries {
        // Opened before its header goes out: a file gone from storage since
        // the drama named it is left out, not a cut-off archive.
        let mut body = match entry.open.await {
            Ok(body) => body,
            Err(Error::NotFound { id, .. }) => {
                tracing::warn!(entry = %entry.name, missing = %id, "left out of the archive: not in storage");
                continue;
            }
            Err(e) => return Err(e),
        };
        count += 1;
        let name = entry.name.as_bytes();
        let name_len = u16::try_from(name.len()).map_err(|_| Error::invalid("zip", "a file name is too long"))?;
        let mut local = BytesMut::with_capacity(30 + name.len());
        local.put_u32_le(0x0403_4b50);
        local.put_u16_le(20);
        local.put_u16_le(FLAGS);
        local.put_u16_le(0); // stored
        local.put_u16_le(0);
        local.put_u16_le(DOS_DATE);
        local.put_u32_le(0); // crc, sizes: in the descriptor
        local.put_u32_le(0);
        local.put_u32_le(0);
        local.put_u16_le(name_len);
        local.put_u16_le(0);
        local.put_slice(name);
        let header_at = offset;
        offset += local.len() as u64;
        send(local.freeze()).await?;

        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            crc.update(&chunk);
            size += chunk.len() as u64;
            offset += chunk.len() as u64;
            send(chunk).await?;
        }
        let crc = crc.finalize();
        let size32 = u32_of(size)?;
        let mut descriptor = BytesMut::with_capacity(16);
        descriptor.put_u32_le(0x0807_4b50);
        descriptor.put_u32_le(crc);
        descriptor.put_u32_le(size32);
        descriptor.put_u32_le(size32);
        offset += 16;
        send(descriptor.freeze()).await?;

        central.put_u32_le(0x0201_4b50);
        central.put_u16_le(20);
        central.put_u16_le(20);
        central.put_u16_le(FLAGS);
        central.put_u16_le(0);
        central.put_u16_le(0);
        central.put_u16_le(DOS_DATE);
        central.put_u32_le(crc);
        central.put_u32_le(size32);
        central.put_u32_le(size32);
        central.put_u16_le(name_len);
        central.put_u16_le(0); // extra
        central.put_u16_le(0); // comment
        central.put_u16_le(0); // disk
        central.put_u16_le(0); // internal attributes
        central.put_u32_le(0); // external attributes
        central.put_u32_le(u32_of(header_at)?);
        central.put_slice(name);
    }
    let entries16 = u16::try_from(count).map_err(|_| Error::invalid("zip", "more than 65,535 files"))?;
    let mut end = BytesMut::with_capacity(22);
    end.put_u32_le(0x0605_4b50);
    end.put_u16_le(0);
    end.put_u16_le(0);
    end.put_u16_le(entries16);
    end.put_u16_le(entries16);
    end.put_u32_le(u32_of(central.len() as u64)?);
    end.put_u32_le(u32_of(offset)?);
    end.put_u16_le(0);
    send(central.freeze()).await?;
    send(end.freeze()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, bytes: &'static [u8]) -> ZipEntry {
        ZipEntry {
            name: name.into(),
            open: Box::pin(async move { Ok(futures::stream::iter([Ok(Bytes::from_static(bytes))]).boxed()) }),
        }
    }

    fn gone(name: &str) -> ZipEntry {
        ZipEntry {
            name: name.into(),
            open: Box::pin(async move {
                Err(Error::NotFound {
                    kind: crate::EntityKind::Media,
                    id: "media/x".into(),
                })
            }),
        }
    }

    #[tokio::test]
    async fn python_reads_the_archive_and_its_crcs_hold_and_a_missing_file_is_left_out() {
        let entries = vec![
            entry("a.txt", b"hello"),
            gone("lost.png"),
            entry("dir/b.bin", &[0, 1, 2, 255]),
        ];
        let parts: Vec<Bytes> = zip_stream(entries).unwrap().map(|c| c.unwrap()).collect().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.zip");
        std::fs::write(&path, parts.concat()).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(','.join(z.namelist())); print(z.read('a.txt').decode())"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a.txt,dir/b.bin\nhello\n");
    }
}

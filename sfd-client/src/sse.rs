//! A minimal Server-Sent Events reader for the job events route.

use bytes::Bytes;
use futures::{Stream, StreamExt};

/// One SSE event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name (`message` when absent).
    pub event: String,
    /// The `data:` lines, joined by newlines.
    pub data: String,
}

/// Parses a byte stream into events.
///
/// Bytes are kept until a whole event (ending in a blank line) has arrived,
/// and only then decoded, so a character split across two chunks is never
/// mangled. `\r\n` line ends count as `\n`.
pub fn events<S, E>(bytes: S) -> impl Stream<Item = Result<SseEvent, E>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    futures::stream::unfold(
        (bytes, Vec::<u8>::new(), false),
        |(mut bytes, mut buf, mut done)| async move {
            loop {
                if let Some(end) = block_end(&buf) {
                    let block: Vec<u8> = buf.drain(..end).collect();
                    if let Some(ev) = parse_block(&String::from_utf8_lossy(&block)) {
                        return Some((Ok(ev), (bytes, buf, done)));
                    }
                    continue;
                }
                if done {
                    return None;
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        done = true;
                        return Some((Err(e), (bytes, buf, done)));
                    }
                    None => {
                        done = true;
                        buf.extend_from_slice(b"\n\n");
                    }
                }
            }
        },
    )
}

/// Where the first event in `buf` ends (after its blank line), if it is whole.
fn block_end(buf: &[u8]) -> Option<usize> {
    let mut newlines = 0;
    for (i, b) in buf.iter().enumerate() {
        match b {
            b'\n' => {
                newlines += 1;
                if newlines == 2 {
                    return Some(i + 1);
                }
            }
            b'\r' => {}
            _ => newlines = 0,
        }
    }
    None
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let mut event = String::from("message");
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    (!data.is_empty()).then(|| SseEvent {
        event,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn splits_events_across_chunks() {
        let chunks: Vec<Result<Bytes, ()>> = vec![
            Ok(Bytes::from("id: 1\nevent: status\nda")),
            Ok(Bytes::from("ta: {\"a\":1}\n\n: keepalive\n\nevent: end\ndata: {}\n\n")),
        ];
        let got: Vec<_> = events(futures::stream::iter(chunks)).collect().await;
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            Ok(SseEvent {
                event: "status".into(),
                data: "{\"a\":1}".into()
            })
        );
        assert_eq!(got[1].as_ref().map(|e| e.event.as_str()), Ok("end"));
    }

    #[tokio::test]
    async fn characters_split_across_chunks_survive() {
        let text = "event: status\r\ndata: {\"title\":\"Café 🐕 ドラマ\"}\r\n\r\n";
        // Every possible split point, including inside each multi-byte character.
        for cut in 1..text.len() {
            let (a, b) = text.as_bytes().split_at(cut);
            let chunks: Vec<Result<Bytes, ()>> = vec![Ok(Bytes::copy_from_slice(a)), Ok(Bytes::copy_from_slice(b))];
            let got: Vec<_> = events(futures::stream::iter(chunks)).collect().await;
            assert_eq!(
                got,
                [Ok(SseEvent {
                    event: "status".into(),
                    data: "{\"title\":\"Café 🐕 ドラマ\"}".into()
                })],
                "cut at {cut}"
            );
        }
    }
}

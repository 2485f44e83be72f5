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
pub fn events<S, E>(bytes: S) -> impl Stream<Item = Result<SseEvent, E>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    futures::stream::unfold(
        (bytes, String::new(), false),
        |(mut bytes, mut buf, mut done)| async move {
            loop {
                if let Some(end) = buf.find("\n\n") {
                    let block: String = buf.drain(..end + 2).collect();
                    if let Some(ev) = parse_block(&block) {
                        return Some((Ok(ev), (bytes, buf, done)));
                    }
                    continue;
                }
                if done {
                    return None;
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => buf.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n")),
                    Some(Err(e)) => {
                        done = true;
                        return Some((Err(e), (bytes, buf, done)));
                    }
                    None => {
                        done = true;
                        buf.push_str("\n\n");
                    }
                }
            }
        },
    )
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let mut event = String::from("message");
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
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
}

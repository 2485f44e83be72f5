# syntax=docker/dockerfile:1
# sfd-server: a Rust build stage, then a slim runtime with ffmpeg for media.
# Build: docker build -t sfd .   Run: docker run -p 8000:8000 -v sfd-data:/app/data sfd

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# Caches keep the registry and the target folder between builds; the binary
# is copied out of the cached target so the next stage can take it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p sfd-server \
 && install -m 0755 target/release/sfd-server /usr/local/bin/sfd-server

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app --uid 10001 sfd \
 && mkdir -p /app/data && chown sfd:sfd /app/data
COPY --from=build /usr/local/bin/sfd-server /usr/local/bin/sfd-server
USER sfd
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=8000 \
    SFD_DATA_DIR=/app/data \
    ENVIRONMENT=production \
    RUST_LOG=info
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health" || exit 1
CMD ["sfd-server"]

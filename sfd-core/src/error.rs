//! The one error type of `sfd-core`.

use std::fmt;

use crate::model::Problems;

/// A boxed error from a lower layer (object storage, I/O).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The kind of entity an error speaks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntityKind {
    /// A whole drama document.
    Drama,
    /// A character inside a drama.
    Character,
    /// An episode inside a drama.
    Episode,
    /// A scene inside an episode.
    Scene,
    /// An asset inside a drama, character, episode or scene.
    Asset,
    /// A job record.
    Job,
}

impl EntityKind {
    /// The lowercase name used in messages and HTTP error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Drama => "drama",
            EntityKind::Character => "character",
            EntityKind::Episode => "episode",
            EntityKind::Scene => "scene",
            EntityKind::Asset => "asset",
            EntityKind::Job => "job",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in `sfd-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The entity does not exist.
    #[error("{kind} '{id}' not found")]
    NotFound {
        /// What was looked for.
        kind: EntityKind,
        /// Its id.
        id: String,
    },
    /// An entity with this id already exists.
    #[error("{kind} '{id}' already exists")]
    AlreadyExists {
        /// What was created.
        kind: EntityKind,
        /// The id that is taken.
        id: String,
    },
    /// The caller's expected version is not the stored one.
    #[error("{kind} '{id}' has changed: expected version {expected}, found {}", actual.as_deref().unwrap_or("none"))]
    VersionMismatch {
        /// What was written.
        kind: EntityKind,
        /// Its id.
        id: String,
        /// The version the caller expected.
        expected: String,
        /// The version found in storage, when known.
        actual: Option<String>,
    },
    /// Concurrent writers kept winning; the edit was not applied.
    #[error("{kind} '{id}' is being edited concurrently; gave up after {attempts} attempts")]
    Conflict {
        /// What was written.
        kind: EntityKind,
        /// Its id.
        id: String,
        /// How many compare-and-swap attempts were made.
        attempts: u32,
    },
    /// The input breaks the document rules; every problem is listed.
    #[error("invalid input: {0}")]
    Invalid(Problems),
    /// A stored document exists but cannot be read.
    #[error("stored document '{key}' is unreadable: {reason}")]
    Corrupt {
        /// The storage key of the document.
        key: String,
        /// What the parser said.
        reason: String,
    },
    /// A listing cursor that this library did not issue.
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    /// The storage configuration is wrong (names the setting at fault).
    #[error("storage configuration: {0}")]
    Config(String),
    /// The storage backend failed or could not be reached.
    #[error("storage error on '{key}': {source}")]
    Storage {
        /// The key being accessed, or the prefix being listed.
        key: String,
        /// What the backend said.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// Builds [`Error::Invalid`] from a single problem.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(Problems::one(path, message))
    }

    /// True for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_entity() {
        let e = Error::NotFound {
            kind: EntityKind::Scene,
            id: "ep1-sc2".into(),
        };
        assert_eq!(e.to_string(), "scene 'ep1-sc2' not found");
        assert!(e.is_not_found());
        let e = Error::VersionMismatch {
            kind: EntityKind::Drama,
            id: "d".into(),
            expected: "\"1\"".into(),
            actual: None,
        };
        assert!(e.to_string().contains("found none"));
    }
}

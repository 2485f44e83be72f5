//! Example programs of sfd; see the `[[example]]` entries of this crate.

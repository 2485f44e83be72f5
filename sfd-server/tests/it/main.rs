//! The real server on 127.0.0.1:0, driven over real HTTP by the real
//! `sfd-client` (and raw reqwest for requests the client would never send).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod assemble;
mod assemble_copy;
mod assemble_timed;
mod bad_input;
mod binary;
mod candidates;
mod cas;
mod deploy;
mod events;
mod graphql;
mod group_commit;
mod handoff;
mod harness;
mod jobs;
mod legacy;
mod library;
mod media;
mod metrics;
mod mock_llm;
mod old_viewer;
mod openapi_pin;
mod paid_once;
mod preconditions;
mod provider_keys;
mod reference;
mod replica;
mod replicas;
mod routes;
mod screenplay_example;
mod slots;
mod storm;
mod studio;
mod summaries;
mod voice;

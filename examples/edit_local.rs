//! Imports a real drama into a local folder, edits one scene atomically,
//! and lists the stored dramas.
//!
//! ```text
//! cargo run -p sfd-examples --example edit_local -- ./data
//! ```

use sfd_core::{Drama, EditExt, Error, ListOptions, ScenePatch, StorageBuilder, StorageExt};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "./data".into());
    let storage = StorageBuilder::local(&dir).build()?;

    let fixture = include_bytes!("../fixtures/corgi_musk_v5.json");
    let drama = Drama::from_slice(fixture)?;
    match storage.create_drama(&drama).await {
        Ok(v) => println!("imported {} at version {v}", drama.id),
        Err(Error::AlreadyExists { .. }) => println!("{} is already stored", drama.id),
        Err(e) => return Err(e.into()),
    }

    let patch = ScenePatch {
        description: Some("Night. Corgi Musk stares at the star map, then at the door.".into()),
        ..Default::default()
    };
    let scene = storage.update_scene(&drama.id, "ep1", "ep1-sc1", patch, None).await?;
    println!("scene {} is now: {}", scene.value.id, scene.value.description);
    println!("drama version: {}", scene.version);

    let page = storage.list_dramas(&ListOptions::new(10)).await?;
    for d in &page.dramas {
        println!("- {}: {}", d.id, d.title);
    }
    Ok(())
}

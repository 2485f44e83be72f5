//! A PATCH storm: every scene of a drama edited once, all at the same
//! time, the edits spread over several servers in turn.

use sfd_client::{Client, Drama, Episode, Scene, ScenePatch};

/// A drama with `episodes` episodes of `scenes` scenes each.
pub fn drama(id: &str, episodes: usize, scenes: usize) -> Drama {
    let mut d = Drama::new(id, "t", "x", "p");
    for e in 1..=episodes {
        let mut ep = Episode::new(format!("ep{e}"), "t", "x");
        ep.scenes = (1..=scenes).map(|n| Scene::new(format!("ep{e}-sc{n}"), "x")).collect();
        d.episodes.push(ep);
    }
    d
}

/// PATCHes every scene of `d` at once, scene `i` through `servers[i % n]`;
/// returns the answers that were not 200.
pub async fn edit_every_scene(servers: &[&Client], d: &Drama) -> Vec<String> {
    let scenes: Vec<(&str, &str)> = d
        .episodes
        .iter()
        .flat_map(|e| e.scenes.iter().map(move |s| (e.id.as_str(), s.id.as_str())))
        .collect();
    let patches = scenes.iter().enumerate().map(|(i, (ep, sc))| {
        let patch = ScenePatch {
            description: Some(format!("edited {sc}")),
            ..Default::default()
        };
        let client = servers[i % servers.len()];
        async move { client.update_scene(&d.id, ep, sc, &patch, None).await }
    });
    futures::future::join_all(patches)
        .await
        .into_iter()
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect()
}

/// The scenes of `d` whose edit is missing.
pub fn unedited(d: &Drama) -> Vec<String> {
    d.episodes
        .iter()
        .flat_map(|e| &e.scenes)
        .filter(|s| s.description != format!("edited {}", s.id))
        .map(|s| s.id.clone())
        .collect()
}

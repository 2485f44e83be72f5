//! Every prompt sfd sends, in one place.
//!
//! Written for short-form vertical drama: a hook in the first seconds, a
//! cliffhanger per episode, 9:16 framing, scenes cut into a few shots, and
//! dialogue carried by short spoken lines.

/// The system prompt shared by every generation call.
pub const SYSTEM: &str = "You are the head writer of a short-form vertical drama studio (the 1-3 minute episodes \
of ReelShort, DramaBox and TikTok series). You write for a phone held upright: every shot is framed 9:16, \
close-ups and strong silhouettes read best, and each scene cuts between a few shots while its characters \
speak short lines. Every episode opens with a \
hook in its first three seconds and ends on a cliffhanger that makes the viewer swipe to the next one. Keep \
characters consistent across episodes: the same names, looks, voices and motives. Answer only with JSON that \
follows the given schema.";

/// `n` of `unit`, in good English: `1 episode`, `3 episodes`.
pub(crate) fn count(n: usize, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// `first to last` of a range of numbered items, or just `first` when they are one.
fn numbers(unit: &str, first: usize, last: usize) -> String {
    if first == last {
        format!("{unit} {first}")
    } else {
        format!("{unit}s {first} to {last}")
    }
}

/// Stage 1: the outline and character bible.
pub fn outline(premise: &str, episodes: Option<u32>) -> String {
    let count = match episodes {
        Some(n) => format!("Write exactly {}.", count(n as usize, "episode")),
        None => "Write 3 episodes.".to_string(),
    };
    format!(
        "Premise:\n{premise}\n\nCreate the outline of this short drama: a title, a one-paragraph logline as the \
description, the cast (2 to 6 characters; for each a name, a visual and personality description detailed \
enough to draw the same character in every shot, gender, whether they are a lead, and a voice description \
for casting), the look of the whole drama (one line: medium, palette, light and lens, kept in every shot), \
and the episode list, each with a title and a synopsis that ends on its cliffhanger. {count}"
    )
}

/// What every scene must give, for stage 2, its top-ups and rewrites.
fn scene_rules(durations: &[u32]) -> String {
    let durations: Vec<String> = durations.iter().map(u32::to_string).collect();
    format!(
        "For each scene give: its heading (interior, exterior or both; the location; the time of day); what \
happens (the action); its dialogue in order, each line with the id of the character who speaks it (null for a \
narrator), how it is said (a few words, or null) and the spoken words, short enough to say in a few seconds; \
and its 2 to 4 shots in order, cutting as the lines go: each with its framing, its camera move, the ids of the \
characters in it (at most 3, only ids from the character bible), an image prompt for its 9:16 keyframe that \
describes each character's look as in the bible, a video prompt for the shot that moves from that keyframe \
(action and sound), and its duration in seconds, one of {}.",
        durations.join(" or ")
    )
}

/// Stage 2: the scenes of one episode.
pub fn episode(outline_json: &str, number: usize, scenes: Option<u32>, durations: &[u32]) -> String {
    let count = match scenes {
        Some(n) => format!("exactly {}", count(n as usize, "scene")),
        None => "3 to 6 scenes".to_string(),
    };
    format!(
        "The drama so far (outline and character bible, with character ids):\n{outline_json}\n\n\
Write episode {number} as {count}. {} The first scene hooks within three seconds; the last scene ends on the \
episode's cliffhanger. Give the mood of the episode's music score in one line.",
        scene_rules(durations)
    )
}

/// Stage 1, topped up: the episodes an outline is missing.
pub fn more_episodes(premise: &str, outline_json: &str, have: usize, missing: usize) -> String {
    format!(
        "Premise:\n{premise}\n\nThe outline so far (title, logline, cast and its first {have} episodes):\n\
{outline_json}\n\nThe drama needs {} more. Write {}, continuing the story: each with a title and a synopsis \
that ends on its cliffhanger.",
        count(missing, "episode"),
        numbers("episode", have + 1, have + missing)
    )
}

/// Stage 2, topped up: the scenes an episode is missing.
pub fn more_scenes(
    outline_json: &str,
    number: usize,
    scenes_json: &str,
    have: usize,
    missing: usize,
    durations: &[u32],
) -> String {
    format!(
        "The drama so far (outline and character bible, with character ids):\n{outline_json}\n\n\
Episode {number} so far has {}:\n{scenes_json}\n\nWrite the {} that follow ({}). {} The last scene ends on \
the episode's cliffhanger.",
        count(have, "scene"),
        count(missing, "scene"),
        numbers("scene", have + 1, have + missing),
        scene_rules(durations)
    )
}

/// The follow-up when an answer broke the rules: every problem, and the
/// schema the answer must follow.
pub fn repair(problems: &[String], schema_json: &str) -> String {
    format!(
        "Your answer has these problems:\n- {}\nAnswer again with the whole corrected JSON, fixing every problem. \
The answer must be one JSON object that follows this JSON schema exactly: the same field names, in the same \
order, with the same types, and no other fields:\n{schema_json}",
        problems.join("\n- ")
    )
}

/// One call for the whole drama (the old server's way; kept as a baseline).
pub fn one_shot(premise: &str, episodes: u32, scenes: u32, durations: &[u32]) -> String {
    let durations: Vec<String> = durations.iter().map(u32::to_string).collect();
    format!(
        "Premise:\n{premise}\n\nWrite the whole short drama in one answer: title, logline, cast (name, look and \
personality, gender, lead or not, voice), and exactly {} of exactly {} each. For each scene: the action, the \
names of the characters on screen (at most 3), a 9:16 keyframe image prompt, a video prompt, and a duration of \
{} seconds.",
        count(episodes as usize, "episode"),
        count(scenes as usize, "scene"),
        durations.join(" or ")
    )
}

/// Improvement, step 1: decide what to change.
pub fn improve_plan(drama_json: &str, feedback: &str) -> String {
    format!(
        "Here is a short drama:\n{drama_json}\n\nFeedback from the producer:\n{feedback}\n\nDecide how to apply \
the feedback with the smallest change that fully answers it. Give a new title or description only if the \
feedback calls for it (null otherwise). List only the episodes that must be rewritten, each with precise \
instructions; episodes the feedback does not touch must not be listed. Summarise the plan in one paragraph."
    )
}

/// Improvement, step 2: rewrite one episode.
pub fn improve_episode(
    outline_json: &str,
    episode_json: &str,
    feedback: &str,
    instructions: &str,
    (min, max): (u32, u32),
    durations: &[u32],
) -> String {
    let scenes = if min == max {
        format!("exactly {}", count(max as usize, "scene"))
    } else {
        format!("{min} to {max} scenes")
    };
    format!(
        "The drama (outline and character bible, with character ids):\n{outline_json}\n\nThe current episode:\n\
{episode_json}\n\nProducer feedback:\n{feedback}\n\nRewrite this episode following these instructions:\n\
{instructions}\n\nKeep what works; give the full episode in {scenes}: title, synopsis, every scene and the mood \
of its music. {} Copy every shot and line that needs no change exactly as it is (the same prompts, characters, \
duration, framing and camera; the same words, speaker and delivery), so its rendered picture or voice is kept. \
Keep the hook in the first three seconds and the cliffhanger at the end.",
        scene_rules(durations)
    )
}

/// Critique of a whole drama.
pub fn critique(drama_json: &str) -> String {
    format!(
        "Here is a short vertical drama:\n{drama_json}\n\nCritique it as a demanding short-form drama editor. \
Score from 1 to 10: the hook of the first seconds, pacing, character consistency, cliffhangers, and visual \
clarity of the image and video prompts for 9:16. List strengths, weaknesses and concrete suggestions, then \
write the full critique as free text a writer can act on, episode by episode."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_carry_the_format_rules() {
        assert!(SYSTEM.contains("9:16") && SYSTEM.contains("hook") && SYSTEM.contains("cliffhanger"));
        assert!(outline("p", Some(5)).contains("exactly 5 episodes"));
        assert!(episode("{}", 2, Some(4), &[10, 15]).contains("exactly 4 scenes"));
        assert!(episode("{}", 2, None, &[10, 15]).contains("10 or 15"));
        assert!(repair(&["a".into(), "b".into()], "{}").contains("- a\n- b"));
        assert!(more_episodes("p", "{}", 3, 2).contains("Write episodes 4 to 5"));
        let more = more_scenes("{}", 2, "[]", 1, 2, &[10, 15]);
        assert!(more.contains("(scenes 2 to 3)") && more.contains("10 or 15"));
        assert!(
            more.contains("has 1 scene:") && more.contains("the 2 scenes that follow"),
            "{more}"
        );
    }

    #[test]
    fn counts_read_as_english() {
        assert!(outline("p", Some(1)).contains("Write exactly 1 episode."));
        assert!(episode("{}", 1, Some(1), &[10]).contains("as exactly 1 scene."));
        let one = more_episodes("p", "{}", 2, 1);
        assert!(one.contains("needs 1 episode more. Write episode 3,"), "{one}");
        assert!(one_shot("p", 1, 1, &[10]).contains("exactly 1 episode of exactly 1 scene each"));
    }
}

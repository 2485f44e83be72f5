//! Ids: the rules a client-chosen id must follow, and the ids sfd makes.
//!
//! Ids become storage keys, so only `[A-Za-z0-9_-]{1,128}` is accepted:
//! nothing that could form a path such as `../`.

/// The longest id accepted.
pub const MAX_ID_LEN: usize = 128;

/// Why an id is rejected, or `None` when it is valid.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("id must not be empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Some(format!(
            "id is {} characters long; at most {MAX_ID_LEN} are allowed",
            id.len()
        ));
    }
    if let Some(c) = id.chars().find(|c| !is_id_char(*c)) {
        return Some(format!(
            "id contains {c:?}; only A-Z, a-z, 0-9, '_' and '-' are allowed"
        ));
    }
    None
}

/// True when `id` follows `[A-Za-z0-9_-]{1,128}`.
pub fn is_valid_id(id: &str) -> bool {
    id_problem(id).is_none()
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A fresh drama id: `drama_` and 32 lowercase hex digits.
pub fn new_drama_id() -> String {
    format!("drama_{}", random_suffix())
}

/// A fresh job id: `job_` and 32 lowercase hex digits.
pub fn new_job_id() -> String {
    format!("job_{}", random_suffix())
}

/// Turns free text into an id fragment: lowercase ASCII words joined by `-`.
///
/// Returns `fallback` when nothing usable is left.
pub fn slugify(text: &str, fallback: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() { fallback.to_string() } else { out }
}

/// The first of `base`, `base-2`, `base-3`, … that `taken` does not contain.
pub fn unique_id(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_path_like_and_oversized_ids() {
        for bad in ["../x", "a/b", "", "é", "a b", "a%2Fb", ".."] {
            assert!(!is_valid_id(bad), "{bad:?} accepted");
        }
        assert!(!is_valid_id(&"a".repeat(129)));
        assert!(is_valid_id(&"a".repeat(128)));
        assert!(is_valid_id("ep1-sc2_img"));
    }

    #[test]
    fn generated_ids_follow_the_contract() {
        let d = new_drama_id();
        assert!(d.starts_with("drama_") && d.len() >= 18 && is_valid_id(&d));
        let suffix = &d["drama_".len()..];
        assert!(suffix.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert_ne!(new_job_id(), new_job_id());
    }

    #[test]
    fn slugs_and_uniqueness() {
        assert_eq!(slugify("Corgi Musk!", "x"), "corgi-musk");
        assert_eq!(slugify("Ça", "x"), "a");
        assert_eq!(slugify("¿?", "char"), "char");
        let taken = ["a", "a-2"];
        assert_eq!(unique_id("a", |c| taken.contains(&c)), "a-3");
        assert_eq!(unique_id("b", |c| taken.contains(&c)), "b");
    }
}

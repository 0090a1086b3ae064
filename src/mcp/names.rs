//! Tool names as Bedrock accepts them: `SERVER__TOOL`, mapped to
//! `[a-zA-Z0-9_-]{1,64}` (each other character becomes `_`; a name too long
//! keeps its first 55 characters and gains `_` and 8 hex digits of a stable
//! hash of the full name), and the map back to the server's own name.

/// The longest tool name Bedrock accepts.
pub const MAX_NAME: usize = 64;

/// The name the model is offered for `tool` of `server`.
pub fn offered_name(server: &str, tool: &str) -> String {
    let joined = format!("{server}__{tool}");
    let replaced: String =
        joined.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    if replaced.len() <= MAX_NAME && replaced == joined {
        return replaced;
    }
    if replaced.len() <= MAX_NAME {
        // Replaced characters could make two names equal; a hash keeps them apart when it fits.
        let suffix = format!("_{:08x}", fnv1a(&joined));
        if replaced.len() + suffix.len() <= MAX_NAME {
            return format!("{replaced}{suffix}");
        }
    }
    let suffix = format!("_{:08x}", fnv1a(&joined));
    let keep = MAX_NAME - suffix.len();
    format!("{}{suffix}", &replaced[..keep])
}

/// FNV-1a, 32 bits: stable across builds and platforms (unlike std's hasher).
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_NAME
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    #[test]
    fn plain_names_join_unchanged() {
        assert_eq!(offered_name("files", "read_file"), "files__read_file");
    }

    #[test]
    fn bad_characters_are_replaced_with_a_hash_suffix() {
        let a = offered_name("my server", "get.weather");
        let b = offered_name("my_server", "get_weather");
        assert!(a.starts_with("my_server__get_weather_"), "{a}");
        assert_eq!(b, "my_server__get_weather");
        assert_ne!(a, b);
        assert!(valid(&a));
        assert_eq!(a, offered_name("my server", "get.weather"), "stable");
    }

    #[test]
    fn long_names_are_shortened_stably_and_stay_distinct() {
        let long = "x".repeat(80);
        let a = offered_name("srv", &format!("{long}a"));
        let b = offered_name("srv", &format!("{long}b"));
        assert_eq!(a.len(), MAX_NAME);
        assert!(valid(&a) && valid(&b));
        assert_ne!(a, b);
        assert_eq!(a, offered_name("srv", &format!("{long}a")));
        let unicode = offered_name("é", &"ü".repeat(70));
        assert!(valid(&unicode), "{unicode}");
    }
}

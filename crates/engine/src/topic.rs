//! Topic names and topic filters: validation and matching, as MQTT 3.1.1 and 5.0 define them
//! (section 4.7 of both). Names are what a PUBLISH carries; filters are what a SUBSCRIBE asks for.

use std::fmt;

/// The longest topic a packet can carry: its length is a 16-bit number of UTF-8 bytes.
pub const MAX_TOPIC_BYTES: usize = 65_535;

/// Why a string is not a valid topic name or filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicError {
    Empty,
    TooLong(usize),
    NullCharacter,
    WildcardInName,
    MisplacedMultiLevelWildcard,
    MisplacedSingleLevelWildcard,
    InvalidSharedSubscription,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the topic is empty"),
            Self::TooLong(bytes) => write!(
                f,
                "the topic is {bytes} bytes long; MQTT allows at most {MAX_TOPIC_BYTES}"
            ),
            Self::NullCharacter => write!(f, "the topic contains a null character"),
            Self::WildcardInName => write!(
                f,
                "a topic to publish to cannot contain the wildcards '+' or '#'"
            ),
            Self::MisplacedMultiLevelWildcard => write!(
                f,
                "'#' must be the last level of a filter, alone in its level (as in 'a/#')"
            ),
            Self::MisplacedSingleLevelWildcard => write!(
                f,
                "'+' must fill a whole level of a filter (as in 'a/+/c')"
            ),
            Self::InvalidSharedSubscription => write!(
                f,
                "a shared subscription is '$share/<group>/<filter>', with a group name free of '+', '#' and '/'"
            ),
        }
    }
}

impl std::error::Error for TopicError {}

/// A topic a message can be published to: no wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicName(String);

impl TopicName {
    pub fn new(name: impl Into<String>) -> Result<Self, TopicError> {
        let name = name.into();
        check_common(&name)?;
        if name.contains(['+', '#']) {
            return Err(TopicError::WildcardInName);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A subscription filter: topic levels, `+` for any one level, `#` for any remaining levels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicFilter(String);

impl TopicFilter {
    pub fn new(filter: impl Into<String>) -> Result<Self, TopicError> {
        let filter = filter.into();
        check_common(&filter)?;
        if let Some(rest) = filter.strip_prefix("$share/") {
            let (group, inner) = rest
                .split_once('/')
                .ok_or(TopicError::InvalidSharedSubscription)?;
            if group.is_empty() || group.contains(['+', '#']) || inner.is_empty() {
                return Err(TopicError::InvalidSharedSubscription);
            }
            check_filter_levels(inner)?;
        } else {
            check_filter_levels(&filter)?;
        }
        Ok(Self(filter))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a message published to `topic` is delivered to this subscription.
    ///
    /// Wildcards at the first level do not match topics that start with `$` (such as
    /// `$SYS/…`); a filter that names the `$` level itself does. A shared subscription
    /// (`$share/group/filter`) matches what its inner filter matches.
    pub fn matches(&self, topic: &str) -> bool {
        let filter = match self.0.strip_prefix("$share/") {
            Some(rest) => rest.split_once('/').map_or("", |(_, inner)| inner),
            None => &self.0,
        };
        if topic.starts_with('$') && filter.starts_with(['+', '#']) {
            return false;
        }
        let mut topic_levels = topic.split('/');
        for filter_level in filter.split('/') {
            if filter_level == "#" {
                return true;
            }
            match topic_levels.next() {
                Some(level) if filter_level == "+" || filter_level == level => {}
                _ => return false,
            }
        }
        topic_levels.next().is_none()
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Rules names and filters share: not empty, not too long, no U+0000.
fn check_common(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err(TopicError::TooLong(topic.len()));
    }
    if topic.contains('\0') {
        return Err(TopicError::NullCharacter);
    }
    Ok(())
}

fn check_filter_levels(filter: &str) -> Result<(), TopicError> {
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        if level.contains('#') && (level != "#" || levels.peek().is_some()) {
            return Err(TopicError::MisplacedMultiLevelWildcard);
        }
        if level.contains('+') && level != "+" {
            return Err(TopicError::MisplacedSingleLevelWildcard);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matches(filter: &str, topic: &str) -> bool {
        TopicFilter::new(filter).expect(filter).matches(topic)
    }

    #[test]
    fn names_reject_wildcards_empty_and_null() {
        assert!(TopicName::new("python/mqtt").is_ok());
        assert!(TopicName::new("/").is_ok());
        assert_eq!(TopicName::new("a/+"), Err(TopicError::WildcardInName));
        assert_eq!(TopicName::new("a/#"), Err(TopicError::WildcardInName));
        assert_eq!(TopicName::new(""), Err(TopicError::Empty));
        assert_eq!(TopicName::new("a\0b"), Err(TopicError::NullCharacter));
        let long = "x".repeat(MAX_TOPIC_BYTES + 1);
        assert_eq!(
            TopicName::new(long),
            Err(TopicError::TooLong(MAX_TOPIC_BYTES + 1))
        );
        // Length counts UTF-8 bytes, not characters.
        let wide = "é".repeat(MAX_TOPIC_BYTES / 2 + 1);
        assert!(matches!(TopicName::new(wide), Err(TopicError::TooLong(_))));
    }

    #[test]
    fn filters_place_wildcards_by_whole_levels() {
        for good in [
            "#",
            "+",
            "a/#",
            "+/+",
            "a/+/c",
            "/+",
            "$SYS/#",
            "a//b",
            "$share/g/a/#",
        ] {
            assert!(TopicFilter::new(good).is_ok(), "{good}");
        }
        for (bad, error) in [
            ("a/#/c", TopicError::MisplacedMultiLevelWildcard),
            ("a#", TopicError::MisplacedMultiLevelWildcard),
            ("a/b#", TopicError::MisplacedMultiLevelWildcard),
            ("a+", TopicError::MisplacedSingleLevelWildcard),
            ("a/+b/c", TopicError::MisplacedSingleLevelWildcard),
            ("$share/g", TopicError::InvalidSharedSubscription),
            ("$share//a", TopicError::InvalidSharedSubscription),
            ("$share/g+/a", TopicError::InvalidSharedSubscription),
            ("$share/g/a/#/b", TopicError::MisplacedMultiLevelWildcard),
            ("", TopicError::Empty),
        ] {
            assert_eq!(TopicFilter::new(bad), Err(error), "{bad}");
        }
    }

    #[test]
    fn matching_follows_the_spec_examples() {
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking"
        ));
        assert!(matches("sport/#", "sport"));
        assert!(matches("#", "sport/tennis"));
        assert!(matches("sport/tennis/+", "sport/tennis/player1"));
        assert!(!matches("sport/tennis/+", "sport/tennis/player1/ranking"));
        assert!(!matches("sport/+", "sport"));
        assert!(matches("sport/+", "sport/"));
        assert!(matches("+/+", "/finance"));
        assert!(matches("/+", "/finance"));
        assert!(!matches("+", "/finance"));
        assert!(matches("python/mqtt", "python/mqtt"));
        assert!(!matches("python/mqtt", "python/mqtt/x"));
        assert!(!matches("python/mqtt", "Python/mqtt"));
    }

    #[test]
    fn wildcards_at_the_first_level_skip_dollar_topics() {
        assert!(!matches("#", "$SYS/broker/uptime"));
        assert!(!matches("+/broker/uptime", "$SYS/broker/uptime"));
        assert!(matches("$SYS/#", "$SYS/broker/uptime"));
        assert!(matches("$SYS/+/uptime", "$SYS/broker/uptime"));
        assert!(matches("a/#", "a/$b"));
    }

    #[test]
    fn shared_subscriptions_match_their_inner_filter() {
        assert!(matches("$share/group/sensors/+", "sensors/t1"));
        assert!(!matches("$share/group/sensors/+", "group/sensors/t1"));
    }

    /// A plain reference: the filter's levels against the topic's, wildcard by wildcard.
    fn reference_matches(filter: &[&str], topic: &[&str]) -> bool {
        match (filter.first(), topic.first()) {
            (Some(&"#"), _) => true,
            (Some(&"+"), Some(_)) => reference_matches(&filter[1..], &topic[1..]),
            (Some(f), Some(t)) => f == t && reference_matches(&filter[1..], &topic[1..]),
            (None, None) => true,
            _ => false,
        }
    }

    fn level() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "", "$x", "$SYS"]).prop_map(String::from)
    }

    proptest! {
        #[test]
        fn matching_agrees_with_the_reference_model(
            topic in prop::collection::vec(level(), 1..5),
            filter in prop::collection::vec(
                prop::sample::select(vec!["a", "b", "", "$x", "$SYS", "+"]).prop_map(String::from),
                0..5,
            ),
            ends_with_hash in any::<bool>(),
        ) {
            let mut filter = filter;
            if ends_with_hash || filter.is_empty() {
                filter.push("#".to_string());
            }
            let filter_text = filter.join("/");
            prop_assume!(!filter_text.is_empty());
            let topic_text = topic.join("/");
            let filter_levels: Vec<&str> = filter.iter().map(String::as_str).collect();
            let topic_levels: Vec<&str> = topic.iter().map(String::as_str).collect();
            let dollar_rule = topic_text.starts_with('$') && (filter[0] == "+" || filter[0] == "#");
            let expected = !dollar_rule && reference_matches(&filter_levels, &topic_levels);
            let parsed = TopicFilter::new(filter_text.clone());
            prop_assert!(parsed.is_ok(), "{}", filter_text);
            prop_assert_eq!(parsed.unwrap().matches(&topic_text), expected, "{} vs {}", filter_text, topic_text);
        }

        #[test]
        fn every_name_without_wildcards_matches_itself(name in "[a-z/$ é]{1,20}") {
            let topic = TopicName::new(name.clone()).unwrap();
            prop_assert!(TopicFilter::new(name.clone()).unwrap().matches(topic.as_str()));
        }
    }
}

//! Articles as both sides see them, and the rules for what a writer may submit. The editor runs `validate` for instant feedback; the service runs it again.

use serde::{Deserialize, Serialize};

use crate::error::excerpt;
use crate::error::{AppResult, FieldErrors};
use crate::model::profile::Profile;
use crate::model::user::UserId;
use crate::model::{NUL_MESSAGE, check_text, has_nul};

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 500;
pub const BODY_MAX_BYTES: usize = 64 * 1024;
pub const TAGS_MAX: usize = 10;
/// Tag entries a request may send before they are normalised (repeats and blanks included):
/// room for a form's repeats, not for a list of 40,000 copies of one tag.
pub const TAG_ENTRIES_MAX: usize = 100;
pub const TAG_MAX: usize = 32;
/// How deeply quotes, lists and HTML elements of a body may nest: deeper bodies cost the
/// HTML sanitiser time that grows with the square of the depth (13 s for 65,000 `>`).
pub const BODY_MAX_DEPTH: usize = 100;

/// HTML that came out of the server's Markdown sanitiser: the only thing the UI places with
/// `inner_html`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// Only the sanitiser (`crate::markdown`) and the database's copy of its output call this.
    #[cfg(feature = "ssr")]
    pub fn from_sanitized(html: String) -> Self {
        Self(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An article in a list: everything but the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleSummary {
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Sorted.
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub favorited: bool,
    pub favorites_count: i64,
    pub author: Profile,
}

/// An article with its body, as Markdown and as safe HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub summary: ArticleSummary,
    pub body: String,
    pub body_html: SafeHtml,
}

/// The editor's fields, for a new article or a change to one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleDraft {
    pub title: String,
    pub description: String,
    pub body: String,
    pub tags: Vec<String>,
}

/// Which list of articles a page shows. On the wire, two plain values (`ListParts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ListParts", into = "ListParts")]
pub enum ArticleList {
    /// Every article: the Global Feed.
    Global,
    /// Articles by authors the viewer follows: Your Feed.
    Following,
    Tag(String),
    Author(String),
    FavoritedBy(String),
}

/// How a list travels, in a form or a server function's arguments: two plain values, `kind`
/// (`global`, `following`, `tag`, `author` or `favorited`) and `name`, the tag or username it
/// needs.
#[derive(Serialize, Deserialize)]
struct ListParts {
    kind: String,
    #[serde(default)]
    name: String,
}

impl From<ArticleList> for ListParts {
    fn from(list: ArticleList) -> Self {
        let (kind, name) = match list {
            ArticleList::Global => ("global", String::new()),
            ArticleList::Following => ("following", String::new()),
            ArticleList::Tag(t) => ("tag", t),
            ArticleList::Author(u) => ("author", u),
            ArticleList::FavoritedBy(u) => ("favorited", u),
        };
        Self {
            kind: kind.to_owned(),
            name,
        }
    }
}

impl TryFrom<ListParts> for ArticleList {
    type Error = String;

    fn try_from(ListParts { kind, name }: ListParts) -> Result<Self, String> {
        Ok(match kind.as_str() {
            "global" => Self::Global,
            "following" => Self::Following,
            "tag" => Self::Tag(name),
            "author" => Self::Author(name),
            "favorited" => Self::FavoritedBy(name),
            _ => return Err(format!("unknown list `{}`", excerpt(&kind, 40))),
        })
    }
}

/// Which articles a list shows: every condition that is set must hold (none set: all articles).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFilter {
    /// Tagged with this (normalised) tag.
    pub tag: Option<String>,
    /// Written by this user (any case).
    pub author: Option<String>,
    /// A favorite of this user (any case).
    pub favorited_by: Option<String>,
    /// Written by an author this user follows.
    pub feed_of: Option<UserId>,
}

impl ArticleFilter {
    pub fn all() -> Self {
        Self::default()
    }

    pub fn tag(tag: impl Into<String>) -> Self {
        Self {
            tag: Some(tag.into()),
            ..Self::default()
        }
    }

    pub fn author(username: impl Into<String>) -> Self {
        Self {
            author: Some(username.into()),
            ..Self::default()
        }
    }

    pub fn favorited_by(username: impl Into<String>) -> Self {
        Self {
            favorited_by: Some(username.into()),
            ..Self::default()
        }
    }

    pub fn feed_of(user_id: UserId) -> Self {
        Self {
            feed_of: Some(user_id),
            ..Self::default()
        }
    }
}

/// The tags of the editor's form: the chips (`tags`, comma-separated) plus whatever is still
/// typed in the tag box (`tag_input`, also comma-separated), which is all a browser without
/// JavaScript sends.
pub fn tags_from_form(tags: &str, tag_input: &str) -> Vec<String> {
    normalize_tags(tag_entries(tags, tag_input))
}

/// The tag entries of the editor's form as sent, not yet normalised (`ArticleDraft::checked`
/// counts them, then normalises them).
pub fn tag_entries(tags: &str, tag_input: &str) -> Vec<String> {
    tags.split(',')
        .chain(tag_input.split(','))
        .map(str::to_owned)
        .collect()
}

/// A change to an article: `None` keeps the current value (the REST API sends only what
/// changes; the editor sends every field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub body: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl ArticleDraft {
    /// Trims the text fields and normalises the tags.
    pub fn normalized(self) -> Self {
        Self {
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            body: self.body,
            tags: normalize_tags(self.tags),
        }
    }

    /// The draft as stored, or every rule it breaks: at most `TAG_ENTRIES_MAX` tag entries as
    /// sent, then `normalized` and `validate`. What the service calls, for the REST API and the
    /// editor alike.
    pub fn checked(self) -> AppResult<Self> {
        let entries = self.tags.iter().filter(|t| !t.trim().is_empty()).count();
        let draft = self.normalized();
        let mut errors = draft.errors();
        if entries > TAG_ENTRIES_MAX && errors.get("tags").is_empty() {
            errors.add("tags", format!("are too many (maximum is {TAGS_MAX})"));
        }
        errors.into_result()?;
        Ok(draft)
    }

    pub fn validate(&self) -> AppResult<()> {
        self.errors().into_result()
    }

    fn errors(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        check_text(&mut errors, "title", &self.title, TITLE_MAX);
        check_text(
            &mut errors,
            "description",
            &self.description,
            DESCRIPTION_MAX,
        );
        if self.body.trim().is_empty() {
            errors.add("body", "can't be blank");
        } else if has_nul(&self.body) {
            errors.add("body", NUL_MESSAGE);
        } else if self.body.len() > BODY_MAX_BYTES {
            errors.add(
                "body",
                format!("is too long (maximum is {} KB)", BODY_MAX_BYTES / 1024),
            );
        }
        if self.tags.len() > TAGS_MAX {
            errors.add("tags", format!("are too many (maximum is {TAGS_MAX})"));
        }
        if let Some(tag) = self.tags.iter().find(|t| t.chars().count() > TAG_MAX) {
            errors.add(
                "tags",
                format!(
                    "'{}' is too long (maximum is {TAG_MAX} characters)",
                    excerpt(tag, TAG_MAX + 8)
                ),
            );
        }
        if self.tags.iter().any(|t| has_nul(t)) {
            errors.add("tags", NUL_MESSAGE);
        }
        errors
    }
}

/// One tag as stored (and as looked up): trimmed, inner spaces collapsed, lower-cased.
pub fn normalize_tag(tag: &str) -> String {
    tag.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Tags as stored: trimmed, inner spaces collapsed, lower-cased, without empties or
/// duplicates, sorted.
pub fn normalize_tags(tags: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut tags: Vec<String> = tags
        .into_iter()
        .map(|t| normalize_tag(&t))
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    fn draft(title: &str, description: &str, body: &str, tags: &[&str]) -> ArticleDraft {
        ArticleDraft {
            title: title.into(),
            description: description.into(),
            body: body.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
        .normalized()
    }

    fn fields(result: AppResult<()>) -> FieldErrors {
        match result {
            Err(AppError::Validation(f)) => f,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn tags_are_trimmed_lowercased_deduplicated_and_sorted() {
        let tags = ["  Rust ", "web  dev", "rust", "", "  ", "Web Dev", "async"].map(String::from);
        assert_eq!(normalize_tags(tags), vec!["async", "rust", "web dev"]);
    }

    #[test]
    fn form_tags_come_from_chips_and_the_typed_box() {
        assert_eq!(
            tags_from_form("rust,web dev", " Async, rust ,"),
            vec!["async", "rust", "web dev"]
        );
        assert!(tags_from_form("", "").is_empty());
    }

    #[test]
    fn lists_survive_the_round_trip_through_form_values() {
        for list in [
            ArticleList::Global,
            ArticleList::Following,
            ArticleList::Tag("web dev".into()),
            ArticleList::Author("alice".into()),
            ArticleList::FavoritedBy("bob".into()),
        ] {
            let parts = serde_json::to_value(&list).unwrap();
            assert!(parts["kind"].is_string() && parts["name"].is_string());
            assert_eq!(
                serde_json::from_value::<ArticleList>(parts).ok(),
                Some(list)
            );
        }
        let unknown = serde_json::json!({"kind": "everything", "name": ""});
        assert!(serde_json::from_value::<ArticleList>(unknown).is_err());
    }

    #[test]
    fn a_complete_draft_passes() {
        assert_eq!(
            draft(" Hello ", "A greeting", "# Hi", &["intro"]).validate(),
            Ok(())
        );
    }

    #[test]
    fn blank_fields_are_each_named() {
        let f = fields(draft(" ", "", "  \n", &[]).validate());
        assert_eq!(f.get("title"), ["can't be blank"]);
        assert_eq!(f.get("description"), ["can't be blank"]);
        assert_eq!(f.get("body"), ["can't be blank"]);
    }

    #[test]
    fn limits_are_enforced_with_messages() {
        let f = fields(
            draft(
                &"t".repeat(201),
                &"d".repeat(501),
                &"b".repeat(64 * 1024 + 1),
                &[],
            )
            .validate(),
        );
        assert_eq!(f.get("title"), ["is too long (maximum is 200 characters)"]);
        assert_eq!(
            f.get("description"),
            ["is too long (maximum is 500 characters)"]
        );
        assert_eq!(f.get("body"), ["is too long (maximum is 64 KB)"]);
        assert_eq!(draft(&"é".repeat(200), "d", "b", &[]).validate(), Ok(()));

        let many: Vec<String> = (0..11).map(|i| format!("tag{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            fields(draft("t", "d", "b", &many).validate()).get("tags"),
            ["are too many (maximum is 10)"]
        );
        let long = "x".repeat(33);
        assert_eq!(
            fields(draft("t", "d", "b", &[&long]).validate()).get("tags"),
            [format!("'{long}' is too long (maximum is 32 characters)")]
        );
    }

    #[test]
    fn nul_is_refused_everywhere() {
        let f = fields(draft("a\0b", "d\0", "b\0", &["t\0"]).validate());
        assert_eq!(f.get("title"), ["must not contain the NUL character"]);
        assert_eq!(f.get("description"), ["must not contain the NUL character"]);
        assert_eq!(f.get("body"), ["must not contain the NUL character"]);
        assert_eq!(f.get("tags"), ["must not contain the NUL character"]);
    }

    #[test]
    fn a_flood_of_tag_entries_is_refused_before_it_is_normalised() {
        let copies = |n: usize| ArticleDraft {
            title: "t".into(),
            description: "d".into(),
            body: "b".into(),
            tags: vec!["Rust".to_owned(); n],
        };
        assert_eq!(copies(TAG_ENTRIES_MAX).checked().unwrap().tags, ["rust"]);
        assert_eq!(
            fields(copies(40_000).checked().map(|_| ())).get("tags"),
            ["are too many (maximum is 10)"]
        );
        // Blank entries (a form's trailing commas) are not counted.
        let mut blanks = copies(1);
        blanks.tags.extend(vec![" ".to_owned(); 1000]);
        assert!(blanks.checked().is_ok());
        assert_eq!(tag_entries("a,b", "c,").len(), 4);
    }
}

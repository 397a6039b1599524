//! The contract's JSON shapes: what the API sends (built from the model) and what it reads.
//! Field names follow the contract (`tagList`, `createdAt`, `favoritesCount`).

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{AppError, AppResult};
use crate::model::article::{Article, ArticleDraft, ArticlePatch, ArticleSummary};
use crate::model::comment::Comment;
use crate::model::profile::Profile;
use crate::model::search::SearchHit;
use crate::model::user::Account;
use crate::model::user::SettingsPatch;

/// `{"user": {...}}`: the signed-in user with their token.
#[derive(Debug, Serialize)]
pub struct UserEnvelope {
    pub user: UserJson,
}

#[derive(Debug, Serialize)]
pub struct UserJson {
    pub email: String,
    pub token: String,
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
}

impl UserEnvelope {
    pub fn new(user: Account, token: String) -> Self {
        Self {
            user: UserJson {
                email: user.email,
                token,
                username: user.username,
                bio: user.bio,
                image: user.image,
            },
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProfileEnvelope {
    pub profile: Profile,
}

/// An article; `body` only when it is one article, never in lists.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleJson {
    pub slug: String,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub tag_list: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub favorited: bool,
    pub favorites_count: i64,
    pub author: Profile,
}

impl From<ArticleSummary> for ArticleJson {
    fn from(a: ArticleSummary) -> Self {
        Self {
            slug: a.slug,
            title: a.title,
            description: a.description,
            body: None,
            tag_list: a.tags,
            created_at: a.created_at,
            updated_at: a.updated_at,
            favorited: a.favorited,
            favorites_count: a.favorites_count,
            author: a.author,
        }
    }
}

impl From<Article> for ArticleJson {
    fn from(a: Article) -> Self {
        Self {
            body: Some(a.body),
            ..a.summary.into()
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ArticleEnvelope {
    pub article: ArticleJson,
}

impl From<Article> for ArticleEnvelope {
    fn from(a: Article) -> Self {
        Self { article: a.into() }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleListJson {
    pub articles: Vec<ArticleJson>,
    pub articles_count: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentJson {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub body: String,
    pub author: Profile,
}

impl From<Comment> for CommentJson {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            body: c.body,
            author: c.author,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CommentEnvelope {
    pub comment: CommentJson,
}

#[derive(Debug, Serialize)]
pub struct CommentsJson {
    pub comments: Vec<CommentJson>,
}

/// An article found by a search: the list shape plus the passage that matched.
#[derive(Debug, Serialize)]
pub struct SearchHitJson {
    #[serde(flatten)]
    pub article: ArticleJson,
    pub snippet: String,
    /// The matched words of `snippet`, in order.
    pub hits: Vec<String>,
}

impl From<SearchHit> for SearchHitJson {
    fn from(hit: SearchHit) -> Self {
        Self {
            article: hit.summary.into(),
            snippet: hit.snippet.iter().map(|p| p.text.as_str()).collect(),
            hits: hit
                .snippet
                .into_iter()
                .filter(|p| p.hit)
                .map(|p| p.text)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchJson {
    pub articles: Vec<SearchHitJson>,
    pub articles_count: i64,
    /// More articles match than `articles_count`: only that many of the newest were ranked.
    pub articles_count_is_capped: bool,
    pub authors: Vec<Profile>,
}

#[derive(Debug, Serialize)]
pub struct TagsJson {
    pub tags: Vec<String>,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or set (`Some(Some(v))`): the
/// contract gives absent and `null` different meanings on updates.
pub type Patch<T> = Option<Option<T>>;

fn patch<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Patch<T>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `{"user": {"username", "email", "password"}}`; `null` reads as blank.
#[derive(Debug, Deserialize)]
pub struct RegisterRequest {
    pub user: RegisterUser,
}

#[derive(Debug, Deserialize)]
pub struct RegisterUser {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    pub user: LoginUser,
}

#[derive(Debug, Deserialize)]
pub struct LoginUser {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateUserRequest {
    pub user: UpdateUser,
}

#[derive(Debug, Deserialize)]
pub struct UpdateUser {
    #[serde(default, deserialize_with = "patch")]
    pub email: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub username: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub password: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub image: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub bio: Patch<String>,
    /// Our extension: the account's password, needed to change the email or the password
    /// unless the token was issued in the last five minutes.
    #[serde(default, rename = "currentPassword")]
    pub current_password: Option<String>,
}

impl UpdateUser {
    /// The settings after this change to `current`: an absent field keeps its value, `null`
    /// clears it (so a `null` username or email is then refused as blank). A password that is
    /// `null` or `""` is refused here: on this contract it can only mean a mistake.
    pub fn into_patch(self, current: &Account) -> AppResult<SettingsPatch> {
        if matches!(&self.password, Some(None))
            || matches!(&self.password, Some(Some(p)) if p.is_empty())
        {
            return Err(AppError::validation("password", "can't be blank"));
        }
        let merged = |value: Patch<String>, now: &str| match value {
            None => now.to_owned(),
            Some(value) => value.unwrap_or_default(),
        };
        Ok(SettingsPatch {
            username: merged(self.username, &current.username),
            email: merged(self.email, &current.email),
            password: self.password.flatten().unwrap_or_default(),
            bio: merged(self.bio, current.bio.as_deref().unwrap_or_default()),
            image: merged(self.image, current.image.as_deref().unwrap_or_default()),
            current_password: self.current_password.unwrap_or_default(),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct ArticleRequest {
    pub article: ArticleFields,
}

/// The fields of a new article or of a change to one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleFields {
    #[serde(default, deserialize_with = "patch")]
    pub title: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub description: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub body: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub tag_list: Patch<Vec<String>>,
}

/// `tagList`: absent is `None`; `null` is refused, since only a list (maybe empty) says what the
/// tags should be.
fn tag_list(value: Patch<Vec<String>>) -> AppResult<Option<Vec<String>>> {
    match value {
        None => Ok(None),
        Some(None) => Err(AppError::validation("tagList", "must be a list of strings")),
        Some(Some(tags)) => Ok(Some(tags)),
    }
}

impl ArticleFields {
    /// A new article: a missing or `null` text field is blank (and refused as such).
    pub fn into_draft(self) -> AppResult<ArticleDraft> {
        Ok(ArticleDraft {
            title: self.title.flatten().unwrap_or_default(),
            description: self.description.flatten().unwrap_or_default(),
            body: self.body.flatten().unwrap_or_default(),
            tags: tag_list(self.tag_list)?.unwrap_or_default(),
        })
    }

    /// A change: absent fields keep their value, `null` text is blank.
    pub fn into_patch(self) -> AppResult<ArticlePatch> {
        Ok(ArticlePatch {
            title: self.title.map(Option::unwrap_or_default),
            description: self.description.map(Option::unwrap_or_default),
            body: self.body.map(Option::unwrap_or_default),
            tags: tag_list(self.tag_list)?,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentRequest {
    pub comment: CommentFields,
}

#[derive(Debug, Deserialize)]
pub struct CommentFields {
    #[serde(default)]
    pub body: Option<String>,
}

//! SQL for comments.

use sqlx::{FromRow, SqliteExecutor};

use super::Db;
use crate::error::AppResult;
use crate::model::comment::Comment;
use crate::model::profile::Profile;
use crate::model::user::UserId;

#[derive(Debug, FromRow)]
pub struct CommentRow {
    pub id: i64,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    pub author_username: String,
    pub author_bio: Option<String>,
    pub author_image: Option<String>,
    pub following: bool,
}

impl CommentRow {
    pub fn into_comment(self) -> Comment {
        Comment {
            id: self.id,
            body: self.body,
            created_at: self.created_at,
            updated_at: self.updated_at,
            author: Profile::new(
                self.author_username,
                self.author_bio,
                self.author_image,
                self.following,
            ),
        }
    }
}

/// Who may delete a comment: its author, and the author of the article it is on.
#[derive(Debug, FromRow)]
pub struct CommentOwners {
    pub author_id: UserId,
    pub article_author_id: UserId,
}

const SELECT: &str = "select c.id, c.body, c.created_at, c.updated_at,
    u.username as author_username, u.bio as author_bio, u.image as author_image,
    exists(select 1 from follows fo where fo.followee_id = c.author_id and fo.follower_id = $1) as following
    from comments c join users u on u.id = c.author_id";

/// The article's comments, oldest first, at most `limit`.
pub async fn list(
    db: impl SqliteExecutor<'_>,
    article_id: i64,
    viewer: Option<UserId>,
    limit: i64,
) -> AppResult<Vec<CommentRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} where c.article_id = $2 order by c.created_at, c.id limit $3"
    ))
    .bind(viewer)
    .bind(article_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Comments `offset..offset + limit` of the article, newest first (the article page's pages),
/// and how many it has.
pub async fn page_newest_first(
    db: &mut sqlx::SqliteConnection,
    article_id: i64,
    viewer: Option<UserId>,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<CommentRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "{SELECT} where c.article_id = $2 order by c.created_at desc, c.id desc
         limit $3 offset $4"
    ))
    .bind(viewer)
    .bind(article_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *db)
    .await?;
    let total = sqlx::query_scalar("select count(*) from comments where article_id = $1")
        .bind(article_id)
        .fetch_one(&mut *db)
        .await?;
    Ok((rows, total))
}

pub async fn find(
    db: impl SqliteExecutor<'_>,
    id: i64,
    viewer: Option<UserId>,
) -> AppResult<Option<CommentRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} where c.id = $2"))
        .bind(viewer)
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// Adds a comment and returns its id: one statement in a transaction of its own, so the writer
/// is held for one round trip. It runs to completion (`execute`, not `fetch_one`), so a commit
/// that fails is an error here and never an acknowledged comment. An article deleted since its
/// id was read is `NotFound`.
pub async fn insert(
    db: &Db,
    article_id: i64,
    author_id: UserId,
    body: &str,
    now: &str,
) -> AppResult<i64> {
    let done = sqlx::query(
        "insert into comments (article_id, author_id, body, created_at, updated_at)
         values ($1, $2, $3, $4, $4)",
    )
    .bind(article_id)
    .bind(author_id)
    .bind(body)
    .bind(now)
    .execute(&db.writer)
    .await
    .map_err(super::article_gone)?;
    db.committed();
    Ok(done.last_insert_rowid())
}

/// The comment's and its article's authors, if comment `id` is on article `article_id`.
pub async fn owners(
    db: impl SqliteExecutor<'_>,
    id: i64,
    article_id: i64,
) -> AppResult<Option<CommentOwners>> {
    Ok(sqlx::query_as(
        "select c.author_id, a.author_id as article_author_id from comments c
         join articles a on a.id = c.article_id where c.id = $1 and c.article_id = $2",
    )
    .bind(id)
    .bind(article_id)
    .fetch_optional(db)
    .await?)
}

pub async fn delete(db: impl SqliteExecutor<'_>, id: i64) -> AppResult<()> {
    sqlx::query("delete from comments where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

//! SQL for articles, their slugs and favorites (their tags: `db::tag`).

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};

use super::Db;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::model::article::{ArticleFilter, ArticleSummary};
use crate::model::profile::Profile;
use crate::model::user::UserId;

/// A row of a list query: the article, its author, and the viewer's flags.
#[derive(Debug, FromRow)]
pub struct SummaryRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub favorites_count: i64,
    pub author_username: String,
    pub author_bio: Option<String>,
    pub author_image: Option<String>,
    pub favorited: bool,
    pub following: bool,
}

impl SummaryRow {
    pub fn into_summary(self, tags: Vec<String>) -> ArticleSummary {
        ArticleSummary {
            slug: self.slug,
            title: self.title,
            description: self.description,
            tags,
            created_at: self.created_at,
            updated_at: self.updated_at,
            favorited: self.favorited,
            favorites_count: self.favorites_count,
            author: Profile::new(
                self.author_username,
                self.author_bio,
                self.author_image,
                self.following,
            ),
        }
    }
}

/// The parts of an article a write checks.
#[derive(Debug, FromRow)]
pub struct ArticleKey {
    pub id: i64,
    pub slug: String,
    pub author_id: UserId,
}

/// The columns an article write sets.
#[derive(Clone, Copy)]
pub struct ArticleWrite<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    /// The tags as one text for the search index: the normalised tags joined by spaces.
    pub tag_list: &'a str,
}

/// `select <summary columns> from articles a join users u`, with `viewer`'s flags.
fn select_summaries(viewer: Option<UserId>) -> QueryBuilder<'static, Sqlite> {
    select_summaries_and("", viewer)
}

/// `select <extra>, <summary columns> from articles a join users u`: `extra` is trusted SQL
/// (column expressions ending in a comma), never user text.
pub(super) fn select_summaries_and(
    extra: &'static str,
    viewer: Option<UserId>,
) -> QueryBuilder<'static, Sqlite> {
    let mut q = QueryBuilder::new("");
    push_select_summaries_and(&mut q, extra, viewer);
    q
}

/// `select_summaries_and`, pushed onto `q` (after a `with` clause, say).
pub(super) fn push_select_summaries_and(
    q: &mut QueryBuilder<'static, Sqlite>,
    extra: &'static str,
    viewer: Option<UserId>,
) {
    q.push("select ");
    q.push(extra);
    q.push(
        " a.id, a.slug, a.title, a.description, a.created_at, a.updated_at,
         a.favorites_count, u.username as author_username, u.bio as author_bio,
         u.image as author_image,
         exists(select 1 from favorites f where f.article_id = a.id and f.user_id = ",
    );
    q.push_bind(viewer);
    q.push(
        ") as favorited,
         exists(select 1 from follows fo where fo.followee_id = a.author_id and fo.follower_id = ",
    );
    q.push_bind(viewer);
    q.push(") as following from articles a join users u on u.id = a.author_id");
}

fn push_filter(q: &mut QueryBuilder<'static, Sqlite>, filter: &ArticleFilter) {
    let mut first = true;
    let mut clause = |q: &mut QueryBuilder<'static, Sqlite>| {
        q.push(if first { " where " } else { " and " });
        first = false;
    };
    if let Some(tag) = &filter.tag {
        clause(q);
        q.push(
            "a.id in (select at.article_id from article_tags at
             join tags t on t.id = at.tag_id where t.name = ",
        );
        q.push_bind(tag.clone());
        q.push(")");
    }
    if let Some(username) = &filter.author {
        clause(q);
        q.push("a.author_id = (select id from users where lower(username) = lower(");
        q.push_bind(username.clone());
        q.push("))");
    }
    if let Some(username) = &filter.favorited_by {
        clause(q);
        q.push(
            "a.id in (select f.article_id from favorites f
             join users fu on fu.id = f.user_id where lower(fu.username) = lower(",
        );
        q.push_bind(username.clone());
        q.push("))");
    }
    if let Some(user_id) = filter.feed_of {
        clause(q);
        q.push("a.author_id in (select followee_id from follows where follower_id = ");
        q.push_bind(user_id);
        q.push(")");
    }
}

/// One page of articles, newest first, as `viewer` sees them.
///
/// The page's ids are chosen first, from the indexes alone (`created_at, id`, or the author's
/// or tag's index), and only those rows are then read and joined: a deep page skips index
/// entries, not whole article rows with their authors (page 4,500 of 100,000 articles: 2 ms
/// instead of 530 ms).
pub async fn list(
    db: &mut SqliteConnection,
    filter: &ArticleFilter,
    viewer: Option<UserId>,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<SummaryRow>> {
    const NEWEST_FIRST: &str = " order by a.created_at desc, a.id desc";
    let mut q = select_summaries(viewer);
    match filter {
        // A tag's links carry their article's created_at, in the tag's own index order.
        ArticleFilter {
            tag: Some(tag),
            author: None,
            favorited_by: None,
            feed_of: None,
        } => {
            q.push(
                " where a.id in (select at.article_id from article_tags at
                 where at.tag_id = (select id from tags where name = ",
            );
            q.push_bind(tag.clone());
            q.push(") order by at.created_at desc, at.article_id desc");
        }
        _ => {
            q.push(" where a.id in (select a.id from articles a");
            push_filter(&mut q, filter);
            q.push(NEWEST_FIRST);
        }
    }
    q.push(" limit ");
    q.push_bind(limit);
    q.push(" offset ");
    q.push_bind(offset);
    q.push(")");
    q.push(NEWEST_FIRST);
    Ok(q.build_query_as().fetch_all(db).await?)
}

/// How many articles the list holds. The lists a reader pages through (all, a tag's, an
/// author's, a feed) read the counts the triggers keep (migration 0008); only combined
/// filters and favorites are counted, over their own index ranges.
pub async fn count(db: &mut SqliteConnection, filter: &ArticleFilter) -> AppResult<i64> {
    let kept = (
        &filter.tag,
        &filter.author,
        &filter.favorited_by,
        filter.feed_of,
    );
    let counted: Option<i64> = match kept {
        (None, None, None, None) => {
            sqlx::query_scalar("select articles from article_stats where id = 1")
                .fetch_optional(&mut *db)
                .await?
        }
        (Some(tag), None, None, None) => {
            sqlx::query_scalar("select articles_count from tags where name = $1")
                .bind(tag)
                .fetch_optional(&mut *db)
                .await?
        }
        (None, Some(author), None, None) => {
            sqlx::query_scalar("select articles_count from users where lower(username) = lower($1)")
                .bind(author)
                .fetch_optional(&mut *db)
                .await?
        }
        (None, None, None, Some(user_id)) => {
            sqlx::query_scalar(
                "select coalesce(sum(u.articles_count), 0) from follows f
             join users u on u.id = f.followee_id where f.follower_id = $1",
            )
            .bind(user_id)
            .fetch_optional(&mut *db)
            .await?
        }
        _ => {
            let mut q = QueryBuilder::new("select count(*) from articles a");
            push_filter(&mut q, filter);
            Some(q.build_query_scalar().fetch_one(&mut *db).await?)
        }
    };
    Ok(counted.unwrap_or(0))
}

/// One article's summary row, as `viewer` sees it.
pub async fn find_summary(
    db: &mut SqliteConnection,
    id: i64,
    viewer: Option<UserId>,
) -> AppResult<Option<SummaryRow>> {
    let mut q = select_summaries(viewer);
    q.push(" where a.id = ");
    q.push_bind(id);
    Ok(q.build_query_as().fetch_optional(db).await?)
}

/// The article's Markdown and HTML.
pub async fn find_body(db: impl SqliteExecutor<'_>, id: i64) -> AppResult<(String, String)> {
    Ok(
        sqlx::query_as("select body, body_html from articles where id = $1")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// The article at `slug`, or at a slug it had before its title changed.
pub async fn find_key(db: &mut SqliteConnection, slug: &str) -> AppResult<Option<ArticleKey>> {
    let current = sqlx::query_as("select id, slug, author_id from articles where slug = $1")
        .bind(slug)
        .fetch_optional(&mut *db)
        .await?;
    if current.is_some() {
        return Ok(current);
    }
    Ok(sqlx::query_as(
        "select a.id, a.slug, a.author_id from article_slug_redirects r
         join articles a on a.id = r.article_id where r.slug = $1",
    )
    .bind(slug)
    .fetch_optional(db)
    .await?)
}

/// Whether `slug` already names an article (now or before a rename) other than `except`.
pub async fn slug_taken(
    db: &mut SqliteConnection,
    slug: &str,
    except: Option<i64>,
) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "select id from articles where slug = $1 and ($2 is null or id <> $2)
         union all
         select article_id from article_slug_redirects where slug = $1 and ($2 is null or article_id <> $2)
         limit 1",
    )
    .bind(slug)
    .bind(except)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// Inserts an article; its slug must be free (the service checks under the same write lock).
pub async fn insert(
    db: &mut SqliteConnection,
    author_id: UserId,
    article: &ArticleWrite<'_>,
    now: &str,
) -> AppResult<i64> {
    let row = NewArticleRow {
        author_id,
        write: *article,
        at: now,
    };
    insert_many(db, std::slice::from_ref(&row))
        .await?
        .pop()
        .flatten()
        .ok_or_else(|| AppError::Conflict(FieldErrors::single("title", "gives a slug in use")))
}

pub async fn update(
    db: impl SqliteExecutor<'_>,
    id: i64,
    article: &ArticleWrite<'_>,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "update articles set slug = $1, title = $2, description = $3, body = $4, body_html = $5,
         tag_list = $6, updated_at = $7 where id = $8",
    )
    .bind(article.slug)
    .bind(article.title)
    .bind(article.description)
    .bind(article.body)
    .bind(article.body_html)
    .bind(article.tag_list)
    .bind(now)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps `old_slug` pointing at the article after a rename (and forgets it as a redirect if the
/// article takes it back).
pub async fn remember_slug(
    db: &mut SqliteConnection,
    id: i64,
    old_slug: &str,
    new_slug: &str,
) -> AppResult<()> {
    sqlx::query("delete from article_slug_redirects where slug = $1 and article_id = $2")
        .bind(new_slug)
        .bind(id)
        .execute(&mut *db)
        .await?;
    sqlx::query("insert into article_slug_redirects (slug, article_id) values ($1, $2) on conflict (slug) do nothing")
        .bind(old_slug)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes the article; its tag links, favorites, comments and old slugs go with it.
pub async fn delete(db: impl SqliteExecutor<'_>, id: i64) -> AppResult<()> {
    sqlx::query("delete from articles where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the article a favorite of the user; false if it already was. One statement in a
/// transaction of its own, so the writer is held for one round trip; a trigger counts it in
/// `articles.favorites_count`. An article deleted since its id was read is `NotFound`.
pub async fn add_favorite(db: &Db, user_id: UserId, article_id: i64, now: &str) -> AppResult<bool> {
    let added = sqlx::query(
        "insert into favorites (user_id, article_id, created_at) values ($1, $2, $3)
         on conflict (user_id, article_id) do nothing",
    )
    .bind(user_id)
    .bind(article_id)
    .bind(now)
    .execute(&db.writer)
    .await
    .map_err(super::article_gone)?
    .rows_affected()
        == 1;
    if added {
        db.committed();
    }
    Ok(added)
}

/// Removes the article from the user's favorites; false if it was not one. One statement, as
/// `add_favorite`.
pub async fn remove_favorite(db: &Db, user_id: UserId, article_id: i64) -> AppResult<bool> {
    let removed = sqlx::query("delete from favorites where user_id = $1 and article_id = $2")
        .bind(user_id)
        .bind(article_id)
        .execute(&db.writer)
        .await?
        .rows_affected()
        == 1;
    if removed {
        db.committed();
    }
    Ok(removed)
}

/// An article to insert (one, or many in a bulk load).
pub struct NewArticleRow<'a> {
    pub author_id: UserId,
    pub write: ArticleWrite<'a>,
    pub at: &'a str,
}

/// Inserts `articles`, `db::BULK_ROWS` to a statement, skipping any whose slug is taken (now or
/// as an old slug); returns each one's id in order, `None` where it was skipped.
pub async fn insert_many(
    db: &mut SqliteConnection,
    articles: &[NewArticleRow<'_>],
) -> AppResult<Vec<Option<i64>>> {
    let mut ids = Vec::with_capacity(articles.len());
    for chunk in articles.chunks(super::BULK_ROWS) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into articles (slug, title, description, body, body_html, tag_list, \
             author_id, created_at, updated_at) select * from (",
        );
        q.push_values(chunk, |mut row, a| {
            row.push_bind(a.write.slug)
                .push_bind(a.write.title)
                .push_bind(a.write.description)
                .push_bind(a.write.body)
                .push_bind(a.write.body_html)
                .push_bind(a.write.tag_list)
                .push_bind(a.author_id)
                .push_bind(a.at)
                .push_bind(a.at);
        });
        q.push(
            ") as v where not exists \
             (select 1 from article_slug_redirects r where r.slug = v.column1) \
             on conflict (slug) do nothing returning id, slug",
        );
        let inserted: std::collections::HashMap<String, i64> = q
            .build_query_as::<(i64, String)>()
            .fetch_all(&mut *db)
            .await?
            .into_iter()
            .map(|(id, slug)| (slug, id))
            .collect();
        ids.extend(chunk.iter().map(|a| inserted.get(a.write.slug).copied()));
    }
    Ok(ids)
}

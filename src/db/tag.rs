//! SQL for tags: an article's tags, and the most used ones.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};

use crate::error::AppResult;

/// The tags of each article in `ids`, sorted by name: `(article id, tag)` pairs.
pub async fn tags_of(db: &mut SqliteConnection, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "select at.article_id, t.name from article_tags at join tags t on t.id = at.tag_id
         where at.article_id in (",
    );
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(") order by at.article_id, t.name");
    Ok(q.build_query_as().fetch_all(db).await?)
}

/// Replaces the article's tags with `tags` (already normalised, at most `TAGS_MAX`): three
/// statements whatever their number. The searchable copy, `articles.tag_list`, is written
/// with the article (`ArticleWrite`).
pub async fn set_tags(
    db: &mut SqliteConnection,
    article_id: i64,
    tags: &[String],
) -> AppResult<()> {
    sqlx::query("delete from article_tags where article_id = $1")
        .bind(article_id)
        .execute(&mut *db)
        .await?;
    if tags.is_empty() {
        return Ok(());
    }
    let mut names = QueryBuilder::<Sqlite>::new("insert into tags (name) ");
    names.push_values(tags, |mut row, tag| {
        row.push_bind(tag);
    });
    names.push(" on conflict (name) do nothing");
    names.build().execute(&mut *db).await?;
    let mut links = QueryBuilder::<Sqlite>::new(
        "insert into article_tags (article_id, tag_id, created_at)
         select a.id, t.id, a.created_at from articles a, tags t where a.id = ",
    );
    links.push_bind(article_id);
    links.push(" and t.name in (");
    let mut list = links.separated(", ");
    for tag in tags {
        list.push_bind(tag);
    }
    links.push(") on conflict do nothing");
    links.build().execute(db).await?;
    Ok(())
}

/// The most used tags, most used first.
pub async fn popular_tags(db: impl SqliteExecutor<'_>, limit: i64) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select name from tags where articles_count > 0
         order by articles_count desc, name limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}

//! SQL for the admin pages: the schema, row counts, one page of any table, and the live
//! figures.
//!
//! Table and column names cannot be bound as parameters, so the page queries write them into
//! the SQL, quoted. They must come from `schema` (the service checks every name a request
//! gives against it); user text only ever travels as a bound value.
//!
//! Portability: `schema` reads SQLite's `pragma_table_list`/`pragma_table_info`; PostgreSQL
//! would read `information_schema.columns`. Everything else is standard SQL (PostgreSQL would
//! use `ilike` for the case-insensitive search).

use sqlx::{FromRow, QueryBuilder, Row, Sqlite, SqliteExecutor};

use super::search::escape_like;
use crate::error::AppResult;

/// A column of a table, as the schema declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSchema {
    pub name: String,
    /// The declared type, upper-cased (`TEXT`, `INTEGER`, `BLOB`, `BOOLEAN`...).
    pub declared_type: String,
    /// Part of the primary key.
    pub primary_key: bool,
}

/// A table and its columns, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<ColumnSchema>,
}

#[derive(FromRow)]
struct SchemaRow {
    table_name: String,
    column_name: String,
    column_type: String,
    pk: i64,
}

/// Every ordinary table of the database (not SQLite's own, not virtual tables or their shadow
/// tables, not views), by name.
pub async fn schema(db: impl SqliteExecutor<'_>) -> AppResult<Vec<TableSchema>> {
    let rows: Vec<SchemaRow> = sqlx::query_as(
        r"select t.name as table_name, c.name as column_name, upper(c.type) as column_type,
                 c.pk as pk
          from pragma_table_list as t join pragma_table_info(t.name) as c
          where t.schema = 'main' and t.type = 'table' and t.name not like 'sqlite\_%' escape '\'
          order by t.name, c.cid",
    )
    .fetch_all(db)
    .await?;
    let mut tables: Vec<TableSchema> = Vec::new();
    for row in rows {
        let column = ColumnSchema {
            name: row.column_name,
            declared_type: row.column_type,
            primary_key: row.pk > 0,
        };
        match tables.last_mut() {
            Some(table) if table.name == row.table_name => table.columns.push(column),
            _ => tables.push(TableSchema {
                name: row.table_name,
                columns: vec![column],
            }),
        }
    }
    Ok(tables)
}

/// `name` as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The row count of each of `tables`, in the same order, in one statement.
pub async fn row_counts(db: impl SqliteExecutor<'_>, tables: &[&str]) -> AppResult<Vec<i64>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new("");
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            q.push(" union all ");
        }
        q.push(format!(
            "select {i} as i, count(*) as n from {}",
            ident(table)
        ));
    }
    let mut counts = vec![0; tables.len()];
    for row in q.build().fetch_all(db).await? {
        let i: i64 = row.try_get("i")?;
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| counts.get_mut(i)) {
            *slot = row.try_get("n")?;
        }
    }
    Ok(counts)
}

/// Which rows of which table, in what order. Every name must come from `schema`.
#[derive(Debug)]
pub struct Slice<'a> {
    pub table: &'a str,
    /// The columns to fetch, in order.
    pub columns: &'a [&'a str],
    /// The columns the search text is looked for in (any of them, any case).
    pub searched: &'a [&'a str],
    /// Empty: every row.
    pub search: &'a str,
    pub sort: &'a str,
    pub descending: bool,
    /// The primary key: sorted on after `sort`, so that rows with equal values keep one order
    /// across pages, and used to read a page's rows once they are chosen.
    pub tiebreak: &'a [&'a str],
}

impl Slice<'_> {
    fn push_from_where<'q>(&self, q: &mut QueryBuilder<'q, Sqlite>) {
        q.push(" from ");
        q.push(ident(self.table));
        if self.search.is_empty() || self.searched.is_empty() {
            return;
        }
        let pattern = format!("%{}%", escape_like(self.search));
        q.push(" where ");
        for (i, column) in self.searched.iter().enumerate() {
            if i > 0 {
                q.push(" or ");
            }
            q.push(format!("cast({} as text) like ", ident(column)));
            q.push_bind(pattern.clone());
            q.push(r" escape '\'");
        }
    }
}

/// How many rows `slice` selects.
pub async fn count(db: impl SqliteExecutor<'_>, slice: &Slice<'_>) -> AppResult<i64> {
    let mut q = QueryBuilder::new("select count(*)");
    slice.push_from_where(&mut q);
    Ok(q.build_query_scalar().fetch_one(db).await?)
}

/// One page of `slice`: each cell as text cut to `max_chars` + 1 characters (so the caller can
/// tell it was cut), `None` for NULL; binary values are described, not sent.
///
/// The sort runs over the key columns only, then the page's rows are read by key (a
/// "deferred join"): sorting a deep page of wide rows would otherwise carry every row's cells
/// through the sort.
pub async fn rows(
    db: impl SqliteExecutor<'_>,
    slice: &Slice<'_>,
    max_chars: usize,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Vec<Option<String>>>> {
    let keep = max_chars + 1;
    let mut q = QueryBuilder::new("select ");
    for (i, column) in slice.columns.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        let c = ident(column);
        q.push(format!(
            "case when typeof({c}) = 'blob' then '(' || length({c}) || ' bytes)' \
             else substr(cast({c} as text), 1, {keep}) end"
        ));
    }
    let dir = if slice.descending { "desc" } else { "asc" };
    let mut order = format!(" order by {} {dir}", ident(slice.sort));
    for column in slice.tiebreak.iter().filter(|c| **c != slice.sort) {
        order.push_str(&format!(", {} {dir}", ident(column)));
    }
    let choose_page = |q: &mut QueryBuilder<'_, Sqlite>| {
        slice.push_from_where(q);
        q.push(&order);
        q.push(" limit ");
        q.push_bind(limit);
        q.push(" offset ");
        q.push_bind(offset);
    };
    if slice.tiebreak.is_empty() {
        choose_page(&mut q);
    } else {
        let key = slice
            .tiebreak
            .iter()
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        let table = ident(slice.table);
        q.push(format!(" from {table} where ({key}) in (select {key}"));
        choose_page(&mut q);
        q.push(")");
        q.push(&order);
    }
    let rows = q.build().fetch_all(db).await?;
    let width = slice.columns.len();
    rows.iter()
        .map(|row| {
            (0..width)
                .map(|i| Ok(row.try_get::<Option<String>, _>(i)?))
                .collect()
        })
        .collect()
}

/// Articles published per day (`YYYY-MM-DD`) since `since` (a stored timestamp), oldest first;
/// days without articles are absent.
pub async fn articles_per_day(
    db: impl SqliteExecutor<'_>,
    since: &str,
) -> AppResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "select substr(created_at, 1, 10) as day, count(*) from articles
         where created_at >= $1 group by day order by day",
    )
    .bind(since)
    .fetch_all(db)
    .await?)
}

/// The database's size in bytes: its pages times the page size.
pub async fn database_bytes(db: impl SqliteExecutor<'_>) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "select p.page_count * s.page_size from pragma_page_count() as p, pragma_page_size() as s",
    )
    .fetch_one(db)
    .await?)
}

/// The administrators' usernames, by name, at most `limit`.
pub async fn admins(db: impl SqliteExecutor<'_>, limit: i64) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select username from users where is_admin order by lower(username) limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(super::ident("users"), r#""users""#);
        assert_eq!(
            super::ident(r#"users";DROP TABLE articles--"#),
            r#""users"";DROP TABLE articles--""#
        );
    }
}

-- A tag's page lists its articles newest first. With the article's `created_at` copied into its
-- tag links (it never changes), one index range holds a tag's page in order: a deep page skips
-- index entries instead of reading the `created_at` of every article that has the tag. The new
-- index also serves what `article_tags_tag_id_idx` did (a tag's article ids, and the cascade
-- when a tag is deleted), so that one goes.
alter table article_tags add column created_at text not null default '';

update article_tags
set created_at = (select a.created_at from articles a where a.id = article_tags.article_id);

create index article_tags_recent_idx on article_tags (tag_id, created_at, article_id);

drop index article_tags_tag_id_idx;

-- Full-text search over articles with SQLite FTS5. The index reads its text from `articles`
-- (an external-content table, so bodies are not stored twice); triggers keep it in step with
-- every insert, update and delete, inside the same transaction as the write. `tag_list` is the
-- article's tags as one text (kept by the db layer with the tags), so tags are searchable too.
alter table articles add column tag_list text not null default '';

update articles set tag_list = coalesce((
    select group_concat(t.name, ' ') from article_tags at join tags t on t.id = at.tag_id
    where at.article_id = articles.id
), '');

create virtual table articles_fts using fts5 (
    title, description, body, tag_list,
    content = 'articles',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

create trigger articles_fts_after_insert after insert on articles begin
    insert into articles_fts (rowid, title, description, body, tag_list)
    values (new.id, new.title, new.description, new.body, new.tag_list);
end;

create trigger articles_fts_after_delete after delete on articles begin
    insert into articles_fts (articles_fts, rowid, title, description, body, tag_list)
    values ('delete', old.id, old.title, old.description, old.body, old.tag_list);
end;

create trigger articles_fts_after_update after update of title, description, body, tag_list
on articles begin
    insert into articles_fts (articles_fts, rowid, title, description, body, tag_list)
    values ('delete', old.id, old.title, old.description, old.body, old.tag_list);
    insert into articles_fts (rowid, title, description, body, tag_list)
    values (new.id, new.title, new.description, new.body, new.tag_list);
end;

-- Index what is already there.
insert into articles_fts (articles_fts) values ('rebuild');

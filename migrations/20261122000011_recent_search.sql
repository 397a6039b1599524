-- A second full-text index, over only the newest 100,000 articles, where searches are ranked.
--
-- FTS5's `bm25` counts, for each word of a query, every article of its index that holds it (the
-- word's rarity), on every search; and a prefix ("ru" for "rust", "run"...) is matched by
-- merging the lists of every word it starts, across the whole index. Both grew with the blog:
-- a search for "rust" took 29 ms at a million articles against 10 ms at 10,000, and one for
-- "ru" 730 ms against 33 ms. When the articles a search ranks (the newest 10,000 matches, or all
-- of them) are all among the newest 100,000, the service finds, ranks and quotes them here, and
-- that work stops growing once a blog has 100,000 articles.
--
-- `_search_window.after_id`: the index holds exactly the articles whose id is greater, the rows
-- of the view `_recent_articles`, where it reads their text for snippets (the text is not stored
-- twice), and against which `integrity-check` checks it. The service relies on that rule. New
-- articles get the largest id, so they join the window; once the newest id is more than 101,000
-- past it, the window moves up to hold the newest 100,000 (the 1,000 of slack remove old rows a
-- thousand at a time rather than one per insert).
--
-- Prefix indexes of 2 and 3 letters make the short prefixes, those that start many words, one
-- list to read instead of hundreds to merge. They triple the size of this index (about 420 MB
-- for 100,000 articles of 1–10 KB); the index of all articles keeps none.
create table _search_window (after_id integer not null);

insert into _search_window (after_id)
select max(0, coalesce(max(id), 0) - 100000) from articles;

create view _recent_articles as
select id, title, description, body, tag_list from articles
where id > (select after_id from _search_window);

create virtual table articles_recent_fts using fts5 (
    title, description, body, tag_list,
    content = '_recent_articles',
    content_rowid = 'id',
    prefix = '2 3',
    tokenize = 'unicode61 remove_diacritics 2'
);

insert into articles_recent_fts (articles_recent_fts) values ('rebuild');

create trigger articles_recent_fts_after_insert after insert on articles begin
    -- Every article from the window on was deleted, and ids start again below it: the window
    -- starts again at the new article.
    update _search_window set after_id = new.id - 1
    where after_id >= new.id and not exists (select 1 from articles where id > new.id);
    insert into articles_recent_fts (rowid, title, description, body, tag_list)
    select new.id, new.title, new.description, new.body, new.tag_list
    where new.id > (select after_id from _search_window);
    -- Moving the window: the rows leaving it are removed with the text they were indexed with,
    -- which is still theirs (edits reach the index through the update trigger).
    insert into articles_recent_fts (articles_recent_fts, rowid, title, description, body, tag_list)
    select 'delete', id, title, description, body, tag_list from articles
    where new.id - (select after_id from _search_window) > 101000
      and id > (select after_id from _search_window) and id <= new.id - 100000;
    update _search_window set after_id = new.id - 100000 where new.id - after_id > 101000;
end;

create trigger articles_recent_fts_after_delete after delete on articles
when old.id > (select after_id from _search_window) begin
    insert into articles_recent_fts (articles_recent_fts, rowid, title, description, body, tag_list)
    values ('delete', old.id, old.title, old.description, old.body, old.tag_list);
end;

create trigger articles_recent_fts_after_update after update of title, description, body, tag_list
on articles when old.id > (select after_id from _search_window) begin
    insert into articles_recent_fts (articles_recent_fts, rowid, title, description, body, tag_list)
    values ('delete', old.id, old.title, old.description, old.body, old.tag_list);
    insert into articles_recent_fts (rowid, title, description, body, tag_list)
    values (new.id, new.title, new.description, new.body, new.tag_list);
end;

-- The totals `/metrics` reports, kept by triggers in the same transaction as every write, like
-- the number of articles (20261122000008): a scrape reads one row instead of counting three
-- tables (at a million articles, three scans per scrape, by anyone who asked).
alter table article_stats add column users integer not null default 0;
alter table article_stats add column comments integer not null default 0;
alter table article_stats add column favorites integer not null default 0;

update article_stats set
    users = (select count(*) from users),
    comments = (select count(*) from comments),
    favorites = (select count(*) from favorites)
where id = 1;

create trigger users_total_after_insert after insert on users begin
    update article_stats set users = users + 1 where id = 1;
end;

create trigger users_total_after_delete after delete on users begin
    update article_stats set users = users - 1 where id = 1;
end;

create trigger comments_total_after_insert after insert on comments begin
    update article_stats set comments = comments + 1 where id = 1;
end;

create trigger comments_total_after_delete after delete on comments begin
    update article_stats set comments = comments - 1 where id = 1;
end;

create trigger favorites_total_after_insert after insert on favorites begin
    update article_stats set favorites = favorites + 1 where id = 1;
end;

create trigger favorites_total_after_delete after delete on favorites begin
    update article_stats set favorites = favorites - 1 where id = 1;
end;

-- Counts kept up to date by triggers, in the same transaction as every write, so that a list's
-- page count and the popular tags never need a scan: the number of articles, each author's
-- and each tag's.
alter table users add column articles_count integer not null default 0;
alter table tags add column articles_count integer not null default 0;

create table article_stats (
    id integer primary key check (id = 1),
    articles integer not null
);

insert into article_stats (id, articles) values (1, (select count(*) from articles));
update users set articles_count = (select count(*) from articles a where a.author_id = users.id);
update tags set articles_count = (select count(*) from article_tags at where at.tag_id = tags.id);

create index tags_popular_idx on tags (articles_count desc, name);

create trigger articles_count_after_insert after insert on articles begin
    update article_stats set articles = articles + 1 where id = 1;
    update users set articles_count = articles_count + 1 where id = new.author_id;
end;

create trigger articles_count_after_delete after delete on articles begin
    update article_stats set articles = articles - 1 where id = 1;
    update users set articles_count = articles_count - 1 where id = old.author_id;
end;

create trigger article_tags_count_after_insert after insert on article_tags begin
    update tags set articles_count = articles_count + 1 where id = new.tag_id;
end;

create trigger article_tags_count_after_delete after delete on article_tags begin
    update tags set articles_count = articles_count - 1 where id = old.tag_id;
end;

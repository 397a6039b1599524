-- Articles. `body` is the author's Markdown; `body_html` is the sanitised HTML rendered from it
-- when the article is written, so reads never render. `favorites_count` is kept in step with
-- `favorites` in the same transaction as every favorite and unfavorite.
create table articles (
    id integer primary key,
    slug text not null,
    title text not null,
    description text not null,
    body text not null,
    body_html text not null,
    author_id integer not null references users (id) on delete cascade,
    favorites_count integer not null default 0,
    created_at text not null,
    updated_at text not null
);

create unique index articles_slug_key on articles (slug);
create index articles_created_at_idx on articles (created_at, id);
create index articles_author_id_idx on articles (author_id, created_at, id);

-- Slugs an article had before its title changed, so old links still find it.
create table article_slug_redirects (
    slug text primary key,
    article_id integer not null references articles (id) on delete cascade
);

create index article_slug_redirects_article_id_idx on article_slug_redirects (article_id);

-- One row per tag name; articles link to tags through article_tags.
create table tags (
    id integer primary key,
    name text not null
);

create unique index tags_name_key on tags (name);

create table article_tags (
    article_id integer not null references articles (id) on delete cascade,
    tag_id integer not null references tags (id) on delete cascade,
    primary key (article_id, tag_id)
);

create index article_tags_tag_id_idx on article_tags (tag_id, article_id);

-- A user's favorite articles: at most one row per user and article.
create table favorites (
    user_id integer not null references users (id) on delete cascade,
    article_id integer not null references articles (id) on delete cascade,
    created_at text not null,
    primary key (user_id, article_id)
);

create index favorites_article_id_idx on favorites (article_id);

create table comments (
    id integer primary key,
    article_id integer not null references articles (id) on delete cascade,
    author_id integer not null references users (id) on delete cascade,
    body text not null,
    created_at text not null,
    updated_at text not null
);

create index comments_article_id_idx on comments (article_id, created_at, id);
create index comments_author_id_idx on comments (author_id);

-- Who follows whom; nobody follows themselves.
create table follows (
    follower_id integer not null references users (id) on delete cascade,
    followee_id integer not null references users (id) on delete cascade,
    created_at text not null,
    primary key (follower_id, followee_id),
    check (follower_id <> followee_id)
);

create index follows_followee_id_idx on follows (followee_id);

-- Accounts. Usernames are unique whatever their case; emails are stored lower-cased.
create table users (
    id integer primary key,
    username text not null,
    email text not null,
    password_hash text not null,
    bio text,
    image text,
    created_at text not null,
    updated_at text not null
);

create unique index users_username_key on users (lower(username));
create unique index users_email_key on users (email);

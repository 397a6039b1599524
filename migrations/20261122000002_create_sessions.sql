-- Server-side sessions (tower-sessions). `user_id` is copied out of the session data so that
-- a password change can sign a user out everywhere, and expired rows can be swept by index.
create table sessions (
    id text primary key,
    user_id integer references users (id) on delete cascade,
    data text not null,
    expires_at text not null
);

create index sessions_user_id_idx on sessions (user_id);
create index sessions_expires_at_idx on sessions (expires_at);

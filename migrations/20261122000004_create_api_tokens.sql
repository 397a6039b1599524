-- Bearer tokens of the REST API (`Authorization: Token <token>`). Only a SHA-256 hash of each
-- token is kept, so a copy of the database does not hand out working tokens. A password change
-- or "sign out everywhere" deletes a user's rows; expired rows are swept by index.
create table api_tokens (
    id integer primary key,
    user_id integer not null references users (id) on delete cascade,
    token_hash blob not null unique,
    created_at text not null,
    expires_at text not null
);

create index api_tokens_user_id_idx on api_tokens (user_id, id);
create index api_tokens_expires_at_idx on api_tokens (expires_at);

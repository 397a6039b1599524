-- The admin page lists the administrators by name: a partial index keeps that cheap however
-- many users there are.
create index users_admins_idx on users (lower(username)) where is_admin;

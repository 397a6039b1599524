-- The admin role: made with `quire user create --admin` or `quire user promote NAME`.
alter table users add column is_admin boolean not null default false;

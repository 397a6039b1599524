-- An article's favorites_count kept by triggers, like the other counts (20261122000008), in the
-- same transaction as the favorite. The code kept it that way until now, so the counts are
-- already true; a favorite is now one statement, and the one writer is held for one round trip.
create trigger favorites_count_after_insert after insert on favorites begin
    update articles set favorites_count = favorites_count + 1 where id = new.article_id;
end;

create trigger favorites_count_after_delete after delete on favorites begin
    update articles set favorites_count = favorites_count - 1 where id = old.article_id;
end;

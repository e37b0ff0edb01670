-- 0008: the agent's note with its disposition (the wrap-up code of
-- calls.disposition): what the caller wanted, in the agent's words.
ALTER TABLE calls ADD COLUMN disposition_note text;

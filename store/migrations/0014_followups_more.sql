-- 0013: the follow-ups' complaint trigger scans the resolved complaints on
-- every pass (those without a task for their last resolution): found by
-- this index rather than by reading every complaint ever kept.
CREATE INDEX complaints_resolved ON complaints (id) WHERE state = 'resolved';

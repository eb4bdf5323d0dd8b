-- The lifecycle (issue 8): which saved state a SUSPENDED microVM resumes from is written in the
-- same transaction as the state, so a restart never picks an older save than the caller was told.
ALTER TABLE microvms ADD COLUMN saved_id TEXT;          -- the engine's id of the committed saved state
ALTER TABLE microvms ADD COLUMN suspension_tier TEXT;   -- 'memory' | 'disk' while SUSPENDED
ALTER TABLE microvms ADD COLUMN suspension_bytes INTEGER;
ALTER TABLE microvms ADD COLUMN run_hook_payload TEXT;  -- what the run hook received; forks pass it on

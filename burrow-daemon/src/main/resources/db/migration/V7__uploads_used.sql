-- Space (issue 11): when a build was first started from an upload. A prune frees an upload once a
-- build used it and none still runs from it, even after the version's row is deleted with its
-- image (the row's source then no longer says which upload it was built from).
ALTER TABLE uploads ADD COLUMN used_at TEXT;

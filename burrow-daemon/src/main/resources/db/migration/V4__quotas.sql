-- Tenant quotas (issue 10). A microVM row carries the vCPUs and memory it was admitted with, so a
-- quota check sums rows in the same transaction that admits a new one; rows from before this
-- version have none and count as the SPEC §2 defaults (1 vCPU, 512 MiB).
ALTER TABLE microvms ADD COLUMN vcpus INTEGER;
ALTER TABLE microvms ADD COLUMN memory_mib INTEGER;

-- A run or fork admitted but not yet recorded (its VMM is starting): counted like a microVM until
-- the row that consumes it is inserted, in that insert's transaction. Held by a live request only:
-- burrowd deletes every hold when it starts.
CREATE TABLE quota_holds (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    vcpus      INTEGER NOT NULL,
    memory_mib INTEGER NOT NULL,
    remaining  INTEGER NOT NULL CHECK (remaining >= 0),
    created_at TEXT NOT NULL
);
CREATE INDEX quota_holds_tenant ON quota_holds(tenant_id);

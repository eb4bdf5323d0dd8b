-- Standbys (issue 13): a version's settings may ask the daemon to keep `standby` microVMs of it
-- restored and paused ahead of runs. The daemon's standby policy looks for such versions across
-- every tenant every few seconds; this partial index holds only the versions that ask for any,
-- so the look-up reads those rows and not every version of every tenant. The count itself stays
-- in the settings JSON with the version's other build settings (inherited like them).
CREATE INDEX image_versions_standby ON image_versions (tenant_id, image, version)
    WHERE json_extract(settings, '$.standby') > 0;

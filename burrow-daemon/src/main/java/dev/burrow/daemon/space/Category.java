package dev.burrow.daemon.space;

/** What the data directory's bytes are, as {@code burrow system df} lists them. */
public enum Category {
    /** {@code blobs/sha256/…}: image manifests, configs and layers of every tenant, one copy each. */
    BLOBS("blobs"),
    /** Blobs only the build cache (a registered {@link dev.burrow.daemon.images.BlobReferences}) names; a prune drops the cache. */
    BUILD_CACHE("buildCache"),
    /** Each version's {@code rootfs.ext4} (sparse: allocated bytes count). */
    VERSION_DISKS("versionDisks"),
    /** Each version's {@code template/} (memory, device state, qcow2 layers). */
    TEMPLATES("templates"),
    /** {@code uploads/…}: archives sent with {@code POST /v1/uploads}. */
    UPLOADS("uploads"),
    /** Each version's {@code build.log}. */
    BUILD_LOGS("buildLogs"),
    /** {@code tmp/}, a store's unfinished blobs, build staging left by a crash, the trash. */
    TEMPORARY("temporary"),
    /** {@code tenants/<t>/blobs}: per-tenant stores of data directories older than the shared one. */
    LEGACY_STORES("legacyStores"),
    /** {@code vms/} and {@code suspended/}: running and suspended microVMs (freed by deleting them, never by a prune). */
    MICROVMS("microvms"),
    /** The rest: the database, logs, guest binaries, keys. */
    OTHER("other");

    private final String id;

    Category(String id) {
        this.id = id;
    }

    /** The name in JSON and in the CLI's table. */
    public String id() {
        return id;
    }
}

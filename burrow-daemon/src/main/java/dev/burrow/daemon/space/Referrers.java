package dev.burrow.daemon.space;

import java.util.List;

/** The rows that say what the data directory's files are for (the database in burrowd, lists in tests). */
public interface Referrers {

    /** Every image version row of every tenant. */
    List<VersionRow> versions();

    /** Every upload row of every tenant. */
    List<UploadRow> uploads();

    /** Removes an upload's row before its file goes; false when it was already gone. */
    boolean forgetUpload(UploadRow upload);

    /**
     * After a prune: the store gives back what it can of its own files (burrowd folds SQLite's
     * write-ahead log into the database and truncates it, which otherwise keeps its largest size).
     */
    default void compact() {
    }
}

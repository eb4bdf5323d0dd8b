package dev.burrow.daemon.images;

import java.util.List;
import java.util.Optional;

/**
 * Where image versions live. The in-memory store serves this issue; the daemon issue replaces
 * it with SQLite behind the same calls (every transition written before it is acknowledged).
 */
public interface ImageStore {

    /** Stores the first version of a new image; false when the name exists. */
    boolean createImage(ImageVersion first);

    /** Stores the next version of an existing image; its number must be the next one. */
    void addVersion(ImageVersion next);

    void update(ImageVersion v);

    Optional<ImageVersion> version(String image, int version);

    /** All versions of an image, oldest first; empty when there is no such image. */
    List<ImageVersion> versions(String image);

    List<String> images();

    /** Removes an image and all its versions; false when there was none. */
    boolean deleteImage(String image);

    /** Removes one version; false when there was none. */
    boolean deleteVersion(String image, int version);

    /** Whether every tenant may run this image (set by an admin); false by default. */
    default boolean isPublic(String image) {
        return false;
    }

    /** Makes an image public or private (an admin's call); false when there is no such image or this store cannot share. */
    default boolean setPublic(String image, boolean isPublic) {
        return false;
    }
}

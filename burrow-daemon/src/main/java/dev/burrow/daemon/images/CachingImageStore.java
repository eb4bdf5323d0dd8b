package dev.burrow.daemon.images;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An {@link ImageStore} that keeps each image's version list after the first read, so a run
 * reads its image's versions once instead of once per lookup (issue 13). Every write through
 * this store forgets the image it wrote, after the write returned: a read that started before
 * that write cannot put its older list back (a generation per image says so), and a read after
 * it finds the new rows. Writes that bypass this store are not seen: {@link ImageService} is the
 * only writer of versions. Images with no versions are not kept, and at most
 * {@value #MAX_IMAGES} images are, so names a caller makes up cost nothing.
 */
final class CachingImageStore implements ImageStore {

    /** How many images' version lists are kept; over it the cache starts again empty. */
    static final int MAX_IMAGES = 1024;

    private final ImageStore store;
    private final Map<String, List<ImageVersion>> versions = new HashMap<>();
    /** Writes per image since this store began (only ever grows while the image exists in the map). */
    private final Map<String, Long> writes = new HashMap<>();

    CachingImageStore(ImageStore store) {
        this.store = store;
    }

    @Override
    public List<ImageVersion> versions(String image) {
        long generation;
        synchronized (this) {
            List<ImageVersion> kept = versions.get(image);
            if (kept != null) {
                return kept;
            }
            generation = writes.getOrDefault(image, 0L);
        }
        List<ImageVersion> read = List.copyOf(store.versions(image));
        synchronized (this) {
            if (!read.isEmpty() && writes.getOrDefault(image, 0L) == generation) {
                if (versions.size() >= MAX_IMAGES) {
                    versions.clear();
                }
                versions.put(image, read);
            }
        }
        return read;
    }

    @Override
    public Optional<ImageVersion> version(String image, int version) {
        return versions(image).stream().filter(v -> v.version() == version).findFirst();
    }

    @Override
    public boolean createImage(ImageVersion first) {
        try {
            return store.createImage(first);
        } finally {
            forget(first.image());
        }
    }

    @Override
    public void addVersion(ImageVersion next) {
        try {
            store.addVersion(next);
        } finally {
            forget(next.image());
        }
    }

    @Override
    public void update(ImageVersion v) {
        try {
            store.update(v);
        } finally {
            forget(v.image());
        }
    }

    @Override
    public boolean deleteImage(String image) {
        try {
            return store.deleteImage(image);
        } finally {
            forget(image);
        }
    }

    @Override
    public boolean deleteVersion(String image, int version) {
        try {
            return store.deleteVersion(image, version);
        } finally {
            forget(image);
        }
    }

    @Override
    public List<String> images() {
        return store.images();
    }

    @Override
    public boolean isPublic(String image) {
        return store.isPublic(image);
    }

    @Override
    public boolean setPublic(String image, boolean isPublic) {
        return store.setPublic(image, isPublic);
    }

    private synchronized void forget(String image) {
        versions.remove(image);
        writes.merge(image, 1L, Long::sum);
    }
}

package dev.burrow.daemon.images;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An {@link ImageStore} in memory (tests, and until the SQLite store lands). */
public final class InMemoryImageStore implements ImageStore {

    private final Map<String, List<ImageVersion>> images = new TreeMap<>();

    @Override
    public synchronized boolean createImage(ImageVersion first) {
        if (images.containsKey(first.image())) {
            return false;
        }
        images.put(first.image(), new ArrayList<>(List.of(first)));
        return true;
    }

    @Override
    public synchronized void addVersion(ImageVersion next) {
        List<ImageVersion> vs = images.get(next.image());
        if (vs == null || next.version() != vs.size() + 1) {
            throw new IllegalStateException("version " + next.ref() + " is not the next version");
        }
        vs.add(next);
    }

    @Override
    public synchronized void update(ImageVersion v) {
        List<ImageVersion> vs = images.get(v.image());
        if (vs == null || v.version() < 1 || v.version() > vs.size()) {
            throw new IllegalStateException("no version " + v.ref());
        }
        vs.set(v.version() - 1, v);
    }

    @Override
    public synchronized Optional<ImageVersion> version(String image, int version) {
        List<ImageVersion> vs = images.get(image);
        return vs == null || version < 1 || version > vs.size() ? Optional.empty() : Optional.ofNullable(vs.get(version - 1));
    }

    @Override
    public synchronized List<ImageVersion> versions(String image) {
        return images.getOrDefault(image, List.of()).stream().filter(java.util.Objects::nonNull).toList();
    }

    @Override
    public synchronized boolean deleteImage(String image) {
        return images.remove(image) != null;
    }

    @Override
    public synchronized boolean deleteVersion(String image, int version) {
        List<ImageVersion> vs = images.get(image);
        if (vs == null || version < 1 || version > vs.size() || vs.get(version - 1) == null) {
            return false;
        }
        vs.set(version - 1, null); // numbers are never reused
        return true;
    }

    @Override
    public synchronized List<String> images() {
        return List.copyOf(images.keySet());
    }
}

package dev.burrow.daemon.images.builtin;

import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageSourceSpec;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.VersionState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Keeps one of Burrow's own images (the demo, a managed base) a public image of the admin tenant
 * whose newest version was built from the current recipe with the current guest agent. Versions
 * are immutable (SPEC §1), so a changed recipe or agent means a new version. What the newest
 * version was built from is a stamp in a marker file, written only once that version is READY:
 * a failed or interrupted build is tried again at the next start.
 */
public final class PublicImageUpkeep {
    /** Makes the image's OCI layout (from the cache when it is there). */
    public interface LayoutSource {
        Path layout() throws IOException;
    }

    /**
     * What {@link #ensure} found or did: {@code version} is the image's READY newest version
     * (null on failure), {@code built} whether this call built it, {@code failure} why not.
     */
    public record Outcome(ImageVersion version, boolean built, String failure) {
        public boolean ok() {
            return failure == null;
        }
    }

    private final ImageService admin;
    private final Consumer<String> makePublic;
    private final Duration timeout;

    /**
     * @param admin the admin tenant's image service
     * @param makePublic marks an image of the admin tenant public
     * @param timeout how long one build may take
     */
    public PublicImageUpkeep(ImageService admin, Consumer<String> makePublic, Duration timeout) {
        this.admin = Objects.requireNonNull(admin, "admin");
        this.makePublic = Objects.requireNonNull(makePublic, "makePublic");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Builds the image {@code name} (or a new version of it) unless its newest version already
     * carries {@code stamp} according to {@code marker}; {@code beforeBuild} runs just before a
     * build starts. Never throws: a failure is in the outcome.
     */
    public Outcome ensure(String name, Path marker, String stamp, LayoutSource layout, Runnable beforeBuild) {
        try {
            boolean exists = !admin.versions(name).isEmpty();
            if (exists && stamp.equals(readStamp(marker))) {
                return admin.newestRunnable(name).map(v -> new Outcome(v, false, null))
                        .orElseGet(() -> new Outcome(null, false, name + " has no runnable version"));
            }
            beforeBuild.run();
            ImageSourceSpec source = new ImageSourceSpec.HostPath(layout.layout(), null);
            ImageVersion started = exists ? admin.addVersion(name, source, BuildSettings.NONE)
                    : admin.create(name, source, BuildSettings.NONE);
            makePublic.accept(name);
            ImageVersion v = admin.await(name, started.version(), timeout);
            if (v.state() != VersionState.READY) {
                return new Outcome(null, true, v.ref() + " is " + v.state() + (v.stateReason() == null ? "" : ": " + v.stateReason()));
            }
            Files.createDirectories(marker.getParent());
            Files.writeString(marker, stamp + "\n", StandardCharsets.UTF_8);
            return new Outcome(v, true, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(null, false, "interrupted");
        } catch (Exception e) {
            return new Outcome(null, false, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** The stamp in {@code marker}, or null when there is none. */
    static String readStamp(Path marker) throws IOException {
        return Files.isRegularFile(marker) ? Files.readString(marker, StandardCharsets.UTF_8).strip() : null;
    }
}

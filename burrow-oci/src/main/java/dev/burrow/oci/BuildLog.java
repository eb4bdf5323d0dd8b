package dev.burrow.oci;

/** Where an image build reports what it skipped or could not preserve. */
@FunctionalInterface
public interface BuildLog {
    /** Something in the image was skipped or only partly preserved; the build continues. */
    void warn(String message);

    /** Progress worth showing in a build log. */
    default void info(String message) {
    }

    BuildLog NONE = message -> {
    };
}

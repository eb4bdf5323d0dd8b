package dev.burrow.cli.internal;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --from SOURCE}: {@code oci-archive:FILE}, {@code docker-archive:FILE}, {@code oci-layout:DIR}
 * (uploaded by the CLI; a layout directory is sent as an {@code oci-layout-tar}) or {@code registry:REF}.
 */
public record ImageSource(String kind, String value) {
    public static ImageSource parse(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) throw usage(text);
        String kind = text.substring(0, colon);
        String value = text.substring(colon + 1);
        if (value.isEmpty()) throw usage(text);
        return switch (kind) {
            case "oci-archive", "docker-archive" -> {
                Path p = Path.of(value);
                if (!Files.isRegularFile(p)) throw new BurrowException(kind + ": no such file: " + value);
                yield new ImageSource(kind, value);
            }
            case "oci-layout" -> {
                Path p = Path.of(value);
                if (!Files.isDirectory(p)) throw new BurrowException("oci-layout: no such directory: " + value);
                if (!Files.isRegularFile(p.resolve("oci-layout")) || !Files.isRegularFile(p.resolve("index.json"))) {
                    throw new BurrowException("oci-layout: " + value + " is not an OCI image layout (no oci-layout or index.json)");
                }
                yield new ImageSource(kind, value);
            }
            case "registry" -> new ImageSource(kind, value);
            default -> throw usage(text);
        };
    }

    private static BurrowException usage(String text) {
        return new BurrowException("--from: unknown source '" + text
                + "': use oci-archive:FILE, docker-archive:FILE, oci-layout:DIR or registry:REF");
    }

    public boolean uploaded() {
        return !kind.equals("registry");
    }

    /** The {@code format} burrowd gets for the uploaded bytes. */
    public String uploadFormat() {
        return kind.equals("oci-layout") ? "oci-layout-tar" : kind;
    }

    public Path path() {
        return Path.of(value);
    }
}

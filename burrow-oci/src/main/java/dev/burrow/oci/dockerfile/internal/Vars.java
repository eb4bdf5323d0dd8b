package dev.burrow.oci.dockerfile.internal;

import dev.burrow.oci.dockerfile.DockerfileException;
import dev.burrow.oci.dockerfile.DockerfileLimits;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A stage's ENV or ARG variables, in order, with their size counted: the two sets of a stage
 * together stay under {@link DockerfileLimits#MAX_VARIABLE_BYTES}.
 */
public final class Vars {
    private final Map<String, String> map = new LinkedHashMap<>();
    private long bytes;

    public Map<String, String> map() {
        return Collections.unmodifiableMap(map);
    }

    /** Sets a variable from the base image (its size is the image's business, still counted). */
    public void putUnchecked(String name, String value) {
        String old = map.put(name, value);
        bytes += size(name, value) - (old == null ? 0 : size(name, old));
    }

    /** Sets a variable; refused when this set and {@code other} together would pass the limit. */
    public void put(String name, String value, Vars other, int line) throws DockerfileException {
        String old = map.get(name);
        long after = bytes + size(name, value) - (old == null ? 0 : size(name, old));
        if (after + other.bytes > DockerfileLimits.MAX_VARIABLE_BYTES) {
            throw new DockerfileException(line, "the stage's variables would exceed " + DockerfileLimits.MAX_VARIABLE_BYTES
                    + " bytes");
        }
        map.put(name, value);
        bytes = after;
    }

    private static long size(String name, String value) {
        return name.length() + value.length() + 1L;
    }
}

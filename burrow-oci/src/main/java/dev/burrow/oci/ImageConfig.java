package dev.burrow.oci;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The runtime settings of an image (the {@code config} object of an OCI/Docker image config).
 *
 * @param entrypoint {@code Entrypoint}, or null when the image does not set one
 * @param cmd {@code Cmd}, or null when the image does not set one
 * @param env {@code Env} as {@code NAME=value} strings, in image order (never null)
 * @param workingDir {@code WorkingDir}, or null
 * @param user {@code User}, or null
 * @param exposedPorts the keys of {@code ExposedPorts} such as {@code 8080/tcp}, sorted (never null)
 * @param labels {@code Labels}, sorted by key (never null)
 */
public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user,
        List<String> exposedPorts, Map<String, String> labels) {

    public static final ImageConfig EMPTY = new ImageConfig(null, null, List.of(), null, null, List.of(), Map.of());

    public ImageConfig {
        entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
        cmd = cmd == null ? null : List.copyOf(cmd);
        env = env == null ? List.of() : List.copyOf(env);
        exposedPorts = exposedPorts == null ? List.of() : List.copyOf(new TreeSet<>(exposedPorts));
        labels = labels == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(labels));
        if (workingDir != null && workingDir.isEmpty()) {
            workingDir = null;
        }
        if (user != null && user.isEmpty()) {
            user = null;
        }
    }

    /** The environment as an ordered map (a later duplicate name wins, as in Docker). */
    public Map<String, String> envMap() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq < 0) {
                m.put(e, "");
            } else {
                m.put(e.substring(0, eq), e.substring(eq + 1));
            }
        }
        return m;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder for writing images; unset fields stay unset. */
    public static final class Builder {
        private List<String> entrypoint;
        private List<String> cmd;
        private final List<String> env = new ArrayList<>();
        private String workingDir;
        private String user;
        private final List<String> exposedPorts = new ArrayList<>();
        private final Map<String, String> labels = new TreeMap<>();

        public Builder entrypoint(String... args) {
            this.entrypoint = List.of(args);
            return this;
        }

        public Builder cmd(String... args) {
            this.cmd = List.of(args);
            return this;
        }

        public Builder env(String name, String value) {
            env.add(name + "=" + value);
            return this;
        }

        public Builder workingDir(String dir) {
            this.workingDir = dir;
            return this;
        }

        public Builder user(String u) {
            this.user = u;
            return this;
        }

        public Builder exposePort(String port) {
            exposedPorts.add(port.contains("/") ? port : port + "/tcp");
            return this;
        }

        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        public ImageConfig build() {
            return new ImageConfig(entrypoint, cmd, env, workingDir, user, exposedPorts, labels);
        }
    }
}

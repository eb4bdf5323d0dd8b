package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;

/**
 * The client config file, {@code $XDG_CONFIG_HOME/burrow/config.json} (else
 * {@code ~/.config/burrow/config.json}), mode 0600: {@code {"url", "apiKey", "dataDir"}}.
 * Under sudo it is the invoking user's file, owned by them. {@code BURROW_URL} and
 * {@code BURROW_API_KEY} override what the file says. {@code burrow up} puts a key of tenant
 * {@code dev} here ({@link DevKeyHandover}); the admin key never goes into this file.
 */
public record ClientConfig(String url, String apiKey, String dataDir, Path file) {
    public static final String DEFAULT_URL = "http://127.0.0.1:7070";

    /** The file, whether or not it exists. */
    public static Path path(CliEnv env) {
        String sudoUser = sudoUser(env);
        if (sudoUser != null) {
            Path home = Posix.homeOf(sudoUser);
            if (home != null) return home.resolve(".config/burrow/config.json");
        }
        String xdg = env.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && Path.of(xdg).isAbsolute() ? Path.of(xdg) : env.home().resolve(".config");
        return base.resolve("burrow/config.json");
    }

    /** The user sudo ran us for, when we are root under sudo; else null. */
    static String sudoUser(CliEnv env) {
        String user = env.getenv("SUDO_USER");
        if (user == null || user.equals("root") || Posix.uid() != 0) return null;
        return user;
    }

    /** The file's contents with the environment overrides applied; a missing file is fine. */
    public static ClientConfig load(CliEnv env) {
        ClientConfig stored = stored(env);
        String url = stored.url, apiKey = stored.apiKey;
        if (env.getenv("BURROW_URL") != null) url = env.getenv("BURROW_URL");
        if (env.getenv("BURROW_API_KEY") != null) apiKey = env.getenv("BURROW_API_KEY");
        if (url == null) url = DEFAULT_URL;
        while (url.endsWith("/")) url = url.substring(0, url.length() - 1);
        return new ClientConfig(url, apiKey, stored.dataDir, stored.file);
    }

    /** What the file itself says, without the environment overrides (null members when it is missing or says nothing). */
    public static ClientConfig stored(CliEnv env) {
        Path file = path(env);
        String url = null, apiKey = null, dataDir = null;
        if (Files.isRegularFile(file)) {
            try {
                JsonNode node = Json.MAPPER.readTree(Files.readString(file));
                url = nonEmpty(Json.text(node, "url"));
                apiKey = nonEmpty(Json.text(node, "apiKey"));
                dataDir = nonEmpty(Json.text(node, "dataDir"));
            } catch (IOException e) {
                throw new BurrowException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return new ClientConfig(url, apiKey, dataDir, file);
    }

    private static String nonEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    public ObjectNode toJson() {
        ObjectNode node = Json.object();
        node.put("url", url);
        if (apiKey == null) node.putNull("apiKey"); else node.put("apiKey", apiKey);
        if (dataDir == null) node.putNull("dataDir"); else node.put("dataDir", dataDir);
        return node;
    }

    /**
     * Writes {@code {url, apiKey, dataDir}} to {@link #path}: created 0600 from the start (never
     * readable by others, not even briefly), then moved into place; under sudo chown'd to the
     * invoking user along with the directories it created.
     */
    public static Path write(CliEnv env, String url, String apiKey, String dataDir) {
        Path file = path(env);
        ObjectNode node = Json.object();
        node.put("url", url);
        node.put("apiKey", apiKey);
        node.put("dataDir", dataDir);
        String sudoUser = sudoUser(env);
        try {
            Path dir = file.getParent();
            List<Path> created = Posix.createDirectories(dir);
            Path tmp = dir.resolve(".config.json." + ProcessHandle.current().pid() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, Json.pretty(node) + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            if (sudoUser != null) {
                for (Path p : created) chown(p, sudoUser);
                chown(tmp, sudoUser);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } catch (IOException e) {
            throw new BurrowException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void chown(Path p, String user) throws IOException {
        UserPrincipalLookupService lookup = p.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal owner = lookup.lookupPrincipalByName(user);
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
        view.setOwner(owner);
        String group = Posix.primaryGroupOf(user);
        if (group != null) {
            try {
                GroupPrincipal g = lookup.lookupPrincipalByGroupName(group);
                view.setGroup(g);
            } catch (IOException ignored) {
                // the owner is what matters
            }
        }
    }
}

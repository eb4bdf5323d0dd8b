package dev.burrow.cli.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The admin key for {@code burrow admin …}, {@code burrow image publish} and the key handover
 * of {@code burrow up}: {@code BURROW_ADMIN_KEY}, else {@code <dataDir>/admin.key} (0600, written
 * by burrowd on its first start, so readable by root or the user burrowd runs as). It is never
 * written into the client config.
 */
final class AdminKey {
    static final String ENV = "BURROW_ADMIN_KEY";
    static final String FILE_NAME = "admin.key";
    /** More than any key burrowd writes; a bigger file is not a key file. */
    static final long MAX_FILE_BYTES = 4096;

    private AdminKey() {}

    static Path file(Path dataDir) {
        return dataDir.resolve(FILE_NAME);
    }

    /** The key from the environment or the file; empty when neither gives one ({@link #unreadable} says why). */
    static Optional<String> find(CliEnv env, Path dataDir) {
        String fromEnv = env.getenv(ENV);
        if (fromEnv != null) return Optional.of(fromEnv.strip());
        try {
            Path file = file(dataDir);
            if (Files.size(file) > MAX_FILE_BYTES) return Optional.empty();
            String key = Files.readString(file).strip();
            return key.isEmpty() ? Optional.empty() : Optional.of(key);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The key from the environment or the file; a {@link BurrowException} (exit 125) saying how to give one. */
    static String require(CliEnv env, Path dataDir) {
        return find(env, dataDir).orElseThrow(() -> new BurrowException("admin verbs need root or " + ENV + ": " + unreadable(dataDir)));
    }

    /** Why {@code <dataDir>/admin.key} gives no key: {@code cannot read FILE: REASON}. */
    static String unreadable(Path dataDir) {
        Path file = file(dataDir);
        String why;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                why = "it is larger than " + MAX_FILE_BYTES + " bytes";
            } else {
                why = Files.readString(file).isBlank() ? "it is empty" : "it was unreadable a moment ago";
            }
        } catch (NoSuchFileException e) {
            why = "there is no such file (has burrowd started with this data directory?)";
        } catch (AccessDeniedException e) {
            why = "permission denied";
        } catch (IOException e) {
            why = e.getMessage();
        }
        return "cannot read " + file + ": " + why;
    }

    /** An API error of an admin call, told in terms of the admin key; other errors as they are. */
    static BurrowException explain(BurrowException e, Path dataDir) {
        return switch (e.status()) {
            case 403 -> new BurrowException("burrow admin needs the admin key: " + e.getMessage() + " (run it as root so it reads "
                    + file(dataDir) + ", or set " + ENV + " to an admin key)", 403, e.type(), e);
            case 401 -> new BurrowException("the admin key was not accepted: " + e.getMessage() + " (" + ENV + " or "
                    + file(dataDir) + " holds a revoked or mistyped key)", 401, e.type(), e);
            default -> e;
        };
    }
}

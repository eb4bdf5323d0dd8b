package dev.burrow.vmm.internal;

import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The C binaries built by guest/Makefile travel inside the jar; they are written out to the
 * data directory when missing or different.
 */
public final class GuestBinaries {

    public static final String AGENT = "burrow-agent";
    public static final String JAILER = "burrow-jailer";
    private static final String RESOURCE_DIR = "/dev/burrow/vmm/guest/";

    private GuestBinaries() {}

    /** The SHA-256 (hex) of a binary in the jar: which agent a template built now would carry. */
    public static String sha256(String name) throws VmmException {
        try (InputStream in = GuestBinaries.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new VmmException(name + " is not in the burrow-vmm jar: build with `make -C guest` (the Maven build does it)");
            }
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new VmmException("could not read " + name + " from the jar: " + e.getMessage(), e);
        }
    }

    public static Path extract(String name, Path dir) throws VmmException {
        try (InputStream in = GuestBinaries.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new VmmException(name + " is not in the burrow-vmm jar: build with `make -C guest` (the Maven build does it)");
            }
            byte[] bytes = in.readAllBytes();
            Files.createDirectories(dir);
            Path target = dir.resolve(name);
            if (Files.exists(target) && Arrays.equals(Files.readAllBytes(target), bytes)) {
                return target;
            }
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            Files.write(tmp, bytes);
            // burrowd's own: only its user runs them (everything under the data directory is 0700/0600)
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new VmmException("could not write " + name + " to " + dir + ": " + e.getMessage(), e);
        }
    }
}

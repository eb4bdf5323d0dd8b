package dev.burrow.daemon.registries;

import dev.burrow.daemon.store.Sealer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM under a key file of the data directory (0600, made on first use): what a copy of
 * the database alone cannot read. Every sealed value carries a fresh 96-bit nonce and is bound
 * to associated data (its row), so a ciphertext moved to another row fails to open.
 */
public final class SecretBox implements Sealer {
    /** The key file's name in the data directory. */
    public static final String KEY_FILE = "registry.key";
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final SecretKey key;
    private final SecureRandom random = new SecureRandom();

    private SecretBox(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    /**
     * The box of {@code dataDir}: its key file is read, or created (0600, written to a temporary
     * file and moved in, so two starts never see half a key). A key file of the wrong size or
     * readable by others is refused: the secrets it guards are not safe under it.
     */
    public static SecretBox open(Path dataDir) throws IOException {
        return open(dataDir, KEY_FILE);
    }

    /** {@link #open(Path)} with another key file of the data directory (each kind of secret has its own key). */
    public static SecretBox open(Path dataDir, String keyFileName) throws IOException {
        Path file = dataDir.resolve(keyFileName);
        if (!Files.exists(file)) {
            byte[] fresh = new byte[KEY_BYTES];
            new SecureRandom().nextBytes(fresh);
            Path tmp = Files.createTempFile(dataDir, keyFileName, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try {
                Files.write(tmp, fresh);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException raced) {
                // another start made it first: use theirs
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY.containsAll(perms)) {
            throw new IOException(keyFileName + " in the data directory is readable by others ("
                    + PosixFilePermissions.toString(perms) + "); make it 0600");
        }
        byte[] key = Files.readAllBytes(file);
        if (key.length != KEY_BYTES) {
            throw new IOException(keyFileName + " in the data directory holds " + key.length + " bytes, not a "
                    + KEY_BYTES + "-byte key; it is damaged (the secrets sealed under it must be entered again once it is removed)");
        }
        return new SecretBox(key);
    }

    /** {@code nonce || ciphertext || tag} of {@code plain}, bound to {@code context}. */
    @Override
    public byte[] seal(String plain, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /** The plain text of {@code sealed}; fails when it was sealed under another key or context, or altered. */
    @Override
    public String open(byte[] sealed, String context) throws GeneralSecurityException {
        if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new GeneralSecurityException("a sealed value is too short");
        }
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
        c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
        return new String(c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES), StandardCharsets.UTF_8);
    }
}

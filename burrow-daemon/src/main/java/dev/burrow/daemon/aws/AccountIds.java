package dev.burrow.daemon.aws;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A tenant's AWS account id: 12 decimal digits derived from its tenant id (SHA-256, the first
 * eight bytes as an unsigned number, modulo 10¹²), so it needs no column and never changes. It
 * only ever names the caller's own account in an ARN: a lookup is always by the caller's tenant,
 * and an ARN with any other account is a ResourceNotFoundException — so two tenants that shared
 * an id (one chance in 10¹² per pair) would still not see each other's resources.
 */
public final class AccountIds {

    private static final BigInteger MODULUS = BigInteger.TEN.pow(12);

    private AccountIds() {}

    public static String of(String tenantId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(tenantId.getBytes(StandardCharsets.UTF_8));
            byte[] first = new byte[9];
            System.arraycopy(digest, 0, first, 1, 8);
            return String.format("%012d", new BigInteger(first).mod(MODULUS));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

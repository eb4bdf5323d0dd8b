package dev.burrow.daemon.store;

import java.security.GeneralSecurityException;

/** Authenticated encryption of a secret bound to its row (the data directory's SecretBox in burrowd). */
public interface Sealer {

    /** The sealed form of {@code plain}, bound to {@code context}. */
    byte[] seal(String plain, String context);

    /** The plain text of {@code sealed}; fails when it was sealed under another key or context, or altered. */
    String open(byte[] sealed, String context) throws GeneralSecurityException;
}

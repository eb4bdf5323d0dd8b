package dev.burrow.daemon.microvms;

import java.util.NoSuchElementException;

/** A resource the caller's tenant cannot see (404; other tenants' ids answer the same). */
public final class NotFoundException extends NoSuchElementException {
    public NotFoundException(String message) {
        super(message);
    }
}

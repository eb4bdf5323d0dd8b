package dev.burrow.daemon.store;

/** A database failure that callers cannot repair (I/O, corruption, a bug in SQL). */
public class StoreException extends RuntimeException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

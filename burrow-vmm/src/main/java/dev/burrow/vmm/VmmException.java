package dev.burrow.vmm;

/** The engine could not do what was asked; the message is written for the person running Burrow. */
public class VmmException extends Exception {
    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.burrow.vmm;

/** A template was made on a host that differs from this one in a way that breaks restore. */
public final class TemplateMismatchException extends VmmException {
    public TemplateMismatchException(String message) {
        super(message);
    }
}

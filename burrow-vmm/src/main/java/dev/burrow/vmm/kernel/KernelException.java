package dev.burrow.vmm.kernel;

import java.io.IOException;

/** A guest kernel or initramfs could not be provided; the message says what failed and what to do. */
public class KernelException extends IOException {
    public KernelException(String message) {
        super(message);
    }

    public KernelException(String message, Throwable cause) {
        super(message, cause);
    }
}

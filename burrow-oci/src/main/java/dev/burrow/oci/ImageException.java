package dev.burrow.oci;

import java.io.IOException;

/**
 * An image could not be read, resolved or unpacked. The message is written for the user who
 * supplied the image (it becomes a version's {@code stateReason}); it names the blob or layer
 * concerned and what is wrong with it.
 */
public class ImageException extends IOException {
    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}

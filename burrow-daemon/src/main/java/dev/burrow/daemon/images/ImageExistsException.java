package dev.burrow.daemon.images;

/** An image of that name already exists (409 in the API; the CLI adds a version instead). */
public final class ImageExistsException extends IllegalStateException {
    public ImageExistsException(String name) {
        super("an image named " + name + " already exists; add a version to it instead");
    }
}

package dev.burrow.daemon.images;

/** A request that cannot be carried out as given; {@link #field()} names the offending field (a 400 in the API). */
public final class InvalidRequestException extends IllegalArgumentException {

    private final String field;

    public InvalidRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}

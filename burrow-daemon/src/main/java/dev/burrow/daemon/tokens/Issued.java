package dev.burrow.daemon.tokens;

/** A token just made: {@code token} is the secret, shown to the caller once and stored only as a hash. */
public record Issued(String token, Grant grant) {

    @Override
    public String toString() {
        return "Issued[" + grant + ", token=…]";
    }
}

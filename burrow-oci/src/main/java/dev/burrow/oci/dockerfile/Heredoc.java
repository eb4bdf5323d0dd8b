package dev.burrow.oci.dockerfile;

/**
 * A here-document of a RUN, COPY or ADD ({@code <<EOF}, {@code <<-EOF}, {@code <<"EOF"}).
 *
 * @param name the delimiter word without quotes ({@code EOF}); for COPY it is also the file name
 * @param content the body, each line ending with a newline; for {@code <<-} leading tabs are
 *     already removed
 * @param expand false when the delimiter was quoted: the body is taken literally
 * @param stripTabs true for {@code <<-}
 */
public record Heredoc(String name, String content, boolean expand, boolean stripTabs) {
}

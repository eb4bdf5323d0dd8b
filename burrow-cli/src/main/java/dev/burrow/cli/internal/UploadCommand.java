package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow upload FILE [--json]}: streams a file to {@code POST /v1/uploads} (with the
 * progress line and the checks every upload of the CLI has, {@link Uploader}) and prints the
 * upload's URI, {@code burrow://uploads/<id>} — what the Lambda MicroVMs API's
 * {@code codeArtifact.uri} takes (SPEC §8). {@code --json} prints the upload object with {@code uri}.
 */
@Command(name = "upload", description = {"Upload a file to burrowd and print its URI, burrow://uploads/ID.",
        "The URI is a codeArtifact.uri for the Lambda MicroVMs API (a zip with a Dockerfile); unused uploads expire."})
public final class UploadCommand extends BaseCommand {

    /** The scheme and authority of an upload's URI. */
    public static final String URI_PREFIX = "burrow://uploads/";

    @Parameters(index = "0", paramLabel = "FILE", description = "The file to upload.")
    Path file;

    @Option(names = "--json", description = "Print the upload object (uploadId, bytes, sha256, expiresAt) with its uri.")
    boolean json;

    @Override
    public Integer call() {
        if (Files.isDirectory(file)) {
            throw new BurrowException(file + " is a directory; upload takes a file (a codeArtifact is a zip: zip the directory first)");
        }
        if (!Files.isRegularFile(file)) {
            throw new BurrowException("no such file: " + file);
        }
        JsonNode upload = new Uploader(api(), new Progress(env)).uploadFile(file);
        String uri = URI_PREFIX + Json.text(upload, "uploadId");
        if (json) {
            ObjectNode out = upload.deepCopy();
            out.put("uri", uri);
            out().println(Json.pretty(out));
        } else {
            out().println(uri);
        }
        return 0;
    }
}

package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow logs ID [-f] [--json]}: a microVM's console output (kernel, agent, entrypoint),
 * the bytes as they are; with {@code -f} new output as it comes, until the microVM ends. With
 * {@code --json} the API's NDJSON lines as they arrive. A follow reads NDJSON either way, whose
 * keep-alives hold a quiet connection open; burrowd's own notes (the end and why) go to stderr.
 */
@Command(name = "logs", description = {"Print a microVM's console output (kernel, agent and entrypoint).",
        "With -f, keep printing new output until the microVM ends."})
public final class LogsCommand extends BaseCommand {

    @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
    String id;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the microVM ends.")
    boolean follow;

    @Option(names = "--json", description = "Print the NDJSON lines as they arrive.")
    boolean json;

    @Override
    public Integer call() {
        String full = IdResolver.resolve(api(), id);
        String path = "/v1/microvms/" + ApiClient.seg(full) + "/logs";
        PrintStream out = out();
        if (!follow && !json) {
            HttpResponse<InputStream> resp = api().getStreaming(path + "?format=text");
            try (InputStream in = resp.body()) {
                in.transferTo(out); // raw bytes: the console's own encoding and escapes reach the terminal as they are
            } catch (IOException e) {
                throw new BurrowException("the logs from burrowd broke off: " + e.getMessage(), e);
            }
            out.flush();
            return 0;
        }
        HttpResponse<InputStream> resp = api().getStreaming(path + "?format=ndjson" + (follow ? "&follow=true" : ""));
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue; // a keep-alive
                }
                if (json) {
                    out.println(line);
                } else {
                    print(Json.parse(line), out);
                }
                out.flush();
            }
        } catch (IOException e) {
            throw new BurrowException("the logs from burrowd broke off: " + e.getMessage(), e);
        }
        return 0;
    }

    private void print(JsonNode line, PrintStream out) {
        String text = Json.text(line, "text");
        if (Json.text(line, "stream").equals("burrow")) {
            err().println("burrow: " + text);
            err().flush();
        } else {
            out.print(text);
        }
    }
}

package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

/** {@code burrow version}: picocli's side of it (help, errors); the work is {@link VersionVerb}'s. */
@Command(name = "version", description = "Print the client and server versions.")
public final class VersionCommand extends BaseCommand {
    /** The CLI's version: the jar manifest's when there is one. */
    public static String clientVersion() {
        return VersionVerb.clientVersion();
    }

    public static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"burrow " + clientVersion()};
        }
    }

    @Option(names = "--json", description = "Print {\"client\", \"server\"} as JSON.")
    boolean json;

    @Override
    public Integer call() {
        return new VersionVerb(json).run(context());
    }

    /** {@code burrowd 0.1.0 (agent protocol 1, qemu 7.2.22, TCG, kernel …)}. */
    public static String describe(JsonNode v) {
        return VersionVerb.describe(v);
    }
}

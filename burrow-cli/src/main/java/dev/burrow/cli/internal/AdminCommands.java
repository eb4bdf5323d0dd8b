package dev.burrow.cli.internal;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;

/** {@code burrow admin tenant|key …}: tenants, their quotas and their API keys, with the admin key (SPEC §3, §4). */
@Command(name = "admin", description = "Manage tenants and API keys (needs the admin key: root, or BURROW_ADMIN_KEY).",
        subcommands = {TenantCommands.class, KeyCommands.class})
public final class AdminCommands extends BaseCommand {
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: tenant or key");
    }
}

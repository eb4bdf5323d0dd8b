package dev.burrow.vmm;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything a template snapshot depends on besides its own files: restoring on a host whose
 * profile differs in any field is refused, naming the fields.
 */
public record HostProfile(String vmm, String vmmVersion, String machine, String cpuModel,
                          Accelerator accelerator, String kernel, int agentProtocol) {

    /** Why a template made under {@code made} cannot be restored here, or an empty list. */
    public List<String> mismatches(HostProfile made) {
        List<String> out = new ArrayList<>();
        diff(out, "VMM", made.vmm, vmm);
        diff(out, "VMM version", made.vmmVersion, vmmVersion);
        diff(out, "machine options", made.machine, machine);
        diff(out, "CPU model", made.cpuModel, cpuModel);
        diff(out, "accelerator", made.accelerator.name(), accelerator.name());
        diff(out, "guest kernel", made.kernel, kernel);
        diff(out, "agent protocol", String.valueOf(made.agentProtocol), String.valueOf(agentProtocol));
        return out;
    }

    private static void diff(List<String> out, String what, String then, String now) {
        if (!then.equals(now)) {
            out.add(what + " was " + then + ", this host has " + now);
        }
    }
}

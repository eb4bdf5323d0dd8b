package dev.burrow.vmm.testing;

import dev.burrow.vmm.MicroVm;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * MicroVMs restored from the shared {@link EngineFixture} template for one test, closed after it
 * whatever it did. Register with {@code @RegisterExtension final Restores vms = new Restores();}.
 */
public final class Restores implements AfterEachCallback {

    private final List<MicroVm> vms = new ArrayList<>();

    /** A new microVM from the suite's template (booted once per JVM), closed after the test. */
    public MicroVm restore() throws Exception {
        MicroVm vm = EngineFixture.get().restore();
        vms.add(vm);
        return vm;
    }

    /** Closes a microVM the engine gave the test some other way (a fork, an adopted VMM) after it too. */
    public MicroVm track(MicroVm vm) {
        vms.add(vm);
        return vm;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Exception first = null;
        for (MicroVm vm : vms) {
            try {
                vm.close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        vms.clear();
        if (first != null) {
            throw first;
        }
    }
}

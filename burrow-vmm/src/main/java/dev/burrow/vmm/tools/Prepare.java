package dev.burrow.vmm.tools;

import dev.burrow.vmm.kernel.GuestKernel;
import dev.burrow.vmm.kernel.KernelCache;

/** Fetches the guest kernel into the shared cache ({@code BURROW_CACHE_DIR}) so tests start warm. */
public final class Prepare {

    private Prepare() {}

    public static void main(String[] args) throws Exception {
        GuestKernel k = new KernelCache(KernelCache.cacheDirFromEnvironment()).ensure();
        System.out.println("guest kernel: " + k.packageName() + " " + k.packageVersion() + " -> " + k.vmlinuz());
    }
}

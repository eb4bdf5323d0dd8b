package dev.burrow.daemon.aws;

import dev.burrow.daemon.store.Principal;

/**
 * Who a verified signed request speaks for: the API key's principal (tenant, admin flag), the
 * access key id it signed with, and the region of its credential scope — the region every ARN in
 * the answer carries (SPEC §8: any region is accepted).
 */
public record AwsPrincipal(Principal principal, String accessKeyId, String region) {

    /** The tenant's 12-digit account id ({@link AccountIds}). */
    public String accountId() {
        return AccountIds.of(principal.tenantId());
    }
}

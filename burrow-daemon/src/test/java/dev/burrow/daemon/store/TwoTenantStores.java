package dev.burrow.daemon.store;

import java.nio.file.Path;

/** A test database with two tenants, {@code a} and {@code b}, and each one's image store: what the store tests share. */
record TwoTenantStores(Database db, String tenantA, String tenantB, SqliteImageStore a, SqliteImageStore b) {

    static TwoTenantStores open(Path dir) {
        Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        Tenants tenants = new Tenants(db);
        String tenantA = tenants.create("a", null).orElseThrow().id();
        String tenantB = tenants.create("b", null).orElseThrow().id();
        return new TwoTenantStores(db, tenantA, tenantB, new SqliteImageStore(db, tenantA), new SqliteImageStore(db, tenantB));
    }
}

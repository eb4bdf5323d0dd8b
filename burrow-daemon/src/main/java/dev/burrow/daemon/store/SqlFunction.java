package dev.burrow.daemon.store;

import java.sql.SQLException;

/** A function that may throw {@link SQLException}: the body of a {@link Database#read} or {@link Database#write}. */
@FunctionalInterface
public interface SqlFunction<A, R> {

    R apply(A a) throws SQLException;
}

package dev.burrow.daemon.properties;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/** Sets a property's tries from {@value Settings#TRIES_PROPERTY} (default {@value Settings#DEFAULT_TRIES}), so a long run needs no code change. */
public final class TriesFromSystemProperty implements AroundPropertyHook {

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) throws Throwable {
        context.attributes().setTries(Settings.tries());
        return property.execute();
    }
}

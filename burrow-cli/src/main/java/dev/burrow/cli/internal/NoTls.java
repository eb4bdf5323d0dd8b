package dev.burrow.cli.internal;

import java.security.KeyManagementException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The TLS set-up of an HTTP client that only ever speaks {@code http:}. The JDK client builds
 * {@code SSLContext.getDefault()} when it is given none — the JSSE provider, key and trust
 * managers, the cacerts store parsed certificate by certificate — which was most of a
 * {@code burrow} call's HTTP start-up (docs/adr/0034). Handing it this context instead costs
 * nothing; should a connection ever try TLS with it, it fails with a message, not a hang.
 */
final class NoTls {
    static final String REFUSAL = "TLS is not set up for an http: URL";

    private NoTls() {}

    /** A context whose every TLS operation refuses. */
    static SSLContext context() {
        return new SSLContext(new Refusing(), null, "none") {};
    }

    private static final class Refusing extends SSLContextSpi {
        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            throw new KeyManagementException(REFUSAL);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new IllegalStateException(REFUSAL);
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new IllegalStateException(REFUSAL);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            throw new IllegalStateException(REFUSAL);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            throw new IllegalStateException(REFUSAL);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            throw new IllegalStateException(REFUSAL);
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            throw new IllegalStateException(REFUSAL);
        }
    }
}

// Server credentials for mutual TLS that still let a caller without a certificate finish the
// handshake: such a caller reaches only the Bootstrap service (to join); every Resources call is
// refused by the interceptor with UNAUTHENTICATED. A certificate that does not verify against the
// CA counts as none (grpc-js then reports no peer certificate).
import { type ServerCredentials, experimental } from "@grpc/grpc-js";

class StaticCertificates implements experimental.CertificateProvider {
  constructor(
    private readonly ca: Buffer | undefined,
    private readonly identity: { certificate: Buffer; privateKey: Buffer } | undefined,
  ) {}
  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    // Asynchronously: grpc-js registers its watcher only after adding this listener, and would
    // miss an update given at once (then drop every connection as "credentials not loaded").
    setImmediate(() => listener(this.ca ? { caCertificate: this.ca } : null));
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    setImmediate(() => listener(this.identity ?? null));
  }
  removeIdentityCertificateListener(): void {}
}

export function mutualTlsCredentials(tls: { cert: Buffer; key: Buffer; clientCa: Buffer }): ServerCredentials {
  // One provider for both roles: grpc-js 1.14's createCertificateProviderServerCredentials passes its
  // (ca, identity) arguments to a constructor taking (identity, ca).
  const both = new StaticCertificates(tls.clientCa, { certificate: tls.cert, privateKey: tls.key });
  return experimental.createCertificateProviderServerCredentials(both, both, false);
}

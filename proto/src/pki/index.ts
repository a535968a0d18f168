// @mk/proto/pki: X.509 certificates made in-process, for mkctl's PKI and the API server's signer.
export * from "./x509.js";

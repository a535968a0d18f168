// The first step of every command that talks to the server, after the TCP dial: a gRPC channel
// that is READY, or one line saying why not. A module of its own, imported when a command connects:
// grpc-js is CommonJS, and a named import of it from a bundle chunk needs a static import.
import { connectivityState } from "@grpc/grpc-js";
import type { Clientset } from "@mk/proto/client";
import { notAnApiServer, unreachable } from "./cli-error.js";

/**
 * Handshakes tried before the answer is "not an mk API server": behind an HA cluster's balancer one
 * handshake can meet an API server dying mid-way, and grpc-js's next try (after its 1 s back-off)
 * reaches another.
 */
const HANDSHAKE_TRIES = 3;

/**
 * Waits until the gRPC channel is READY. The TCP dial has succeeded already, so a channel that fails
 * now failed its TLS or HTTP/2 handshake: whatever listens there is not an mk API server (or wants
 * the other transport) once it failed HANDSHAKE_TRIES times. One that neither succeeds nor fails in
 * time is silent. Either way mkctl prints one line, instead of the first call's grpc-js diagnostics.
 */
export function channelReady(cs: Clientset, server: string, tls: boolean, timeoutMs: number): Promise<void> {
  const channel = cs.raw.getChannel();
  const deadline = Date.now() + timeoutMs;
  let failures = 0;
  return new Promise((resolve, reject) => {
    const check = () => {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) resolve();
      else if (state === connectivityState.SHUTDOWN) reject(notAnApiServer(server, tls));
      else if (state === connectivityState.TRANSIENT_FAILURE && ++failures >= HANDSHAKE_TRIES) reject(notAnApiServer(server, tls));
      else channel.watchConnectivityState(state, deadline, (err) => (err ? reject(failures > 0 ? notAnApiServer(server, tls) : unreachable(server, "i/o timeout")) : check()));
    };
    check();
  });
}

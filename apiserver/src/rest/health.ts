// /livez, /healthz and /readyz on the API's TLS port, answered to anyone, with or without a client
// certificate — as kube-apiserver answers them (its system:public-info-viewer role grants them to
// anonymous users): a TCP balancer on another machine checks each API server here (kubeadm's
// haproxy recipe checks `GET /healthz` over TLS the same way), without a credential, and without the
// plain-HTTP port (127.0.0.1:6444), which also serves /metrics and stays on loopback.
// The answer is one word: why etcd is not ready stays in this server's log, not on the network.

/** The health paths served without authentication. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(["/livez", "/healthz", "/readyz"]);

export interface HealthReply {
  code: number;
  text: string;
}

/**
 * The reply to a health path (undefined for any other path, which goes through authentication):
 * /livez and /healthz say the process serves; /readyz that its store answers (ready() resolves).
 */
export function healthReply(method: string, pathname: string, ready: () => Promise<void>): Promise<HealthReply> | undefined {
  if (!HEALTH_PATHS.has(pathname) || (method !== "GET" && method !== "HEAD")) return undefined;
  if (pathname !== "/readyz") return Promise.resolve({ code: 200, text: "ok" });
  return ready().then(
    () => ({ code: 200, text: "ok" }),
    () => ({ code: 503, text: "[-]etcd failed: reason withheld\nreadyz check failed" }),
  );
}

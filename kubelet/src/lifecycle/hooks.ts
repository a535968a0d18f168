// Container lifecycle hooks (postStart, preStop), run as Kubernetes' handler runner
// (pkg/kubelet/lifecycle/handlers.go): exec runs the command in the container and fails on a
// non-zero exit; httpGet sends a GET to the pod IP (or the handler's host) and fails only when no
// response comes back (the status code is not looked at, as in Kubernetes); sleep waits. The failure
// message is Kubernetes', for the log and the container's waiting message; the events carry a fixed
// text ("PostStartHook failed"), as the kubelet records them so that no secret leaks into an event.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Container, LifecycleHandler, Pod } from "@mk/proto";
import { resolvePort } from "../probes/probe.js";
import type { ContainerRuntime } from "../runtime/runtime.js";

export interface HookTarget {
  rt: ContainerRuntime;
  pod: Pod;
  container: Container;
  containerId: string;
  /** The pod's IP (the node's for hostNetwork pods): where an httpGet without host goes. */
  podIp: string;
}

export type HookResult = { ok: true } | { ok: false; message: string };

/** The kubelet's User-Agent for hooks: kube-lifecycle/<major>.<minor> of the Kubernetes mk follows. */
const USER_AGENT = "kube-lifecycle/1.32";

/** format.Pod: name_namespace(uid). */
export const podDescription = (pod: Pod): string => `${pod.metadata?.name}_${pod.metadata?.namespace || "default"}(${pod.metadata?.uid})`;

/** Runs one handler until it is done or the signal aborts (then it has failed). */
export async function runHook(h: LifecycleHandler, t: HookTarget, signal: AbortSignal): Promise<HookResult> {
  const who = `for Container "${t.container.name}" in Pod "${podDescription(t.pod)}"`;
  if (h.exec) {
    const command = h.exec.command;
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let error: string;
    try {
      const r = await t.rt.exec(
        t.containerId,
        command,
        (f) => {
          out.push(f.data);
          if (f.stream === "stderr") errOut.push(f.data);
        },
        { signal },
      );
      if (r.exitCode === 0) return { ok: true };
      error = `command '${command.join(" ")}' exited with ${r.exitCode}: ${Buffer.concat(errOut).toString().slice(0, 1024)}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const output = Buffer.concat(out).toString().slice(0, 1024);
    return { ok: false, message: `Exec lifecycle hook ([${command.join(" ")}]) ${who} failed - error: ${error}, message: ${JSON.stringify(output)}` };
  }
  if (h.httpGet) {
    const g = h.httpGet;
    const error = await httpHook(g, t, signal);
    return error === undefined ? { ok: true } : { ok: false, message: `HTTP lifecycle hook (${g.path}) ${who} failed - error: ${error}` };
  }
  if (h.sleep) {
    const seconds = Number(h.sleep.seconds);
    const slept = await sleep(seconds * 1000, signal);
    return slept ? { ok: true } : { ok: false, message: `Sleep lifecycle hook (${seconds}) ${who} failed - error: container terminated before sleep hook finished` };
  }
  return { ok: false, message: "Cannot run handler: invalid handler: no exec, httpGet or sleep" };
}

/** undefined on any response; otherwise why no response came (Go's error text where it matters). */
async function httpHook(g: NonNullable<LifecycleHandler["httpGet"]>, t: HookTarget, signal: AbortSignal): Promise<string | undefined> {
  const host = g.host || t.podIp;
  if (!host) return "failed to find networking container: the pod has no IP";
  const port = g.port === "" ? 80 : resolvePort(g.port, t.container);
  if (port === undefined) return `couldn't find port: ${g.port} in container ${t.container.name}`;
  const https = (g.scheme || "HTTP").toUpperCase() === "HTTPS";
  const path = g.path.startsWith("/") ? g.path : `/${g.path}`;
  const headers: Record<string, string> = { "User-Agent": USER_AGENT, Accept: "*/*" };
  for (const hd of g.httpHeaders) headers[hd.name] = hd.value;
  const url = `${https ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}${path}`;
  return await new Promise((resolve) => {
    // Kubernetes does not verify a hook's certificate (InsecureSkipVerify), and Go's client takes
    // headers ending in LF alone, as busybox httpd passes on from a CGI script: so the lenient parser.
    const opts = { method: "GET", headers, signal, insecureHTTPParser: true, ...(https ? { rejectUnauthorized: false } : {}) };
    const req = (https ? httpsRequest : httpRequest)(url, opts, (res: IncomingMessage) => {
      res.resume(); // the body is read and dropped
      res.on("end", () => resolve(undefined));
      res.on("error", () => resolve(undefined)); // a response came: that is success
    });
    req.on("error", (err) => resolve(`Get "${url}": ${signal.aborted ? "context canceled" : err.message}`));
    req.end();
  });
}

/** true when the time passed, false when the signal aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

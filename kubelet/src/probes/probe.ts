// One probe attempt — exec, httpGet or tcpSocket — with its timeout, as Kubernetes' prober: exec
// succeeds on exit code 0, httpGet on a status from 200 to 399, tcpSocket when a connection opens.
import { connect } from "node:net";
import { type Container, PROBE_DEFAULTS, type Probe } from "@mk/proto";
import type { ContainerRuntime } from "../runtime/runtime.js";

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, for the Unhealthy event. */
  message: string;
}

export interface ProbeTarget {
  rt: ContainerRuntime;
  containerId: string;
  container: Container;
  /** Pod IP (node IP for hostNetwork pods). */
  host: string;
}

/** Kubernetes' defaults for a probe's timing. */
export function probeTiming(p: Probe): { initialDelayMs: number; timeoutMs: number; periodMs: number; successThreshold: number; failureThreshold: number } {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    timeoutMs: (p.timeoutSeconds || PROBE_DEFAULTS.timeoutSeconds) * 1000,
    periodMs: (p.periodSeconds || PROBE_DEFAULTS.periodSeconds) * 1000,
    successThreshold: p.successThreshold || PROBE_DEFAULTS.successThreshold,
    failureThreshold: p.failureThreshold || PROBE_DEFAULTS.failureThreshold,
  };
}

/** A port given as a number or as the name of one of the container's ports. */
export function resolvePort(port: string, c: Container): number | undefined {
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports.find((p) => p.name === port)?.containerPort;
}

export async function runProbe(p: Probe, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = probeTiming(p).timeoutMs;
  if (p.exec) return await execProbe(p.exec.command, t, timeoutMs);
  if (p.httpGet) {
    const port = resolvePort(p.httpGet.port, t.container);
    if (port === undefined) return { ok: false, message: `port "${p.httpGet.port}" names no container port` };
    const scheme = (p.httpGet.scheme || "HTTP").toLowerCase();
    const path = p.httpGet.path.startsWith("/") ? p.httpGet.path : `/${p.httpGet.path}`;
    const headers: Record<string, string> = { "User-Agent": "mk-probe/1.0" };
    for (const h of p.httpGet.httpHeaders) headers[h.name] = h.value;
    return await httpProbe(`${scheme}://${p.httpGet.host || t.host}:${port}${path}`, headers, timeoutMs);
  }
  if (p.tcpSocket) {
    const port = resolvePort(p.tcpSocket.port, t.container);
    if (port === undefined) return { ok: false, message: `port "${p.tcpSocket.port}" names no container port` };
    return await tcpProbe(p.tcpSocket.host || t.host, port, timeoutMs);
  }
  return { ok: false, message: "probe has no action (exec, httpGet or tcpSocket)" };
}

async function execProbe(command: string[], t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const out: Buffer[] = [];
  try {
    const r = await t.rt.exec(t.containerId, command, (f) => out.push(f.data), { timeoutMs });
    const text = Buffer.concat(out).toString().trim().slice(0, 1024);
    return r.exitCode === 0 ? { ok: true, message: "" } : { ok: false, message: text || `command exited with ${r.exitCode}` };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

async function httpProbe(url: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeResult> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 400) return { ok: true, message: "" };
    return { ok: false, message: `HTTP probe failed with statuscode: ${res.status}` };
  } catch (err) {
    const msg = err instanceof Error && err.name === "TimeoutError" ? "context deadline exceeded" : err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return { ok: false, message: `Get "${url}": ${msg}` };
  }
}

async function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return await new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, message: "" });
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` });
    });
  });
}

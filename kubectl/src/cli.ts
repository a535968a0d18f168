// What every command shares: the global flags resolved against the config file, one connection
// to the API server (checked with a short TCP dial first, so an unreachable server fails in a
// second with kubectl's "Unable to connect to the server" line), and stdout/stderr.
import { connect as dial } from "node:net";
import type { Command } from "commander";
import type { Clientset } from "@mk/proto/client";
import { type ResolvedConnection, resolveConnection } from "./config.js";
import { DurationError, parseDurationFlag } from "./duration.js";
import { CliError, unreachable } from "./cli-error.js";

export interface GlobalOptions {
  server?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  requestTimeout?: string;
}

/** A duration flag's value in milliseconds (Go's syntax, a bare number is seconds; see duration.ts). */
export function parseDuration(value: string, flag = "--request-timeout"): number {
  try {
    return parseDurationFlag(value);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new CliError(`invalid argument "${value}" for "${flag}" flag: ${err.message}`);
  }
}

export function splitHostPort(server: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(server) ?? /^([^:]+):(\d+)$/.exec(server);
  if (!m) throw new CliError(`invalid server address "${server}": want host:port`);
  return { host: m[1] ?? "", port: Number(m[2]) };
}

const DIAL_TIMEOUT_MS = 5_000;

/** One TCP dial: refused, unroutable or silent servers fail here with a one-line reason. */
function probe(server: string, timeoutMs: number): Promise<void> {
  const { host, port } = splitHostPort(server);
  return new Promise((resolve, reject) => {
    const sock = dial({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unreachable(server, "i/o timeout"));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.destroy();
      resolve();
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(unreachable(server, err.message, err));
    });
  });
}

export class Cli {
  readonly flags: GlobalOptions;
  private resolved: ResolvedConnection | undefined;
  private clientset: Clientset | undefined;
  readonly now = (): number => Date.now();

  constructor(flags: GlobalOptions) {
    this.flags = flags;
  }

  static of(cmd: Command): Cli {
    return new Cli(cmd.optsWithGlobals<GlobalOptions>());
  }

  get connection(): ResolvedConnection {
    this.resolved ??= resolveConnection(this.flags);
    return this.resolved;
  }

  get server(): string {
    return this.connection.server;
  }

  /** -n, else the context's namespace, else "default". */
  get namespace(): string {
    return this.connection.namespace;
  }

  get timeoutMs(): number {
    const t = this.flags.requestTimeout ? parseDuration(this.flags.requestTimeout) : 0;
    return t > 0 ? t : 30_000;
  }

  async client(): Promise<Clientset> {
    if (this.clientset) return this.clientset;
    const conn = this.connection;
    const dialMs = Math.min(DIAL_TIMEOUT_MS, this.timeoutMs);
    // The client (grpc-js, the generated code) loads only for commands that talk to the server.
    const [{ connect }] = await Promise.all([import("@mk/proto/client"), probe(conn.server, dialMs)]);
    const cs = connect({
      server: conn.server,
      ...(conn.tls ? { tls: conn.tls } : {}),
      timeoutMs: this.timeoutMs,
      // ~6 s of retries: an etcd election or an API server lost behind the balancer passes unnoticed.
      retry: { attempts: 8, initialDelayMs: 100, maxDelayMs: 1_500 },
      userAgent: "mkctl",
    });
    this.clientset = cs;
    const { channelReady } = await import("./channel.js");
    await channelReady(cs, conn.server, Boolean(conn.tls), dialMs);
    return cs;
  }

  out(text: string): void {
    if (text) process.stdout.write(text);
  }

  err(text: string): void {
    if (text) process.stderr.write(text);
  }

  close(): void {
    this.clientset?.close();
    this.clientset = undefined;
  }
}

/** Wraps a command's action: resolves the Cli, runs, and always closes the connection. */
export function action<A extends unknown[]>(fn: (cli: Cli, ...args: A) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const cli = Cli.of(cmd);
    try {
      await fn(cli, ...(args.slice(0, -1) as A));
    } catch (err) {
      let server = "";
      try {
        server = cli.server;
      } catch {
        // The config itself failed to load: that error is the one to report.
      }
      // Mapping the API's typed errors needs the client's classes: loaded only on failure.
      const { toCliError } = await import("./errors.js");
      throw toCliError(err, server);
    } finally {
      cli.close();
    }
  };
}

// The mkctl config file (~/.mk/config, or MK_CONFIG, or --kubeconfig): kubeconfig's shape, with
// clusters, users and contexts, so a kubectl user reads it without a glossary. `mkctl cluster up`
// writes its context here through writeContext.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { CliError } from "./cli-error.js";

export interface ClusterEntry {
  name: string;
  cluster: { server: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "tls-server-name"?: string };
}
export interface UserEntry {
  name: string;
  user: { "client-certificate"?: string; "client-key"?: string; "client-certificate-data"?: string; "client-key-data"?: string };
}
export interface ContextEntry {
  name: string;
  context: { cluster: string; user?: string; namespace?: string };
}
export interface MkConfig {
  apiVersion: string;
  kind: string;
  clusters: ClusterEntry[];
  users: UserEntry[];
  contexts: ContextEntry[];
  "current-context": string;
}

export const DEFAULT_SERVER = "127.0.0.1:6443";

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MK_CONFIG || join(homedir(), ".mk", "config");
}

export function emptyConfig(): MkConfig {
  return { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [], "current-context": "" };
}

/** Reads the config; a missing file is an empty config (kubectl behaves the same). */
export function loadConfig(path: string): MkConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyConfig();
    throw new CliError(`error loading config file "${path}": ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new CliError(`error loading config file "${path}": ${(err as Error).message}`);
  }
  const c = (doc && typeof doc === "object" ? doc : {}) as Partial<MkConfig>;
  return {
    apiVersion: c.apiVersion ?? "v1",
    kind: c.kind ?? "Config",
    clusters: Array.isArray(c.clusters) ? c.clusters : [],
    users: Array.isArray(c.users) ? c.users : [],
    contexts: Array.isArray(c.contexts) ? c.contexts : [],
    "current-context": c["current-context"] ?? "",
  };
}

export function saveConfig(path: string, config: MkConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Write then rename: a crash never leaves a half-written config behind.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(config, { indentSeq: false }), { mode: 0o600 });
  renameSync(tmp, path);
}

export interface ContextSpec {
  /** Name of the context; the cluster and user entries get the same name. */
  name: string;
  server: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  namespace?: string;
  /** Make it the current context (default true). */
  setCurrent?: boolean;
}

function upsert<T extends { name: string }>(list: T[], entry: T): T[] {
  const i = list.findIndex((e) => e.name === entry.name);
  if (i < 0) return [...list, entry];
  const out = [...list];
  out[i] = entry;
  return out;
}

/** Adds or replaces a context (and its cluster and user) in a config, leaving the others alone. */
export function mergeContext(config: MkConfig, spec: ContextSpec): MkConfig {
  // With TLS the server is written as an https:// URL, so Kubernetes' kubectl can use the same file
  // (mk serves its HTTP API on the gRPC address); mkctl reads it without the scheme (normalizeServer).
  const server = spec.certificateAuthority && !/^[a-z]+:\/\//.test(spec.server) ? `https://${spec.server}` : spec.server;
  const cluster: ClusterEntry["cluster"] = { server };
  if (spec.certificateAuthority) cluster["certificate-authority"] = spec.certificateAuthority;
  const user: UserEntry["user"] = {};
  if (spec.clientCertificate) user["client-certificate"] = spec.clientCertificate;
  if (spec.clientKey) user["client-key"] = spec.clientKey;
  const context: ContextEntry["context"] = { cluster: spec.name, user: spec.name };
  if (spec.namespace) context.namespace = spec.namespace;
  return {
    ...config,
    clusters: upsert(config.clusters, { name: spec.name, cluster }),
    users: upsert(config.users, { name: spec.name, user }),
    contexts: upsert(config.contexts, { name: spec.name, context }),
    "current-context": spec.setCurrent === false && config["current-context"] ? config["current-context"] : spec.name,
  };
}

/** Writes or merges a context into the config file at path (default: MK_CONFIG or ~/.mk/config). */
export function writeContext(spec: ContextSpec, path = defaultConfigPath()): void {
  saveConfig(path, mergeContext(loadConfig(path), spec));
}

export interface ResolvedConnection {
  server: string;
  namespace: string;
  /** Whether the namespace came from -n (apply compares it with the manifests' namespaces). */
  namespaceExplicit: boolean;
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
}

export interface ConnectionFlags {
  server?: string | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
}

/** "https://h:p" and "h:p" both dial h:p (gRPC takes host:port). */
export function normalizeServer(server: string): string {
  return server.replace(/^(https?|grpcs?):\/\//, "").replace(/\/+$/, "");
}

function readPath(file: string, base: string): Buffer {
  const p = isAbsolute(file) ? file : resolve(base, file);
  try {
    return readFileSync(p);
  } catch (err) {
    throw new CliError(`unable to read "${p}": ${(err as Error).message}`);
  }
}

/** Flags first, then the chosen context, then the defaults (127.0.0.1:6443, namespace default). */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const path = flags.kubeconfig || defaultConfigPath(env);
  const config = loadConfig(path);
  const ctxName = flags.context || config["current-context"];
  const ctx = config.contexts.find((c) => c.name === ctxName)?.context;
  if (flags.context && !ctx) throw new CliError(`context "${flags.context}" does not exist`);
  const cluster = ctx ? config.clusters.find((c) => c.name === ctx.cluster)?.cluster : undefined;
  const user = ctx?.user ? config.users.find((u) => u.name === ctx.user)?.user : undefined;
  const base = dirname(path);
  const out: ResolvedConnection = {
    server: normalizeServer(flags.server || cluster?.server || DEFAULT_SERVER),
    namespace: flags.namespace || ctx?.namespace || "default",
    namespaceExplicit: Boolean(flags.namespace),
  };
  // TLS applies only when the server comes from the same cluster entry (an explicit --server to
  // another address is plaintext, as for a local development server).
  if (cluster && (!flags.server || normalizeServer(flags.server) === normalizeServer(cluster.server))) {
    const ca = cluster["certificate-authority-data"]
      ? Buffer.from(cluster["certificate-authority-data"], "base64")
      : cluster["certificate-authority"]
        ? readPath(cluster["certificate-authority"], base)
        : undefined;
    if (ca) {
      out.tls = { ca };
      if (cluster["tls-server-name"]) out.tls.serverName = cluster["tls-server-name"];
      if (user?.["client-certificate-data"]) out.tls.cert = Buffer.from(user["client-certificate-data"], "base64");
      else if (user?.["client-certificate"]) out.tls.cert = readPath(user["client-certificate"], base);
      if (user?.["client-key-data"]) out.tls.key = Buffer.from(user["client-key-data"], "base64");
      else if (user?.["client-key"]) out.tls.key = readPath(user["client-key"], base);
    }
  }
  return out;
}

// What `mkctl create configmap` and `create secret generic|tls|docker-registry` build, as kubectl
// builds them: keys from --from-literal (key=value), --from-file ([key=]path; a directory gives one
// key per regular file) and --from-env-file (KEY=VALUE lines). Errors name keys and files, never a
// value read from them.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { ConfigMap, configKeyErrors, Secret, SECRET_TYPE_DOCKER_CONFIG_JSON, SECRET_TYPE_OPAQUE, SECRET_TYPE_TLS } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { CliError } from "../errors.js";

export interface DataSources {
  literals: readonly string[];
  files: readonly string[];
  envFiles: readonly string[];
}

/** Keys in the order given; a repeated key is an error, as in kubectl. */
type Entries = Map<string, Buffer>;

function add(out: Entries, key: string, value: Buffer, what: string, name: string): void {
  const errs = configKeyErrors(key);
  if (errs.length > 0) throw new CliError(`"${key}" is not a valid key name for a ${what}: ${errs.join("; ")}`);
  if (out.has(key)) throw new CliError(`cannot add key ${key}, another key by that name already exists in data for ${what} "${name}"`);
  out.set(key, value);
}

function splitPair(s: string, flag: string): [string, string] {
  const i = s.indexOf("=");
  if (i <= 0) throw new CliError(`invalid ${flag}: expected key=value, got a string without a key (or without '=')`);
  return [s.slice(0, i), s.slice(i + 1)];
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`error reading ${path}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`, { cause: err });
  }
}

function addFile(out: Entries, spec: string, what: string, name: string): void {
  const eq = spec.indexOf("=");
  const [key, path] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [undefined, spec];
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) throw new CliError(`error reading ${path}: no such file or directory`);
  if (info.isDirectory()) {
    if (key !== undefined) throw new CliError(`cannot give a key name for a directory path: ${path}`);
    // As kubectl: the directory's regular files whose names are valid keys; the rest is skipped.
    for (const f of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (f.isFile() && configKeyErrors(f.name).length === 0) add(out, f.name, readFile(join(path, f.name)), what, name);
    }
    return;
  }
  add(out, key ?? basename(path), readFile(path), what, name);
}

/** KEY=VALUE lines; `#` comments and blank lines skipped; a bare KEY takes the value from mkctl's environment. */
function addEnvFile(out: Entries, path: string, what: string, name: string): void {
  const lines = readFile(path).toString("utf8").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key === "" || !/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) throw new CliError(`${path} line ${i + 1}: "${key}" is not a valid environment variable name`);
    const value = eq >= 0 ? line.slice(eq + 1) : (process.env[key] ?? "");
    add(out, key, Buffer.from(value, "utf8"), what, name);
  });
}

function collect(src: DataSources, what: string, name: string): Entries {
  if (src.envFiles.length > 0 && (src.literals.length > 0 || src.files.length > 0)) {
    throw new CliError("from-env-file cannot be combined with from-file or from-literal");
  }
  const out: Entries = new Map();
  for (const l of src.literals) {
    const [k, v] = splitPair(l, "--from-literal");
    add(out, k, Buffer.from(v, "utf8"), what, name);
  }
  for (const f of src.files) addFile(out, f, what, name);
  for (const f of src.envFiles) addEnvFile(out, f, what, name);
  return out;
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    // Not UTF-8: kubectl puts such a file into binaryData.
    return false;
  }
}

export function buildConfigMap(name: string, namespace: string, src: DataSources): ConfigMap {
  const cm = ConfigMap.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: emptyMeta({ name, namespace }) });
  for (const [k, v] of collect(src, "ConfigMap", name)) {
    if (isUtf8(v)) cm.data[k] = v.toString("utf8");
    else cm.binaryData[k] = v;
  }
  return cm;
}

function secret(name: string, namespace: string, type: string, data: Entries): Secret {
  const s = Secret.fromPartial({ apiVersion: "v1", kind: "Secret", metadata: emptyMeta({ name, namespace }), type });
  for (const [k, v] of data) s.data[k] = v;
  return s;
}

export function buildGenericSecret(name: string, namespace: string, src: DataSources, type = ""): Secret {
  return secret(name, namespace, type || SECRET_TYPE_OPAQUE, collect(src, "Secret", name));
}

/** kubernetes.io/tls from a certificate and its key, checked to be a pair (as kubectl's X509KeyPair). */
export function buildTlsSecret(name: string, namespace: string, certPath: string | undefined, keyPath: string | undefined): Secret {
  if (!certPath || !keyPath) throw new CliError("both --cert and --key are required");
  const cert = readFile(certPath);
  const key = readFile(keyPath);
  let ok: boolean;
  try {
    ok = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    // The parser's message is about the PEM, never quoted here: the key is secret.
    throw new CliError(`failed to load key pair: ${certPath} or ${keyPath} is not a PEM certificate or private key`, { cause: err });
  }
  if (!ok) throw new CliError(`failed to load key pair: the private key in ${keyPath} does not match the certificate in ${certPath}`);
  return secret(
    name,
    namespace,
    SECRET_TYPE_TLS,
    new Map([
      ["tls.crt", cert],
      ["tls.key", key],
    ]),
  );
}

export interface DockerRegistryOptions {
  server: string;
  username?: string | undefined;
  password?: string | undefined;
  email?: string | undefined;
  /** --from-file: a ready .dockerconfigjson instead of the flags. */
  files: readonly string[];
}

/** kubernetes.io/dockerconfigjson: {"auths":{SERVER:{username,password,email,auth}}} as kubectl writes it. */
export function buildDockerRegistrySecret(name: string, namespace: string, o: DockerRegistryOptions): Secret {
  if (o.files.length > 0) {
    return secret(name, namespace, SECRET_TYPE_DOCKER_CONFIG_JSON, collect({ literals: [], files: o.files, envFiles: [] }, "Secret", name));
  }
  if (!o.username || !o.password) throw new CliError("missing required flags: --docker-username and --docker-password (or --from-file)");
  const auth = Buffer.from(`${o.username}:${o.password}`).toString("base64");
  const entry: Record<string, string> = { username: o.username, password: o.password, ...(o.email ? { email: o.email } : {}), auth };
  const json = JSON.stringify({ auths: { [o.server]: entry } });
  return secret(name, namespace, SECRET_TYPE_DOCKER_CONFIG_JSON, new Map([[".dockerconfigjson", Buffer.from(json, "utf8")]]));
}

// mkctl create deployment NAME --image=IMG… [--replicas N] [--port P]; mkctl create namespace NAME;
// mkctl create configmap NAME and create secret generic|tls|docker-registry NAME (create-config.ts).
import { type ConfigMap, Deployment, Namespace, type Secret } from "@mk/proto";
import { type AnyObject, emptyMeta, type KindInfo, KINDS } from "@mk/proto/api";
import { AlreadyExistsError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { withLastApplied } from "../merge.js";
import { fromK8s, toK8s } from "../objects.js";
import { printJson } from "../printers/json.js";
import { printYaml } from "../printers/yaml.js";
import { pluralRef, refName } from "../resources.js";
import { parseDryRun } from "./apply.js";
import { buildConfigMap, buildDockerRegistrySecret, buildGenericSecret, buildTlsSecret, type DataSources } from "./create-config.js";

/**
 * The container name kubectl derives from an image: the last path element without tag or digest,
 * `_` and `.` turned into `-` (`127.0.0.1:5000/mk/web:v1` → `web`); repeated names get `-1`, `-2`…
 */
export function containerNames(images: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return images.map((image) => {
    let name = image.split("/").pop() ?? image;
    name = name.split("@")[0] ?? name;
    name = name.split(":")[0] ?? name;
    name = name.replace(/[_.]/g, "-").toLowerCase();
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    return n === 0 ? name : `${name}-${n}`;
  });
}

export interface CreateDeploymentOptions {
  name: string;
  namespace: string;
  images: readonly string[];
  replicas: number;
  port?: number | undefined;
}

export function buildDeployment(o: CreateDeploymentOptions): Deployment {
  const labels = { app: o.name };
  const names = containerNames(o.images);
  return Deployment.fromPartial({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: emptyMeta({ name: o.name, namespace: o.namespace, labels: { ...labels } }),
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: emptyMeta({ labels: { ...labels } }),
        spec: {
          containers: o.images.map((image, i) => ({
            name: names[i] ?? "",
            image,
            ports: i === 0 && o.port !== undefined ? [{ containerPort: o.port }] : [],
          })),
        },
      },
    },
  });
}

function intFlag(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`invalid argument "${v}" for "${flag}" flag: must be an integer >= ${min}`);
  return n;
}

export interface CreateFlags {
  image?: string[];
  replicas?: string;
  port?: string;
  dryRun?: string;
  output?: string;
  saveConfig?: boolean;
  fromLiteral?: string[];
  fromFile?: string[];
  fromEnvFile?: string[];
  type?: string;
  cert?: string;
  key?: string;
  dockerServer?: string;
  dockerUsername?: string;
  dockerPassword?: string;
  dockerEmail?: string;
}

/** --save-config: record the object as its last-applied configuration, so a later apply merges with it. */
function saveConfig<T extends Deployment | Namespace | ConfigMap | Secret>(info: KindInfo, obj: T, save: boolean | undefined): T {
  if (!save) return obj;
  return fromK8s(info, withLastApplied(toK8s(info, obj))) as T;
}

function printDryRun(cli: Cli, output: string | undefined, json: Parameters<typeof printYaml>[0], line: string): boolean {
  if (output === "yaml") cli.out(printYaml(json));
  else if (output === "json") cli.out(printJson(json));
  else if (output === "name") cli.out(`${line.split(" ")[0]}\n`);
  else if (output) throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,yaml`);
  else return false;
  return true;
}

export async function createDeployment(cli: Cli, name: string, f: CreateFlags): Promise<void> {
  if (!f.image || f.image.length === 0) throw new CliError("required flag(s) \"image\" not set");
  const dep = buildDeployment({
    name,
    namespace: cli.namespace,
    images: f.image,
    replicas: intFlag(f.replicas, "--replicas", 0) ?? 1,
    port: intFlag(f.port, "--port", 1),
  });
  const dryRun = parseDryRun(f.dryRun);
  const info = KINDS.Deployment;
  const toCreate = saveConfig(info, dep, f.saveConfig);
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  let created = toCreate;
  if (dryRun !== "client") {
    const cs = await cli.client();
    try {
      created = await cs.deployments.create(toCreate, { dryRun: dryRun === "server" });
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw serverError("AlreadyExists", `${pluralRef(info)} "${name}" already exists`, err);
      throw err;
    }
  }
  const line = `${refName(info, name)} created${suffix}`;
  if (!printDryRun(cli, f.output, toK8s(info, created), line)) cli.out(`${line}\n`);
}

export async function createNamespace(cli: Cli, name: string, f: CreateFlags): Promise<void> {
  await submit(cli, KINDS.Namespace, name, Namespace.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name }) }), f);
}

/** Creates a built object (or only prints it, with --dry-run=client) and says so as kubectl does. */
async function submit<T extends Namespace | ConfigMap | Secret>(cli: Cli, info: KindInfo, name: string, built: T, f: CreateFlags): Promise<void> {
  const obj = saveConfig(info, built, f.saveConfig);
  const dryRun = parseDryRun(f.dryRun);
  let created: AnyObject = obj;
  if (dryRun !== "client") {
    const cs = await cli.client();
    try {
      created = await cs.resource(info.kind).create(obj, { dryRun: dryRun === "server" });
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw serverError("AlreadyExists", `${pluralRef(info)} "${name}" already exists`, err);
      throw err;
    }
  }
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  const line = `${refName(info, name)} created${suffix}`;
  if (!printDryRun(cli, f.output, toK8s(info, created), line)) cli.out(`${line}\n`);
}

function sources(f: CreateFlags): DataSources {
  return { literals: f.fromLiteral ?? [], files: f.fromFile ?? [], envFiles: f.fromEnvFile ?? [] };
}

export async function createConfigMap(cli: Cli, name: string, f: CreateFlags): Promise<void> {
  await submit(cli, KINDS.ConfigMap, name, buildConfigMap(name, cli.namespace, sources(f)), f);
}

export async function createSecretGeneric(cli: Cli, name: string, f: CreateFlags): Promise<void> {
  await submit(cli, KINDS.Secret, name, buildGenericSecret(name, cli.namespace, sources(f), f.type), f);
}

export async function createSecretTls(cli: Cli, name: string, f: CreateFlags): Promise<void> {
  await submit(cli, KINDS.Secret, name, buildTlsSecret(name, cli.namespace, f.cert, f.key), f);
}

export async function createSecretDockerRegistry(cli: Cli, name: string, f: CreateFlags): Promise<void> {
  const o = { server: f.dockerServer ?? "", username: f.dockerUsername, password: f.dockerPassword, email: f.dockerEmail, files: f.fromFile ?? [] };
  await submit(cli, KINDS.Secret, name, buildDockerRegistrySecret(name, cli.namespace, o), f);
}

// mkctl set env TYPE/NAME… KEY=VALUE… KEY-… [--from=configmap/NAME|secret/NAME] [--prefix P]
// [-c CONTAINERS] [--list]: kubectl's set env on the pod template of deployments, replica sets and
// jobs (and pods). `deployment.apps/web env updated`; nothing printed when nothing changed.
import type { Container, EnvVar } from "@mk/proto";
import { NotFoundError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { pickContainers, podSpecOf, targetsOf, updatePodSpecs } from "./pod-templates.js";

export interface SetEnvFlags {
  from?: string;
  prefix?: string;
  containers?: string;
  list?: boolean;
  overwrite: boolean;
}

/** `KEY=VALUE` and `KEY-` after the resources. */
export function splitEnvArgs(args: readonly string[]): { resources: string[]; set: Map<string, string>; remove: string[] } {
  const resources: string[] = [];
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq > 0) set.set(a.slice(0, eq), a.slice(eq + 1));
    else if (a.endsWith("-") && a.length > 1 && !a.includes("/")) remove.push(a.slice(0, -1));
    else if (set.size > 0 || remove.length > 0) throw new CliError(`all resources must be specified before environment changes: ${a}`);
    else resources.push(a);
  }
  for (const k of set.keys()) {
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(k)) throw new CliError(`invalid key name: ${k}`);
  }
  return { resources, set, remove };
}

/** kubectl's keyToEnvName: every character an env name cannot hold becomes `_`, in capitals. */
const envName = (key: string) => key.replace(/[^A-Za-z0-9_]/g, "_").toUpperCase();

function describeEnv(c: Container): string {
  return c.env
    .map((e) => {
      const cm = e.valueFrom?.configMapKeyRef;
      const secret = e.valueFrom?.secretKeyRef;
      if (cm) return `# ${e.name} from configmap ${cm.name}, key ${cm.key}\n`;
      if (secret) return `# ${e.name} from secret ${secret.name}, key ${secret.key}\n`;
      return `${e.name}=${e.value}\n`;
    })
    .join("");
}

export async function setEnv(cli: Cli, args: string[], f: SetEnvFlags): Promise<void> {
  const { resources, set, remove } = splitEnvArgs(args);
  const targets = targetsOf(resources);
  const cs = await cli.client();
  if (f.list) {
    for (const t of targets) {
      const obj = await cs.resource(t.info.kind).get(t.name, t.info.namespaced ? cli.namespace : "");
      const spec = podSpecOf(t.info, obj);
      for (const c of spec ? pickContainers(spec, f.containers) : []) cli.out(`# ${t.info.plural}/${t.name}, container ${c.name}\n${describeEnv(c)}`);
    }
    return;
  }
  const added: EnvVar[] = [...set].map(([name, value]) => ({ name, value, valueFrom: undefined }));
  if (f.from) {
    const i = f.from.indexOf("/");
    const kind = f.from.slice(0, i);
    const name = f.from.slice(i + 1);
    if (i <= 0 || !/^(configmaps?|cm|secrets?)$/.test(kind)) throw new CliError(`unsupported --from: ${f.from} (want configmap/NAME or secret/NAME)`);
    const secret = kind.startsWith("secret");
    let keys: string[];
    try {
      const source = await cs.resource(secret ? "Secret" : "ConfigMap").get(name, cli.namespace);
      keys = Object.keys(source.data ?? {}).sort();
    } catch (err) {
      if (err instanceof NotFoundError) throw serverError("NotFound", `${secret ? "secrets" : "configmaps"} "${name}" not found`, err);
      throw err;
    }
    for (const key of keys) {
      const ref = { name, key, optional: undefined };
      added.push({ name: envName(`${f.prefix ?? ""}${key}`), value: "", valueFrom: secret ? { secretKeyRef: ref, configMapKeyRef: undefined } : { configMapKeyRef: ref, secretKeyRef: undefined } });
    }
  }
  if (added.length === 0 && remove.length === 0) throw new CliError("at least one environment variable must be provided");
  await updatePodSpecs(cli, cs, targets, "env updated", (spec) => {
    let changed = false;
    const containers = pickContainers(spec, f.containers);
    if (containers.length === 0) throw new CliError(`unable to find container named ${f.containers}`);
    for (const c of containers) {
      for (const e of added) {
        const i = c.env.findIndex((x) => x.name === e.name);
        if (i < 0) {
          c.env.push(structuredClone(e));
          changed = true;
        } else if (f.overwrite && JSON.stringify(c.env[i]) !== JSON.stringify(e)) {
          c.env[i] = structuredClone(e);
          changed = true;
        }
      }
      const before = c.env.length;
      c.env = c.env.filter((x) => !remove.includes(x.name));
      changed ||= c.env.length !== before;
    }
    return changed;
  });
}

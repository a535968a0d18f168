// mkctl set resources TYPE/NAME… [-c CONTAINERS] --limits=cpu=200m,memory=512Mi --requests=cpu=100m:
// kubectl's set resources on pod templates. `deployment.apps/web resource requirements updated`.
import { isQuantity } from "@mk/proto/api";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { pickContainers, targetsOf, updatePodSpecs } from "./pod-templates.js";

export interface SetResourcesFlags {
  limits?: string;
  requests?: string;
  containers?: string;
}

/** `cpu=200m,memory=512Mi` → {cpu: "200m", memory: "512Mi"}, each a valid quantity. */
export function parseResourceList(spec: string | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!spec) return out;
  for (const part of spec.split(",")) {
    const i = part.indexOf("=");
    const name = part.slice(0, i);
    const value = part.slice(i + 1);
    if (i <= 0 || !value) throw new CliError(`invalid argument "${spec}" for "${flag}": want NAME=QUANTITY,…`);
    if (!isQuantity(value)) throw new CliError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (${name}=${value})`);
    out[name] = value;
  }
  return out;
}

export async function setResources(cli: Cli, args: string[], f: SetResourcesFlags): Promise<void> {
  const limits = parseResourceList(f.limits, "--limits");
  const requests = parseResourceList(f.requests, "--requests");
  if (Object.keys(limits).length === 0 && Object.keys(requests).length === 0) {
    throw new CliError("you must specify an update to requests or limits (in the form of --requests/--limits)");
  }
  const targets = targetsOf(args);
  const cs = await cli.client();
  await updatePodSpecs(cli, cs, targets, "resource requirements updated", (spec) => {
    const containers = pickContainers(spec, f.containers);
    if (containers.length === 0) throw new CliError(`error: unable to find container named ${f.containers}`);
    let changed = false;
    for (const c of containers) {
      c.resources ??= { limits: {}, requests: {} };
      for (const [k, v] of Object.entries(limits)) {
        changed ||= c.resources.limits[k] !== v;
        c.resources.limits[k] = v;
      }
      for (const [k, v] of Object.entries(requests)) {
        changed ||= c.resources.requests[k] !== v;
        c.resources.requests[k] = v;
      }
    }
    return changed;
  });
}

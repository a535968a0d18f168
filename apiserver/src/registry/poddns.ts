// The pod fields DNS and Services need: hostname, subdomain, dnsPolicy, dnsConfig and
// enableServiceLinks, and the containers' lifecycle hooks (postStart, preStop) that let a rollout
// behind a Service drain.
import type { LifecycleHandler, PodSpec } from "@mk/proto";
import { type Errors, invalid, nonNegative, required, unsupported, validateDnsLabel } from "./validation.js";

export const DNS_POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"] as const;
/** Kubernetes' limits on a pod's own resolv.conf: 3 nameservers, 32 search domains. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** SetDefaults_PodSpec: templates too (Kubernetes returns a Deployment's template with it). */
export function defaultPodDns(spec: PodSpec): void {
  spec.dnsPolicy ||= "ClusterFirst";
}

function validateHandler(f: string, h: LifecycleHandler | undefined, errs: Errors): void {
  if (!h) return;
  const handlers = [h.exec, h.httpGet, h.sleep].filter((x) => x !== undefined).length;
  if (handlers === 0) errs.push(required(f, "must specify a handler type"));
  if (handlers > 1) errs.push({ field: f, type: "Forbidden", detail: "may not specify more than 1 handler type" });
  if (h.exec && h.exec.command.length === 0) errs.push(required(`${f}.exec.command`));
  if (h.httpGet && !h.httpGet.port) errs.push(required(`${f}.httpGet.port`));
  if (h.sleep) nonNegative(`${f}.sleep.seconds`, h.sleep.seconds, errs);
}

export function validatePodDns(f: string, spec: PodSpec, errs: Errors): void {
  if (spec.hostname) validateDnsLabel(`${f}.hostname`, spec.hostname, errs);
  if (spec.subdomain) validateDnsLabel(`${f}.subdomain`, spec.subdomain, errs);
  if (spec.dnsPolicy && !(DNS_POLICIES as readonly string[]).includes(spec.dnsPolicy)) errs.push(unsupported(`${f}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === "None" && (!cfg || cfg.nameservers.length === 0)) {
    errs.push(required(`${f}.dnsConfig.nameservers`, "must provide at least one DNS nameserver when DNS policy is None"));
  }
  if (cfg) {
    if (cfg.nameservers.length > MAX_NAMESERVERS) errs.push(invalid(`${f}.dnsConfig.nameservers`, cfg.nameservers, `must not have more than ${MAX_NAMESERVERS} nameservers`));
    cfg.nameservers.forEach((ns, i) => {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(ns)) errs.push(invalid(`${f}.dnsConfig.nameservers[${i}]`, ns, "must be a valid IP address"));
    });
    if (cfg.searches.length > MAX_SEARCHES) errs.push(invalid(`${f}.dnsConfig.searches`, cfg.searches, `must not have more than ${MAX_SEARCHES} search paths`));
    cfg.options.forEach((o, i) => {
      if (!o.name) errs.push(required(`${f}.dnsConfig.options[${i}].name`));
    });
  }
  for (const [list, name] of [
    [spec.containers, "containers"],
    [spec.initContainers, "initContainers"],
  ] as const) {
    list.forEach((c, i) => {
      validateHandler(`${f}.${name}[${i}].lifecycle.postStart`, c.lifecycle?.postStart, errs);
      validateHandler(`${f}.${name}[${i}].lifecycle.preStop`, c.lifecycle?.preStop, errs);
    });
  }
}

// Defaults and validation of a pod spec, shared by Pod, ReplicaSet and Deployment (their template).
import {
  type Container,
  DEFAULT_RESTART_POLICY,
  DEFAULT_SCHEDULER_NAME,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  defaultPullPolicy,
  isQuantity,
  PROBE_DEFAULTS,
  PULL_POLICIES,
  type PodSpec,
  type Probe,
  quantityValue,
  RESTART_POLICIES,
} from "@mk/proto";
import { validateConfigVolume, validateEnvSources, validatePodInfoVolume } from "./podspec-config.js";
import { defaultFieldRef } from "./podspec-downward.js";
import {
  duplicate,
  type Errors,
  invalid,
  nonNegative,
  notFound,
  positive,
  required,
  unsupported,
  validateQuantity,
  validateDnsLabel,
  validateDnsSubdomain,
  validateLabels,
} from "./validation.js";
import { defaultPodDns, validatePodDns } from "./poddns.js";

const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
const TOLERATION_OPERATORS = ["Equal", "Exists"] as const;
const RESOURCE_NAMES = ["cpu", "memory", "ephemeral-storage", "pods"];

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= PROBE_DEFAULTS.timeoutSeconds;
  p.periodSeconds ??= PROBE_DEFAULTS.periodSeconds;
  p.successThreshold ??= PROBE_DEFAULTS.successThreshold;
  p.failureThreshold ??= PROBE_DEFAULTS.failureThreshold;
  if (p.httpGet) {
    p.httpGet.path ||= "/";
    p.httpGet.scheme ||= "HTTP";
  }
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  for (const p of c.ports) {
    p.protocol ||= "TCP";
    if (hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const e of c.env) defaultFieldRef(e.valueFrom?.fieldRef);
}

/** Fills Kubernetes' pod spec defaults in place. */
const PORT_NAME_RULE = "must be no more than 15 characters and contain only lower case alphanumeric characters or '-', with at least one letter";

/** Kubernetes' IANA_SVC_NAME: a container port's name, and a probe's port when not a number. */
function isPortName(s: string): boolean {
  return s.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s);
}

export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ||= DEFAULT_RESTART_POLICY;
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.schedulerName ||= DEFAULT_SCHEDULER_NAME;
  defaultPodDns(spec);
  for (const c of spec.containers) defaultContainer(c, spec.hostNetwork);
  for (const c of spec.initContainers) defaultContainer(c, spec.hostNetwork);
  for (const v of spec.volumes) {
    for (const it of v.downwardApi?.items ?? []) defaultFieldRef(it.fieldRef);
    for (const s of v.projected?.sources ?? []) for (const it of s.downwardApi?.items ?? []) defaultFieldRef(it.fieldRef);
  }
}

function validateProbe(f: string, p: Probe | undefined, errs: Errors): void {
  if (!p) return;
  const handlers = [p.exec, p.httpGet, p.tcpSocket].filter((h) => h !== undefined).length;
  if (handlers === 0) errs.push(required(f, "must specify a handler type"));
  if (handlers > 1) errs.push({ field: f, type: "Forbidden", detail: "may not specify more than 1 handler type" });
  if (p.exec && p.exec.command.length === 0) errs.push(required(`${f}.exec.command`));
  if (p.httpGet && !p.httpGet.port) errs.push(required(`${f}.httpGet.port`));
  if (p.tcpSocket && !p.tcpSocket.port) errs.push(required(`${f}.tcpSocket.port`));
  if (p.httpGet?.scheme && !["HTTP", "HTTPS"].includes(p.httpGet.scheme)) errs.push(unsupported(`${f}.httpGet.scheme`, p.httpGet.scheme, ["HTTP", "HTTPS"]));
  for (const [port, pf] of [
    [p.httpGet?.port, `${f}.httpGet.port`],
    [p.tcpSocket?.port, `${f}.tcpSocket.port`],
  ] as const) {
    if (port && /^\d+$/.test(port)) {
      if (Number(port) < 1 || Number(port) > 65535) errs.push(invalid(pf, Number(port), "must be between 1 and 65535, inclusive"));
    } else if (port && !isPortName(port)) {
      errs.push(invalid(pf, port, PORT_NAME_RULE));
    }
  }
  nonNegative(`${f}.initialDelaySeconds`, p.initialDelaySeconds, errs);
  positive(`${f}.timeoutSeconds`, p.timeoutSeconds, errs);
  positive(`${f}.periodSeconds`, p.periodSeconds, errs);
  positive(`${f}.successThreshold`, p.successThreshold, errs);
  positive(`${f}.failureThreshold`, p.failureThreshold, errs);
}

function validateResources(f: string, c: Container, errs: Errors): void {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  for (const [group, list] of [
    ["limits", limits],
    ["requests", requests],
  ] as const) {
    for (const [name, q] of Object.entries(list)) {
      const qf = `${f}.resources.${group}[${name}]`;
      if (!RESOURCE_NAMES.includes(name)) errs.push(unsupported(`${f}.resources.${group}`, name, RESOURCE_NAMES));
      else validateQuantity(qf, q, errs);
    }
  }
  for (const [name, req] of Object.entries(requests)) {
    const lim = limits[name];
    if (lim === undefined || !isQuantity(req) || !isQuantity(lim) || !RESOURCE_NAMES.includes(name)) continue;
    if (quantityValue(name, req) > quantityValue(name, lim)) {
      errs.push(invalid(`${f}.resources.requests`, req, `must be less than or equal to ${name} limit of ${lim}`));
    }
  }
}

function validateContainers(f: string, containers: Container[], volumes: Set<string>, all: ReadonlySet<string>, errs: Errors, allowEmpty: boolean): void {
  if (containers.length === 0 && !allowEmpty) errs.push(required(f));
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const cf = `${f}[${i}]`;
    if (!c.name) errs.push(required(`${cf}.name`));
    else {
      validateDnsLabel(`${cf}.name`, c.name, errs);
      if (names.has(c.name)) errs.push(duplicate(`${cf}.name`, c.name));
      names.add(c.name);
    }
    if (!c.image.trim()) errs.push(required(`${cf}.image`));
    if (c.imagePullPolicy && !(PULL_POLICIES as readonly string[]).includes(c.imagePullPolicy)) {
      errs.push(unsupported(`${cf}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
    }
    const portNames = new Set<string>();
    c.ports.forEach((p, j) => {
      const pf = `${cf}.ports[${j}]`;
      if (p.containerPort < 1 || p.containerPort > 65535) errs.push(invalid(`${pf}.containerPort`, p.containerPort, "must be between 1 and 65535, inclusive"));
      if (p.hostPort < 0 || p.hostPort > 65535) errs.push(invalid(`${pf}.hostPort`, p.hostPort, "must be between 1 and 65535, inclusive"));
      if (p.protocol && !(PROTOCOLS as readonly string[]).includes(p.protocol)) errs.push(unsupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
      if (p.name) {
        if (!isPortName(p.name)) errs.push(invalid(`${pf}.name`, p.name, PORT_NAME_RULE));
        if (portNames.has(p.name)) errs.push(duplicate(`${pf}.name`, p.name));
        portNames.add(p.name);
      }
    });
    c.env.forEach((e, j) => {
      if (!e.name) errs.push(required(`${cf}.env[${j}].name`));
      else if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(e.name)) {
        errs.push(invalid(`${cf}.env[${j}].name`, e.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"));
      }
    });
    validateEnvSources(cf, c, all, errs);
    c.volumeMounts.forEach((m, j) => {
      const mf = `${cf}.volumeMounts[${j}]`;
      if (!m.name) errs.push(required(`${mf}.name`));
      else if (!volumes.has(m.name)) errs.push(notFound(`${mf}.name`, m.name));
      if (!m.mountPath) errs.push(required(`${mf}.mountPath`));
    });
    validateResources(cf, c, errs);
    validateProbe(`${cf}.livenessProbe`, c.livenessProbe, errs);
    validateProbe(`${cf}.readinessProbe`, c.readinessProbe, errs);
    validateProbe(`${cf}.startupProbe`, c.startupProbe, errs);
  });
}

/** Every error of a (defaulted) pod spec, with paths under `f` ("spec" or "spec.template.spec"). */
export function validatePodSpec(f: string, spec: PodSpec | undefined, errs: Errors): void {
  if (!spec) {
    errs.push(required(f));
    return;
  }
  const volumes = new Set<string>();
  const all = new Set([...spec.containers, ...spec.initContainers].map((c) => c.name).filter((n) => n !== ""));
  spec.volumes.forEach((v, i) => {
    const vf = `${f}.volumes[${i}]`;
    if (!v.name) errs.push(required(`${vf}.name`));
    else {
      validateDnsLabel(`${vf}.name`, v.name, errs);
      if (volumes.has(v.name)) errs.push(duplicate(`${vf}.name`, v.name));
      volumes.add(v.name);
    }
    const sources = [v.emptyDir, v.hostPath, v.persistentVolumeClaim, v.configMap, v.secret, v.downwardApi, v.projected].filter((s) => s !== undefined).length;
    if (sources === 0) errs.push(required(vf, "must specify a volume type"));
    if (sources > 1) errs.push({ field: vf, type: "Forbidden", detail: "may not specify more than 1 volume type" });
    if (v.hostPath && !v.hostPath.path) errs.push(required(`${vf}.hostPath.path`));
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) errs.push(required(`${vf}.persistentVolumeClaim.claimName`));
    validateConfigVolume(vf, v, errs);
    validatePodInfoVolume(vf, v, all, errs);
    if (v.emptyDir?.sizeLimit) validateQuantity(`${vf}.emptyDir.sizeLimit`, v.emptyDir.sizeLimit, errs);
  });
  validateContainers(`${f}.containers`, spec.containers, volumes, all, errs, false);
  validateContainers(`${f}.initContainers`, spec.initContainers, volumes, all, errs, true);
  spec.initContainers.forEach((c, i) => {
    if (spec.containers.some((x) => x.name === c.name)) errs.push(duplicate(`${f}.initContainers[${i}].name`, c.name));
  });
  if (spec.serviceAccountName) validateDnsSubdomain(`${f}.serviceAccountName`, spec.serviceAccountName, errs);
  spec.imagePullSecrets.forEach((s, i) => {
    if (!s.name) errs.push(required(`${f}.imagePullSecrets[${i}].name`));
    else validateDnsSubdomain(`${f}.imagePullSecrets[${i}].name`, s.name, errs);
  });
  if (spec.restartPolicy && !(RESTART_POLICIES as readonly string[]).includes(spec.restartPolicy)) {
    errs.push(unsupported(`${f}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES));
  }
  nonNegative(`${f}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, errs);
  positive(`${f}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, errs);
  if (spec.nodeName) validateDnsSubdomain(`${f}.nodeName`, spec.nodeName, errs);
  validatePodDns(f, spec, errs);
  validateLabels(`${f}.nodeSelector`, spec.nodeSelector, errs);
  spec.tolerations.forEach((t, i) => {
    const tf = `${f}.tolerations[${i}]`;
    if (t.operator && !(TOLERATION_OPERATORS as readonly string[]).includes(t.operator)) errs.push(unsupported(`${tf}.operator`, t.operator, TOLERATION_OPERATORS));
    if (t.operator === "Exists" && t.value) errs.push(invalid(`${tf}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    if (!t.key && t.operator !== "Exists") errs.push(invalid(`${tf}.operator`, t.operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    if (t.effect && !(TAINT_EFFECTS as readonly string[]).includes(t.effect)) errs.push(unsupported(`${tf}.effect`, t.effect, TAINT_EFFECTS));
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errs.push(invalid(`${tf}.effect`, t.effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
}

export { TAINT_EFFECTS };

// The container and pod template sections shared by the Pod, ReplicaSet and Deployment describers.
import type { Container, ContainerState, ContainerStatus, EnvVar, PodTemplateSpec, Probe, Volume } from "@mk/proto";
import { describeTime, labelsMultiline, type PrefixWriter } from "./writer.js";

function portsOf(c: Container): { port: string; hostPort: string; many: boolean } {
  const ports = c.ports.map((p) => `${p.containerPort}/${p.protocol || "TCP"}`);
  const host = c.ports.map((p) => `${p.hostPort}/${p.protocol || "TCP"}`);
  return { port: ports.length ? ports.join(", ") : "<none>", hostPort: host.length ? host.join(", ") : "<none>", many: ports.length > 1 };
}

/** `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3` */
export function probeLine(p: Probe): string {
  let action = "unknown";
  if (p.httpGet) action = `http-get ${(p.httpGet.scheme || "HTTP").toLowerCase()}://${p.httpGet.host}:${p.httpGet.port}${p.httpGet.path}`;
  else if (p.tcpSocket) action = `tcp-socket ${p.tcpSocket.host}:${p.tcpSocket.port}`;
  else if (p.exec) action = `exec [${p.exec.command.join(" ")}]`;
  return `${action} delay=${p.initialDelaySeconds}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function describeState(w: PrefixWriter, level: number, title: string, s: ContainerState | undefined): void {
  if (s?.running) {
    w.line(level, `${title}:`, "Running");
    w.line(level + 1, "Started:", describeTime(s.running.startedAt));
  } else if (s?.waiting) {
    w.line(level, `${title}:`, "Waiting");
    if (s.waiting.reason) w.line(level + 1, "Reason:", s.waiting.reason);
    if (s.waiting.message) w.line(level + 1, "Message:", s.waiting.message);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.line(level, `${title}:`, "Terminated");
    if (t.reason) w.line(level + 1, "Reason:", t.reason);
    if (t.message) w.line(level + 1, "Message:", t.message);
    w.line(level + 1, "Exit Code:", t.exitCode);
    if (t.signal) w.line(level + 1, "Signal:", t.signal);
    w.line(level + 1, "Started:", describeTime(t.startedAt));
    w.line(level + 1, "Finished:", describeTime(t.finishedAt));
  } else {
    w.line(level, `${title}:`, "Waiting");
  }
}

/** A variable's value, or where it comes from (a Secret's value is never read here). */
function envValue(e: EnvVar): string {
  const cm = e.valueFrom?.configMapKeyRef;
  if (cm) return `<set to the key '${cm.key}' of config map '${cm.name}'>\tOptional: ${cm.optional === true}`;
  const sk = e.valueFrom?.secretKeyRef;
  if (sk) return `<set to the key '${sk.key}' in secret '${sk.name}'>\tOptional: ${sk.optional === true}`;
  const fr = e.valueFrom?.fieldRef;
  if (fr) return ` (${fr.apiVersion || "v1"}:${fr.fieldPath})`;
  const rr = e.valueFrom?.resourceFieldRef;
  if (rr) return ` (${rr.resource}${rr.divisor ? `, divisor ${rr.divisor}` : ""})`;
  return e.value;
}

/**
 * As kubectl: the title is indented by the section (`Containers:` in a pod, `  Containers:` in a
 * pod template), the container name one level in (plus one space in a template), and the
 * container's fields always at level 2.
 */
export function describeContainers(
  w: PrefixWriter,
  level: number,
  title: string,
  containers: readonly Container[],
  statuses: readonly ContainerStatus[] | undefined,
): void {
  w.line(level, containers.length === 0 ? `${title}: <none>` : `${title}:`);
  for (const c of containers) {
    const st = statuses?.find((s) => s.name === c.name);
    const l = 1;
    w.raw(`  ${level > 0 ? " " : ""}${c.name}:\n`);
    if (st) w.line(l + 1, "Container ID:", st.containerId);
    w.line(l + 1, "Image:", c.image);
    if (st) w.line(l + 1, "Image ID:", st.imageId);
    const p = portsOf(c);
    w.line(l + 1, p.many ? "Ports:" : "Port:", p.port);
    w.line(l + 1, p.many ? "Host Ports:" : "Host Port:", p.hostPort);
    if (c.command.length > 0) {
      w.line(l + 1, "Command:");
      for (const x of c.command) w.line(l + 2, x);
    }
    if (c.args.length > 0) {
      w.line(l + 1, "Args:");
      for (const x of c.args) w.line(l + 2, x);
    }
    if (st) {
      describeState(w, l + 1, "State", st.state);
      const last = st.lastState;
      if (last?.running || last?.waiting || last?.terminated) describeState(w, l + 1, "Last State", last);
      w.line(l + 1, "Ready:", st.ready ? "True" : "False");
      w.line(l + 1, "Restart Count:", st.restartCount);
    }
    for (const [name, m] of [
      ["Limits", c.resources?.limits],
      ["Requests", c.resources?.requests],
    ] as const) {
      const keys = Object.keys(m ?? {}).sort();
      if (keys.length === 0) continue;
      w.line(l + 1, `${name}:`);
      for (const k of keys) w.line(l + 2, `${k}:`, m?.[k] ?? "");
    }
    if (c.livenessProbe) w.line(l + 1, "Liveness:", probeLine(c.livenessProbe));
    if (c.readinessProbe) w.line(l + 1, "Readiness:", probeLine(c.readinessProbe));
    if (c.startupProbe) w.line(l + 1, "Startup:", probeLine(c.startupProbe));
    if (c.env.length === 0) w.line(l + 1, "Environment:", "<none>");
    else {
      w.line(l + 1, "Environment:");
      for (const e of c.env) w.line(l + 2, `${e.name}:`, envValue(e));
    }
    if (c.envFrom.length > 0) {
      w.line(l + 1, "Environment Variables from:");
      for (const f of c.envFrom) {
        const [name, kind, optional] = f.configMapRef ? [f.configMapRef.name, "ConfigMap", f.configMapRef.optional] : [f.secretRef?.name ?? "", "Secret", f.secretRef?.optional];
        w.line(l + 2, name, `${kind}${f.prefix ? ` with prefix '${f.prefix}'` : ""}`, `Optional: ${optional === true}`);
      }
    }
    if (c.volumeMounts.length === 0) w.line(l + 1, "Mounts:", "<none>");
    else {
      w.line(l + 1, "Mounts:");
      for (const m of c.volumeMounts) w.line(l + 2, `${m.mountPath} from ${m.name} (${m.readOnly ? "ro" : "rw"})`);
    }
  }
}

export function describeVolumes(w: PrefixWriter, level: number, volumes: readonly Volume[]): void {
  if (volumes.length === 0) {
    w.line(level, "Volumes:", "<none>");
    return;
  }
  w.line(level, "Volumes:");
  for (const v of volumes) {
    w.line(level + 1, `${v.name}:`);
    const l = 2;
    if (v.emptyDir) {
      w.line(l, "Type:", "EmptyDir (a temporary directory that shares a pod's lifetime)");
      w.line(l, "Medium:", v.emptyDir.medium);
      w.line(l, "SizeLimit:", v.emptyDir.sizeLimit || "<unset>");
    } else if (v.hostPath) {
      w.line(l, "Type:", "HostPath (bare host directory volume)");
      w.line(l, "Path:", v.hostPath.path);
      w.line(l, "HostPathType:", v.hostPath.type);
    } else if (v.persistentVolumeClaim) {
      w.line(l, "Type:", "PersistentVolumeClaim (a named volume that outlives the pod)");
      w.line(l, "ClaimName:", v.persistentVolumeClaim.claimName);
      w.line(l, "ReadOnly:", v.persistentVolumeClaim.readOnly ? "true" : "false");
    } else if (v.configMap) {
      w.line(l, "Type:", "ConfigMap (a volume populated by a ConfigMap)");
      w.line(l, "Name:", v.configMap.name);
      w.line(l, "Optional:", v.configMap.optional === true ? "true" : "false");
    } else if (v.secret) {
      w.line(l, "Type:", "Secret (a volume populated by a Secret)");
      w.line(l, "SecretName:", v.secret.secretName);
      w.line(l, "Optional:", v.secret.optional === true ? "true" : "false");
    } else if (v.downwardApi) {
      w.line(l, "Type:", "DownwardAPI (a volume populated by information about the pod)");
      w.line(l, "Items:");
      for (const it of v.downwardApi.items) w.line(l + 1, `${it.fieldRef?.fieldPath ?? it.resourceFieldRef?.resource ?? ""} -> ${it.path}`);
    } else if (v.projected) {
      w.line(l, "Type:", "Projected (a volume that contains injected data from multiple sources)");
      for (const s of v.projected.sources) {
        if (s.configMap) {
          w.line(l, "ConfigMapName:", s.configMap.name);
          w.line(l, "Optional:", s.configMap.optional === true ? "true" : "false");
        }
        if (s.secret) {
          w.line(l, "SecretName:", s.secret.name);
          w.line(l, "Optional:", s.secret.optional === true ? "true" : "false");
        }
        if (s.downwardApi) w.line(l, "DownwardAPI:", "true");
      }
    } else {
      w.line(l, "Type:", "<unknown>");
    }
  }
}

export function describePodTemplate(w: PrefixWriter, t: PodTemplateSpec | undefined): void {
  w.line(0, "Pod Template:");
  if (!t) {
    w.line(1, "<unset>");
    return;
  }
  labelsMultiline(w, 1, "Labels", t.metadata?.labels);
  if (Object.keys(t.metadata?.annotations ?? {}).length > 0) labelsMultiline(w, 1, "Annotations", t.metadata?.annotations, ": ");
  const spec = t.spec;
  if (spec && spec.initContainers.length > 0) describeContainers(w, 1, "Init Containers", spec.initContainers, undefined);
  describeContainers(w, 1, "Containers", spec?.containers ?? [], undefined);
  describeVolumes(w, 1, spec?.volumes ?? []);
  const sel = Object.entries(spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
  w.line(1, "Node-Selectors:", sel.length ? sel.join(",") : "<none>");
  const tol = (spec?.tolerations ?? []).map((x) => `${x.key}${x.operator === "Exists" ? "" : `=${x.value}`}${x.effect ? `:${x.effect}` : ""}`);
  w.line(1, "Tolerations:", tol.length ? tol.join(", ") : "<none>");
}

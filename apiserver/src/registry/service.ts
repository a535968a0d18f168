// Service: defaults and validation of its own fields. The ClusterIP and node ports themselves are
// taken from the allocators by ServiceAllocations when the Service is written (the ranges are flags).
import { CLUSTER_IP_NONE, type Service, SERVICE_PROTOCOLS, SERVICE_TYPES, SESSION_AFFINITIES, targetPortError } from "@mk/proto";
import { isIPv4 } from "../allocator/range.js";
import type { Strategy } from "./strategy.js";
import { duplicate, type Errors, forbidden, invalid, required, unsupported, validateDnsLabel, validateLabels } from "./validation.js";


function validatePorts(svc: Service, errs: Errors): void {
  const spec = svc.spec;
  if (!spec) return;
  const headless = spec.clusterIp === CLUSTER_IP_NONE;
  if (spec.ports.length === 0 && !headless) errs.push(required("spec.ports"));
  const names = new Set<string>();
  const ports = new Set<string>();
  const nodePorts = new Set<string>();
  spec.ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (p.name) {
      validateDnsLabel(`${f}.name`, p.name, errs);
      if (names.has(p.name)) errs.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    } else if (spec.ports.length > 1) {
      errs.push(required(`${f}.name`));
    }
    if (!(p.port >= 1 && p.port <= 65535)) errs.push(invalid(`${f}.port`, p.port, "must be between 1 and 65535, inclusive"));
    if (!(SERVICE_PROTOCOLS as readonly string[]).includes(p.protocol)) errs.push(unsupported(`${f}.protocol`, p.protocol, SERVICE_PROTOCOLS));
    const key = `${p.port}/${p.protocol}`;
    if (ports.has(key)) errs.push(duplicate(f, { port: p.port, protocol: p.protocol }));
    ports.add(key);
    const targetError = targetPortError(p.targetPort);
    if (targetError) errs.push(invalid(`${f}.targetPort`, p.targetPort, targetError));
    if (p.nodePort < 0 || p.nodePort > 65535) errs.push(invalid(`${f}.nodePort`, p.nodePort, "must be between 1 and 65535, inclusive"));
    if (p.nodePort && spec.type !== "NodePort") errs.push(forbidden(`${f}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
    if (p.nodePort) {
      const nodeKey = `${p.nodePort}/${p.protocol}`;
      if (nodePorts.has(nodeKey)) errs.push(duplicate(`${f}.nodePort`, p.nodePort));
      nodePorts.add(nodeKey);
    }
  });
}

export const serviceStrategy: Strategy<"Service"> = {
  kind: "Service",
  nameRule: "label",
  hasStatus: true,
  defaults(svc: Service) {
    const spec = svc.spec;
    if (!spec) return;
    spec.type ||= "ClusterIP";
    spec.sessionAffinity ||= "None";
    spec.internalTrafficPolicy ||= "Cluster";
    if (spec.type === "NodePort") spec.externalTrafficPolicy ||= "Cluster";
    for (const p of spec.ports) {
      p.protocol ||= "TCP";
      p.targetPort ||= String(p.port);
    }
    if (spec.clusterIp && spec.clusterIps.length === 0) spec.clusterIps = [spec.clusterIp];
    if (!spec.clusterIp && spec.clusterIps[0]) spec.clusterIp = spec.clusterIps[0];
    svc.status ??= { loadBalancer: { ingress: [] } };
  },
  prepareForCreate() {},
  prepareForUpdate(svc: Service, old: Service) {
    // An update that leaves out what the server allocated keeps it (kubectl apply of the manifest).
    const spec = svc.spec;
    const was = old.spec;
    if (!spec || !was) return;
    if (!spec.clusterIp && spec.clusterIps.length === 0) {
      spec.clusterIp = was.clusterIp;
      spec.clusterIps = [...was.clusterIps];
    }
    if (spec.type === "NodePort" && was.type === "NodePort") {
      for (const p of spec.ports) {
        if (p.nodePort) continue;
        const same = was.ports.find((q) => q.port === p.port && q.protocol === p.protocol) ?? was.ports.find((q) => q.name === p.name);
        if (same) p.nodePort = same.nodePort;
      }
    }
  },
  validate(svc: Service) {
    const errs: Errors = [];
    const spec = svc.spec;
    if (!spec) return [required("spec")];
    if (!(SERVICE_TYPES as readonly string[]).includes(spec.type)) errs.push(unsupported("spec.type", spec.type, SERVICE_TYPES));
    if (!(SESSION_AFFINITIES as readonly string[]).includes(spec.sessionAffinity)) errs.push(unsupported("spec.sessionAffinity", spec.sessionAffinity, SESSION_AFFINITIES));
    if (spec.clusterIp && spec.clusterIp !== CLUSTER_IP_NONE && !isIPv4(spec.clusterIp)) {
      errs.push(invalid("spec.clusterIP", spec.clusterIp, "must be a valid IP address, (e.g. 10.9.8.7)"));
    }
    if (spec.clusterIps.length > 1) errs.push(invalid("spec.clusterIPs", spec.clusterIps, "may have at most 1 address (mk is IPv4 only)"));
    if (spec.clusterIps[0] !== undefined && spec.clusterIps[0] !== spec.clusterIp) {
      errs.push(invalid("spec.clusterIPs[0]", spec.clusterIps[0], "must be the same as spec.clusterIP"));
    }
    if (spec.clusterIp === CLUSTER_IP_NONE && spec.type === "NodePort") errs.push(invalid("spec.clusterIP", spec.clusterIp, "may not be set to 'None' for NodePort services"));
    validatePorts(svc, errs);
    validateLabels("spec.selector", spec.selector, errs);
    return errs;
  },
  validateUpdate(svc: Service, old: Service) {
    const was = old.spec?.clusterIp ?? "";
    const now = svc.spec?.clusterIp ?? "";
    // The address is the Service's identity for its clients: it never changes once given.
    if (was && now !== was) return [invalid("spec.clusterIP", now, "field is immutable")];
    return [];
  },
};

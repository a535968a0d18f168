// The cluster zone's records, as Kubernetes' DNS specification and CoreDNS's kubernetes plugin give
// them (the rules below; names are case-insensitive, answers carry the name as asked):
//   SVC.NS.svc.ZONE          A     the ClusterIP; headless (clusterIP None): every ready endpoint
//   HOST.SVC.NS.svc.ZONE     A     headless: the endpoint whose hostname is HOST (else its dashed IP)
//   _PORT._PROTO.SVC.NS.svc.ZONE SRV  a named port: the Service's port → SVC.NS.svc.ZONE, or for a
//                                  headless Service the endpoint's port → each HOST.SVC.NS.svc.ZONE
//   A-B-C-D.NS.pod.ZONE      A     A.B.C.D (CoreDNS's `pods insecure`)
//   dns-version.ZONE         TXT   the specification's version
//   PTR of a ClusterIP or a headless endpoint's address: its name (other addresses are forwarded)
// A name that exists with no record of the asked type (AAAA of a Service, ZONE itself, SVC.NS.svc of a
// headless Service without ready endpoints) is an empty NOERROR; a name in the zone that does not
// exist is NXDOMAIN. Both carry the zone's SOA in the authority section, for negative caching.
import { CLUSTER_IP_NONE, dashedIp, DNS_TTL, type EndpointSlice, type Service } from "@mk/proto";
import type { Answer, RecordType, SrvAnswer, StringAnswer } from "dns-packet";
import type { ServiceView } from "./cache.js";

/** Version of the Kubernetes DNS-based service discovery specification served. */
export const DNS_SPEC_VERSION = "1.1.0";

export interface ZoneAnswer {
  rcode: "NOERROR" | "NXDOMAIN";
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

interface Endpoint {
  ip: string;
  /** Its name under the Service: the endpoint's hostname, else the dashed address. */
  host: string;
}

const a = (name: string, ip: string): StringAnswer => ({ type: "A", name, ttl: DNS_TTL, class: "IN", data: ip });

export class ClusterZone {
  /** The zone, lower case, no trailing dot: cluster.local. */
  readonly domain: string;
  private readonly labels: number;

  constructor(
    domain: string,
    private readonly view: ServiceView,
  ) {
    this.domain = domain.toLowerCase().replace(/\.$/, "");
    this.labels = this.domain.split(".").length;
  }

  /** Whether the zone answers for the name (else it is forwarded). */
  contains(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, "");
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  soa(): Answer {
    return {
      type: "SOA",
      name: this.domain,
      ttl: DNS_TTL,
      class: "IN",
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: this.view.serial % 2 ** 32, refresh: 7200, retry: 1800, expire: 86400, minimum: DNS_TTL },
    };
  }

  private result(rcode: ZoneAnswer["rcode"], answers: Answer[] = [], additionals: Answer[] = []): ZoneAnswer {
    return { rcode, answers, additionals, authorities: answers.length === 0 ? [this.soa()] : [] };
  }

  /** The answer to a question about a name inside the zone. */
  answer(qname: string, qtype: RecordType): ZoneAnswer {
    const all = qname.toLowerCase().replace(/\.$/, "").split(".");
    const rel = all.slice(0, all.length - this.labels);
    const nodata = this.result("NOERROR");
    const nx = this.result("NXDOMAIN");
    if (rel.length === 0) {
      if (qtype === "SOA") return this.result("NOERROR", [{ ...this.soa(), name: qname }]);
      if (qtype === "NS") return this.result("NOERROR", [{ type: "NS", name: qname, ttl: DNS_TTL, class: "IN", data: `ns.dns.${this.domain}` }]);
      return nodata;
    }
    const top = rel[rel.length - 1];
    if (rel.length === 1 && rel[0] === "dns-version") {
      return qtype === "TXT" ? this.result("NOERROR", [{ type: "TXT", name: qname, ttl: DNS_TTL, class: "IN", data: DNS_SPEC_VERSION }]) : nodata;
    }
    if (top === "pod") return this.pod(qname, qtype, rel);
    if (top !== "svc") return nx;
    // rel = [..., SVC, NS, "svc"]
    if (rel.length === 1) return nodata;
    const ns = rel[rel.length - 2] ?? "";
    if (rel.length === 2) return this.view.hasNamespace(ns) ? nodata : nx;
    const svc = this.view.service(ns, rel[rel.length - 3] ?? "");
    if (!svc) return nx;
    const below = rel.slice(0, -3);
    if (below.length === 0) return this.serviceName(qname, qtype, svc);
    if (below.length === 1) return this.endpointName(qname, qtype, svc, below[0] ?? "");
    if (below.length === 2 && below[0]?.startsWith("_") && below[1]?.startsWith("_")) {
      return this.srv(qname, qtype, svc, below[0].slice(1), below[1].slice(1));
    }
    return nx;
  }

  private fqdn(svc: Service): string {
    return `${svc.metadata?.name}.${svc.metadata?.namespace}.svc.${this.domain}`;
  }

  private headless(svc: Service): boolean {
    return svc.spec?.clusterIp === CLUSTER_IP_NONE;
  }

  /** The Service's endpoints DNS publishes: ready ones (all with publishNotReadyAddresses), each address once. */
  private endpoints(svc: Service): { endpoints: Endpoint[]; slices: EndpointSlice[] } {
    const slices = this.view.slices(svc.metadata?.namespace ?? "", svc.metadata?.name ?? "");
    const seen = new Map<string, Endpoint>();
    const all = svc.spec?.publishNotReadyAddresses ?? false;
    for (const s of slices) {
      for (const e of s.endpoints) {
        if (!all && e.conditions?.ready === false) continue;
        for (const ip of e.addresses) if (!seen.has(ip)) seen.set(ip, { ip, host: (e.hostname || dashedIp(ip)).toLowerCase() });
      }
    }
    return { endpoints: [...seen.values()].sort((x, y) => (x.ip < y.ip ? -1 : x.ip > y.ip ? 1 : 0)), slices };
  }

  private serviceName(qname: string, qtype: RecordType, svc: Service): ZoneAnswer {
    if (qtype === "SRV") {
      const named = (svc.spec?.ports ?? []).filter((p) => p.name);
      const out = named.flatMap((p) => this.srvRecords(qname, svc, p.name, (p.protocol || "TCP").toLowerCase()));
      return this.result("NOERROR", out.flatMap((r) => r.answers), dedupe(out.flatMap((r) => r.additionals)));
    }
    if (qtype !== "A") return this.result("NOERROR");
    if (!this.headless(svc)) return svc.spec?.clusterIp ? this.result("NOERROR", [a(qname, svc.spec.clusterIp)]) : this.result("NOERROR");
    return this.result(
      "NOERROR",
      this.endpoints(svc).endpoints.map((e) => a(qname, e.ip)),
    );
  }

  private endpointName(qname: string, qtype: RecordType, svc: Service, host: string): ZoneAnswer {
    if (!this.headless(svc)) return this.result("NXDOMAIN");
    const matches = this.endpoints(svc).endpoints.filter((e) => e.host === host);
    if (matches.length === 0) return this.result("NXDOMAIN");
    return qtype === "A" ? this.result("NOERROR", matches.map((e) => a(qname, e.ip))) : this.result("NOERROR");
  }

  private srv(qname: string, qtype: RecordType, svc: Service, port: string, proto: string): ZoneAnswer {
    const found = (svc.spec?.ports ?? []).some((p) => p.name && p.name.toLowerCase() === port && (p.protocol || "TCP").toLowerCase() === proto);
    if (!found) return this.result("NXDOMAIN");
    if (qtype !== "SRV") return this.result("NOERROR");
    const r = this.srvRecords(qname, svc, port, proto);
    return this.result("NOERROR", r.answers, r.additionals);
  }

  /** SRV records of one named port: to the Service's name (its port), or per endpoint (its port) when headless. */
  private srvRecords(qname: string, svc: Service, port: string, proto: string): { answers: Answer[]; additionals: Answer[] } {
    const fqdn = this.fqdn(svc);
    const spec = (svc.spec?.ports ?? []).find((p) => p.name.toLowerCase() === port && (p.protocol || "TCP").toLowerCase() === proto);
    if (!spec) return { answers: [], additionals: [] };
    if (!this.headless(svc)) {
      const srv: SrvAnswer = { type: "SRV", name: qname, ttl: DNS_TTL, class: "IN", data: { priority: 0, weight: 100, port: spec.port, target: fqdn } };
      return { answers: [srv], additionals: svc.spec?.clusterIp ? [a(fqdn, svc.spec.clusterIp)] : [] };
    }
    const { endpoints, slices } = this.endpoints(svc);
    // The endpoint's port of that name and protocol, from the slices (the resolved targetPort).
    const slicePort = slices.flatMap((s) => s.ports).find((p) => (p.name ?? "").toLowerCase() === port && (p.protocol || "TCP").toLowerCase() === proto)?.port;
    if (slicePort === undefined || endpoints.length === 0) return { answers: [], additionals: [] };
    const weight = Math.max(1, Math.floor(100 / endpoints.length));
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    for (const e of endpoints) {
      const target = `${e.host}.${fqdn}`;
      answers.push({ type: "SRV", name: qname, ttl: DNS_TTL, class: "IN", data: { priority: 0, weight, port: slicePort, target } });
      additionals.push(a(target, e.ip));
    }
    return { answers, additionals };
  }

  private pod(qname: string, qtype: RecordType, rel: string[]): ZoneAnswer {
    // rel = [A-B-C-D, NS, "pod"]
    if (rel.length < 3) return this.result(rel.length === 1 || rel.length === 2 ? "NOERROR" : "NXDOMAIN");
    if (rel.length > 3) return this.result("NXDOMAIN");
    const ip = (rel[0] ?? "").split("-");
    if (ip.length !== 4 || !ip.every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255)) return this.result("NXDOMAIN");
    return qtype === "A" ? this.result("NOERROR", [a(qname, ip.join("."))]) : this.result("NOERROR");
  }

  /**
   * The PTR answer for a reverse name (D.C.B.A.in-addr.arpa) of a ClusterIP or of a headless
   * Service's endpoint, or undefined when the address is none of the cluster's (then forwarded).
   */
  reverse(qname: string): ZoneAnswer | undefined {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.?$/i.exec(qname);
    if (!m) return undefined;
    const ip = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
    const names: string[] = [];
    for (const svc of this.view.services()) {
      if (svc.spec?.clusterIp === ip) names.push(this.fqdn(svc));
      else if (this.headless(svc)) for (const e of this.endpoints(svc).endpoints) if (e.ip === ip) names.push(`${e.host}.${this.fqdn(svc)}`);
    }
    if (names.length === 0) return undefined;
    return { rcode: "NOERROR", answers: names.sort().map((n) => ({ type: "PTR", name: qname, ttl: DNS_TTL, class: "IN", data: n })), authorities: [], additionals: [] };
  }
}

function dedupe(records: Answer[]): Answer[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = `${r.name}/${r.type}/${JSON.stringify("data" in r ? r.data : "")}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

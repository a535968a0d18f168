// Service, Endpoints and EndpointSlice cells, as kubectl prints them (pkg/printers/internalversion).
import type { EndpointSlice } from "../../gen/mk/v1/discovery.js";
import type { Endpoints, Service } from "../../gen/mk/v1/service.js";

/** `80/TCP,443:31234/TCP`: each port, its nodePort when it has one, and its protocol. */
export function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return "<none>";
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol || "TCP"}`).join(",");
}

/** kubectl shows three endpoints and counts the rest: `10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...`. */
const MAX_SHOWN = 3;

function firstFew(items: readonly string[]): string {
  if (items.length === 0) return "<none>";
  const shown = items.slice(0, MAX_SHOWN).join(",");
  return items.length > MAX_SHOWN ? `${shown} + ${items.length - MAX_SHOWN} more...` : shown;
}

/** Every ready address with every port of its subset. */
export function endpointsList(ep: Endpoints): string {
  const out: string[] = [];
  for (const s of ep.subsets) {
    const ports = s.ports.length > 0 ? s.ports.map((p) => `:${p.port}`) : [""];
    for (const a of s.addresses) for (const p of ports) out.push(`${a.ip}${p}`);
  }
  return firstFew(out);
}

export function sliceEndpoints(slice: EndpointSlice): string {
  return firstFew(slice.endpoints.flatMap((e) => e.addresses));
}

export function slicePorts(slice: EndpointSlice): string {
  if (slice.ports.length === 0) return "<unset>";
  return slice.ports.map((p) => (p.port === undefined ? "<unset>" : String(p.port))).join(",");
}

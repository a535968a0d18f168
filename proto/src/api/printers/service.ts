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

/**
 * kubectl's formatEndpoints: per subset, per port (only the port named `portName` when given), every
 * ready address with that port; a subset without ports gives its bare addresses. `<none>` without
 * subsets, an empty cell when the subsets hold no ready address (kubectl prints nothing then).
 */
export function endpointsList(ep: Endpoints, portName?: string): string {
  if (ep.subsets.length === 0) return "<none>";
  const out: string[] = [];
  for (const s of ep.subsets) {
    if (s.ports.length === 0) {
      for (const a of s.addresses) out.push(a.ip);
      continue;
    }
    for (const p of s.ports) {
      if (portName !== undefined && p.name !== portName) continue;
      for (const a of s.addresses) out.push(a.ip.includes(":") ? `[${a.ip}]:${p.port}` : `${a.ip}:${p.port}`);
    }
  }
  return out.length === 0 ? "" : firstFew(out);
}

export function sliceEndpoints(slice: EndpointSlice): string {
  return firstFew(slice.endpoints.flatMap((e) => e.addresses));
}

export function slicePorts(slice: EndpointSlice): string {
  if (slice.ports.length === 0) return "<unset>";
  return slice.ports.map((p) => (p.port === undefined ? "<unset>" : String(p.port))).join(",");
}

/**
 * kubectl's formatEndpointSlices (describe svc, kubectl 1.32): the ready endpoints of a Service's
 * slices, with each slice port named `portName` (every port when undefined), bare addresses for slices
 * without ports; three shown and the rest counted. `<none>` without slices.
 */
export function sliceEndpointsList(slices: readonly EndpointSlice[], portName?: string): string {
  if (slices.length === 0) return "<none>";
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (text: string, ready: boolean | undefined) => {
    // As kubectl: "more" once three are listed, whether or not this one is shown.
    if (list.length === MAX_SHOWN) more = true;
    if (ready === false) return;
    if (!more) list.push(text);
    count++;
  };
  for (const s of slices) {
    if (s.ports.length === 0) {
      for (const e of s.endpoints) add(e.addresses[0] ?? "", e.conditions?.ready);
      continue;
    }
    for (const p of s.ports) {
      if (portName !== undefined && (p.name ?? "") !== portName) continue;
      for (const e of s.endpoints) {
        const addr = e.addresses[0] ?? "";
        add(addr.includes(":") ? `[${addr}]:${p.port}` : `${addr}:${p.port}`, e.conditions?.ready);
      }
    }
  }
  const ret = list.join(",");
  return more ? `${ret} + ${count - MAX_SHOWN} more...` : ret;
}

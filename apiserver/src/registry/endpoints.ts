// Endpoints and EndpointSlice: written by the endpoint controller (and by the API server for the
// `kubernetes` Service); validation keeps what node proxies and DNS read well-formed.
import type { EndpointSlice, Endpoints } from "@mk/proto";
import { isIPv4 } from "../allocator/range.js";
import type { Strategy } from "./strategy.js";
import { type Errors, invalid, required, unsupported } from "./validation.js";

const ADDRESS_TYPES = ["IPv4"] as const;
const PROTOCOLS = ["TCP", "UDP"] as const;

function validatePort(f: string, port: number | undefined, protocol: string | undefined, errs: Errors): void {
  if (port !== undefined && !(port >= 1 && port <= 65535)) errs.push(invalid(`${f}.port`, port, "must be between 1 and 65535, inclusive"));
  if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol)) errs.push(unsupported(`${f}.protocol`, protocol, PROTOCOLS));
}

export const endpointsStrategy: Strategy<"Endpoints"> = {
  kind: "Endpoints",
  nameRule: "subdomain",
  hasStatus: false,
  defaults(ep: Endpoints) {
    for (const s of ep.subsets) for (const p of s.ports) p.protocol ||= "TCP";
  },
  prepareForCreate() {},
  validate(ep: Endpoints) {
    const errs: Errors = [];
    ep.subsets.forEach((s, i) => {
      const f = `subsets[${i}]`;
      for (const [list, name] of [
        [s.addresses, "addresses"],
        [s.notReadyAddresses, "notReadyAddresses"],
      ] as const) {
        list.forEach((a, j) => {
          if (!isIPv4(a.ip)) errs.push(invalid(`${f}.${name}[${j}].ip`, a.ip, "must be a valid IP address"));
        });
      }
      s.ports.forEach((p, j) => {
        validatePort(`${f}.ports[${j}]`, p.port, p.protocol, errs);
      });
    });
    return errs;
  },
  validateUpdate() {
    return [];
  },
};

export const endpointSliceStrategy: Strategy<"EndpointSlice"> = {
  kind: "EndpointSlice",
  nameRule: "subdomain",
  hasStatus: false,
  defaults(slice: EndpointSlice) {
    for (const p of slice.ports) p.protocol ??= "TCP";
  },
  prepareForCreate() {},
  validate(slice: EndpointSlice) {
    const errs: Errors = [];
    if (!slice.addressType) errs.push(required("addressType"));
    else if (!(ADDRESS_TYPES as readonly string[]).includes(slice.addressType)) errs.push(unsupported("addressType", slice.addressType, ADDRESS_TYPES));
    slice.endpoints.forEach((e, i) => {
      const f = `endpoints[${i}]`;
      if (e.addresses.length !== 1) errs.push(invalid(`${f}.addresses`, e.addresses, "must contain exactly 1 address"));
      e.addresses.forEach((a, j) => {
        if (!isIPv4(a)) errs.push(invalid(`${f}.addresses[${j}]`, a, "must be a valid IPv4 address"));
      });
    });
    slice.ports.forEach((p, j) => {
      validatePort(`ports[${j}]`, p.port, p.protocol, errs);
    });
    return errs;
  },
  validateUpdate(slice: EndpointSlice, old: EndpointSlice) {
    if (slice.addressType !== old.addressType) return [invalid("addressType", slice.addressType, "field is immutable")];
    return [];
  },
};

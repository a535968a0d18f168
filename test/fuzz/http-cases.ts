// The HTTP edge's cases: the same generator of faults as gRPC's (semantic faults in valid objects
// of every kind, bad selectors and queries, subresources, delete options), each as a Kubernetes
// HTTP/JSON request, and in place of the protobuf wire faults the faults of JSON and of HTTP
// itself (http-faults.ts). `generateHttp(seed, n)` is reproducible as `generate` is.
import { deleteOptions, type FuzzCase, query, semantic, subresource } from "./generator.js";
import { jsonFault, patchFault } from "./http-faults.js";
import { httpOf } from "./http-request.js";
import { Rng } from "./rng.js";

/** A typed case as its HTTP request; undefined when HTTP has none. */
function asHttp(c: FuzzCase): FuzzCase | undefined {
  const h = httpOf(c);
  return h && { ...c, field: h.field, aliases: h.aliases, http: h.call };
}

/** n invalid HTTP requests: ~40% semantic, ~25% JSON and HTTP faults, ~15% patches, the rest queries, subresources, deletes. */
export function* generateHttp(seed: number, n: number): Generator<FuzzCase> {
  const rng = new Rng(seed);
  for (let id = 0; id < n; ) {
    const roll = rng.next();
    let c: FuzzCase | undefined;
    if (roll < 0.4) c = asHttp(semantic(rng, id));
    else if (roll < 0.65) {
      const f = jsonFault(rng, id, () => {
        const s = asHttp(semantic(rng, id));
        return s?.http && { call: s.http, field: s.field, aliases: s.aliases };
      });
      c = f && { id, category: f.category, field: f.field, aliases: f.aliases, status: f.status, http: f.call };
    } else if (roll < 0.8) {
      const f = patchFault(rng);
      c = { id, category: f.category, field: f.field, aliases: f.aliases, status: f.status, http: f.call };
    } else if (roll < 0.88) c = asHttp(query(rng, id));
    else if (roll < 0.94) c = asHttp(subresource(rng, id));
    else c = asHttp(deleteOptions(rng, id));
    if (c === undefined) continue;
    id++;
    yield c;
  }
}

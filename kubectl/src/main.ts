#!/usr/bin/env node
// mkctl's entry (the `mkctl` bin, `npm start`, cluster up's background supervisor): turns on Node's
// compile cache, then runs the bundle the build makes of mkctl.ts (dist/bundle/: an entry and the
// chunks each command loads, instead of ~250 modules; kubectl/scripts/bundle.mjs). The cache must be
// on before the bundle is read, so this file stays tiny and imports nothing else. Without a bundle
// (`tsc -b` alone), it runs the compiled modules.
import { enableCompileCache } from "node:module";

enableCompileCache();
const bundle = new URL("./bundle/mkctl.js", import.meta.url);
try {
  await import(bundle.href);
} catch (err) {
  // Only a missing bundle falls back; an error thrown while mkctl runs is mkctl's own to report.
  if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND" || !String((err as Error).message).includes(bundle.pathname)) throw err;
  await import("./mkctl.js");
}

// Bundles mkctl (kubectl/dist/mkctl.js, as tsc compiled it, with @mk/proto, commander, yaml and
// grpc-js) into one file, kubectl/dist/bundle/mkctl.js, which dist/main.js runs. Node then reads
// one file instead of ~250, and its compile cache (enabled in main.js) keeps that file's code.
// The bundle sits one folder below dist/, where the compiled modules it replaces sit
// (dist/cluster/*.js), so their paths relative to import.meta.url (the other components'
// dist/main.js, deploy/images, ../main.js for the supervisor) still lead to the same files.
// Dynamic import() stays lazy inside the bundle: a command's code runs only when it is used.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ["dist/mkctl.js"],
  outfile: "dist/bundle/mkctl.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  // grpc-js and other CommonJS packages call require() for Node's own modules; an ES module has no
  // require, so the bundle makes one.
  banner: { js: 'import { createRequire as __mkctlRequire } from "node:module"; const require = __mkctlRequire(import.meta.url);' },
  legalComments: "none",
  logLevel: "warning",
});

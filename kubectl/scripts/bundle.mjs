// Bundles mkctl (kubectl/dist/mkctl.js as tsc compiled it, with @mk/proto, commander, yaml and
// grpc-js) into kubectl/dist/bundle/, which dist/main.js runs: an entry of ~15 KB (the command
// table, the flag parser) with commander in a chunk beside it, and the chunks each command's
// import() loads when it runs.
// Node then reads a handful of files instead of ~250, and its compile cache (enabled in main.js)
// keeps each one's code. One single file would be smaller to describe but slower: `mkctl --help`
// would read and compile 2 MB (grpc-js, the generated code) to print a page of text (BENCHMARKS.md).
// The chunks sit one folder below dist/, where the compiled modules they replace sit
// (dist/cluster/*.js), so paths relative to import.meta.url (the other components' dist/main.js,
// deploy/images, ../main.js for the supervisor) still lead to the same files.
import { chmodSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
// Chunk names carry a content hash: clear the old ones rather than let them pile up.
rmSync(`${root}/dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ["dist/mkctl.js"],
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node22",
  // grpc-js and other CommonJS packages call require() for Node's own modules; an ES module has no
  // require, so each chunk makes one.
  banner: { js: 'import { createRequire as __mkctlRequire } from "node:module"; const require = __mkctlRequire(import.meta.url);' },
  // grpc-js requires @grpc/proto-loader (and with it protobufjs, ~0.5 MB) only to serve channelz and
  // ORCA, which a client never does: left out, each command that talks to the server reads half as
  // much. Should it ever be required, Node finds it in node_modules as usual.
  external: ["@grpc/proto-loader"],
  legalComments: "none",
  logLevel: "warning",
});
// dist/main.js is the `mkctl` bin (node_modules/.bin/mkctl links to it); tsc writes it without the
// executable bit whenever main.ts changes.
chmodSync(`${root}/dist/main.js`, 0o755);

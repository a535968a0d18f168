// The kubelet's flags as a systemd EnvironmentFile (`mkctl cluster join --no-start --kubelet-env-file
// PATH`), the way kubeadm writes kubeadm-flags.env: deploy/vm/systemd/mk-kubelet.service runs
// `mk-kubelet $MK_KUBELET_ARGS`, so a node's service gets exactly the flags join printed. (Not
// `--env-file`: Node 24 takes that flag for itself even after the script's name, and exits.)
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const KUBELET_ARGS_VARIABLE = "MK_KUBELET_ARGS";

/**
 * The file's text. systemd splits an unquoted `$VAR` at whitespace and does not unquote the pieces,
 * so an argument holding whitespace, a quote, a backslash or a `$` cannot be carried: it is refused,
 * naming the argument, rather than written as a different command line.
 */
export function kubeletEnvFile(args: string[]): string {
  for (const a of args) {
    if (a === "" || /[\s"'\\$]/.test(a)) {
      throw new Error(`--kubelet-env-file: kubelet argument ${JSON.stringify(a)} cannot be written to a systemd environment file (no spaces, quotes, backslashes or $)`);
    }
  }
  return `# Written by \`mkctl cluster join --kubelet-env-file\`; read by mk-kubelet.service.\n${KUBELET_ARGS_VARIABLE}="${args.join(" ")}"\n`;
}

/** Writes the file atomically (a reader never sees half of it); it names paths, not secrets. */
export function writeKubeletEnvFile(path: string, args: string[]): void {
  const text = kubeletEnvFile(args);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

// The user's editor, chosen and started as kubectl's (k8s.io/kubectl/pkg/cmd/util/editor): KUBE_EDITOR,
// else EDITOR, else `vi`; a value with spaces is split into its words, one with quotes or backslashes
// is handed to $SHELL -c (or sh). The file it edits is a temp file named like kubectl's
// (`/tmp/mkctl-edit-1234567890.yaml`), kept by the caller when a failed save must be preserved.
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError } from "../cli-error.js";

export interface Editor {
  args: string[];
  /** Run through the shell: the file name is appended to its command text, quoted. */
  shell: boolean;
}

/** kubectl's editorEnvs: KUBE_EDITOR wins over EDITOR. */
export function defaultEditor(env: NodeJS.ProcessEnv = process.env): Editor {
  const editor = env.KUBE_EDITOR || env.EDITOR || "vi";
  if (!editor.includes(" ")) return { args: [editor], shell: false };
  if (!/["'\\]/.test(editor)) return { args: editor.split(" "), shell: false };
  return { args: [env.SHELL || "/bin/bash", "-c", editor], shell: true };
}

function argsFor(editor: Editor, path: string): string[] {
  const args = [...editor.args];
  if (editor.shell) args[args.length - 1] = `${args[args.length - 1]} ${JSON.stringify(path)}`;
  else args.push(path);
  return args;
}

/** Opens the file in the editor and waits for it to exit; kubectl's two messages when it cannot. */
export function launch(editor: Editor, path: string): void {
  const [bin = "vi", ...rest] = argsFor(editor, path);
  const res = spawnSync(bin, rest, { stdio: "inherit" });
  const shown = editor.args.join(" ");
  if (res.error && (res.error as NodeJS.ErrnoException).code === "ENOENT") throw new CliError(`unable to launch the editor "${shown}"`);
  if (res.error || res.status !== 0) throw new CliError(`there was a problem with the editor "${shown}"`);
}

/** A new temp file holding `text` (created exclusively: never another's), as Go's os.CreateTemp names them. */
export function tempFile(prefix: string, ext: string, text: string): string {
  for (;;) {
    const path = join(tmpdir(), `${prefix}${randomInt(1_000_000_000, 4_294_967_295)}${ext}`);
    try {
      writeFileSync(path, text, { flag: "wx", mode: 0o600 });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** Writes `text` to a new temp file, opens it in the editor and returns the file and what was saved. */
export function editTempFile(editor: Editor, prefix: string, ext: string, text: string): { path: string; edited: string } {
  const path = tempFile(prefix, ext, text);
  launch(editor, path);
  return { path, edited: readFileSync(path, "utf8") };
}

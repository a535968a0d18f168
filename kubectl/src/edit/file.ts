// The text of kubectl edit's file: its header (with the reasons a save failed, when it is reopened),
// and kubectl's ways of reading it back: comment lines stripped (cmdutil.ManualStrip), the content
// compared as JSON (cmdutil.StripComments), and whether anything but comments is left (hasLines).
import { parse } from "yaml";
import { type Json, sortKeys } from "../objects.js";

export const EDIT_HEADER = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`;

/** Why the last save failed: a head line and, for a validation failure, one line per field. */
export interface EditReason {
  head: string;
  other: string[];
}

/** A message's later lines stay comments. */
function hashOnLineBreak(s: string): string {
  return s.replace(/\n(?!#)/g, "\n# ");
}

export function headerText(reasons: readonly EditReason[]): string {
  let out = EDIT_HEADER;
  for (const r of reasons) {
    out += `# ${hashOnLineBreak(r.head)}${r.other.length > 0 ? ":" : ""}\n`;
    for (const o of r.other) out += `# * ${hashOnLineBreak(o)}\n`;
    out += "#\n";
  }
  return out;
}

/** The lines that are not comments (`#!` is not a comment, as in kubectl). */
export function manualStrip(text: string): string {
  return text
    .split("\n")
    .filter((line) => {
      const t = line.trim();
      return !(t.startsWith("#") && !t.startsWith("#!"));
    })
    .join("\n");
}

/** The content as sorted JSON when it parses (so layout and comments do not count as changes), else the stripped text. */
export function stripComments(text: string): string {
  try {
    return JSON.stringify(sortKeys(parse(text) as Json));
  } catch {
    // Not YAML: compared as text, as kubectl falls back to ManualStrip.
    return manualStrip(text);
  }
}

/** Whether anything but blank lines and comments is left. */
export function hasLines(text: string): boolean {
  return text.split("\n").some((line) => {
    const t = line.trim();
    return t !== "" && !t.startsWith("#");
  });
}

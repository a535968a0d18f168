// Go's text/tabwriter, which kubectl prints every table and `describe` with: cells end at a tab;
// consecutive lines that have a cell in the same column form a block aligned to its widest cell
// plus padding; the text after a line's last tab is never padded.

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

/** kubectl get: minwidth 6, padding 3. */
export const GET_TABS: TabwriterOptions = { minWidth: 6, padding: 3 };
/** kubectl describe: minwidth 0, padding 2. */
export const DESCRIBE_TABS: TabwriterOptions = { minWidth: 0, padding: 2 };

export function formatTabs(text: string, opts: TabwriterOptions): string {
  const trailingNewline = text.endsWith("\n");
  const lines = (trailingNewline ? text.slice(0, -1) : text).split("\n").map((l) => l.split("\t"));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i] ?? [];
      let s = "";
      cells.forEach((c, j) => {
        const w = widths[j];
        s += j < cells.length - 1 && w !== undefined ? c.padEnd(w) : c;
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= (lines[cur]?.length ?? 0) - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let width = opts.minWidth;
      for (; cur < line1; cur++) {
        const cells = lines[cur] ?? [];
        if (column >= cells.length - 1) break;
        width = Math.max(width, [...(cells[column] ?? "")].length + opts.padding);
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join("\n") + (trailingNewline ? "\n" : "");
}

/** Rows of cells to an aligned table (kubectl get). */
export function formatTable(rows: readonly (readonly string[])[], opts: TabwriterOptions = GET_TABS): string {
  if (rows.length === 0) return "";
  return formatTabs(`${rows.map((r) => r.join("\t")).join("\n")}\n`, opts);
}

/**
 * A table printed in pieces (get -w): column widths are remembered and only ever grow, as
 * tabwriter's RememberWidths does, so rows printed later line up with the header.
 */
export class StreamingTable {
  private widths: number[] = [];
  constructor(private readonly opts: TabwriterOptions = GET_TABS) {}

  format(rows: readonly (readonly string[])[]): string {
    for (const r of rows) {
      r.forEach((c, j) => {
        if (j === r.length - 1) return;
        this.widths[j] = Math.max(this.widths[j] ?? this.opts.minWidth, c.length + this.opts.padding);
      });
    }
    return rows.map((r) => `${r.map((c, j) => (j < r.length - 1 ? c.padEnd(this.widths[j] ?? 0) : c)).join("")}\n`).join("");
  }
}

// Word wrapping as kubectl explain's templates do it (their `wrap` is mitchellh/go-wordwrap's
// WrapString): break at spaces so that lines stay within the limit (counted in characters); a word
// longer than the limit keeps its own line; existing line breaks stay. `indent` pads every line, as the
// templates' `indent` does (a trailing newline leaves an indented empty line, which kubectl prints too).
const NBSP = "\u00a0";

export function wrap(s: string, lim: number): string {
  let out = "";
  let current = 0;
  let word = "";
  let wordLen = 0;
  let space = "";
  let spaceLen = 0;
  const flush = () => {
    current += spaceLen + wordLen;
    out += space + word;
    space = "";
    spaceLen = 0;
    word = "";
    wordLen = 0;
  };
  for (const ch of s) {
    if (ch === "\n") {
      if (wordLen === 0) {
        if (current + spaceLen <= lim) out += space;
        space = "";
        spaceLen = 0;
      } else {
        flush();
      }
      out += ch;
      current = 0;
    } else if (/\s/u.test(ch) && ch !== NBSP) {
      if (spaceLen === 0 || wordLen > 0) flush();
      space += ch;
      spaceLen++;
    } else {
      word += ch;
      wordLen++;
      if (current + spaceLen + wordLen > lim && wordLen < lim) {
        out += "\n";
        current = 0;
        space = "";
        spaceLen = 0;
      }
    }
  }
  if (wordLen === 0) {
    if (current + spaceLen <= lim) out += space;
  } else {
    out += space + word;
  }
  return out;
}

export function indent(amount: number, s: string): string {
  const pad = " ".repeat(amount);
  return pad + s.replaceAll("\n", `\n${pad}`);
}

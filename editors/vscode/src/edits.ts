// Plain text arithmetic behind Edit Selection and the status bar (no `vscode` import, tested
// with `node --test`).

/** The line break a text uses (the first one found; `\n` when it has none). */
export function eolOf(text: string): '\n' | '\r\n' {
  const first = text.indexOf('\n');
  return first > 0 && text[first - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * The model's rewrite of `original`, shaped to replace exactly `original`'s bytes.
 *
 * A selection of whole lines (Shift+Down from column 1) ends at column 1 of the next line, so
 * `original` ends with line breaks; code extracted from a fenced block never does. Without the
 * same trailing breaks the last new line would be glued to the line after the selection. Leading
 * indentation and line breaks are the model's; the break style becomes the document's.
 */
export function fitReplacement(original: string, replacement: string, eol: '\n' | '\r\n' = eolOf(original)): string {
  let code = replacement.replace(/\r\n/g, '\n');
  const trailing = /(?:\r?\n)*$/.exec(original)![0];
  code = code.replace(/\n*$/, '') + trailing.replace(/\r\n/g, '\n');
  return eol === '\r\n' ? code.replace(/\n/g, '\r\n') : code;
}

/** `text` with the characters `[start, end)` replaced by `replacement`. */
export function spliceText(text: string, start: number, end: number, replacement: string): string {
  return text.slice(0, start) + replacement + text.slice(end);
}

/** A cost in dollars for people; the host sends `null` when it has no price for the model. */
export function formatCost(costUsd: number | null | undefined, digits = 5): string {
  return typeof costUsd === 'number' && Number.isFinite(costUsd) ? `$${costUsd.toFixed(digits)}` : 'cost unknown';
}

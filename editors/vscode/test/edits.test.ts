// Edit Selection's text arithmetic and cost formatting (plain Node, no host needed).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractCode } from '../src/chat';
import { eolOf, fitReplacement, formatCost, spliceText } from '../src/edits';

const FILE = [
  'def classify(n):',
  '    if n < 0:',
  '        return "negative"',
  '    return "positive"',
  '',
  'for n in (-1, 1):',
  '    print(n, classify(n))',
  '',
].join('\n');

/** The offsets of a whole-line selection made with Shift+Down from column 1: lines [first, last] (1-based). */
function wholeLines(text: string, first: number, last: number): [number, number] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return [starts[first - 1], starts[last] ?? text.length];
}

test('Edit Selection of whole lines keeps the line break before the next line', () => {
  const [start, end] = wholeLines(FILE, 1, 4);
  const original = FILE.slice(start, end);
  assert.ok(original.endsWith('"positive"\n'));
  // What a model answers: a fenced block, whose extracted body has no trailing line break.
  const answer = 'Here:\n```python\ndef classify(n):\n    return "negative" if n < 0 else "positive"\n```\n';
  const code = extractCode(answer)!;
  const after = spliceText(FILE, start, end, fitReplacement(original, code));
  assert.equal(
    after,
    'def classify(n):\n    return "negative" if n < 0 else "positive"\n\nfor n in (-1, 1):\n    print(n, classify(n))\n',
  );
  assert.ok(!after.includes('"positive"    print'), 'the last new line is glued to the next one');
});

test('Edit Selection that returns the code unchanged changes no byte, blank lines included', () => {
  for (const [first, last] of [[1, 9], [1, 5], [2, 3], [4, 5], [6, 7], [1, 8]]) {
    const [start, end] = wholeLines(FILE, first, last);
    const original = FILE.slice(start, end);
    const echoed = extractCode('```python\n' + original.replace(/\n+$/, '') + '\n```')!;
    assert.equal(spliceText(FILE, start, end, fitReplacement(original, echoed)), FILE, `lines ${first}-${last}`);
  }
});

test('a selection inside a line gets no line break; CRLF documents keep CRLF', () => {
  assert.equal(fitReplacement('classify', 'sort\n'), 'sort');
  const crlf = 'a = 1\r\nb = 2\r\n';
  assert.equal(eolOf(crlf), '\r\n');
  assert.equal(fitReplacement(crlf, 'a = 10\nb = 20'), 'a = 10\r\nb = 20\r\n');
  assert.equal(eolOf('no breaks'), '\n');
});

test('a cost the host cannot price (null) is shown as unknown, not a crash', () => {
  assert.equal(formatCost(0.000123), '$0.00012');
  assert.equal(formatCost(0), '$0.00000');
  assert.equal(formatCost(1.5, 2), '$1.50');
  assert.equal(formatCost(null), 'cost unknown');
  assert.equal(formatCost(undefined), 'cost unknown');
});

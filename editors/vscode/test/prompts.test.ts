// What the chat box sends: slash commands, the selection and #file mentions (plain Node).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transcriptOf } from '../src/chat';
import { EditorContext, buildPrompt, fileMentions, splitPrompt } from '../src/prompts';

const EDITOR: EditorContext = {
  path: 'src/a.ts',
  languageId: 'typescript',
  selection: 'const x = 1;\n',
  selectionLines: [3, 3],
  text: 'import y;\n\nconst x = 1;\n',
};
const FILES: Record<string, string> = { 'notes.txt': 'forty-two\n' };
const read = async (p: string) => {
  if (!(p in FILES)) throw new Error(`${p} does not exist`);
  return FILES[p];
};

test('a question with a selection carries the selection and says where it is from', async () => {
  const built = await buildPrompt('why is x one?', EDITOR, read);
  assert.equal(built.content, 'why is x one?\n\nSelected code (src/a.ts, lines 3-3):\n```typescript\nconst x = 1;\n```');
  assert.deepEqual(built.context, ['selection: src/a.ts:3-3']);
});

test('slash commands become their instruction; without a selection the whole file is the subject', async () => {
  const explain = await buildPrompt('/explain', EDITOR, read);
  assert.match(explain.content, /^Explain what this code does, briefly and precisely\.\n\nSelected code/);
  const fix = await buildPrompt('/fix it crashes on empty input', { ...EDITOR, selection: '', selectionLines: undefined }, read);
  assert.match(fix.content, /^Find the bugs in this code and fix them\. Propose the changes with propose_edit\. it crashes on empty input\n\nThe file src\/a\.ts:\n```typescript\nimport y;/);
  assert.deepEqual(fix.context, ['file: src/a.ts']);
  assert.match((await buildPrompt('/tests', EDITOR, read)).content, /^Write unit tests for this code/);
  await assert.rejects(buildPrompt('/frobnicate', EDITOR, read), /unknown command \/frobnicate; try \/explain, \/fix, \/tests/);
  await assert.rejects(buildPrompt('/explain', undefined, read), /open a file/);
});

test('#file:path attaches that file; #file alone the current one; a missing file is named', async () => {
  assert.deepEqual(fileMentions('see #file:a.ts and #file:b.ts #file'), { paths: ['a.ts', 'b.ts'], current: true });
  assert.deepEqual(fileMentions('issue#file:x is not a mention'), { paths: [], current: false });
  const built = await buildPrompt('summarize #file:notes.txt', undefined, read);
  assert.equal(built.content, 'summarize #file:notes.txt\n\nThe file notes.txt:\n```\nforty-two\n```');
  assert.deepEqual(built.context, ['file: notes.txt']);
  await assert.rejects(buildPrompt('read #file:nope.txt', undefined, read), /#file:nope\.txt: nope\.txt does not exist/);
  const current = await buildPrompt('what about #file', { ...EDITOR, selection: '' }, read);
  assert.deepEqual(current.context, ['current file: src/a.ts', 'file: src/a.ts']);
});

test('code with fences inside is fenced with a longer run of backticks', async () => {
  const built = await buildPrompt('look', { ...EDITOR, selection: 'a\n```\nb\n' }, read);
  assert.match(built.content, /````typescript\na\n```\nb\n````/);
});

test('a restored chat shows what was typed, with its context as labels', async () => {
  const built = await buildPrompt('why? #file:notes.txt', EDITOR, read);
  assert.deepEqual(splitPrompt(built.content), { text: 'why? #file:notes.txt', context: ['selection: src/a.ts:3-3', 'file: notes.txt'] });
  assert.deepEqual(splitPrompt('plain\n\ntext'), { text: 'plain\n\ntext', context: [] });
  assert.deepEqual(
    transcriptOf([
      { role: 'user', content: [{ text: built.content }] },
      { role: 'assistant', content: [{ text: 'Reading.' }, { toolUse: { toolUseId: 't', name: 'read_file', input: {} } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ text: 'x' }] } }] },
      { role: 'assistant', content: [{ text: 'Done.' }] },
    ]),
    [
      { kind: 'user', text: 'why? #file:notes.txt', context: ['selection: src/a.ts:3-3', 'file: notes.txt'] },
      { kind: 'assistant', text: 'Reading.' },
      { kind: 'note', text: 'tool: read_file' },
      { kind: 'assistant', text: 'Done.' },
    ],
  );
});

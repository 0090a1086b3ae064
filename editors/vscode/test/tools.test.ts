// The tool handlers over a real directory (no host needed) and the pure helpers.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { extractCode } from '../src/chat';
import { FsWorkspace } from '../src/fsWorkspace';
import { ToolCallParams, ToolCallResult } from '../src/protocol';
import { checkRelativePath, createToolHandler, globToRegExp } from '../src/tools';
import { tempDir } from './helpers';

function textOf(result: ToolCallResult): string {
  return typeof result.content === 'string' ? result.content : result.content.map((b) => b.text).join('');
}

function call(name: string, input: Record<string, unknown>): ToolCallParams {
  return { requestId: 1, conversationId: 'c', toolUseId: 't', name, input };
}

function workspace(): string {
  const root = tempDir('tools');
  mkdirSync(path.join(root, 'src', 'deep'), { recursive: true });
  mkdirSync(path.join(root, 'node_modules', 'x'), { recursive: true });
  writeFileSync(path.join(root, 'README.md'), 'Read me\nTODO: docs\n');
  writeFileSync(path.join(root, 'src', 'main.ts'), 'export const x = 1; // TODO tests\n');
  writeFileSync(path.join(root, 'src', 'deep', 'util.ts'), 'export function f() {}\n');
  writeFileSync(path.join(root, 'node_modules', 'x', 'index.js'), 'TODO never listed');
  return root;
}

test('list_files lists workspace files, skips node_modules and honours globs', async () => {
  const handle = createToolHandler(new FsWorkspace(workspace(), async () => false));
  assert.deepEqual(await handle(call('list_files', {})), {
    content: [{ text: 'README.md\nsrc/deep/util.ts\nsrc/main.ts' }],
    status: 'success',
  });
  assert.deepEqual(await handle(call('list_files', { glob: 'src/**/*.ts', limit: 1 })), {
    content: [{ text: 'src/main.ts' }],
    status: 'success',
  });
  assert.deepEqual(await handle(call('list_files', { glob: '*.rs' })), { content: [{ text: 'No files match.' }], status: 'success' });
});

test('search_workspace answers path:line: text, case-insensitively, bounded by maxResults', async () => {
  const handle = createToolHandler(new FsWorkspace(workspace(), async () => false));
  assert.deepEqual(await handle(call('search_workspace', { query: 'todo' })), {
    content: [{ text: 'README.md:2: TODO: docs\nsrc/main.ts:1: export const x = 1; // TODO tests' }],
    status: 'success',
  });
  assert.deepEqual(await handle(call('search_workspace', { query: 'f\\(\\)', isRegex: true, maxResults: 1 })), {
    content: [{ text: 'src/deep/util.ts:1: export function f() {}' }],
    status: 'success',
  });
  const bad = await handle(call('search_workspace', { query: '(', isRegex: true }));
  assert.equal(bad.status, 'error');
  assert.match(textOf(bad), /not a valid regular expression/);
});

test('tools refuse paths outside the workspace and explain bad input', async () => {
  const handle = createToolHandler(new FsWorkspace(workspace(), async () => true));
  for (const p of ['../etc/passwd', '/etc/passwd', 'src/../../x']) {
    const result = await handle(call('read_file', { path: p }));
    assert.equal(result.status, 'error', p);
    assert.match(textOf(result), /outside the workspace/, p);
  }
  const missing = await handle(call('read_file', { path: 'nope.txt' }));
  assert.deepEqual(missing, { content: [{ text: 'read_file failed: nope.txt does not exist' }], status: 'error' });
  const ambiguous = await handle(call('propose_edit', { path: 'src/main.ts', oldText: 'x', newText: 'y' }));
  assert.match(textOf(ambiguous), /occurs more than once/);
  const unknown = await handle(call('format_disk', {}));
  assert.equal(unknown.status, 'error');
  assert.match(textOf(unknown), /unknown tool "format_disk"/);
});

test('propose_edit can create a file, with consent', async () => {
  const root = workspace();
  const handle = createToolHandler(new FsWorkspace(root, async (edit) => edit.before === '' && edit.after === 'new\n'));
  const result = await handle(call('propose_edit', { path: 'src/new.ts', oldText: '', newText: 'new\n' }));
  assert.equal(result.status, 'success');
  assert.equal(await new FsWorkspace(root, async () => false).readFile('src/new.ts'), 'new\n');
});

test('globToRegExp and checkRelativePath', () => {
  assert.ok(globToRegExp('**/*.ts').test('a/b/c.ts'));
  assert.ok(globToRegExp('**/*.ts').test('c.ts'));
  assert.ok(!globToRegExp('*.ts').test('a/c.ts'));
  assert.ok(globToRegExp('src/?.md').test('src/a.md'));
  assert.ok(!globToRegExp('a.b').test('axb'));
  assert.equal(checkRelativePath('./src//a.ts'), 'src/a.ts');
  assert.throws(() => checkRelativePath(''), /non-empty workspace-relative path/);
});

test('extractCode takes the first fenced block, or the bare answer', () => {
  assert.equal(extractCode('Sure:\n```ts\nlet a = 1;\nlet b = 2;\n```\nDone.'), 'let a = 1;\nlet b = 2;');
  assert.equal(extractCode('  let a = 1;  '), 'let a = 1;');
  assert.equal(extractCode('   '), undefined);
});

test('no tool follows a symbolic link out of the workspace', async () => {
  const root = workspace();
  const outside = tempDir('outside');
  writeFileSync(path.join(outside, 'hostname'), 'secret-host\n');
  symlinkSync(outside, path.join(root, 'outside'));
  symlinkSync(path.join(outside, 'hostname'), path.join(root, 'link.txt'));
  const proposals: string[] = [];
  const handle = createToolHandler(
    new FsWorkspace(root, async (edit) => {
      proposals.push(edit.path);
      return true;
    }),
  );
  for (const [name, input] of [
    ['read_file', { path: 'outside/hostname' }],
    ['read_file', { path: 'link.txt' }],
    ['propose_edit', { path: 'outside/hostname', oldText: 'secret', newText: 'public' }],
    ['propose_edit', { path: 'outside/new.txt', oldText: '', newText: 'planted' }],
  ] as const) {
    const result = await handle(call(name, input));
    assert.equal(result.status, 'error', `${name} ${JSON.stringify(input)}: ${textOf(result)}`);
    assert.match(textOf(result), /leads outside the workspace through a symbolic link/);
  }
  const search = await handle(call('search_workspace', { query: 'secret' }));
  assert.equal(textOf(search), 'No matches for "secret".');
  assert.deepEqual(proposals, []);
  assert.equal(readFileSync(path.join(outside, 'hostname'), 'utf8'), 'secret-host\n');
  assert.ok(!existsSync(path.join(outside, 'new.txt')));
});

test('an editor that applied part of a proposal itself: the model is told what the file now reads', async () => {
  const root = workspace();
  const handle = createToolHandler(new FsWorkspace(root, async () => 'Read me\nkept only this\n'));
  const result = await handle(call('propose_edit', { path: 'README.md', oldText: 'TODO: docs', newText: 'Docs: see below\nkept only this' }));
  assert.equal(result.status, 'success');
  assert.equal(textOf(result), 'The user accepted part of the edit; README.md now reads:\nRead me\nkept only this\n');
  // The editor wrote the file; the handler did not overwrite it with the full proposal.
  assert.equal(readFileSync(path.join(root, 'README.md'), 'utf8'), 'Read me\nTODO: docs\n');
});

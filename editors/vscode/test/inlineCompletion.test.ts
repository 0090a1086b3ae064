// The ghost-text client (src/inlineCompletion.ts) against the real bedrock-host binary with --emulator:
// document sync as VS Code's change events produce it, the completion, cancellation.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CancellationTokenSource, HostRequestError } from '../src/client';
import { InlineCompletionSync } from '../src/inlineCompletion';
import { Methods, UsageResult } from '../src/protocol';
import { killAll, startHost, tempDir, writeScript } from './helpers';

after(killAll);

const SCRIPT = {
  rules: [
    { when: { lastUserText: '(?s)<prefix>.*const total = </prefix>' }, respond: { content: [{ text: '```ts\nconst total = a + b;\n```' }] } },
    { when: { lastUserText: '<prefix>slow' }, respond: { content: [{ text: 'late' }], firstTokenDelayMs: 5000 } },
  ],
};

test('ghost text: didOpen, incremental didChange, inlineCompletion trimmed, cancel, didClose', async () => {
  const { client } = await startHost(tempDir('inline'), true, { emulatorScript: writeScript(SCRIPT) });
  const sync = new InlineCompletionSync(client);
  const uri = 'file:///work/sum.ts';
  await sync.open(uri, 'typescript', 1, 'function sum(a: number, b: number) {\n  \n}\n');
  // VS Code's event for typing `const total = ` on line 1 (UTF-16 positions).
  await sync.change(uri, 2, [{ range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } }, text: 'const total = ' }]);
  assert.equal(sync.versionOf(uri), 2);
  const text = await sync.complete(uri, { line: 1, character: 16 }, true);
  assert.equal(text, 'a + b;', 'the fence and the repeated line are trimmed away');

  await sync.open('file:///work/slow.ts', 'typescript', 1, 'slow');
  const source = new CancellationTokenSource();
  const pending = sync.complete('file:///work/slow.ts', { line: 0, character: 4 }, true, source.token);
  setTimeout(() => source.cancel(), 200);
  assert.equal(await pending, undefined, 'a cancelled completion shows nothing');

  const usage = await client.request<UsageResult>(Methods.usageGet, {});
  assert.equal(usage.total.calls, 1, 'the cancelled completion counts nothing');

  await sync.close(uri);
  await assert.rejects(sync.complete(uri, { line: 0, character: 0 }, false), (err: unknown) => {
    assert.ok(err instanceof HostRequestError);
    assert.equal(err.code, -32602);
    return true;
  });
  assert.equal(await client.stop(), 0);
});

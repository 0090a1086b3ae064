// The host's LSP face (docs/lsp.md) under vscode-languageclient 9's protocol stack, with no adapter.
//
// vscode-languageclient 9.0.1 has its own inline completion feature (`InlineCompletionItemFeature`,
// lib/common/inlineCompletion.js), but like the whole client it needs the `vscode` module, which
// only the editor provides (vscode-languageclient.test.js checks that this is still so). So this suite speaks
// through the stack that feature runs on, unchanged: vscode-languageserver-protocol 3.17.5's own
// request and notification types — `InlineCompletionRequest` (LSP 3.18, proposed), `CompletionRequest`,
// `CodeActionRequest`, `ExecuteCommandRequest`, the document sync notifications — over vscode-jsonrpc,
// and answers the host's `workspace/applyEdit` with `ApplyWorkspaceEditRequest`'s type as the client's
// workspace does. The document changes are the incremental events VS Code produces while typing.
//
// Run: `npm ci && node --test` in tests/node; the binary is $BEDROCK_HOST_BIN
// (default <repo>/target/debug/bedrock-host).

'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test } = require('node:test');

const {
  InitializeRequest,
  InitializedNotification,
  ShutdownRequest,
  ExitNotification,
  DidOpenTextDocumentNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidChangeConfigurationNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  CompletionRequest,
  CodeActionRequest,
  ExecuteCommandRequest,
  ApplyWorkspaceEditRequest,
  ShowMessageNotification,
  TextDocumentSyncKind,
  CancellationTokenSource,
} = require('vscode-languageserver-protocol/node');

const { withTimeout, spawnHost } = require('./lsp-host');

const URI = 'file:///work/greet.ts';
const TEXT = 'function greet(name: string) {\n  return\n}\n';

const SCRIPT = {
  rules: [
    { when: { lastUserText: '(?s)<prefix>.*return</prefix>' }, respond: { content: [{ text: '  return `Hello, ${name}!`;' }] } },
    { when: { lastUserText: '^Write the documentation comment' }, respond: { content: [{ text: '```ts\n/** Greets someone. */\n```' }] } },
    { when: { lastUserText: '<prefix>SLOW' }, respond: { content: [{ text: 'late' }], firstTokenDelayMs: 5000 } },
    { when: { lastUserText: '<prefix>' }, respond: { content: [{ text: 'x' }] } },
  ],
};

test("vscode-languageclient 9's protocol stack gets inline completions, completions and code actions", async () => {
  const { dir, child, exited, connection } = spawnHost(SCRIPT, 'bedrock-host-node-lsp-');
  const edits = [];
  const messages = [];
  connection.onRequest(ApplyWorkspaceEditRequest.type, (params) => {
    edits.push(params);
    return { applied: true };
  });
  connection.onNotification(ShowMessageNotification.type, (params) => messages.push(params));
  connection.listen();
  try {
    const init = await withTimeout(
      connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {
          workspace: { applyEdit: true },
          textDocument: {
            synchronization: { dynamicRegistration: true, didSave: true },
            inlineCompletion: { dynamicRegistration: true },
            codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor'] } } },
          },
        },
        initializationOptions: { inlineCompletion: { modelId: 'haiku', maxTokens: 48, debounceMs: 0 } },
      }),
      'initialize',
    );
    assert.equal(init.capabilities.textDocumentSync.change, TextDocumentSyncKind.Incremental);
    assert.deepEqual(init.capabilities.inlineCompletionProvider, {});
    await connection.sendNotification(InitializedNotification.type, {});

    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: URI, languageId: 'typescript', version: 1, text: 'function greet(name: string) {\n}\n' },
    });
    // VS Code's incremental events while typing the second line.
    await connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [
        { range: { start: { line: 0, character: 30 }, end: { line: 0, character: 30 } }, rangeLength: 0, text: '\n  ret' },
      ],
    });
    await connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: URI, version: 3 },
      contentChanges: [{ range: { start: { line: 1, character: 5 }, end: { line: 1, character: 5 } }, rangeLength: 0, text: 'urn' }],
    });

    const position = { line: 1, character: 8 };
    const inline = await withTimeout(
      connection.sendRequest(InlineCompletionRequest.type, {
        textDocument: { uri: URI },
        position,
        context: { triggerKind: InlineCompletionTriggerKind.Automatic },
      }),
      'textDocument/inlineCompletion',
    );
    // The model repeated `  return`: only what follows the cursor is ghost text.
    assert.deepEqual(inline, { items: [{ insertText: ' `Hello, ${name}!`;', range: { start: position, end: position } }] });

    // A request cancelled through vscode-jsonrpc's token (what typing on does) is answered -32800 at
    // once, although the model (the emulator holds its first token for 5 s) has not answered.
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: 'file:///work/slow.ts', languageId: 'typescript', version: 1, text: 'SLOW' },
    });
    const source = new CancellationTokenSource();
    const cancelled = connection.sendRequest(
      InlineCompletionRequest.type,
      { textDocument: { uri: 'file:///work/slow.ts' }, position: { line: 0, character: 4 }, context: { triggerKind: 2 } },
      source.token,
    );
    setTimeout(() => source.cancel(), 200);
    await assert.rejects(withTimeout(cancelled, 'a cancelled completion'), (error) => error.code === -32800);

    const completion = await withTimeout(
      connection.sendRequest(CompletionRequest.type, { textDocument: { uri: URI }, position }),
      'textDocument/completion',
    );
    assert.equal(completion.items.length, 1);
    assert.equal(completion.items[0].textEdit.newText, 'return `Hello, ${name}!`;');
    assert.deepEqual(completion.items[0].textEdit.range, { start: { line: 1, character: 2 }, end: position });

    const actions = await withTimeout(
      connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: URI },
        range: { start: { line: 0, character: 0 }, end: { line: 2, character: 1 } },
        context: { diagnostics: [], only: ['refactor'] },
      }),
      'textDocument/codeAction',
    );
    assert.deepEqual(actions.map((action) => [action.title, action.kind]), [['Add documentation', 'refactor.rewrite']]);
    const result = await withTimeout(
      connection.sendRequest(ExecuteCommandRequest.type, {
        command: actions[0].command.command,
        arguments: actions[0].command.arguments,
      }),
      'workspace/executeCommand',
    );
    assert.deepEqual(result, { command: 'bedrock.document', text: '/** Greets someone. */', applied: true });
    assert.deepEqual(edits, [
      {
        label: 'Add documentation',
        edit: {
          changes: {
            [URI]: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '/** Greets someone. */\n' }],
          },
        },
      },
    ]);

    // Completion switched off by a configuration change: no items.
    await connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { bedrock: { inlineCompletion: { enabled: false } } },
    });
    const off = await withTimeout(
      connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: URI }, position, context: { triggerKind: 1 } }),
      'textDocument/inlineCompletion (off)',
    );
    assert.deepEqual(off, { items: [] });
    const usage = await withTimeout(connection.sendRequest('usage/get', {}), 'usage/get');
    assert.equal(usage.total.calls, 3, 'the cancelled completion counts nothing');
    assert.deepEqual(messages, []);

    await connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: URI } });
    assert.equal(await withTimeout(connection.sendRequest(ShutdownRequest.type), 'shutdown'), null);
    await connection.sendNotification(ExitNotification.type);
    assert.equal(await withTimeout(exited, 'exit'), 0);
  } finally {
    connection.dispose();
    if (child.exitCode === null) child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// vscode-languageclient 9 against the real `bedrock-host --emulator`, with no adapter in between.
//
// `vscode-languageclient/node` itself cannot run outside VS Code: it requires the `vscode` module,
// which only the editor provides (the first test checks that this is still so). So this suite uses
// the protocol stack that vscode-languageclient 9.0.1 runs on, unchanged — vscode-languageserver-
// protocol 3.17.5 over vscode-jsonrpc, the exact versions it depends on — and sends the
// `InitializeParams` vscode-languageclient 9.0.1 builds: every member its `BaseLanguageClient
// .initialize` sets (lib/common/client.js), with `processId` as its node `fillInitializeParams`
// fills it, `workspaceFolders` as its WorkspaceFoldersFeature does, `workDoneToken` as it sends
// with `progressOnInitialization`, and the client capabilities its `computeClientCapabilities`
// writes before the features add theirs.
//
// Run: `npm ci && node --test` in tests/node; the binary is $BEDROCK_HOST_BIN
// (default <repo>/target/debug/bedrock-host).

'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const {
  InitializeRequest,
  InitializedNotification,
  ShutdownRequest,
  ExitNotification,
  Trace,
} = require('vscode-languageserver-protocol/node');

const { withTimeout, spawnHost } = require('./lsp-host');

const SCRIPT = {
  rules: [
    {
      when: { afterToolResult: false },
      respond: {
        content: [
          { text: 'Let me look.' },
          { toolUse: { toolUseId: 'tu_lima', name: 'get_weather', input: { city: 'Lima' } } },
        ],
      },
    },
  ],
};

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** The InitializeParams vscode-languageclient 9.0.1 sends for a workspace folder `root`. */
function vscodeLanguageClientInitializeParams(root) {
  const rootUri = 'file://' + root;
  return {
    // `processId: null`, then the node client's fillInitializeParams: `process.pid`.
    processId: process.pid,
    clientInfo: { name: 'Visual Studio Code', version: '1.96.0' }, // vscode.env.appName, vscode.version
    locale: 'en', // vscode.env.language
    rootPath: root,
    rootUri,
    capabilities: {
      workspace: {
        applyEdit: true,
        workspaceEdit: {
          documentChanges: true,
          resourceOperations: ['create', 'rename', 'delete'],
          failureHandling: 'textOnlyTransactional',
          normalizesLineEndings: true,
          changeAnnotationSupport: { groupsOnLabel: true },
        },
        workspaceFolders: true,
        configuration: true,
      },
      textDocument: {
        publishDiagnostics: {
          relatedInformation: true,
          versionSupport: false,
          tagSupport: { valueSet: [1, 2] },
          codeDescriptionSupport: true,
          dataSupport: true,
        },
        synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
      },
      window: {
        showMessage: { messageActionItem: { additionalPropertiesSupport: true } },
        showDocument: { support: true },
        workDoneProgress: true,
      },
      general: {
        staleRequestSupport: {
          cancel: true,
          retryOnContentModified: [
            'textDocument/semanticTokens/full',
            'textDocument/semanticTokens/range',
            'textDocument/semanticTokens/full/delta',
          ],
        },
        regularExpressions: { engine: 'ECMAScript', version: 'ES2020' },
        markdown: { parser: 'marked', version: '1.1.0' },
        positionEncodings: ['utf-16'],
      },
      notebookDocument: { synchronization: { dynamicRegistration: true, executionSummarySupport: true } },
    },
    // clientOptions.initializationOptions; undefined (and so absent) unless the extension sets it.
    initializationOptions: undefined,
    trace: Trace.toString(Trace.Off),
    workspaceFolders: [{ uri: rootUri, name: path.basename(root) }],
    workDoneToken: '4c1e9f7a-0d2b-4f43-9a53-6c5d0e2b7f10',
  };
}

test('vscode-languageclient/node needs the editor: it cannot be loaded outside VS Code', () => {
  assert.throws(() => require('vscode-languageclient/node'), /Cannot find module 'vscode'/);
});

test("vscode-languageclient 9's protocol stack runs a tool-using turn", async () => {
  const { dir, child, exited, connection } = spawnHost(SCRIPT, 'bedrock-host-node-');
  const events = [];
  const toolCalls = [];
  connection.onNotification('converse/event', (params) => events.push(params));
  connection.onRequest('tool/call', (params) => {
    toolCalls.push(params);
    return { content: [{ text: `Foggy, 17C in ${params.input.city}` }] };
  });
  connection.listen();
  try {
    const init = await withTimeout(
      connection.sendRequest(InitializeRequest.type, vscodeLanguageClientInitializeParams(dir)),
      'initialize',
    );
    assert.equal(init.protocolVersion, '1');
    assert.equal(init.backend.kind, 'emulator');
    assert.deepEqual(init.capabilities.hostRequests, ['tool/call', 'workspace/applyEdit']);
    await connection.sendNotification(InitializedNotification.type, {});

    const registered = await withTimeout(connection.sendRequest('tool/register', { tools: [WEATHER_TOOL] }), 'tool/register');
    assert.deepEqual(registered, { registered: ['get_weather'] });
    // A method without params, sent as vscode-jsonrpc sends one: no `params` member at all.
    const listed = await withTimeout(connection.sendRequest('tool/list'), 'tool/list');
    assert.deepEqual(listed.tools.map((tool) => tool.name), ['get_weather']);
    // And with a `null` param, which vscode-jsonrpc sends as `"params": [null]`.
    const conversations = await withTimeout(connection.sendRequest('conversation/list', null), 'conversation/list');
    assert.deepEqual(conversations, { conversations: [] });

    const { conversationId } = await withTimeout(connection.sendRequest('conversation/create', {}), 'conversation/create');
    assert.match(conversationId, /^conv_[0-9a-f]{32}$/);
    const turn = await withTimeout(
      connection.sendRequest('conversation/send', { conversationId, content: 'Weather in Lima?' }),
      'conversation/send',
    );
    assert.equal(turn.stopReason, 'end_turn');
    assert.equal(turn.iterations, 2);
    assert.equal(toolCalls.length, 1, 'the host asked this client to run the tool');
    assert.deepEqual(toolCalls[0].input, { city: 'Lima' });
    assert.equal(toolCalls[0].conversationId, conversationId);
    assert.deepEqual(turn.messages[1].content[0].toolResult.content, [{ text: 'Foggy, 17C in Lima' }]);
    assert.equal(turn.messages.at(-1).content[0].text, 'Tool result received: Foggy, 17C in Lima');
    assert.deepEqual(new Set(events.map((event) => event.iteration)), new Set([1, 2]));
    const streamed = events
      .filter((event) => event.event.contentBlockDelta)
      .map((event) => event.event.contentBlockDelta.delta.text || '')
      .join('');
    assert.match(streamed, /Let me look\./);

    assert.equal(await withTimeout(connection.sendRequest(ShutdownRequest.type), 'shutdown'), null);
    await connection.sendNotification(ExitNotification.type);
    assert.equal(await withTimeout(exited, 'exit'), 0, 'exit after shutdown is code 0');
  } finally {
    connection.dispose();
    if (child.exitCode === null) child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The protocol client and chat against the real bedrock-host binary with --emulator.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { CancellationTokenSource, HostExitedError, HostRequestError, launchFromSettings } from '../src/client';
import { formatCost } from '../src/edits';
import { Chat, editPrompt, extractCode, finalText } from '../src/chat';
import { ConversationSummary, GuardrailParams, Methods, ModelInfo, RetryParams, UsageResult } from '../src/protocol';
import { CONTROL_TOKEN, killAll, startHost, tempDir } from './helpers';

// A failed assertion skips a test's `stop()`; a host left running would keep node from exiting.
after(killAll);

test('settings become flags and initializationOptions, empty ones left to the AWS chain', () => {
  const launch = launchFromSettings({
    binaryPath: '/opt/bedrock-host',
    region: 'eu-west-1',
    profile: '',
    model: 'haiku',
    endpointUrl: 'http://127.0.0.1:9',
    emulator: true,
    emulatorScript: '/tmp/s.json',
    guardrailIdentifier: 'gr-1',
    guardrailVersion: '',
  });
  assert.deepEqual(launch, {
    command: '/opt/bedrock-host',
    args: ['--emulator', '--emulator-script', '/tmp/s.json'],
    initializationOptions: {
      region: 'eu-west-1',
      defaultModelId: 'haiku',
      endpointUrl: 'http://127.0.0.1:9',
      guardrailConfig: { guardrailIdentifier: 'gr-1', guardrailVersion: 'DRAFT', trace: 'enabled' },
    },
  });
  assert.deepEqual(launchFromSettings({ binaryPath: 'bedrock-host' }).args, []);
});

test('initialize reports the emulator backend, models list, and shutdown exits 0', async () => {
  const { client } = await startHost(tempDir('ws'), false, { region: 'eu-west-1' });
  assert.equal(client.initializeResult.protocolVersion, '1');
  assert.equal(client.initializeResult.backend.kind, 'emulator');
  assert.equal(client.initializeResult.backend.region, 'eu-west-1');
  const { models } = await client.request<{ models: ModelInfo[] }>(Methods.listModels, {});
  const sonnet = models.find((m) => m.aliases?.includes('sonnet'));
  assert.ok(sonnet, `no model with alias sonnet in ${models.map((m) => m.id).join(', ')}`);
  assert.equal(await client.stop(), 0);
  assert.equal(client.running, false);
});

test('a streamed answer arrives as deltas that add up to the final text, and usage counts it', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  const chat = new Chat(client);
  const deltas: string[] = [];
  const result = await chat.send('hello there friend', { text: (d) => deltas.push(d) });
  assert.equal(result.stopReason, 'end_turn');
  assert.equal(finalText(result), 'You said: hello there friend');
  assert.ok(deltas.length > 1, `expected several deltas, got ${JSON.stringify(deltas)}`);
  assert.equal(deltas.join(''), 'You said: hello there friend');
  const usage = await client.request<UsageResult>(Methods.usageGet, {});
  assert.equal(usage.total.usage.outputTokens, result.usage.outputTokens);
  assert.ok((usage.total.costUsd ?? 0) > 0);
  const details = await chat.details();
  assert.equal(details?.messages.length, 2);
  await client.stop();
});

test('reset with a new model starts a new conversation; open goes back to the first with its history', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  const chat = new Chat(client, { modelId: 'sonnet' });
  await chat.send('one');
  const first = chat.id;
  assert.match((await chat.details())!.modelId, /sonnet/);
  chat.reset({ modelId: 'haiku' });
  assert.equal(chat.id, undefined);
  await chat.send('two');
  assert.notEqual(chat.id, first);
  const details = (await chat.details())!;
  assert.match(details.modelId, /haiku/);
  assert.equal(details.messages.length, 2);
  chat.open(first);
  await chat.send('three');
  const reopened = (await chat.details())!;
  assert.match(reopened.modelId, /sonnet/);
  assert.equal(reopened.messages.length, 4);
  await client.stop();
});

test('a model the host cannot price: costUsd is null in the turn and in usage/get, and formats as unknown', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  const chat = new Chat(client, { modelId: 'acme.unpriced-model-v1:0' });
  const result = await chat.send('hello unpriced');
  assert.equal(finalText(result), 'You said: hello unpriced');
  assert.equal(result.costUsd, null);
  const usage = await client.request<UsageResult>(Methods.usageGet, {});
  assert.equal(usage.total.costUsd, null);
  assert.equal(formatCost(result.costUsd), 'cost unknown');
  assert.equal(formatCost(usage.total.costUsd), 'cost unknown');
  await client.stop();
});

test('the host killed mid-answer: the turn fails saying the host stopped, not "connection got disposed"', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  const chat = new Chat(client);
  let killed = false;
  const turn = chat.send('tell me a long story', {
    text: () => {
      if (!killed) {
        killed = true;
        process.kill(client.pid!, 'SIGKILL');
      }
    },
  });
  await assert.rejects(turn, (err: Error) => {
    assert.ok(err instanceof HostExitedError, `${err.name}: ${err.message}`);
    assert.match(err.message, /^bedrock-host stopped \(killed by a signal\)/);
    assert.doesNotMatch(err.message, /disposed/);
    return true;
  });
  await assert.rejects(client.request(Methods.usageGet, {}), HostExitedError);
});

test('with a storage directory a conversation outlives its host: a new host lists it and continues it', async () => {
  const storageDir = tempDir('storage');
  const first = await startHost(tempDir('ws'), false, { storageDir });
  const chat = new Chat(first.client);
  await chat.send('remember the first words');
  const id = chat.id!;
  assert.equal(await first.client.stop(), 0);
  const second = await startHost(tempDir('ws'), false, { storageDir });
  const { conversations } = await second.client.request<{ conversations: ConversationSummary[] }>(Methods.conversationList, {});
  assert.deepEqual(
    conversations.map((c) => [c.conversationId, c.title]),
    [[id, 'remember the first words']],
  );
  const again = new Chat(second.client);
  again.open(id);
  await again.send('and these');
  const details = (await again.details())!;
  assert.deepEqual(
    details.messages.filter((m) => m.role === 'user').map((m) => (m.content[0] as { text: string }).text),
    ['remember the first words', 'and these'],
  );
  await second.client.stop();
});

test('a tool round trip: the host asks read_file, the workspace answers, the model sees it', async () => {
  const root = tempDir('ws');
  writeFileSync(path.join(root, 'notes.txt'), 'alpha beta');
  const { client } = await startHost(root, false);
  const chat = new Chat(client, { tools: 'all' });
  const tools: string[] = [];
  const iterations: number[] = [];
  const result = await chat.send('what is in notes?', { toolUse: (n) => tools.push(n), iteration: (i) => iterations.push(i) });
  assert.deepEqual(tools, ['read_file']);
  assert.deepEqual(iterations, [2]);
  assert.equal(result.toolCalls.length, 1);
  assert.equal(result.toolCalls[0].status, 'success');
  assert.deepEqual(result.toolCalls[0].input, { path: 'notes.txt' });
  assert.equal(finalText(result), 'Tool result received: alpha beta');
  await client.stop();
});

test('search_workspace runs over the workspace files and its hits reach the model', async () => {
  const root = tempDir('ws');
  writeFileSync(path.join(root, 'hay.txt'), 'hay\nthe needle is here\nhay');
  const { client } = await startHost(root, false);
  const result = await new Chat(client, { tools: 'all' }).send('find the needle');
  assert.equal(finalText(result), 'Tool result received: hay.txt:2: the needle is here');
  await client.stop();
});

test('a chat without tools (Edit Selection) offers the model none, though tools are registered', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  await new Chat(client).send('Rewrite this typescript code, tool-less');
  await new Chat(client, { tools: 'all' }).send('hello with tools');
  // What Bedrock received: the emulator's journal of requests.
  const endpoint = client.initializeResult.backend.endpointUrl;
  const journal = (await (
    await fetch(`${endpoint}/_emulator/requests`, { headers: { 'x-emulator-token': CONTROL_TOKEN } })
  ).json()) as Array<{
    operation: string;
    body: { toolConfig?: { tools: Array<{ toolSpec: { name: string } }> } };
  }>;
  const calls = journal.filter((entry) => entry.operation === 'ConverseStream');
  assert.equal(calls.length, 2);
  assert.equal(calls[0].body.toolConfig, undefined, 'the tool-less chat sends no toolConfig');
  assert.ok((calls[1].body.toolConfig?.tools.length ?? 0) > 0, 'the chat with tools offers them');
  await client.stop();
});

test('propose_edit is not applied when the user rejects it', async () => {
  const root = tempDir('ws');
  writeFileSync(path.join(root, 'a.txt'), 'one\n');
  const { client, proposals } = await startHost(root, false);
  const result = await new Chat(client, { tools: 'all' }).send('rename one to two');
  assert.deepEqual(proposals, [{ path: 'a.txt', before: 'one\n', after: 'two\n', description: 'rename' }]);
  assert.equal(readFileSync(path.join(root, 'a.txt'), 'utf8'), 'one\n');
  assert.match(finalText(result), /rejected the edit; a\.txt is unchanged/);
  await client.stop();
});

test('propose_edit is applied once the user accepts it', async () => {
  const root = tempDir('ws');
  writeFileSync(path.join(root, 'a.txt'), 'one\n');
  const { client, proposals } = await startHost(root, true);
  const result = await new Chat(client, { tools: 'all' }).send('rename one to two');
  assert.equal(proposals.length, 1);
  assert.equal(readFileSync(path.join(root, 'a.txt'), 'utf8'), 'two\n');
  assert.match(finalText(result), /accepted the edit; a\.txt was updated/);
  await client.stop();
});

test('Stop cancels the turn with $/cancelRequest: -32800 and the history is unchanged', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  const chat = new Chat(client);
  const cancel = new CancellationTokenSource();
  const deltas: string[] = [];
  const turn = chat.send(
    'tell me a long story',
    {
      text: (d) => {
        deltas.push(d);
        cancel.cancel();
      },
    },
    cancel.token,
  );
  await assert.rejects(turn, (err: unknown) => {
    if (!(err instanceof HostRequestError)) throw new Error(`expected a HostRequestError, got ${String(err)}`);
    assert.equal(err.code, -32800);
    assert.ok(err.cancelled);
    return true;
  });
  assert.ok(deltas.length >= 1 && deltas.length < 20, `deltas: ${JSON.stringify(deltas)}`);
  assert.equal((await chat.details())?.messages.length, 0);
  const next = await chat.send('and now?');
  assert.equal(finalText(next), 'You said: and now?');
  await client.stop();
});

test('a guardrail intervention is notified with converse/guardrail', async () => {
  const { client } = await startHost(tempDir('ws'), false, { guardrailIdentifier: 'gr-test', guardrailVersion: '1' });
  const seen: GuardrailParams[] = [];
  client.onGuardrail((p) => seen.push(p));
  const result = await new Chat(client).send('say something forbidden');
  assert.equal(result.stopReason, 'guardrail_intervened');
  assert.equal(finalText(result), 'Sorry, I cannot help with that.');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].action, 'INTERVENED');
  await client.stop();
});

test('a throttled call is retried and announced with converse/retry', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  const seen: RetryParams[] = [];
  client.onRetry((p) => seen.push(p));
  const result = await new Chat(client).send('throttle me');
  assert.equal(finalText(result), 'You said: throttle me');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].errorCode, 'ThrottlingException');
  assert.equal(seen[0].attempt, 2, 'the first retry is attempt 2');
  await client.stop();
});

test('Edit Selection: the answer to editPrompt yields the replacement code', async () => {
  const { client } = await startHost(tempDir('ws'), false);
  const prompt = editPrompt('use 42', 'const answer = 41;', 'typescript', 'a.ts');
  const result = await new Chat(client).send(prompt);
  assert.equal(extractCode(finalText(result)), 'const answer = 42;');
  await client.stop();
});

test('a missing binary is reported with the path and the setting to fix', async () => {
  await assert.rejects(
    import('../src/client').then(({ BedrockClient }) =>
      BedrockClient.start({ command: '/nonexistent/bedrock-host', args: [], initializationOptions: {} }, { clientName: 't' }),
    ),
    /could not start bedrock-host "\/nonexistent\/bedrock-host".*bedrock\.binaryPath/,
  );
});

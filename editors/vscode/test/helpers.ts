// Shared setup for the node tests: the real bedrock-host binary with its built-in emulator.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BedrockClient, HostSettings, launchFromSettings } from '../src/client';
import { FsWorkspace } from '../src/fsWorkspace';
import { TOOL_DEFINITIONS, createToolHandler, ProposedEdit } from '../src/tools';
import { Methods } from '../src/protocol';

/** `BEDROCK_HOST_BIN`, else the workspace's debug build (extension dir is two levels below the repo). */
export const HOST_BIN =
  process.env.BEDROCK_HOST_BIN ?? path.resolve(__dirname, '..', '..', '..', '..', 'target', 'debug', 'bedrock-host');

/** Rules for every test (docs/emulator.md "Scripts"); each matches only its own prompt. */
export const SCRIPT = {
  rules: [
    {
      when: { operation: 'ConverseStream', lastUserText: 'what is in notes', afterToolResult: false },
      respond: { content: [{ text: 'Reading it.' }, { toolUse: { name: 'read_file', input: { path: 'notes.txt' } } }] },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: 'rename one to two', afterToolResult: false },
      respond: {
        content: [
          { toolUse: { name: 'propose_edit', input: { path: 'a.txt', oldText: 'one', newText: 'two', description: 'rename' } } },
        ],
      },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: 'find the needle', afterToolResult: false },
      respond: { content: [{ toolUse: { name: 'search_workspace', input: { query: 'needle' } } }] },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: 'tell me a long story' },
      respond: {
        content: [{ text: 'Once upon a time there was a very long story that went on and on and on and on and on.' }],
        tokenDelayMs: 300,
      },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: 'Rewrite this typescript code' },
      respond: { content: [{ text: 'Here it is:\n```typescript\nconst answer = 42;\n```\n' }] },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: 'throttle me' },
      times: 1,
      fail: { error: 'ThrottlingException', status: 429, message: 'Too many requests' },
    },
  ],
  guardrails: {
    'gr-test': { version: '1', blockedWords: ['forbidden'], blockedMessage: 'Sorry, I cannot help with that.' },
  },
};

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `bedrock-vscode-${prefix}-`));
}

export function writeScript(script: unknown = SCRIPT): string {
  const file = path.join(tempDir('script'), 'script.json');
  writeFileSync(file, JSON.stringify(script));
  return file;
}

/** The host must not pick up the developer's AWS setup or logs. */
export function hermeticEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('BEDROCK_HOST_')) env[key] = value;
  }
  env.HOME = home;
  env.AWS_CONFIG_FILE = path.join(home, 'no-aws-config');
  env.AWS_SHARED_CREDENTIALS_FILE = path.join(home, 'no-aws-credentials');
  return env;
}

/** The token of the in-process emulator's control endpoints in these tests. */
export const CONTROL_TOKEN = 'vscode-tests-control-token-0123456789';

const started: BedrockClient[] = [];

/** Ends every host the tests started and did not stop. */
export function killAll(): void {
  for (const client of started) if (client.running) client.kill();
}

export interface Started {
  client: BedrockClient;
  workspace: FsWorkspace;
  proposals: ProposedEdit[];
}

/**
 * A client on the emulator with the four tools registered over a workspace directory;
 * `consent` answers every proposed edit.
 */
export async function startHost(
  root: string,
  consent: boolean,
  settings: Partial<HostSettings> = {},
): Promise<Started> {
  const proposals: ProposedEdit[] = [];
  const workspace = new FsWorkspace(root, async (edit) => {
    proposals.push(edit);
    return consent;
  });
  const launch = launchFromSettings({ binaryPath: HOST_BIN, emulator: true, emulatorScript: writeScript(), ...settings });
  // The tests read the emulator's journal: its control endpoints are served only when asked, behind a token.
  launch.args.push('--emulator-control');
  const env = hermeticEnv(tempDir('home'));
  env.BEDROCK_HOST_EMULATOR_CONTROL_TOKEN = CONTROL_TOKEN;
  const client = await BedrockClient.start(launch, {
    clientName: 'bedrock-vscode-tests',
    env,
    toolHandler: createToolHandler(workspace),
  });
  started.push(client);
  await client.request(Methods.toolRegister, { tools: TOOL_DEFINITIONS });
  return { client, workspace, proposals };
}

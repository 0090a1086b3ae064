// The protocol client: spawns bedrock-host, speaks JSON-RPC over its stdio with LSP
// `Content-Length` framing, and dispatches the host's notifications and `tool/call` requests.
// Plain Node (no `vscode` import) so it is tested against the real binary with `node --test`.

import { ChildProcess, spawn } from 'node:child_process';
import {
  CancellationToken,
  Disposable,
  Emitter,
  ErrorCodes,
  Event,
  MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import {
  ConverseEventParams,
  GuardrailParams,
  HostOptions,
  InitializeResult,
  Methods,
  REQUEST_CANCELLED,
  RetryParams,
  ToolCallParams,
  ToolCallResult,
} from './protocol';

/** What the user configures; mirrors the extension's `bedrock.*` settings. */
export interface HostSettings {
  binaryPath: string;
  region?: string;
  profile?: string;
  model?: string;
  endpointUrl?: string;
  emulator?: boolean;
  /** Emulator script (docs/emulator.md "Scripts"); only meaningful with `emulator`. */
  emulatorScript?: string;
  /** Directory where the host keeps every conversation (`--storage-dir`); none: memory only. */
  storageDir?: string;
  guardrailIdentifier?: string;
  guardrailVersion?: string;
}

export interface HostLaunch {
  command: string;
  args: string[];
  initializationOptions: HostOptions;
}

/** Empty settings mean "let the AWS chain decide", so they are left out rather than sent as "". */
export function launchFromSettings(settings: HostSettings): HostLaunch {
  const args: string[] = [];
  if (settings.emulator) {
    args.push('--emulator');
    if (settings.emulatorScript) {
      args.push('--emulator-script', settings.emulatorScript);
    }
  }
  if (settings.storageDir) args.push('--storage-dir', settings.storageDir);
  const options: HostOptions = {};
  if (settings.region) options.region = settings.region;
  if (settings.profile) options.profile = settings.profile;
  if (settings.endpointUrl) options.endpointUrl = settings.endpointUrl;
  if (settings.model) options.defaultModelId = settings.model;
  if (settings.guardrailIdentifier) {
    options.guardrailConfig = {
      guardrailIdentifier: settings.guardrailIdentifier,
      guardrailVersion: settings.guardrailVersion || 'DRAFT',
      trace: 'enabled',
    };
  }
  return { command: settings.binaryPath, args, initializationOptions: options };
}

export type ToolCallHandler = (params: ToolCallParams, token: CancellationToken) => Promise<ToolCallResult>;

export interface StartOptions {
  clientName: string;
  clientVersion?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  toolHandler?: ToolCallHandler;
}

/** The host process ended before (or while) a request ran. */
export class HostExitedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostExitedError';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A failed host request, with the JSON-RPC code and `data` kept for the caller. */
export class HostRequestError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
    this.name = 'HostRequestError';
  }

  get cancelled(): boolean {
    return this.code === REQUEST_CANCELLED;
  }
}

export class BedrockClient {
  private readonly converseEvents = new Emitter<ConverseEventParams>();
  private readonly guardrails = new Emitter<GuardrailParams>();
  private readonly retries = new Emitter<RetryParams>();
  private readonly exits = new Emitter<number | null>();
  private toolHandler: ToolCallHandler | undefined;
  private stderrTail = '';
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;
  /** Set by `start` before the client is handed out. */
  initializeResult!: InitializeResult;

  readonly onConverseEvent: Event<ConverseEventParams> = this.converseEvents.event;
  readonly onGuardrail: Event<GuardrailParams> = this.guardrails.event;
  readonly onRetry: Event<RetryParams> = this.retries.event;
  readonly onExit: Event<number | null> = this.exits.event;

  private constructor(
    private readonly child: ChildProcess,
    private readonly connection: MessageConnection,
    toolHandler: ToolCallHandler | undefined,
  ) {
    this.toolHandler = toolHandler;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        this.exitCode = code;
        this.exits.fire(code);
        this.connection.dispose();
        resolve(code);
      });
    });
    connection.onNotification(Methods.converseEvent, (p: ConverseEventParams) => this.converseEvents.fire(p));
    connection.onNotification(Methods.converseGuardrail, (p: GuardrailParams) => this.guardrails.fire(p));
    connection.onNotification(Methods.converseRetry, (p: RetryParams) => this.retries.fire(p));
    connection.onRequest(Methods.toolCall, (p: ToolCallParams, token: CancellationToken) => this.answerToolCall(p, token));
  }

  /** Spawns the host, runs `initialize` + `initialized`, and returns the ready client. */
  static async start(launch: HostLaunch, options: StartOptions): Promise<BedrockClient> {
    const child = spawn(launch.command, launch.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(new Error(`could not start bedrock-host "${launch.command}": ${err.message}; set bedrock.binaryPath`)),
      );
    });
    await spawned;
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    const client = new BedrockClient(child, connection, options.toolHandler);
    child.stderr!.on('data', (chunk: Buffer) => {
      client.stderrTail = (client.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    connection.listen();
    try {
      client.initializeResult = await client.request<InitializeResult>(Methods.initialize, {
        clientInfo: { name: options.clientName, version: options.clientVersion },
        capabilities: { tools: true },
        initializationOptions: launch.initializationOptions,
      });
    } catch (err) {
      child.kill();
      throw err;
    }
    await connection.sendNotification(Methods.initialized, {});
    return client;
  }

  setToolHandler(handler: ToolCallHandler | undefined): void {
    this.toolHandler = handler;
  }

  /** The last lines the host wrote to stderr (startup failures explain themselves there). */
  get stderr(): string {
    return this.stderrTail;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The host's process id (undefined when it could not be spawned). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Why requests fail once the host is gone, in words a user can act on. */
  private exitedMessage(): string {
    const code = this.exitCode === null ? 'killed by a signal' : `exit code ${this.exitCode}`;
    const stderr = this.stderrTail.trim().split('\n').slice(-3).join(' ');
    return `bedrock-host stopped (${code})${stderr ? `: ${stderr}` : ''}. Send again to restart it.`;
  }

  /** Sends a request; cancelling `token` sends `$/cancelRequest` and the promise rejects with -32800. */
  async request<R>(method: string, params: unknown, token?: CancellationToken): Promise<R> {
    if (!this.running) throw new HostExitedError(this.exitedMessage());
    try {
      return token
        ? await this.connection.sendRequest<R>(method, params, token)
        : await this.connection.sendRequest<R>(method, params);
    } catch (err) {
      // The connection is disposed when the process exits: "Pending response rejected since
      // connection got disposed" says nothing to a user. Wait briefly for the exit to be seen.
      const lost = !(err instanceof ResponseError) || err.code === ErrorCodes.PendingResponseRejected || err.code === ErrorCodes.ConnectionInactive;
      if (lost && (!this.running || (await Promise.race([this.exited.then(() => true), delay(1000).then(() => false)])))) {
        throw new HostExitedError(this.exitedMessage());
      }
      if (err instanceof ResponseError) {
        throw new HostRequestError(method, err.code, err.message, err.data);
      }
      throw err;
    }
  }

  /** Sends a notification (the LSP face's document sync: inlineCompletion.ts). */
  async notify(method: string, params: unknown): Promise<void> {
    await this.connection.sendNotification(method, params);
  }

  /** `shutdown` then `exit`; resolves with the host's exit code (0 after a clean shutdown). */
  async stop(): Promise<number | null> {
    if (this.running) {
      await this.request(Methods.shutdown, null);
      await this.connection.sendNotification(Methods.exit);
    }
    return this.exited;
  }

  /** Ends the process without the handshake (the host treats stdin EOF as the end of the session). */
  kill(): void {
    this.child.stdin?.end();
  }

  private async answerToolCall(params: ToolCallParams, token: CancellationToken): Promise<ToolCallResult> {
    if (!this.toolHandler) {
      return { content: [{ text: `no handler for tool "${params.name}" in this client` }], status: 'error' };
    }
    try {
      return await this.toolHandler(params, token);
    } catch (err) {
      return { content: [{ text: err instanceof Error ? err.message : String(err) }], status: 'error' };
    }
  }
}

export { CancellationTokenSource } from 'vscode-jsonrpc/node';
export type { CancellationToken, Disposable };

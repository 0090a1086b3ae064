// VS Code glue: settings, commands, the chat panel and the status bar. Everything that speaks the
// protocol lives in client.ts / chat.ts / tools.ts (plain Node, tested without VS Code).

import * as vscode from 'vscode';
import { Chat, editPrompt, explainPrompt, extractCode, finalText } from './chat';
import { ChatPanel, PanelAction } from './chatPanel';
import { registerInlineCompletions } from './inlineCompletionProvider';
import { BedrockClient, CancellationTokenSource, HostRequestError, HostSettings, launchFromSettings } from './client';
import { Methods, ModelInfo, UsageResult } from './protocol';
import { TOOL_DEFINITIONS, createToolHandler } from './tools';
import { ProposalDocuments, VscodeWorkspace } from './vscodeWorkspace';

/** Settings whose change needs a new host process (the model does not: it is per conversation). */
const RESTART_SETTINGS = ['binaryPath', 'region', 'profile', 'endpointUrl', 'emulator', 'guardrail'];

function readSettings(): HostSettings {
  const config = vscode.workspace.getConfiguration('bedrock');
  return {
    binaryPath: config.get<string>('binaryPath') || 'bedrock-host',
    region: config.get<string>('region'),
    profile: config.get<string>('profile'),
    model: config.get<string>('model'),
    endpointUrl: config.get<string>('endpointUrl'),
    emulator: config.get<boolean>('emulator'),
    guardrailIdentifier: config.get<string>('guardrail.identifier'),
    guardrailVersion: config.get<string>('guardrail.version'),
  };
}

function describeError(err: unknown): string {
  if (err instanceof HostRequestError) {
    const hint = (err.data as { hint?: string } | undefined)?.hint;
    return hint ? `${err.message} (${hint})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

class Controller implements vscode.Disposable {
  private client: Promise<BedrockClient> | undefined;
  private chat: Chat | undefined;
  private running: CancellationTokenSource | undefined;
  private readonly output = vscode.window.createOutputChannel('Bedrock');
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private readonly proposals = new ProposalDocuments();
  private readonly panel = new ChatPanel((action) => void this.onPanelAction(action));
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.status.command = 'bedrock.showUsage';
    this.renderStatus();
    this.status.show();
    this.disposables.push(
      this.output,
      this.status,
      this.proposals.register(),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
    );
  }

  private model(): string {
    return readSettings().model || 'default model';
  }

  private renderStatus(tokens?: number, costUsd?: number, note?: string): void {
    const usage = tokens === undefined ? '' : ` · ${tokens} tok · $${(costUsd ?? 0).toFixed(4)}`;
    this.status.text = `$(hubot) ${this.model()}${usage}${note ? ` · ${note}` : ''}`;
    this.status.tooltip = 'Bedrock: model, tokens and cost of this session (click for usage)';
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (RESTART_SETTINGS.some((key) => e.affectsConfiguration(`bedrock.${key}`))) {
      void this.restart();
    } else if (e.affectsConfiguration('bedrock.model')) {
      this.chat?.setModel(this.model());
      this.renderStatus();
    }
  }

  private async restart(): Promise<void> {
    const previous = this.client;
    this.client = undefined;
    this.chat = undefined;
    if (previous) {
      (await previous.catch(() => undefined))?.stop().catch(() => undefined);
    }
  }

  /** Starts the host on first use: registers the tools and wires notifications to the UI. */
  getClient(): Promise<BedrockClient> {
    if (!this.client) {
      const settings = readSettings();
      const starting: Promise<BedrockClient> = BedrockClient.start(launchFromSettings(settings), {
        clientName: 'vscode-bedrock',
        cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
        toolHandler: createToolHandler(new VscodeWorkspace(this.proposals)),
      }).then(async (client) => {
        const { backend, serverInfo } = client.initializeResult;
        this.output.appendLine(`${serverInfo.name} ${serverInfo.version}: ${backend.kind} in ${backend.region}`);
        client.onRetry((p) => {
          const text = `retrying after ${p.errorCode} (attempt ${p.attempt}, in ${p.delayMs} ms): ${p.message}`;
          this.output.appendLine(text);
          this.panel.post({ type: 'notice', text });
          this.renderStatus(undefined, undefined, `$(sync~spin) retry ${p.attempt}`);
        });
        client.onGuardrail((p) => {
          const text = `A guardrail intervened (${p.stopReason}).`;
          this.output.appendLine(`${text} trace: ${JSON.stringify(p.trace)}`);
          this.panel.post({ type: 'notice', text });
          void vscode.window.showWarningMessage(`Bedrock: ${text}`);
        });
        client.onExit((code) => {
          this.output.appendLine(`bedrock-host exited with code ${code}. ${client.stderr}`);
          // After a settings change a newer host may already be running; keep that one.
          if (this.client === starting) {
            this.client = undefined;
            this.chat = undefined;
          }
        });
        // Registered before any conversation exists: the host serves requests concurrently,
        // and a conversation created with tools "all" before this answer would get no tools.
        try {
          await client.request(Methods.toolRegister, { tools: TOOL_DEFINITIONS });
        } catch (err) {
          client.kill();
          throw err;
        }
        return client;
      });
      // A failed start is reported by the command that needed the host; the next one retries.
      starting.catch(() => {
        if (this.client === starting) this.client = undefined;
      });
      this.client = starting;
    }
    return this.client;
  }

  private async getChat(): Promise<Chat> {
    const client = await this.getClient();
    if (!this.chat) {
      this.chat = new Chat(client, {
        modelId: readSettings().model || undefined,
        tools: 'all',
        system: 'You are a coding assistant inside VS Code. Use the tools to read and search the workspace; propose edits with propose_edit.',
      });
    }
    return this.chat;
  }

  /** The status bar shows the whole session (every conversation), which is what `usage/get` totals. */
  private async refreshUsage(): Promise<void> {
    const client = await this.getClient();
    const usage = await client.request<UsageResult>(Methods.usageGet, {});
    this.renderStatus(usage.total.usage.totalTokens, usage.total.costUsd);
  }

  /** One turn in the chat panel, streamed; Stop (or `bedrock.stop`) cancels it. */
  async ask(prompt: string): Promise<void> {
    this.panel.show();
    if (this.running) {
      void vscode.window.showInformationMessage('Bedrock is still answering; press Stop first.');
      return;
    }
    this.panel.post({ type: 'user', text: prompt });
    this.panel.post({ type: 'busy', busy: true });
    this.running = new CancellationTokenSource();
    try {
      const chat = await this.getChat();
      const result = await chat.send(
        prompt,
        {
          text: (delta) => this.panel.post({ type: 'delta', text: delta }),
          toolUse: (name) => this.panel.post({ type: 'tool', name }),
        },
        this.running.token,
      );
      this.panel.post({
        type: 'done',
        summary: `${result.stopReason} · ${result.usage.totalTokens} tokens · $${result.costUsd.toFixed(5)}`,
      });
      await this.refreshUsage();
    } catch (err) {
      const cancelled = err instanceof HostRequestError && err.cancelled;
      this.panel.post(cancelled ? { type: 'notice', text: 'Stopped.' } : { type: 'error', text: describeError(err) });
    } finally {
      this.running.dispose();
      this.running = undefined;
      this.panel.post({ type: 'busy', busy: false });
    }
  }

  stop(): void {
    this.running?.cancel();
  }

  private async onPanelAction(action: PanelAction): Promise<void> {
    switch (action.type) {
      case 'send':
        return this.ask(action.text);
      case 'stop':
        return this.stop();
      case 'new':
        return this.newConversation();
    }
  }

  async askCommand(): Promise<void> {
    this.panel.show();
    const prompt = await vscode.window.showInputBox({ prompt: 'Ask Bedrock', placeHolder: 'How do I…' });
    if (prompt) await this.ask(prompt);
  }

  async explainSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Bedrock: select the code to explain first.');
      return;
    }
    const doc = editor.document;
    await this.ask(explainPrompt(doc.getText(editor.selection), doc.languageId, vscode.workspace.asRelativePath(doc.uri)));
  }

  /** Asks for a rewrite of the selection in a tool-less conversation, shows the diff, applies on Apply. */
  async editSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Bedrock: select the code to edit first.');
      return;
    }
    const instruction = await vscode.window.showInputBox({ prompt: 'How should Bedrock change the selection?' });
    if (!instruction) return;
    const doc = editor.document;
    const selection = editor.selection;
    const version = doc.version;
    const original = doc.getText(selection);
    const fileLabel = vscode.workspace.asRelativePath(doc.uri);
    const client = await this.getClient();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Bedrock is editing…', cancellable: true },
      async (_progress, token) => {
        const source = new CancellationTokenSource();
        token.onCancellationRequested(() => source.cancel());
        try {
          return await new Chat(client, { modelId: readSettings().model || undefined }).send(
            editPrompt(instruction, original, doc.languageId, fileLabel),
            {},
            source.token,
          );
        } catch (err) {
          if (!(err instanceof HostRequestError && err.cancelled)) {
            void vscode.window.showErrorMessage(`Bedrock: ${describeError(err)}`);
          }
          return undefined;
        } finally {
          source.dispose();
        }
      },
    );
    if (!result) return;
    await this.refreshUsage();
    const replacement = extractCode(finalText(result));
    if (replacement === undefined) {
      void vscode.window.showWarningMessage('Bedrock answered without code; nothing to apply.');
      return;
    }
    const before = doc.getText();
    const after = before.slice(0, doc.offsetAt(selection.start)) + replacement + before.slice(doc.offsetAt(selection.end));
    if (!(await this.proposals.confirm('Bedrock: Edit Selection', fileLabel, before, after, instruction))) return;
    if (doc.version !== version) {
      void vscode.window.showWarningMessage('The file changed while Bedrock was working; the edit was not applied.');
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, selection, replacement);
    await vscode.workspace.applyEdit(edit);
  }

  async newConversation(): Promise<void> {
    this.stop();
    this.chat?.reset();
    this.panel.post({ type: 'clear' });
    this.panel.post({ type: 'notice', text: `New conversation with ${this.model()}.` });
  }

  async selectModel(): Promise<void> {
    const client = await this.getClient();
    const { models } = await client.request<{ models: ModelInfo[] }>(Methods.listModels, {});
    const picked = await vscode.window.showQuickPick(
      models.map((m) => ({
        label: m.name,
        description: m.aliases?.[0] ?? m.id,
        detail: `${m.provider} · ${m.id}${m.pricing ? ` · $${m.pricing.inputPerMillion}/$${m.pricing.outputPerMillion} per M tokens` : ''}`,
        value: m.aliases?.[0] ?? m.id,
      })),
      { placeHolder: `Model for new conversations (now ${this.model()})`, matchOnDetail: true },
    );
    if (picked) {
      await vscode.workspace.getConfiguration('bedrock').update('model', picked.value, vscode.ConfigurationTarget.Global);
    }
  }

  async showUsage(): Promise<void> {
    const client = await this.getClient();
    const usage = await client.request<UsageResult>(Methods.usageGet, {});
    this.output.appendLine('Usage this session:');
    for (const [model, totals] of Object.entries(usage.byModel)) {
      this.output.appendLine(`  ${model}: ${totals.calls} calls, ${totals.usage.totalTokens} tokens, $${totals.costUsd.toFixed(5)}`);
    }
    this.output.show(true);
    this.renderStatus(usage.total.usage.totalTokens, usage.total.costUsd);
    void vscode.window.showInformationMessage(
      `Bedrock: ${usage.total.calls} calls, ${usage.total.usage.inputTokens} in / ${usage.total.usage.outputTokens} out tokens, $${usage.total.costUsd.toFixed(5)}`,
    );
  }

  dispose(): void {
    this.stop();
    this.panel.dispose();
    void this.restart();
    for (const d of this.disposables) d.dispose();
  }
}

export function activate(context: vscode.ExtensionContext): void {
  const controller = new Controller();
  const guard = (run: () => Promise<void>) => () =>
    run().catch((err) => vscode.window.showErrorMessage(`Bedrock: ${describeError(err)}`));
  context.subscriptions.push(
    controller,
    vscode.commands.registerCommand('bedrock.ask', guard(() => controller.askCommand())),
    vscode.commands.registerCommand('bedrock.explainSelection', guard(() => controller.explainSelection())),
    vscode.commands.registerCommand('bedrock.editSelection', guard(() => controller.editSelection())),
    vscode.commands.registerCommand('bedrock.newConversation', guard(() => controller.newConversation())),
    vscode.commands.registerCommand('bedrock.selectModel', guard(() => controller.selectModel())),
    vscode.commands.registerCommand('bedrock.showUsage', guard(() => controller.showUsage())),
    vscode.commands.registerCommand('bedrock.stop', () => controller.stop()),
    registerInlineCompletions(() => controller.getClient()),
  );
}

export function deactivate(): void {}

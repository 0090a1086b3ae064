// VS Code glue: settings, commands, the chat view, reviews and the status bar. Everything that
// speaks the protocol lives in client.ts / chat.ts / tools.ts, and the text arithmetic in edits.ts /
// prompts.ts (plain Node, tested without VS Code).

import * as vscode from 'vscode';
import { Chat, editPrompt, extractCode, finalText, isPrompt, textOf, transcriptOf } from './chat';
import { ChatView, ViewAction } from './chatView';
import { registerInlineCompletions } from './inlineCompletionProvider';
import {
  BedrockClient,
  CancellationTokenSource,
  HostExitedError,
  HostRequestError,
  HostSettings,
  launchFromSettings,
} from './client';
import { eolOf, fitReplacement, formatCost, spliceText } from './edits';
import { EditorContext, buildPrompt, splitPrompt } from './prompts';
import { ConversationDetails, ConversationSummary, Methods, ModelInfo, NOT_FOUND, UsageResult } from './protocol';
import { ProposalReview } from './review';
import { TOOL_DEFINITIONS, createToolHandler } from './tools';
import { VscodeWorkspace } from './vscodeWorkspace';

/** Settings whose change needs a new host process (the model does not: it is per conversation). */
const RESTART_SETTINGS = ['binaryPath', 'region', 'profile', 'endpointUrl', 'emulator', 'emulatorScript', 'guardrail', 'saveHistory'];
const SYSTEM_PROMPT =
  'You are a coding assistant inside VS Code. Use the tools to read and search the workspace; propose edits with propose_edit.';
/** workspaceState key of the chat the view shows. */
const ACTIVE_CHAT = 'bedrock.activeConversationId';

function readSettings(): HostSettings & { saveHistory: boolean } {
  const config = vscode.workspace.getConfiguration('bedrock');
  return {
    binaryPath: config.get<string>('binaryPath') || 'bedrock-host',
    region: config.get<string>('region'),
    profile: config.get<string>('profile'),
    model: config.get<string>('model'),
    endpointUrl: config.get<string>('endpointUrl'),
    emulator: config.get<boolean>('emulator'),
    emulatorScript: config.get<string>('emulatorScript') || undefined,
    guardrailIdentifier: config.get<string>('guardrail.identifier'),
    guardrailVersion: config.get<string>('guardrail.version'),
    saveHistory: config.get<boolean>('saveHistory') ?? true,
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
  /** The conversation the chat view shows; kept across host restarts (the host stores it). */
  private chatId: string | undefined;
  private running: CancellationTokenSource | undefined;
  private lastEditor: vscode.TextEditor | undefined;
  private usage: { tokens: number; costUsd: number | null } | undefined;
  private statusNote = '';
  private restored = false;
  private readonly output = vscode.window.createOutputChannel('Bedrock');
  private readonly status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private readonly review = new ProposalReview();
  private readonly view: ChatView;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.view = new ChatView(
      context.extensionUri,
      (action) => void this.onViewAction(action),
      () => void this.restoreChat(),
    );
    this.chatId = context.workspaceState.get<string>(ACTIVE_CHAT);
    this.status.command = 'bedrock.showUsage';
    this.renderStatus();
    this.status.show();
    this.lastEditor = vscode.window.activeTextEditor;
    this.disposables.push(
      this.output,
      this.status,
      this.review.register(),
      this.view.register(),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && ['file', 'untitled'].includes(editor.document.uri.scheme)) this.lastEditor = editor;
      }),
    );
  }

  private model(): string {
    return readSettings().model || 'default model';
  }

  private renderStatus(): void {
    const usage = this.usage ? ` · ${this.usage.tokens} tok · ${formatCost(this.usage.costUsd, 4)}` : '';
    this.status.text = `$(hubot) ${this.model()}${usage}${this.statusNote ? ` · ${this.statusNote}` : ''}`;
    this.status.tooltip = 'Bedrock: model, tokens and cost of this session (click for usage)';
  }

  private setChat(id: string | undefined): void {
    this.chatId = id;
    void this.context.workspaceState.update(ACTIVE_CHAT, id);
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (RESTART_SETTINGS.some((key) => e.affectsConfiguration(`bedrock.${key}`))) {
      void this.restart();
    }
    if (e.affectsConfiguration('bedrock.model')) {
      // A conversation keeps its model: say plainly that the next message starts a new chat.
      if (this.chatId) {
        this.setChat(undefined);
        this.view.post({
          type: 'notice',
          text: `Model changed to ${this.model()}: your next message starts a new chat. The previous chat is kept in History.`,
        });
        this.view.post({ type: 'title', text: `New chat · ${this.model()}` });
      }
      this.renderStatus();
    }
  }

  private async restart(): Promise<void> {
    const previous = this.client;
    this.client = undefined;
    if (previous) {
      (await previous.catch(() => undefined))?.stop().catch(() => undefined);
    }
  }

  private async storageDir(): Promise<string | undefined> {
    const base = this.context.storageUri ?? this.context.globalStorageUri;
    if (!readSettings().saveHistory || base.scheme !== 'file') return undefined;
    const dir = vscode.Uri.joinPath(base, 'conversations');
    await vscode.workspace.fs.createDirectory(dir);
    return dir.fsPath;
  }

  private async launch(settings: HostSettings): Promise<BedrockClient> {
    return BedrockClient.start(launchFromSettings(settings), {
      clientName: 'vscode-bedrock',
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      toolHandler: createToolHandler(new VscodeWorkspace(this.review)),
    });
  }

  /** Starts the host on first use: registers the tools and wires notifications to the UI. */
  getClient(): Promise<BedrockClient> {
    if (!this.client) {
      const starting: Promise<BedrockClient> = (async () => {
        const settings = readSettings();
        const storageDir = await this.storageDir().catch(() => undefined);
        let client: BedrockClient;
        try {
          client = await this.launch({ ...settings, storageDir });
        } catch (err) {
          if (!storageDir) throw err;
          // Another window of this workspace holds the storage directory: run without saving.
          this.output.appendLine(`could not use ${storageDir} (${describeError(err)}); chats of this window are not saved`);
          this.view.post({ type: 'notice', text: 'Chats of this window are not saved: another window uses the history.' });
          client = await this.launch(settings);
        }
        const { backend, serverInfo } = client.initializeResult;
        this.output.appendLine(`${serverInfo.name} ${serverInfo.version}: ${backend.kind} in ${backend.region}`);
        client.onRetry((p) => {
          const text = `retrying after ${p.errorCode} (attempt ${p.attempt}, in ${p.delayMs} ms): ${p.message}`;
          this.output.appendLine(text);
          this.view.post({ type: 'notice', text });
          this.statusNote = `$(sync~spin) retry ${p.attempt}`;
          this.renderStatus();
        });
        client.onGuardrail((p) => {
          const text = `A guardrail intervened (${p.stopReason}).`;
          this.output.appendLine(`${text} trace: ${JSON.stringify(p.trace)}`);
          this.view.post({ type: 'notice', text });
          void vscode.window.showWarningMessage(`Bedrock: ${text}`);
        });
        client.onExit((code) => {
          this.output.appendLine(`bedrock-host exited with code ${code}. ${client.stderr}`);
          // After a settings change a newer host may already be running; keep that one.
          if (this.client === starting) this.client = undefined;
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
      })();
      // A failed start is reported by the command that needed the host; the next one retries.
      starting.catch(() => {
        if (this.client === starting) this.client = undefined;
      });
      this.client = starting;
    }
    return this.client;
  }

  private newChat(client: BedrockClient): Chat {
    return new Chat(client, { modelId: readSettings().model || undefined, tools: 'all', system: SYSTEM_PROMPT });
  }

  /** The status bar shows the whole session (every conversation), which is what `usage/get` totals. */
  private async refreshUsage(): Promise<void> {
    const client = await this.getClient();
    const usage = await client.request<UsageResult>(Methods.usageGet, {});
    this.usage = { tokens: usage.total.usage.totalTokens, costUsd: usage.total.costUsd };
    this.statusNote = '';
    this.renderStatus();
  }

  /** Shows the active chat again after the view was created (first open, or after a reload). */
  private async restoreChat(): Promise<void> {
    if (this.restored || this.running) return;
    this.restored = true;
    if (!this.chatId) {
      this.view.setTranscript([], `New chat · ${this.model()}`);
      return;
    }
    try {
      await this.openChat(this.chatId);
    } catch (err) {
      this.view.setTranscript([{ kind: 'error', text: `Could not load the last chat: ${describeError(err)}` }], '');
      this.setChat(undefined);
    }
  }

  private async openChat(id: string): Promise<void> {
    const client = await this.getClient();
    const details = await client.request<ConversationDetails & { title: string }>(Methods.conversationGet, { conversationId: id });
    this.setChat(id);
    this.view.setTranscript(transcriptOf(details.messages), `${details.title} · ${details.modelId}`);
  }

  /** The editor the user was last in, for context and code block actions. */
  private editorContext(): EditorContext | undefined {
    const editor = vscode.window.activeTextEditor ?? this.lastEditor;
    if (!editor || editor.document.isClosed) return undefined;
    const { document, selection } = editor;
    return {
      path: vscode.workspace.asRelativePath(document.uri),
      languageId: document.languageId,
      selection: document.getText(selection),
      selectionLines: selection.isEmpty ? undefined : [selection.start.line + 1, selection.end.line + (selection.end.character ? 1 : 0)],
      text: document.getText(),
    };
  }

  private async readWorkspaceFile(relativePath: string): Promise<string> {
    return new VscodeWorkspace(this.review).readFile(relativePath);
  }

  /**
   * One turn in the chat view, streamed; Stop cancels it. `typed` may start with a slash command
   * and mention files; `editOf` (a user message's index) first forks the chat before that message.
   */
  async ask(typed: string, editOf?: { index: number; original: string }): Promise<void> {
    await this.view.show();
    if (this.running) {
      void vscode.window.showInformationMessage('Bedrock is still answering; press Stop first.');
      return;
    }
    this.running = new CancellationTokenSource();
    this.view.post({ type: 'busy', busy: true });
    try {
      const prompt = await buildPrompt(typed, this.editorContext(), (p) => this.readWorkspaceFile(p));
      const client = await this.getClient();
      if (editOf !== undefined && this.chatId) await this.forkBefore(client, editOf);
      this.view.post({ type: 'user', text: typed, context: prompt.context });
      await this.runTurn(client, prompt.content);
    } catch (err) {
      this.reportTurnError(err);
    } finally {
      this.running.dispose();
      this.running = undefined;
      this.view.post({ type: 'busy', busy: false });
    }
  }

  private async runTurn(client: BedrockClient, content: string): Promise<void> {
    const chat = this.newChat(client);
    chat.open(this.chatId);
    const listener = {
      text: (delta: string) => this.view.post({ type: 'delta', text: delta }),
      toolUse: (name: string) => this.view.post({ type: 'tool', name }),
    };
    let result;
    try {
      try {
        result = await chat.send(content, listener, this.running!.token);
      } catch (err) {
        // The host restarted without this chat (it runs without a storage directory).
        if (!(err instanceof HostRequestError && err.code === NOT_FOUND && this.chatId)) throw err;
        this.view.post({ type: 'notice', text: 'The restarted host does not know the previous chat; this is a new chat.' });
        chat.reset();
        result = await chat.send(content, listener, this.running!.token);
      }
    } finally {
      // A chat created by this turn is the chat now, even when the turn failed or was stopped.
      if (chat.id && chat.id !== this.chatId) {
        this.setChat(chat.id);
        this.view.post({ type: 'title', text: `${content.split('\n')[0].slice(0, 60)} · ${this.model()}` });
      }
    }
    this.view.post({ type: 'done', summary: `${result.stopReason} · ${result.usage.totalTokens} tokens · ${formatCost(result.costUsd)}` });
    await this.refreshUsage();
  }

  private reportTurnError(err: unknown): void {
    const cancelled = err instanceof HostRequestError && err.cancelled;
    if (err instanceof HostExitedError) {
      this.statusNote = '$(warning) host stopped';
      this.renderStatus();
    }
    this.view.post(cancelled ? { type: 'notice', text: 'Stopped.' } : { type: 'error', text: describeError(err) });
  }

  /**
   * Forks the active chat just before one of its user messages (edit-and-resend, regenerate): the
   * `index`-th as the view counts them, or, with `original`, the recorded message with that text
   * nearest to it (the view also shows messages whose turn failed, which the host never recorded).
   */
  private async forkBefore(client: BedrockClient, target: { index: number; original?: string }): Promise<string> {
    const old = this.chatId!;
    const details = await client.request<ConversationDetails>(Methods.conversationGet, { conversationId: old });
    const prompts = details.messages.flatMap((m, i) => (isPrompt(m) ? [i] : []));
    let index = target.index;
    if (target.original !== undefined) {
      const same = prompts.flatMap((m, i) => (splitPrompt(textOf(details.messages[m])).text === target.original ? [i] : []));
      if (!same.length) throw new Error('that message was not recorded (its answer did not complete); send it as a new message');
      index = same.reduce((best, i) => (Math.abs(i - target.index) < Math.abs(best - target.index) ? i : best));
    }
    if (index < 0 || index >= prompts.length) throw new Error(`this chat has no message ${index + 1} to edit`);
    const { conversationId } = await client.request<{ conversationId: string }>(Methods.conversationFork, {
      conversationId: old,
      messageCount: prompts[index],
    });
    // The fork replaces the chat (as editing a message does in other chat views).
    await client.request(Methods.conversationDelete, { conversationId: old }).catch(() => undefined);
    this.setChat(conversationId);
    this.view.setTranscript(transcriptOf(details.messages.slice(0, prompts[index])), `${details.title ?? 'Chat'} · ${details.modelId}`);
    return textOf(details.messages[prompts[index]]);
  }

  async regenerate(): Promise<void> {
    if (this.running || !this.chatId) return;
    this.running = new CancellationTokenSource();
    this.view.post({ type: 'busy', busy: true });
    try {
      const client = await this.getClient();
      const details = await client.request<ConversationDetails>(Methods.conversationGet, { conversationId: this.chatId });
      const last = details.messages.filter(isPrompt).length - 1;
      if (last < 0) return;
      const content = await this.forkBefore(client, { index: last });
      const shown = splitPrompt(content);
      this.view.post({ type: 'user', text: shown.text, context: shown.context });
      await this.runTurn(client, content);
    } catch (err) {
      this.reportTurnError(err);
    } finally {
      this.running.dispose();
      this.running = undefined;
      this.view.post({ type: 'busy', busy: false });
    }
  }

  stop(): void {
    this.running?.cancel();
  }

  private async onViewAction(action: ViewAction): Promise<void> {
    try {
      switch (action.type) {
        case 'send':
          return await this.ask(action.text, action.editOf === undefined ? undefined : { index: action.editOf, original: action.original ?? '' });
        case 'stop':
          return this.stop();
        case 'new':
          return await this.newConversation();
        case 'history':
          return await this.showHistory();
        case 'regenerate':
          return await this.regenerate();
        case 'copy':
          await vscode.env.clipboard.writeText(action.code);
          void vscode.window.setStatusBarMessage('Bedrock: code copied', 2000);
          return;
        case 'insert':
          return await this.insertCode(action.code);
        case 'apply':
          return await this.applyCode(action.code);
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`Bedrock: ${describeError(err)}`);
    }
  }

  private targetEditor(): vscode.TextEditor {
    const editor = vscode.window.activeTextEditor ?? this.lastEditor;
    if (!editor || editor.document.isClosed) throw new Error('open the file the code is for first');
    return editor;
  }

  private async insertCode(code: string): Promise<void> {
    const editor = this.targetEditor();
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
    await editor.edit((edit) => edit.replace(editor.selection, code));
  }

  /** Replaces the selection (or the whole file when nothing is selected) with a code block, after review. */
  private async applyCode(code: string): Promise<void> {
    const editor = this.targetEditor();
    const { document, selection } = editor;
    const before = document.getText();
    const start = selection.isEmpty ? 0 : document.offsetAt(selection.start);
    const end = selection.isEmpty ? before.length : document.offsetAt(selection.end);
    const replacement = fitReplacement(before.slice(start, end), code.replace(/\n$/, ''), eolOf(before));
    await this.review.review(document, vscode.workspace.asRelativePath(document.uri), 'Bedrock: Apply', spliceText(before, start, end, replacement));
  }

  async askCommand(): Promise<void> {
    await this.view.show();
    const prompt = await vscode.window.showInputBox({ prompt: 'Ask Bedrock', placeHolder: 'How do I… (/explain /fix /tests, #file:path)' });
    if (prompt) await this.ask(prompt);
  }

  async explainSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Bedrock: select the code to explain first.');
      return;
    }
    await this.ask('/explain');
  }

  /** Asks for a rewrite of the selection in a tool-less conversation, then reviews it in the editor. */
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
    const code = extractCode(finalText(result));
    if (code === undefined) {
      void vscode.window.showWarningMessage('Bedrock answered without code; nothing to apply.');
      return;
    }
    if (doc.version !== version) {
      void vscode.window.showWarningMessage('The file changed while Bedrock was working; the edit was not applied.');
      return;
    }
    const before = doc.getText();
    // Exactly the selected characters are replaced, its trailing line breaks kept.
    const after = spliceText(before, doc.offsetAt(selection.start), doc.offsetAt(selection.end), fitReplacement(original, code, eolOf(before)));
    if (after === before) {
      void vscode.window.showInformationMessage('Bedrock: the answer changes nothing.');
      return;
    }
    await this.review.review(doc, fileLabel, 'Bedrock: Edit Selection', after, instruction);
  }

  async newConversation(): Promise<void> {
    this.stop();
    this.setChat(undefined);
    this.view.setTranscript([{ kind: 'note', text: `New chat with ${this.model()}.` }], `New chat · ${this.model()}`);
    await this.view.show();
  }

  async showHistory(): Promise<void> {
    const client = await this.getClient();
    const { conversations } = await client.request<{ conversations: ConversationSummary[] }>(Methods.conversationList, {});
    const chats = conversations.filter((c) => c.turns > 0);
    if (!chats.length) {
      void vscode.window.showInformationMessage('Bedrock: no earlier chats yet.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      chats.map((c) => ({
        label: c.title,
        description: `${c.turns} turn${c.turns === 1 ? '' : 's'} · ${c.modelId}`,
        detail: new Date(c.updatedAt).toLocaleString(),
        id: c.conversationId,
      })),
      { placeHolder: 'Open an earlier chat' },
    );
    if (!picked) return;
    this.stop();
    await this.openChat(picked.id);
    await this.view.show();
  }

  /** Picks a listed model, or takes what was typed as a model id, inference-profile id or ARN. */
  async selectModel(): Promise<void> {
    const client = await this.getClient();
    const { models } = await client.request<{ models: ModelInfo[] }>(Methods.listModels, {});
    type Item = vscode.QuickPickItem & { value: string };
    const listed: Item[] = models.map((m) => ({
      label: m.name,
      description: m.aliases?.[0] ?? m.id,
      detail: `${m.provider} · ${m.id}${m.pricing ? ` · $${m.pricing.inputPerMillion}/$${m.pricing.outputPerMillion} per M tokens` : ' · no price known'}`,
      value: m.aliases?.[0] ?? m.id,
    }));
    const pick = vscode.window.createQuickPick<Item>();
    pick.items = listed;
    pick.matchOnDetail = true;
    pick.placeholder = `Model for new chats (now ${this.model()}); or type a model id, inference-profile id or ARN`;
    pick.onDidChangeValue((value) => {
      const typed = value.trim();
      const custom: Item[] = typed ? [{ label: `Use "${typed}"`, detail: 'a model id, inference-profile id or ARN', value: typed, alwaysShow: true }] : [];
      pick.items = [...custom, ...listed];
    });
    const picked = await new Promise<Item | undefined>((resolve) => {
      pick.onDidAccept(() => resolve(pick.selectedItems[0]));
      pick.onDidHide(() => resolve(undefined));
      pick.show();
    });
    pick.dispose();
    if (picked) {
      await vscode.workspace.getConfiguration('bedrock').update('model', picked.value, vscode.ConfigurationTarget.Global);
    }
  }

  async showUsage(): Promise<void> {
    const client = await this.getClient();
    const usage = await client.request<UsageResult>(Methods.usageGet, {});
    this.output.appendLine('Usage this session:');
    for (const [model, totals] of Object.entries(usage.byModel)) {
      this.output.appendLine(`  ${model}: ${totals.calls} calls, ${totals.usage.totalTokens} tokens, ${formatCost(totals.costUsd)}`);
    }
    this.output.show(true);
    this.usage = { tokens: usage.total.usage.totalTokens, costUsd: usage.total.costUsd };
    this.renderStatus();
    void vscode.window.showInformationMessage(
      `Bedrock: ${usage.total.calls} calls, ${usage.total.usage.inputTokens} in / ${usage.total.usage.outputTokens} out tokens, ${formatCost(usage.total.costUsd)}`,
    );
  }

  async focusChat(): Promise<void> {
    await this.view.show();
  }

  dispose(): void {
    this.stop();
    void this.restart();
    for (const d of this.disposables) d.dispose();
  }
}

export function activate(context: vscode.ExtensionContext): void {
  const controller = new Controller(context);
  const guard = (run: () => Promise<void>) => () =>
    run().catch((err) => vscode.window.showErrorMessage(`Bedrock: ${describeError(err)}`));
  context.subscriptions.push(
    controller,
    vscode.commands.registerCommand('bedrock.ask', guard(() => controller.askCommand())),
    vscode.commands.registerCommand('bedrock.focusChat', guard(() => controller.focusChat())),
    vscode.commands.registerCommand('bedrock.explainSelection', guard(() => controller.explainSelection())),
    vscode.commands.registerCommand('bedrock.editSelection', guard(() => controller.editSelection())),
    vscode.commands.registerCommand('bedrock.newConversation', guard(() => controller.newConversation())),
    vscode.commands.registerCommand('bedrock.history', guard(() => controller.showHistory())),
    vscode.commands.registerCommand('bedrock.regenerate', guard(() => controller.regenerate())),
    vscode.commands.registerCommand('bedrock.selectModel', guard(() => controller.selectModel())),
    vscode.commands.registerCommand('bedrock.showUsage', guard(() => controller.showUsage())),
    vscode.commands.registerCommand('bedrock.stop', () => controller.stop()),
    registerInlineCompletions(() => controller.getClient()),
  );
}

export function deactivate(): void {}

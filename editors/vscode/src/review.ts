// Reviewing a proposed change in the editor, as Copilot's inline chat and Continue do: a diff
// editor shows the file against the proposal, the diff's own "Revert Block" arrows (or plain
// typing) drop single hunks of the proposal, and Accept / Reject (the notification, the editor
// title buttons, or their keys) decide. The proposal lives in an in-memory file system, so nothing
// touches the real document, or the disk, before Accept (auto save included). Nothing is modal: a
// large change scrolls like any file. Closing the diff without deciding rejects.

import * as vscode from 'vscode';

const SCHEME = 'bedrock-proposal';
const REVIEWING = 'bedrock.reviewing';

export type Decision = 'accept' | 'reject';

/** The outcome: `text` is what the file holds after the decision. */
export interface ReviewResult {
  accepted: boolean;
  /** True when some hunks were reverted (or the proposal edited) before Accept. */
  partial: boolean;
  text: string;
}

/** The proposals under review: an editable in-memory file per side. */
class ProposalFiles implements vscode.FileSystemProvider {
  private readonly files = new Map<string, { data: Uint8Array; mtime: number }>();
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;

  set(uri: vscode.Uri, text: string): void {
    this.files.set(uri.path, { data: new TextEncoder().encode(text), mtime: Date.now() });
  }

  text(uri: vscode.Uri): string {
    return new TextDecoder().decode(this.entry(uri).data);
  }

  remove(uri: vscode.Uri): void {
    this.files.delete(uri.path);
  }

  private entry(uri: vscode.Uri) {
    const file = this.files.get(uri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return file;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    if (uri.path === '/') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    const file = this.entry(uri);
    return { type: vscode.FileType.File, ctime: file.mtime, mtime: file.mtime, size: file.data.byteLength };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('proposals hold files only');
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.entry(uri).data;
  }

  /** Saving the proposal side (auto save does) keeps the text here, nowhere else. */
  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    if (!this.files.has(uri.path)) throw vscode.FileSystemError.FileNotFound(uri);
    this.files.set(uri.path, { data: content, mtime: Date.now() });
    this.changes.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  delete(uri: vscode.Uri): void {
    this.files.delete(uri.path);
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('proposals cannot be renamed');
  }
}

export class ProposalReview {
  private readonly files = new ProposalFiles();
  private counter = 0;
  private pending: ((decision: Decision) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  register(): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.workspace.registerFileSystemProvider(SCHEME, this.files, { isCaseSensitive: true }),
      vscode.commands.registerCommand('bedrock.acceptProposal', () => this.pending?.('accept')),
      vscode.commands.registerCommand('bedrock.rejectProposal', () => this.pending?.('reject')),
    );
  }

  /** One review at a time: a second proposal waits until the first is decided. */
  private serialize<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Shows `document` against `after` and waits for the user. On Accept the document gets the
   * proposal's text as the user left it (and is saved when it had no unsaved changes before).
   */
  review(document: vscode.TextDocument, label: string, title: string, after: string, detail?: string): Promise<ReviewResult> {
    return this.serialize(async () => {
      const before = document.getText();
      const wasDirty = document.isDirty;
      const id = ++this.counter;
      const original = vscode.Uri.from({ scheme: SCHEME, path: `/${id}/original/${label}` });
      const proposed = vscode.Uri.from({ scheme: SCHEME, path: `/${id}/proposed/${label}` });
      this.files.set(original, before);
      this.files.set(proposed, after);
      try {
        const decision = await this.decide(original, proposed, `${title}: ${label} ↔ proposed`, `${title}: review the change to ${label}.`, detail);
        // The user's own edits and reverted hunks count: the proposal document holds them.
        const proposal = vscode.workspace.textDocuments.find((d) => d.uri.toString() === proposed.toString());
        const kept = proposal ? proposal.getText() : this.files.text(proposed);
        if (decision === 'reject' || kept === before) return { accepted: false, partial: false, text: document.getText() };
        if (document.getText() !== before) {
          void vscode.window.showWarningMessage(`${label} changed during the review; the proposal was not applied.`);
          return { accepted: false, partial: false, text: document.getText() };
        }
        const edit = new vscode.WorkspaceEdit();
        edit.replace(document.uri, new vscode.Range(0, 0, document.lineCount, 0), kept);
        if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit to ${label}`);
        if (!wasDirty) await document.save();
        return { accepted: true, partial: kept !== after, text: document.getText() };
      } finally {
        this.files.remove(original);
        this.files.remove(proposed);
      }
    });
  }

  /** A file that does not exist yet: the proposal beside an empty file, created only on Accept. */
  reviewNewFile(label: string, title: string, after: string, detail?: string): Promise<string | false> {
    return this.serialize(async () => {
      const id = ++this.counter;
      const original = vscode.Uri.from({ scheme: SCHEME, path: `/${id}/original/${label}` });
      const proposed = vscode.Uri.from({ scheme: SCHEME, path: `/${id}/proposed/${label}` });
      this.files.set(original, '');
      this.files.set(proposed, after);
      try {
        const decision = await this.decide(original, proposed, `${title}: new file ${label}`, `${title}: create ${label}?`, detail);
        if (decision === 'reject') return false;
        const proposal = vscode.workspace.textDocuments.find((d) => d.uri.toString() === proposed.toString());
        return proposal ? proposal.getText() : this.files.text(proposed);
      } finally {
        this.files.remove(original);
        this.files.remove(proposed);
      }
    });
  }

  private async decide(original: vscode.Uri, proposed: vscode.Uri, tabTitle: string, message: string, detail?: string): Promise<Decision> {
    let decide!: (decision: Decision) => void;
    const decided = new Promise<Decision>((resolve) => (decide = resolve));
    this.pending = decide;
    const watcher = vscode.window.tabGroups.onDidChangeTabs((e) => {
      if (e.closed.some((tab) => isDiffOf(tab, original))) decide('reject');
    });
    try {
      await vscode.commands.executeCommand('setContext', REVIEWING, true);
      await vscode.commands.executeCommand('vscode.diff', original, proposed, tabTitle, { preview: false });
      void vscode.window
        .showInformationMessage(
          `${message} Revert single hunks with the diff's arrows (or edit the right side), then Accept or Reject.${detail ? ` (${detail})` : ''}`,
          'Accept',
          'Reject',
        )
        .then((choice) => {
          if (choice === 'Accept') decide('accept');
          else if (choice === 'Reject') decide('reject');
        });
      return await decided;
    } finally {
      watcher.dispose();
      this.pending = undefined;
      await vscode.commands.executeCommand('setContext', REVIEWING, false);
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((tab) => isDiffOf(tab, original));
      // The proposal side may be dirty (edited, hunks reverted): close without asking to save it.
      if (tabs.length) {
        const proposal = vscode.workspace.textDocuments.find((d) => d.uri.toString() === proposed.toString());
        if (proposal?.isDirty) await proposal.save().then(undefined, () => undefined);
        await vscode.window.tabGroups.close(tabs, true);
      }
    }
  }
}

function isDiffOf(tab: vscode.Tab, original: vscode.Uri): boolean {
  return tab.input instanceof vscode.TabInputTextDiff && tab.input.original.toString() === original.toString();
}

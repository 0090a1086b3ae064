// Reviewing a proposed change in the editor, as Copilot's inline chat and Continue do: the change
// is applied to the document (unsaved) and shown in a diff editor against the original, where the
// diff's own "Revert Block" arrows reject single hunks; Accept keeps what is left (and saves a file
// that had no unsaved changes), Reject restores the original. Nothing is modal, so a large change
// scrolls like any file. Closing the diff without deciding rejects.

import * as vscode from 'vscode';

const ORIGINAL_SCHEME = 'bedrock-original';
const REVIEWING = 'bedrock.reviewing';

export type Decision = 'accept' | 'reject';

/** The outcome: `text` is the document's text after the decision. */
export interface ReviewResult {
  accepted: boolean;
  /** True when some hunks were reverted before Accept. */
  partial: boolean;
  text: string;
}

interface Pending {
  decide(decision: Decision): void;
}

export class ProposalReview implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private counter = 0;
  private pending: Pending | undefined;

  register(): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.workspace.registerTextDocumentContentProvider(ORIGINAL_SCHEME, this),
      vscode.commands.registerCommand('bedrock.acceptProposal', () => this.pending?.decide('accept')),
      vscode.commands.registerCommand('bedrock.rejectProposal', () => this.pending?.decide('reject')),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  get reviewing(): boolean {
    return this.pending !== undefined;
  }

  private snapshot(label: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: ORIGINAL_SCHEME, path: `/${label}`, query: String(++this.counter) });
    this.contents.set(uri.toString(), text);
    return uri;
  }

  /**
   * Shows `after` in place of `document`'s text and waits for the user. `before` must be the
   * document's text now. One review at a time: a second waits for the first.
   */
  async review(document: vscode.TextDocument, label: string, title: string, after: string, detail?: string): Promise<ReviewResult> {
    while (this.pending) await new Promise((resolve) => setTimeout(resolve, 200));
    const before = document.getText();
    const wasDirty = document.isDirty;
    const original = this.snapshot(label, before);
    let decide!: (decision: Decision) => void;
    const decided = new Promise<Decision>((resolve) => (decide = resolve));
    this.pending = { decide };
    const watchers: vscode.Disposable[] = [];
    try {
      await replaceAll(document, after);
      await vscode.commands.executeCommand('setContext', REVIEWING, true);
      await vscode.commands.executeCommand('vscode.diff', original, document.uri, `${title}: ${label} ↔ proposed`, { preview: false });
      // Closing the diff without a decision rejects (nothing changes without consent).
      watchers.push(
        vscode.window.tabGroups.onDidChangeTabs((e) => {
          if (e.closed.some((tab) => isDiffOf(tab, original))) decide('reject');
        }),
      );
      void vscode.window
        .showInformationMessage(
          `${title}: review the change to ${label}. Revert single hunks with the diff's arrows, then Accept or Reject.${detail ? ` (${detail})` : ''}`,
          'Accept',
          'Reject',
        )
        .then((choice) => {
          if (choice === 'Accept') decide('accept');
          else if (choice === 'Reject') decide('reject');
        });
      const decision = await decided;
      let text = document.getText();
      if (decision === 'accept') {
        if (!wasDirty) await document.save();
      } else {
        if (text !== before) await replaceAll(document, before);
        if (!wasDirty) await document.save();
        text = document.getText();
      }
      return { accepted: decision === 'accept' && text !== before, partial: decision === 'accept' && text !== after, text };
    } finally {
      for (const w of watchers) w.dispose();
      await closeDiff(original);
      this.contents.delete(original.toString());
      this.pending = undefined;
      await vscode.commands.executeCommand('setContext', REVIEWING, false);
    }
  }

  /** A file that does not exist yet: shown read-only beside an empty one, created only on Accept. */
  async reviewNewFile(label: string, title: string, after: string, detail?: string): Promise<boolean> {
    while (this.pending) await new Promise((resolve) => setTimeout(resolve, 200));
    const empty = this.snapshot(label, '');
    const proposed = this.snapshot(label, after);
    let decide!: (decision: Decision) => void;
    const decided = new Promise<Decision>((resolve) => (decide = resolve));
    this.pending = { decide };
    const watchers: vscode.Disposable[] = [];
    try {
      await vscode.commands.executeCommand('setContext', REVIEWING, true);
      await vscode.commands.executeCommand('vscode.diff', empty, proposed, `${title}: new file ${label}`, { preview: false });
      watchers.push(
        vscode.window.tabGroups.onDidChangeTabs((e) => {
          if (e.closed.some((tab) => isDiffOf(tab, empty))) decide('reject');
        }),
      );
      void vscode.window
        .showInformationMessage(`${title}: create ${label}?${detail ? ` (${detail})` : ''}`, 'Accept', 'Reject')
        .then((choice) => {
          if (choice === 'Accept') decide('accept');
          else if (choice === 'Reject') decide('reject');
        });
      return (await decided) === 'accept';
    } finally {
      for (const w of watchers) w.dispose();
      await closeDiff(empty);
      this.contents.delete(empty.toString());
      this.contents.delete(proposed.toString());
      this.pending = undefined;
      await vscode.commands.executeCommand('setContext', REVIEWING, false);
    }
  }
}

function isDiffOf(tab: vscode.Tab, original: vscode.Uri): boolean {
  return tab.input instanceof vscode.TabInputTextDiff && tab.input.original.toString() === original.toString();
}

async function closeDiff(original: vscode.Uri): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => isDiffOf(tab, original));
  if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
}

/** Replaces the whole text as one undoable edit. */
async function replaceAll(document: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, new vscode.Range(0, 0, document.lineCount, 0), text);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit to ${document.uri.fsPath}`);
}

// What the chat box sends: slash commands (`/explain`, `/fix`, `/tests`) and context (the current
// file, its selection, `#file` mentions) turned into one user message. Plain Node: the editor
// state comes in as `EditorContext`, files through `readFile`.

/** The editor the user was last in (the chat view itself is not a text editor). */
export interface EditorContext {
  /** Workspace-relative path. */
  path: string;
  languageId: string;
  /** The selected text, '' when nothing is selected. */
  selection: string;
  /** 1-based first and last line of the selection. */
  selectionLines?: [number, number];
  /** The whole document (for `#file` without a path, and for slash commands without a selection). */
  text: string;
}

export const SLASH_COMMANDS: Record<string, string> = {
  explain: 'Explain what this code does, briefly and precisely.',
  fix: 'Find the bugs in this code and fix them. Propose the changes with propose_edit.',
  tests: 'Write unit tests for this code, in the framework the project already uses.',
};

/** Files attached by `#file:path` are cut at this many characters so one mention cannot flood the model. */
export const MAX_ATTACHED_CHARS = 100_000;

/** Where the context `buildPrompt` appends begins: a blank line, then one of these openings. */
const CONTEXT_OPENINGS = /\n\n(?=Selected code \(|The file \S|The user is looking at \S)/;

/**
 * A message `buildPrompt` made, split back into what the user typed and labels for its context,
 * so a chat restored from the host reads as it did when it was typed.
 */
export function splitPrompt(content: string): { text: string; context: string[] } {
  const at = content.search(CONTEXT_OPENINGS);
  if (at < 0) return { text: content, context: [] };
  const context: string[] = [];
  for (const part of content.slice(at + 2).split(CONTEXT_OPENINGS)) {
    let m: RegExpExecArray | null;
    if ((m = /^Selected code \(([^,)]+)(?:, lines (\d+)-(\d+))?\)/.exec(part))) context.push(`selection: ${m[1]}${m[2] ? `:${m[2]}-${m[3]}` : ''}`);
    else if ((m = /^The file (\S+?)(?: \(first \d+ characters\))?:/.exec(part))) context.push(`file: ${m[1]}`);
    else if ((m = /^The user is looking at (\S+) /.exec(part))) context.push(`current file: ${m[1]}`);
  }
  return { text: content.slice(0, at), context };
}

export interface BuiltPrompt {
  /** The user message sent to the model. */
  content: string;
  /** One line per piece of context, shown in the transcript ("selection: a.ts:3-7"). */
  context: string[];
}

function fence(code: string, languageId: string): string {
  const longest = Math.max(2, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${languageId}\n${code}${code.endsWith('\n') ? '' : '\n'}${ticks}`;
}

/** `#file:path` mentions (a path runs to the next whitespace); `#file` alone means the current file. */
export function fileMentions(text: string): { paths: string[]; current: boolean } {
  const paths: string[] = [];
  let current = false;
  for (const match of text.matchAll(/(^|\s)#file(?::(\S+))?(?=\s|$)/g)) {
    if (match[2]) {
      if (!paths.includes(match[2])) paths.push(match[2]);
    } else {
      current = true;
    }
  }
  return { paths, current };
}

/**
 * The message for what the user typed. An unknown `/command` throws with the list of known ones;
 * a mentioned file that cannot be read throws naming it.
 */
export async function buildPrompt(
  typed: string,
  editor: EditorContext | undefined,
  readFile: (relativePath: string) => Promise<string>,
): Promise<BuiltPrompt> {
  let text = typed.trim();
  const context: string[] = [];
  const parts: string[] = [];
  const slash = /^\/(\w+)\b\s*/.exec(text);
  if (slash) {
    const instruction = SLASH_COMMANDS[slash[1]];
    if (!instruction) {
      throw new Error(`unknown command /${slash[1]}; try ${Object.keys(SLASH_COMMANDS).map((c) => `/${c}`).join(', ')}`);
    }
    if (!editor) throw new Error(`/${slash[1]} works on the code in an editor: open a file (and select code) first`);
    const rest = text.slice(slash[0].length);
    text = rest ? `${instruction} ${rest}` : instruction;
    if (!editor.selection) {
      // No selection: the whole file is the subject.
      parts.push(`The file ${editor.path}:\n${fence(editor.text.slice(0, MAX_ATTACHED_CHARS), editor.languageId)}`);
      context.push(`file: ${editor.path}`);
    }
  }
  const mentions = fileMentions(text);
  if (editor) {
    if (editor.selection) {
      const lines = editor.selectionLines ? `, lines ${editor.selectionLines[0]}-${editor.selectionLines[1]}` : '';
      parts.push(`Selected code (${editor.path}${lines}):\n${fence(editor.selection, editor.languageId)}`);
      context.push(`selection: ${editor.path}${editor.selectionLines ? `:${editor.selectionLines[0]}-${editor.selectionLines[1]}` : ''}`);
    } else if (!slash) {
      parts.push(`The user is looking at ${editor.path} (${editor.languageId}).`);
      context.push(`current file: ${editor.path}`);
    }
    if (mentions.current && !context.includes(`file: ${editor.path}`)) {
      parts.push(`The file ${editor.path}:\n${fence(editor.text.slice(0, MAX_ATTACHED_CHARS), editor.languageId)}`);
      context.push(`file: ${editor.path}`);
    }
  } else if (mentions.current) {
    throw new Error('#file means the current file, and no file is open: open one or write #file:path');
  }
  for (const mentioned of mentions.paths) {
    let contents: string;
    try {
      contents = await readFile(mentioned);
    } catch (err) {
      throw new Error(`#file:${mentioned}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const cut = contents.length > MAX_ATTACHED_CHARS;
    parts.push(`The file ${mentioned}${cut ? ` (first ${MAX_ATTACHED_CHARS} characters)` : ''}:\n${fence(contents.slice(0, MAX_ATTACHED_CHARS), '')}`);
    context.push(`file: ${mentioned}`);
  }
  const content = parts.length ? `${text}\n\n${parts.join('\n\n')}` : text;
  return { content, context };
}

// Client-executed tools: their definitions (sent with `tool/register`) and the handlers that
// answer the host's `tool/call`. The editor is reached only through `Workspace`, so the same
// handlers run inside VS Code and in tests over a plain directory.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ToolCallParams, ToolCallResult, ToolDefinition } from './protocol';

/** A change the model proposes; the editor shows it and the user decides. */
export interface ProposedEdit {
  /** Workspace-relative path. */
  path: string;
  before: string;
  after: string;
  description?: string;
}

/** What the tools may do in the editor's workspace. Paths are workspace-relative. */
export interface Workspace {
  readFile(relativePath: string): Promise<string>;
  /** True when the file exists (proposals may create files). */
  exists(relativePath: string): Promise<boolean>;
  /** Files matching `glob` (all files when omitted), at most `limit`, workspace-relative with `/`. */
  listFiles(glob: string | undefined, limit: number): Promise<string[]>;
  /**
   * Shows the proposal and asks the user; resolves true only when the user accepted it (then
   * `writeFile` writes it). An editor that applies the change itself resolves with the file's text
   * after the review instead (the user may have kept only some of the hunks), or false.
   */
  confirmEdit(edit: ProposedEdit): Promise<boolean | string>;
  writeFile(relativePath: string, contents: string): Promise<void>;
}

export const TOOL_NAMES = {
  readFile: 'read_file',
  listFiles: 'list_files',
  searchWorkspace: 'search_workspace',
  proposeEdit: 'propose_edit',
} as const;

export const TOOL_DEFINITIONS: ToolDefinition[] = [
  {
    name: TOOL_NAMES.readFile,
    description: "Read a text file from the user's workspace. Paths are relative to the workspace root.",
    inputSchema: {
      type: 'object',
      properties: { path: { type: 'string', description: 'Workspace-relative path, e.g. src/main.rs' } },
      required: ['path'],
    },
  },
  {
    name: TOOL_NAMES.listFiles,
    description: "List files in the user's workspace, optionally only those matching a glob such as src/**/*.ts.",
    inputSchema: {
      type: 'object',
      properties: {
        glob: { type: 'string', description: 'Glob relative to the workspace root (** crosses directories)' },
        limit: { type: 'integer', minimum: 1, maximum: 2000, description: 'Most files to return (default 200)' },
      },
    },
  },
  {
    name: TOOL_NAMES.searchWorkspace,
    description: "Search the text of the user's workspace files; answers path:line: text for each matching line.",
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Text to find (case-insensitive), or a regular expression with isRegex' },
        isRegex: { type: 'boolean' },
        glob: { type: 'string', description: 'Only search files matching this glob' },
        maxResults: { type: 'integer', minimum: 1, maximum: 500, description: 'Default 50' },
      },
      required: ['query'],
    },
  },
  {
    name: TOOL_NAMES.proposeEdit,
    description:
      'Propose replacing oldText with newText in a workspace file (oldText must occur exactly once; an empty ' +
      'oldText on a missing file creates it). The user sees a diff and accepts or rejects it; nothing changes ' +
      'without their consent.',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        oldText: { type: 'string' },
        newText: { type: 'string' },
        description: { type: 'string', description: 'One line telling the user why' },
      },
      required: ['path', 'oldText', 'newText'],
    },
  },
];

const DEFAULT_LIST_LIMIT = 200;
const DEFAULT_SEARCH_RESULTS = 50;
/** Search reads at most this many files so one query cannot walk a huge tree forever. */
const SEARCH_FILE_LIMIT = 5000;
const SEARCH_FILE_BYTES = 1024 * 1024;

/** Rejects absolute paths and `..` escapes: tools see the workspace and nothing else. */
export function checkRelativePath(p: unknown, field = 'path'): string {
  if (typeof p !== 'string' || p.trim() === '') {
    throw new Error(`"${field}" must be a non-empty workspace-relative path`);
  }
  const normalized = path.posix.normalize(p.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normalized) || /^[a-zA-Z]:/.test(normalized) || normalized.split('/')[0] === '..') {
    throw new Error(`"${field}" ${JSON.stringify(p)} is outside the workspace; give a path relative to its root`);
  }
  return normalized;
}

/**
 * `target` (an absolute path under `root`) with symbolic links resolved, refused when a link leads
 * out of the workspace (`ws/outside -> /etc`). A path that does not exist yet is checked through
 * its nearest existing parent, so a new file cannot be created through such a link either.
 */
export async function resolveInside(root: string, target: string, shown: string): Promise<string> {
  const realRoot = await fs.realpath(root);
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await fs.realpath(existing);
      const resolved = path.join(real, ...rest);
      if (resolved !== realRoot && !resolved.startsWith(realRoot + path.sep)) {
        throw new Error(`${JSON.stringify(shown)} leads outside the workspace through a symbolic link; tools only see the workspace`);
      }
      return resolved;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = path.dirname(existing);
      if (parent === existing) throw err;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/** Glob to RegExp: `**` crosses directories, `*` and `?` stay within one path segment. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      re += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

function text(content: string, status: 'success' | 'error' = 'success'): ToolCallResult {
  return { content: [{ text: content }], status };
}

function optionalString(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`"${field}" must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function requiredString(input: Record<string, unknown>, field: string): string {
  const value = optionalString(input, field);
  if (value === undefined) throw new Error(`"${field}" is required`);
  return value;
}

function positiveInt(input: Record<string, unknown>, field: string, fallback: number): number {
  const value = input[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`"${field}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

async function readFile(ws: Workspace, input: Record<string, unknown>): Promise<ToolCallResult> {
  return text(await ws.readFile(checkRelativePath(input.path)));
}

async function listFiles(ws: Workspace, input: Record<string, unknown>): Promise<ToolCallResult> {
  const files = await ws.listFiles(optionalString(input, 'glob'), positiveInt(input, 'limit', DEFAULT_LIST_LIMIT));
  return text(files.length ? files.join('\n') : 'No files match.');
}

async function searchWorkspace(ws: Workspace, input: Record<string, unknown>): Promise<ToolCallResult> {
  const query = requiredString(input, 'query');
  const maxResults = positiveInt(input, 'maxResults', DEFAULT_SEARCH_RESULTS);
  let matcher: RegExp;
  try {
    matcher = input.isRegex === true ? new RegExp(query, 'i') : new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  } catch (err) {
    throw new Error(`"query" is not a valid regular expression: ${(err as Error).message}`);
  }
  const hits: string[] = [];
  for (const file of await ws.listFiles(optionalString(input, 'glob'), SEARCH_FILE_LIMIT)) {
    let contents: string;
    try {
      contents = await ws.readFile(file);
    } catch {
      continue; // unreadable files (binary, permissions) are not search results
    }
    if (contents.length > SEARCH_FILE_BYTES || contents.includes('\u0000')) continue;
    const lines = contents.split(/\r?\n/);
    for (let i = 0; i < lines.length && hits.length < maxResults; i++) {
      if (matcher.test(lines[i])) hits.push(`${file}:${i + 1}: ${lines[i].trim()}`);
    }
    if (hits.length >= maxResults) break;
  }
  return text(hits.length ? hits.join('\n') : `No matches for ${JSON.stringify(query)}.`);
}

async function proposeEdit(ws: Workspace, input: Record<string, unknown>): Promise<ToolCallResult> {
  const relative = checkRelativePath(input.path);
  const oldText = requiredString(input, 'oldText');
  const newText = requiredString(input, 'newText');
  const exists = await ws.exists(relative);
  let before = '';
  let after: string;
  if (!exists) {
    if (oldText !== '') throw new Error(`${relative} does not exist; to create it, give an empty "oldText"`);
    after = newText;
  } else {
    before = await ws.readFile(relative);
    const first = before.indexOf(oldText);
    if (oldText === '' || first < 0) throw new Error(`"oldText" does not occur in ${relative}; read the file first`);
    if (before.indexOf(oldText, first + 1) >= 0) {
      throw new Error(`"oldText" occurs more than once in ${relative}; include more surrounding lines`);
    }
    after = before.slice(0, first) + newText + before.slice(first + oldText.length);
  }
  const accepted = await ws.confirmEdit({ path: relative, before, after, description: optionalString(input, 'description') });
  if (accepted === false || accepted === before) return text(`The user rejected the edit; ${relative} is unchanged.`);
  if (accepted === true) {
    await ws.writeFile(relative, after);
  } else if (accepted !== after) {
    return text(`The user accepted part of the edit; ${relative} now reads:\n${accepted}`);
  }
  return text(`The user accepted the edit; ${relative} was updated.`);
}

const HANDLERS: Record<string, (ws: Workspace, input: Record<string, unknown>) => Promise<ToolCallResult>> = {
  [TOOL_NAMES.readFile]: readFile,
  [TOOL_NAMES.listFiles]: listFiles,
  [TOOL_NAMES.searchWorkspace]: searchWorkspace,
  [TOOL_NAMES.proposeEdit]: proposeEdit,
};

/** Answers one `tool/call`; a failure becomes an error toolResult the model can read and act on. */
export function createToolHandler(ws: Workspace): (params: ToolCallParams) => Promise<ToolCallResult> {
  return async (params) => {
    const handler = HANDLERS[params.name];
    if (!handler) return text(`unknown tool "${params.name}"; this client offers ${Object.keys(HANDLERS).join(', ')}`, 'error');
    try {
      return await handler(ws, params.input ?? {});
    } catch (err) {
      return text(`${params.name} failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  };
}

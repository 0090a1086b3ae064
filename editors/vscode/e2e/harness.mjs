// Real VS Code (code-server) in Debian's Chromium, driven with playwright-core, with the extension
// installed from its .vsix and the real bedrock-host binary running its emulator. Every wait is
// bounded; a failing step saves a screenshot under $BEDROCK_E2E_SCREENSHOTS (default: screenshots/).

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const HOST_BIN = path.resolve(process.env.BEDROCK_HOST_BIN ?? path.join(here, '..', '..', '..', 'target', 'debug', 'bedrock-host'));
export const CHROMIUM = process.env.BEDROCK_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = process.env.BEDROCK_E2E_SCREENSHOTS ?? path.join(here, 'screenshots');
const CODE_SERVER = path.join(here, 'node_modules', '.bin', 'code-server');

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), `bedrock-e2e-${prefix}-`));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` (sync or async) until it returns a truthy value, at most `timeoutMs`. */
export async function until(what, check, timeoutMs = 30000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
}

/** The .vsix a user installs, built by `vsce package` unless BEDROCK_VSIX names one. */
export function buildVsix() {
  if (process.env.BEDROCK_VSIX) return process.env.BEDROCK_VSIX;
  const out = path.join(tempDir('vsix'), 'bedrock-host.vsix');
  execFileSync('npx', ['vsce', 'package', '--allow-missing-repository', '--skip-license', '--out', out], {
    cwd: path.join(here, '..'),
    stdio: 'pipe',
    timeout: 180000,
  });
  return out;
}

/** bedrock-host processes started for this run's emulator script (found by their command line). */
export function hostPids(script) {
  const pids = [];
  for (const entry of execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n')) {
    const match = /^\s*(\d+)\s+(.*)$/.exec(entry);
    if (match && match[2].startsWith(HOST_BIN) && match[2].includes(script)) pids.push(Number(match[1]));
  }
  return pids;
}

export class Editor {
  /** @param {{workspace: string, files: Record<string,string>, script: object, settings?: object}} options */
  static async start(vsix, options) {
    const editor = new Editor();
    editor.root = tempDir('run');
    editor.workspace = path.join(editor.root, 'ws');
    mkdirSync(editor.workspace);
    for (const [name, text] of Object.entries(options.files)) {
      mkdirSync(path.dirname(path.join(editor.workspace, name)), { recursive: true });
      writeFileSync(path.join(editor.workspace, name), text);
    }
    editor.script = path.join(editor.root, 'emulator-script.json');
    writeFileSync(editor.script, JSON.stringify(options.script));
    editor.userData = path.join(editor.root, 'user-data');
    editor.extensions = path.join(editor.root, 'extensions');
    mkdirSync(path.join(editor.userData, 'User'), { recursive: true });
    editor.settingsFile = path.join(editor.userData, 'User', 'settings.json');
    editor.writeSettings({
      'bedrock.binaryPath': HOST_BIN,
      'bedrock.emulator': true,
      'bedrock.emulatorScript': editor.script,
      'bedrock.model': 'sonnet',
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'chat.commandCenter.enabled': false,
      'window.commandCenter': false,
      'editor.accessibilitySupport': 'off',
      ...options.settings,
    });
    const env = { ...process.env, HOME: editor.root };
    for (const key of Object.keys(env)) if (key.startsWith('AWS_') || key.startsWith('BEDROCK_HOST_')) delete env[key];
    env.AWS_CONFIG_FILE = path.join(editor.root, 'no-aws-config');
    env.AWS_SHARED_CREDENTIALS_FILE = path.join(editor.root, 'no-aws-credentials');
    editor.env = env;
    const base = ['--user-data-dir', editor.userData, '--extensions-dir', editor.extensions];
    execFileSync(CODE_SERVER, [...base, '--install-extension', vsix], { env, stdio: 'pipe', timeout: 120000 });
    editor.port = await freePort();
    editor.serverLog = '';
    editor.server = spawn(
      CODE_SERVER,
      [...base, '--bind-addr', `127.0.0.1:${editor.port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
        '--disable-workspace-trust', '--disable-getting-started-override', editor.workspace],
      { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    const collect = (chunk) => { editor.serverLog = (editor.serverLog + chunk.toString()).slice(-20000); };
    editor.server.stdout.on('data', collect);
    editor.server.stderr.on('data', collect);
    await until('code-server to listen', () => /HTTP server listening/.test(editor.serverLog), 60000);
    editor.browserProfile = path.join(editor.root, 'chromium-profile');
    editor.context = await chromium.launchPersistentContext(editor.browserProfile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      permissions: ['clipboard-read', 'clipboard-write'],
      timeout: 60000,
    });
    editor.page = editor.context.pages()[0] ?? (await editor.context.newPage());
    editor.page.setDefaultTimeout(20000);
    await editor.open();
    return editor;
  }

  writeSettings(settings) {
    let current = {};
    try {
      current = JSON.parse(readFileSync(this.settingsFile, 'utf8'));
    } catch {}
    writeFileSync(this.settingsFile, JSON.stringify({ ...current, ...settings }, null, 2));
  }

  async open() {
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`, { timeout: 60000 });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
    await this.page.locator('.statusbar-item', { hasText: 'sonnet' }).or(this.page.locator('.statusbar-item', { hasText: /\$\(hubot\)|acme/ }))
      .first().waitFor({ timeout: 60000 }).catch(() => undefined);
  }

  async reload() {
    await this.page.reload({ timeout: 60000 });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  }

  /** Runs a command by its title through the command palette. */
  async command(title) {
    const page = this.page;
    // Escape would also drop the editor's selection: only close a quick input that is open.
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor();
    await sleep(150);
    await input.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  }

  /** Picks a model with Bedrock: Select Model, typing its id. */
  async selectModel(id) {
    await this.command('Bedrock: Select Model');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(id);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: `Use "${id}"` }).first();
    await row.waitFor();
    await sleep(150);
    await row.click();
  }

  /** Answers an input box (showInputBox) that is open. */
  async answerInput(text) {
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(text);
    await input.press('Enter');
  }

  /** Opens a workspace file in an editor via Quick Open. */
  async openFile(name) {
    const page = this.page;
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(name) }).first().waitFor();
    await sleep(200);
    await input.press('Enter');
    await page.locator(`.tab[data-resource-name="${path.basename(name)}"]`).first().waitFor();
    await page.locator('.editor-instance .monaco-editor textarea').first().waitFor();
    await page.locator('.editor-instance .monaco-editor textarea').first().focus();
  }

  /** The chat view's document (webview iframes nest: the view's frame, then its active frame). */
  chat() {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  }

  async openChat() {
    await this.command('Bedrock: Open Chat');
    await this.chat().locator('#input').waitFor({ timeout: 30000 });
  }

  async send(text) {
    const input = this.chat().locator('#input');
    await input.fill(text);
    await input.press('Enter');
  }

  notification(text) {
    return this.page.locator('.notification-toast, .notifications-center', { hasText: text }).first();
  }

  async clickNotificationButton(text, button) {
    const toast = this.page.locator('.notification-toast', { hasText: text }).first();
    await toast.waitFor({ timeout: 30000 });
    await toast.locator('a.monaco-button, .monaco-button', { hasText: button }).first().click();
  }

  file(name) {
    return readFileSync(path.join(this.workspace, name), 'utf8');
  }

  async screenshot(name) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await this.page.screenshot({ path: file, timeout: 10000 }).catch(() => undefined);
    return file;
  }

  async stop() {
    await this.context?.close().catch(() => undefined);
    if (this.server && this.server.exitCode === null) {
      // code-server and its extension host run in the process group started for it.
      try { process.kill(-this.server.pid, 'SIGTERM'); } catch {}
      await until('code-server to exit', () => this.server.exitCode !== null || this.server.signalCode !== null, 10000).catch(() => {
        try { process.kill(-this.server.pid, 'SIGKILL'); } catch {}
      });
    }
    for (const pid of hostPids(this.script)) {
      try { process.kill(pid, 'SIGKILL'); } catch {}
    }
    if (!process.env.BEDROCK_E2E_KEEP) rmSync(this.root, { recursive: true, force: true });
  }
}

// The extension inside real VS Code (code-server 4.100.3) in headless Chromium, against the real
// bedrock-host binary with --emulator. Each test asserts what a user sees (the DOM of the workbench
// and of the chat view), the bytes of the files on disk, or the host process; a failure saves a
// screenshot. Tests share one editor and run in order (the reload test restores what came before).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Editor, buildVsix, hostPids, sleep, until } from './harness.mjs';

const CLASSIFY = [
  'def classify(n):',
  '    if n < 0:',
  '        return "negative"',
  '    return "positive"',
  '',
  'for n in (-1, 1):',
  '    print(n, classify(n))',
  '',
].join('\n');
const ONE_LINE = '    return "negative" if n < 0 else "positive"';

const BIG = Array.from({ length: 130 }, (_, i) => `row ${String(i + 1).padStart(3, '0')}`).join('\n') + '\n';
const BIG_AFTER = BIG.replace('row 005', 'ROW FIVE').replace('row 125', 'ROW ONE-TWO-FIVE');

const SCRIPT = {
  rules: [
    {
      // The fill-in-the-middle prompt of textDocument/inlineCompletion (docs/lsp.md) after `return `.
      when: { lastUserText: '(?s)<prefix>def add\\(a, b\\):\n    return </prefix>' },
      respond: { content: [{ text: 'a + b' }] },
    },
    // Any other completion prompt: nothing, so no ghost text shows in the other scenarios.
    { when: { lastUserText: '<prefix>' }, respond: { content: [{ text: '' }] } },
    {
      when: { operation: 'ConverseStream', lastUserText: '^rewrite the big file', afterToolResult: false },
      respond: { content: [{ toolUse: { name: 'propose_edit', input: { path: 'big.txt', oldText: BIG, newText: BIG_AFTER } } }] },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: '^show me markdown' },
      respond: { content: [{ text: 'Here is **bold** and code:\n\n```python\nprint("hi")\n```\n\n<script>document.title="pwned"</script> <b>raw</b>\n' }] },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: '^give me a constant' },
      respond: { content: [{ text: 'Use this:\n\n```python\nLIMIT = 10\n```\n' }] },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: '^tell me a long story' },
      respond: { content: [{ text: 'Once upon a time there was a very long story that went on and on and on and on and on and on and on.' }], tokenDelayMs: 400 },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: '^Rewrite this python code' },
      respond: { content: [{ text: `Sure:\n\`\`\`python\ndef classify(n):\n${ONE_LINE}\n\`\`\`\n` }] },
    },
    {
      when: { operation: 'ConverseStream', lastUserText: '^rename one to two', afterToolResult: false },
      respond: { content: [{ toolUse: { name: 'propose_edit', input: { path: 'a.txt', oldText: 'one', newText: 'two', description: 'rename' } } }] },
    },
  ],
};

let editor;
let vsix;

before(async () => {
  vsix = buildVsix();
  editor = await Editor.start(vsix, {
    files: { 'calc.py': 'def add(a, b):\n    return', 'const.py': 'x = 1\n', 'big.txt': BIG, 'classify.py': CLASSIFY, 'a.txt': 'one\n', 'notes.txt': 'the notes say forty-two\n' },
    script: SCRIPT,
    // Read when the extension starts: code-server did not pick up a change of settings.json mid-run.
    settings: { 'bedrock.inlineCompletion.enabled': true },
  });
});

after(async () => {
  await editor?.stop();
});

/** The user messages of the chat view as typed (without their context labels and Edit button). */
async function userTexts() {
  const texts = await editor.chat().locator('.msg.user').allTextContents();
  return texts.map((t) => t.replace(/(current file|selection|file): .*$/, '').replace(/Edit$/, '').trim());
}

/** Runs a scenario; on failure saves a screenshot and names it in the error. */
function scenario(name, body) {
  test(name, async () => {
    try {
      await body();
    } catch (err) {
      const shot = editor ? await editor.screenshot(`failed-${name}`) : 'no editor';
      err.message += `\nscreenshot: ${shot}`;
      throw err;
    }
  });
}

scenario('the status bar shows the model before any command, and the chat view opens in the side bar', async () => {
  await editor.page.locator('.statusbar-item', { hasText: 'sonnet' }).first().waitFor({ timeout: 30000 });
  await editor.openChat();
  const box = await editor.chat().locator('#input').boundingBox();
  assert.ok(box && box.height >= 40, `the input is ${box?.height} px high`);
  // The view lives in the side bar: no editor group was opened for it.
  assert.equal(await editor.page.locator('.editor-group-container').count(), 1);
});

scenario('a streamed answer renders as markdown with code block actions, and raw HTML stays text', async () => {
  await editor.send('show me markdown please');
  const answer = editor.chat().locator('.msg.assistant').last();
  await answer.locator('pre code').waitFor({ timeout: 30000 });
  assert.equal(await answer.locator('strong').textContent(), 'bold');
  assert.equal((await answer.locator('pre code').textContent()).trim(), 'print("hi")');
  assert.deepEqual(await answer.locator('.code .actions button').allTextContents(), ['Copy', 'Insert', 'Apply']);
  assert.equal(await answer.locator('script, b').count(), 0);
  assert.match(await answer.textContent(), /<b>raw<\/b>/);
  assert.doesNotMatch(await answer.textContent(), /```/);
  await editor.chat().locator('.msg.note', { hasText: 'end_turn' }).last().waitFor();
});

scenario('Stop ends a streaming answer and says so', async () => {
  await editor.send('tell me a long story');
  const answer = editor.chat().locator('.msg.assistant', { hasText: 'Once' }).last();
  await answer.waitFor({ timeout: 30000 });
  await editor.chat().locator('#stop').click();
  await editor.chat().locator('.msg.note', { hasText: 'Stopped.' }).last().waitFor({ timeout: 15000 });
  assert.doesNotMatch(await answer.textContent(), /went on and on and on and on and on and on and on\./);
  assert.equal(await editor.chat().locator('#send').isDisabled(), false);
});

scenario('#file mentions attach the file (the model receives its text); closing the side bar keeps the transcript', async () => {
  await editor.send('what do these say #file:notes.txt');
  await editor.chat().locator('.msg.assistant', { hasText: 'the notes say forty-two' }).last().waitFor({ timeout: 30000 });
  assert.match(await editor.chat().locator('.msg.user').last().textContent(), /file: notes\.txt/);
  // Closing the side bar and opening the chat again shows the same transcript.
  const before = await userTexts();
  await editor.command('View: Close Primary Side Bar');
  await editor.chat().locator('#input').waitFor({ state: 'hidden', timeout: 10000 }).catch(() => undefined);
  await editor.openChat();
  await until('the transcript again', async () => JSON.stringify(await userTexts()) === JSON.stringify(before), 10000);
});

scenario('Edit Selection of whole lines (Shift+Down from column 1) changes exactly the selected bytes', async () => {
  await editor.openFile('classify.py');
  const page = editor.page;
  await page.keyboard.press('Control+Home');
  for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+ArrowDown');
  await editor.command('Bedrock: Edit Selection');
  await editor.answerInput('make it one line');
  await editor.page.locator('.notification-toast', { hasText: 'review the change to classify.py' }).waitFor({ timeout: 30000 });
  // The change is shown in a diff editor, not a modal dialog.
  await page.locator('.tab', { hasText: 'proposed' }).first().waitFor();
  assert.equal(await page.locator('.monaco-dialog-box').count(), 0);
  await editor.screenshot('edit-selection-review');
  assert.equal(editor.file('classify.py'), CLASSIFY, 'nothing is written before Accept');
  await editor.clickNotificationButton('review the change to classify.py', 'Accept');
  const expected = CLASSIFY.replace('    if n < 0:\n        return "negative"\n    return "positive"\n', `${ONE_LINE}\n`);
  await until('classify.py to be saved', () => editor.file('classify.py') === expected, 15000).catch(() => {
    assert.equal(editor.file('classify.py'), expected);
  });
  // The diff tab closes after the decision.
  await until('the review tab to close', async () => (await page.locator('.tab', { hasText: 'proposed' }).count()) === 0, 10000);
});

scenario('/explain sends the selection with the instruction, labelled in the chat', async () => {
  await editor.openFile('classify.py');
  await editor.page.keyboard.press('Control+Home');
  await editor.page.keyboard.press('Shift+End');
  await editor.openChat();
  await editor.send('/explain');
  const answer = editor.chat().locator('.msg.assistant', { hasText: 'You said: Explain what this code does' }).last();
  await answer.waitFor({ timeout: 30000 });
  assert.match(await answer.textContent(), /def classify\(n\):/);
  assert.match(await editor.chat().locator('.msg.user').last().textContent(), /selection: classify\.py:1-1/);
  await until('the turn to end', async () => !(await editor.chat().locator('#send').isDisabled()), 30000);
});

scenario('a proposed edit is reviewed in the diff editor: Reject leaves the file, Accept writes it', async () => {
  await editor.openChat();
  await editor.send('rename one to two');
  await editor.clickNotificationButton('review the change to a.txt', 'Reject');
  await editor.chat().locator('.msg.note', { hasText: 'end_turn' }).nth(3).waitFor({ timeout: 30000 }).catch(() => undefined);
  await until('the turn to end', async () => !(await editor.chat().locator('#send').isDisabled()), 30000);
  assert.equal(editor.file('a.txt'), 'one\n');
  await until('the review tab to close', async () => (await editor.page.locator('.tab', { hasText: 'proposed' }).count()) === 0, 10000);
  await editor.send('rename one to two again');
  await editor.clickNotificationButton('review the change to a.txt', 'Accept');
  await until('a.txt to be written', () => editor.file('a.txt') === 'two\n', 15000);
  await until('the turn to end', async () => !(await editor.chat().locator('#send').isDisabled()), 30000);
});

scenario('a large proposal scrolls in the diff editor; one hunk reverted there, Accept writes only the other', async () => {
  const page = editor.page;
  await editor.send('rewrite the big file');
  await page.locator('.notification-toast', { hasText: 'review the change to big.txt' }).waitFor({ timeout: 30000 });
  const diff = page.locator('.monaco-diff-editor').first();
  await diff.waitFor();
  // Scroll the proposal to its end: the last changed line comes into view (editors render only visible lines).
  const modified = diff.locator('.editor.modified');
  await modified.locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  await modified.locator('.view-line', { hasText: 'ROW ONE-TWO-FIVE' }).waitFor({ timeout: 10000 });
  await page.keyboard.press('Control+Home');
  await modified.locator('.view-line', { hasText: 'ROW FIVE' }).waitFor({ timeout: 10000 });
  await editor.screenshot('large-review');
  // Revert the first hunk with the diff editor's own arrow between the two sides.
  const revert = diff.locator('.gutter .codicon-arrow-right, .gutterItem .codicon-arrow-right, [class*="arrow-right"]').first();
  await revert.hover();
  await revert.click();
  await modified.locator('.view-line', { hasText: 'row 005' }).waitFor({ timeout: 10000 });
  await editor.clickNotificationButton('review the change to big.txt', 'Accept');
  await until('big.txt to be written', () => editor.file('big.txt') !== BIG, 15000);
  assert.equal(editor.file('big.txt'), BIG.replace('row 125', 'ROW ONE-TWO-FIVE'));
  await until('the turn to end', async () => !(await editor.chat().locator('#send').isDisabled()), 30000);
  assert.match(await editor.chat().locator('.msg.assistant').last().textContent(), /accepted part of the edit/);
});

scenario('Edit on a sent message forks the chat there and resends; Regenerate asks again; History reopens a chat', async () => {
  const chat = editor.chat();
  await chat.locator('#new').click();
  await until('the new chat', async () => (await chat.locator('.msg.user').count()) === 0, 10000);
  // Nothing selected: the messages carry only the current file's name.
  await editor.page.keyboard.press('Escape');
  await editor.send('first question');
  await chat.locator('.msg.assistant', { hasText: 'You said: first question' }).waitFor({ timeout: 30000 });
  await until('the turn to end', async () => !(await chat.locator('#send').isDisabled()), 30000);
  await editor.send('second question');
  await chat.locator('.msg.assistant', { hasText: 'You said: second question' }).waitFor({ timeout: 30000 });
  await until('the turn to end', async () => !(await chat.locator('#send').isDisabled()), 30000);
  await chat.locator('.msg.user', { hasText: 'first question' }).locator('button', { hasText: 'Edit' }).click();
  assert.equal(await chat.locator('#input').inputValue(), 'first question');
  await editor.send('edited question');
  await chat.locator('.msg.assistant', { hasText: 'You said: edited question' }).waitFor({ timeout: 30000 });
  await until('the turn to end', async () => !(await chat.locator('#send').isDisabled()), 30000);
  assert.deepEqual(await userTexts(), ['edited question']);
  await chat.locator('button', { hasText: 'Regenerate' }).click();
  await until('the regenerated answer', async () => !(await chat.locator('#send').isDisabled()) && (await chat.locator('.msg.assistant').count()) === 1, 30000);
  assert.deepEqual(await userTexts(), ['edited question']);
  assert.match(await chat.locator('.msg.assistant').textContent(), /You said: edited question/);
  // Another chat, then History brings this one back.
  await chat.locator('#new').click();
  await until('the new chat', async () => (await chat.locator('.msg.user').count()) === 0, 10000);
  await chat.locator('#history').click();
  const row = editor.page.locator('.quick-input-list .monaco-list-row', { hasText: 'edited question' }).first();
  await row.waitFor({ timeout: 15000 });
  assert.equal(await editor.page.locator('.quick-input-list .monaco-list-row', { hasText: 'first question' }).count(), 0);
  await row.click();
  await chat.locator('.msg.user', { hasText: 'edited question' }).waitFor({ timeout: 15000 });
});

scenario('Insert puts a code block at the cursor of the editor; Apply replaces the file after review', async () => {
  await editor.openFile('const.py');
  await editor.page.keyboard.press('Control+End');
  await editor.send('give me a constant');
  const block = editor.chat().locator('.msg.assistant', { hasText: 'Use this' }).last().locator('.code');
  await block.waitFor({ timeout: 30000 });
  await block.locator('button', { hasText: 'Insert' }).click();
  // code-server saves after a delay (files.autoSave); the editor shows it at once.
  await editor.page.locator('.editor-instance .view-line', { hasText: 'LIMIT = 10' }).first().waitFor({ timeout: 10000 });
  await editor.command('File: Save');
  await until('const.py with the inserted line', () => editor.file('const.py') === 'x = 1\nLIMIT = 10\n', 15000);
  await block.locator('button', { hasText: 'Apply' }).click();
  await editor.clickNotificationButton('review the change to const.py', 'Accept');
  await until('const.py replaced', () => editor.file('const.py') === 'LIMIT = 10\n', 15000);
});

scenario('ghost text from the host appears as you type, and Tab accepts it', async () => {
  await editor.openFile('calc.py');
  await editor.page.keyboard.press('Control+End');
  // Monaco renders the ghost text's spaces as no-break spaces.
  const ghost = editor.page.locator('.editor-instance .monaco-editor .ghost-text-decoration, .editor-instance .monaco-editor .ghost-text');
  const shown = async () => (await ghost.allTextContents()).join('').replace(/\u00a0/g, ' ').includes('a + b');
  // Typed again (at most three times) if a completion request raced the editor's startup.
  for (let attempt = 1; ; attempt++) {
    await sleep(1500);
    await editor.page.keyboard.type(' ');
    const ok = await until('ghost text "a + b"', shown, 10000).catch((err) => (attempt < 3 ? false : Promise.reject(err)));
    if (ok) break;
    await editor.page.keyboard.press('Backspace');
  }
  await editor.screenshot('ghost-text');
  await editor.page.keyboard.press('Tab');
  await sleep(300);
  await editor.page.keyboard.press('Control+S');
  await until('calc.py with the accepted completion', () => editor.file('calc.py') === 'def add(a, b):\n    return a + b', 15000);
  await editor.page.keyboard.press('Escape');
});

scenario('a model without a price: the answer, the status bar and Show Usage say "cost unknown"', async () => {
  await editor.selectModel('acme.unpriced-model-v1:0');
  await editor.chat().locator('.msg.note', { hasText: 'Model changed to acme.unpriced-model-v1:0' }).waitFor({ timeout: 30000 });
  // The status bar names the new model and keeps the session's tokens and cost.
  await editor.page.locator('.statusbar-item', { hasText: /acme\.unpriced-model-v1:0 · \d+ tok · \$\d/ }).first().waitFor({ timeout: 10000 });
  await editor.send('hello unpriced');
  await editor.chat().locator('.msg.assistant', { hasText: 'You said: hello unpriced' }).waitFor({ timeout: 30000 });
  await editor.chat().locator('.msg.note', { hasText: 'cost unknown' }).last().waitFor({ timeout: 10000 });
  await editor.page.locator('.statusbar-item', { hasText: 'cost unknown' }).first().waitFor({ timeout: 10000 });
  await editor.command('Bedrock: Show Usage');
  await editor.page.locator('.notification-toast', { hasText: /calls.*cost unknown/ }).first().waitFor({ timeout: 10000 });
  await editor.selectModel('sonnet');
  await editor.page.locator('.statusbar-item', { hasText: 'sonnet' }).first().waitFor({ timeout: 30000 });
});

scenario('the host killed mid-answer: the chat says it stopped, and the next message restarts it in the same chat', async () => {
  await editor.send('before the crash');
  await editor.chat().locator('.msg.assistant', { hasText: 'You said: before the crash' }).waitFor({ timeout: 30000 });
  await until('the turn to end', async () => !(await editor.chat().locator('#send').isDisabled()), 30000);
  await editor.send('tell me a long story');
  await editor.chat().locator('.msg.assistant', { hasText: 'Once' }).last().waitFor({ timeout: 30000 });
  const before = hostPids(editor.script);
  assert.equal(before.length, 1, `host processes: ${before}`);
  process.kill(before[0], 'SIGKILL');
  const error = editor.chat().locator('.msg.error').last();
  await error.waitFor({ timeout: 15000 });
  assert.match(await error.textContent(), /bedrock-host stopped \(killed by a signal\)/);
  assert.doesNotMatch(await error.textContent(), /disposed/);
  await editor.send('after the crash');
  await editor.chat().locator('.msg.assistant', { hasText: 'You said: after the crash' }).waitFor({ timeout: 30000 });
  const now = hostPids(editor.script);
  assert.equal(now.length, 1);
  assert.notEqual(now[0], before[0]);
});

scenario('after a reload the chat view comes back with its transcript, and no empty editor group is left', async () => {
  const users = await editor.chat().locator('.msg.user').count();
  assert.ok(users >= 1);
  await editor.reload();
  await editor.chat().locator('.msg.user', { hasText: 'after the crash' }).waitFor({ timeout: 60000 });
  await editor.screenshot('after-reload');
  // The whole chat, from before the crash (the stopped turn was never recorded).
  assert.deepEqual(await userTexts(), ['before the crash', 'after the crash']);
  assert.equal(await editor.page.locator('.editor-group-container').count(), 1);
  // The same chat continues.
  await editor.send('still here');
  await editor.chat().locator('.msg.assistant', { hasText: 'You said: still here' }).waitFor({ timeout: 30000 });
  assert.ok((await editor.chat().locator('.msg.user', { hasText: 'after the crash' }).count()) === 1);
});

// The chat view's page: renders the transcript (markdown through markdown-it with raw HTML off, so
// nothing the model writes becomes markup), and posts the user's actions to the extension.
// @ts-check
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  // eslint-disable-next-line no-undef
  const md = window.markdownit({ html: false, linkify: false, breaks: false });
  const log = /** @type {HTMLElement} */ (document.getElementById('log'));
  const title = /** @type {HTMLElement} */ (document.getElementById('title'));
  const input = /** @type {HTMLTextAreaElement} */ (document.getElementById('input'));
  const form = /** @type {HTMLFormElement} */ (document.getElementById('form'));
  const send = /** @type {HTMLButtonElement} */ (document.getElementById('send'));
  const stop = /** @type {HTMLButtonElement} */ (document.getElementById('stop'));
  let busy = false;
  /** @type {{el: HTMLElement, text: string, timer: any} | null} */
  let answer = null;
  /** Index (among user messages) of the message being edited, or null, and its text. */
  let editOf = null;
  let editOriginal = '';
  let editing = null;

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }
  /** Follow the stream only when the user has not scrolled up to read. */
  function follow(wasNearBottom) {
    if (wasNearBottom) log.scrollTop = log.scrollHeight;
  }

  function button(label, onClick, titleText) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    if (titleText) b.title = titleText;
    b.addEventListener('click', onClick);
    return b;
  }

  /** Markdown to DOM, each fenced block with Copy / Insert / Apply. */
  function renderMarkdown(el, text) {
    const tokens = md.parse(text, {});
    el.innerHTML = md.renderer.render(tokens, md.options, {});
    const codes = tokens.filter((t) => t.type === 'fence' || t.type === 'code_block').map((t) => t.content);
    el.querySelectorAll('pre').forEach((pre, i) => {
      const code = codes[i] ?? pre.textContent ?? '';
      const box = document.createElement('div');
      box.className = 'code';
      const actions = document.createElement('div');
      actions.className = 'actions';
      actions.append(
        button('Copy', () => vscode.postMessage({ type: 'copy', code }), 'Copy to the clipboard'),
        button('Insert', () => vscode.postMessage({ type: 'insert', code }), 'Insert at the cursor of the editor'),
        button('Apply', () => vscode.postMessage({ type: 'apply', code }), 'Replace the selection (or the file) with this, after review'),
      );
      pre.replaceWith(box);
      box.append(actions, pre);
    });
    el.querySelectorAll('a').forEach((a) => a.setAttribute('title', a.getAttribute('href') || ''));
  }

  function add(cls, text) {
    const div = document.createElement('div');
    div.className = 'msg ' + cls;
    div.textContent = text;
    const wasNear = nearBottom();
    log.appendChild(div);
    follow(wasNear);
    return div;
  }

  function addUser(text, context) {
    const div = add('user', text);
    const index = log.querySelectorAll('.msg.user').length - 1;
    div.dataset.index = String(index);
    if (context && context.length) {
      const c = document.createElement('div');
      c.className = 'context';
      c.textContent = context.join(' · ');
      div.appendChild(c);
    }
    const actions = document.createElement('div');
    actions.className = 'actions';
    actions.append(
      button('Edit', () => {
        if (busy) return;
        editOf = index;
        editOriginal = text;
        input.value = text;
        showEditing();
        input.focus();
      }, 'Edit this message and send it again (later messages are dropped)'),
    );
    div.appendChild(actions);
    answer = null;
  }

  function showEditing() {
    if (!editing) {
      editing = document.createElement('div');
      editing.id = 'editing';
      form.insertBefore(editing, input);
    }
    editing.textContent = editOf === null ? '' : `Editing message ${editOf + 1}: Send replaces it and what followed (Esc cancels).`;
    editing.style.display = editOf === null ? 'none' : 'block';
  }

  function addAssistant(text) {
    const el = add('assistant', '');
    renderMarkdown(el, text);
    return el;
  }

  function refreshRegenerate() {
    log.querySelectorAll('.regenerate').forEach((b) => b.remove());
    if (busy) return;
    const all = log.querySelectorAll('.msg.assistant');
    const last = all[all.length - 1];
    if (!last) return;
    const actions = document.createElement('div');
    actions.className = 'actions regenerate';
    actions.append(button('Regenerate', () => vscode.postMessage({ type: 'regenerate' }), 'Ask again for a new answer'));
    last.appendChild(actions);
  }

  function delta(text) {
    if (!answer) answer = { el: add('assistant', ''), text: '', timer: null };
    answer.text += text;
    const current = answer;
    // Re-render at most every 50 ms while streaming.
    if (!current.timer) {
      current.timer = setTimeout(() => {
        current.timer = null;
        const wasNear = nearBottom();
        renderMarkdown(current.el, current.text);
        follow(wasNear);
      }, 50);
    }
  }

  function endAnswer() {
    if (answer) {
      if (answer.timer) clearTimeout(answer.timer);
      const wasNear = nearBottom();
      renderMarkdown(answer.el, answer.text);
      follow(wasNear);
    }
    answer = null;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    vscode.postMessage(editOf === null ? { type: 'send', text } : { type: 'send', text, editOf, original: editOriginal });
    input.value = '';
    editOf = null;
    showEditing();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    } else if (e.key === 'Escape' && editOf !== null) {
      editOf = null;
      input.value = '';
      showEditing();
    }
  });
  stop.addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
  document.getElementById('new')?.addEventListener('click', () => vscode.postMessage({ type: 'new' }));
  document.getElementById('history')?.addEventListener('click', () => vscode.postMessage({ type: 'history' }));

  window.addEventListener('message', (event) => {
    const m = event.data;
    switch (m.type) {
      case 'user': endAnswer(); addUser(m.text, m.context); break;
      case 'delta': delta(m.text); break;
      case 'tool': endAnswer(); add('note', 'tool: ' + m.name + (m.detail ? ' ' + m.detail : '')); break;
      case 'notice': endAnswer(); add('note', m.text); break;
      case 'done': endAnswer(); add('note', m.summary); break;
      case 'error': endAnswer(); add('error', m.text); break;
      case 'title': title.textContent = m.text; break;
      case 'busy':
        busy = m.busy;
        send.disabled = m.busy;
        stop.disabled = !m.busy;
        if (!m.busy) endAnswer();
        refreshRegenerate();
        break;
      case 'transcript':
        log.textContent = '';
        answer = null;
        for (const entry of m.entries) {
          if (entry.kind === 'user') addUser(entry.text, entry.context);
          else if (entry.kind === 'assistant') addAssistant(entry.text);
          else add(entry.kind === 'error' ? 'error' : 'note', entry.text);
        }
        log.scrollTop = log.scrollHeight;
        refreshRegenerate();
        break;
    }
  });
  vscode.postMessage({ type: 'ready' });
})();

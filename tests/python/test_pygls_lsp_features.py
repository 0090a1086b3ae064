"""pygls' stock `LanguageClient` using the host's LSP face (docs/lsp.md) through its own typed methods.

No adapter: lsprotocol's `DidOpenTextDocumentParams`, `InlineCompletionParams`, `CompletionParams`,
`CodeActionParams` and `ExecuteCommandParams` go out through pygls' generated
`text_document_*`/`workspace_*` methods; the host's `workspace/applyEdit` request and
`window/showMessage` notification reach handlers registered with `@client.feature(...)`. The host
runs `--emulator` with a script that answers the fill-in-the-middle and code-action prompts.

Run: `cargo build && pip install -r tests/python/requirements.txt && pytest tests/python`.
The binary is $BEDROCK_HOST_BIN (default target/debug/bedrock-host).
"""

import asyncio
import json
import os

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BEDROCK_HOST_BIN", os.path.join(REPO, "target", "debug", "bedrock-host"))
HANG_GUARD_S = 60

URI = "file:///work/add.py"
TEXT = "def add(a, b):\n    return a\n\nprint(add(1, 2))\n"

SCRIPT = {
    "rules": [
        {
            "when": {"lastUserText": "(?s)<prefix>.*return a</prefix>"},
            "respond": {"content": [{"text": "```python\n    return a + b\n```"}]},
        },
        {
            "when": {"lastUserText": "^Fix the bugs"},
            "respond": {"content": [{"text": "def add(a, b):\n    return a + b"}]},
        },
        {"when": {"lastUserText": "^Explain what"}, "respond": {"content": [{"text": "It adds a and b."}]}},
    ]
}


async def session(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    client = LanguageClient("pygls-lsp-test", "1.0")
    edits = []
    messages = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply_edit(ls, params: types.ApplyWorkspaceEditParams):
        edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def on_show_message(ls, params: types.ShowMessageParams):
        messages.append(params)

    await client.start_io(
        BINARY, "--emulator", "--emulator-script", str(script), "--log-file", str(tmp_path / "host.log")
    )
    try:
        init = await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                process_id=os.getpid(),
                initialization_options={"inlineCompletion": {"maxTokens": 64}},
            )
        )
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=URI, language_id="python", version=1, text=TEXT)
            )
        )
        # Incremental: `return a` was typed as `return` and then ` a`.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(line=1, character=12), end=types.Position(line=1, character=12)),
                        text="",
                    )
                ],
            )
        )
        cursor = types.Position(line=1, character=12)
        inline = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                position=cursor,
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
            )
        )
        completion = await client.text_document_completion_async(
            types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=URI), position=cursor)
        )
        whole = types.Range(start=types.Position(line=0, character=0), end=cursor)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                range=whole,
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        by_title = {action.title: action for action in actions}
        fixed = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=by_title["Fix with Bedrock"].command,
                arguments=by_title["Fix with Bedrock"].arguments,
            )
        )
        explained = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=by_title["Explain with Bedrock"].command,
                arguments=by_title["Explain with Bedrock"].arguments,
            )
        )
        usage = await client.protocol.send_request_async("usage/get", None)
        await client.shutdown_async(None)
        client.exit(None)
        await asyncio.wait_for(client._server.wait(), HANG_GUARD_S)
    finally:
        if client._server.returncode is None:
            client._server.kill()
        await client.stop()
    return {
        "init": init,
        "inline": inline,
        "completion": completion,
        "actions": actions,
        "fixed": fixed,
        "explained": explained,
        "edits": edits,
        "messages": messages,
        "usage_calls": usage.total.calls,
    }


def test_pygls_language_client_gets_inline_completion_and_code_actions(tmp_path):
    got = asyncio.run(asyncio.wait_for(session(tmp_path), HANG_GUARD_S))

    capabilities = got["init"].capabilities
    assert capabilities.inline_completion_provider is not None
    assert capabilities.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert list(capabilities.execute_command_provider.commands) == ["bedrock.explain", "bedrock.fix", "bedrock.document"]

    # The fenced answer repeating the line is trimmed to what belongs at the cursor.
    inline = got["inline"]
    items = inline.items if isinstance(inline, types.InlineCompletionList) else inline
    assert [item.insert_text for item in items] == [" + b"]
    assert items[0].range == types.Range(start=types.Position(1, 12), end=types.Position(1, 12))

    completion = got["completion"]
    assert isinstance(completion, types.CompletionList) and completion.is_incomplete
    assert [item.label for item in completion.items] == ["a + b"]
    assert completion.items[0].text_edit.new_text == "a + b"
    assert completion.items[0].text_edit.range == types.Range(start=types.Position(1, 11), end=types.Position(1, 12))

    # This client announces no code action literals, so the actions come as LSP `Command`s.
    assert [action.title for action in got["actions"]] == ["Explain with Bedrock", "Fix with Bedrock", "Add documentation"]
    assert all(isinstance(action, types.Command) for action in got["actions"])
    assert [action.command for action in got["actions"]] == ["bedrock.explain", "bedrock.fix", "bedrock.document"]

    # The fix reached this client as a workspace/applyEdit request with the exact edit.
    assert len(got["edits"]) == 1
    edit = got["edits"][0]
    assert edit.label == "Fix with Bedrock"
    (text_edit,) = edit.edit.changes[URI]
    assert text_edit.new_text == "def add(a, b):\n    return a + b"
    assert text_edit.range == types.Range(start=types.Position(0, 0), end=types.Position(1, 12))
    assert got["fixed"] == {"command": "bedrock.fix", "text": "def add(a, b):\n    return a + b", "applied": True}

    assert got["explained"] == {"command": "bedrock.explain", "text": "It adds a and b."}
    assert [(m.type, m.message) for m in got["messages"]] == [(types.MessageType.Info, "It adds a and b.")]
    assert got["usage_calls"] == 4, "two completions and two commands count in usage/get"

"""`bedrock-host acp --emulator` driven by the official ACP Python SDK (`agent-client-protocol`) as
the editor: streaming, the built-in tools through fs/* and terminal/* with permission granted and
denied, cancel, load after a restart, ACP's error codes, paths that escape the project refused.

The test client is the SDK's own `ClientSideConnection` with a `Client` that answers as an editor
does: an unsaved buffer for fs/read_text_file, writes recorded, real commands for terminal/*.
"""

import asyncio
import json
import os

import pytest
from acp import PROTOCOL_VERSION, RequestError, spawn_agent_process, text_block
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    CreateTerminalResponse,
    DeniedOutcome,
    FileSystemCapabilities,
    ReadTextFileResponse,
    ReleaseTerminalResponse,
    RequestPermissionResponse,
    TerminalOutputResponse,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)

from conftest import BINARY

HANG_GUARD_S = 60

SCRIPT = {
    "rules": [
        {"when": {"afterToolResult": True}, "respond": {"content": [{"text": "Tool round trip done."}]}},
        {"when": {"lastUserText": "stream please"},
         "respond": {"content": [{"text": "Hello from the emulator, streamed in several pieces."}]}},
        {"when": {"lastUserText": "think please"},
         "respond": {"content": [{"reasoningContent": {"reasoningText": {"text": "Considering the question."}}},
                                 {"text": "Thought about it."}]}},
        {"when": {"lastUserText": "read the file"},
         "respond": {"content": [{"toolUse": {"name": "read_file", "input": {"path": "notes.txt"}}}]}},
        {"when": {"lastUserText": "write the file"},
         "respond": {"content": [{"toolUse": {"name": "write_file", "input": {"path": "out.txt", "content": "new text\n"}}}]}},
        {"when": {"lastUserText": "run it"},
         "respond": {"content": [{"toolUse": {"name": "run_command", "input": {"command": "echo from-the-terminal"}}}]}},
        {"when": {"lastUserText": "escape"},
         "respond": {"content": [{"toolUse": {"name": "read_file", "input": {"path": "../outside.txt"}}}]}},
        {"when": {"lastUserText": "slow please"},
         "respond": {"content": [{"text": " ".join(f"word{i}" for i in range(200))}], "tokenDelayMs": 50}},
        {"when": {"lastUserText": "long answer"}, "respond": {"content": [{"text": "cut"}], "stopReason": "max_tokens"}},
    ]
}


class EditorClient:
    """An editor: answers fs/*, terminal/* and permission requests, records session updates."""

    def __init__(self, project, allow=True, buffers=None):
        self.project = project
        self.allow = allow
        self.buffers = buffers or {}
        self.updates = []
        self.reads = []
        self.writes = []
        self.permissions = []
        self.terminals = {}
        self.released = []
        self.first_chunk = asyncio.Event()

    async def session_update(self, session_id, update, **kwargs):
        self.updates.append(update)
        if update.session_update == "agent_message_chunk":
            self.first_chunk.set()

    async def request_permission(self, session_id, tool_call, options, **kwargs):
        self.permissions.append((tool_call, options))
        kinds = {option.kind: option.option_id for option in options}
        if self.allow:
            return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=kinds["allow_once"]))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=kinds["reject_once"]))

    async def read_text_file(self, session_id, path, line=None, limit=None, **kwargs):
        self.reads.append(path)
        if path in self.buffers:
            return ReadTextFileResponse(content=self.buffers[path])
        with open(path) as file:
            return ReadTextFileResponse(content=file.read())

    async def write_text_file(self, session_id, path, content, **kwargs):
        self.writes.append((path, content))
        with open(path, "w") as file:
            file.write(content)
        return WriteTextFileResponse()

    async def create_terminal(self, session_id, command, args=None, env=None, cwd=None, output_byte_limit=None, **kwargs):
        process = await asyncio.create_subprocess_exec(
            command, *(args or []), cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        terminal_id = f"term-{len(self.terminals) + 1}"
        self.terminals[terminal_id] = {"process": process, "command": [command, *(args or [])], "cwd": cwd, "output": None}
        return CreateTerminalResponse(terminal_id=terminal_id)

    async def _finish(self, terminal_id):
        terminal = self.terminals[terminal_id]
        if terminal["output"] is None:
            output, _ = await terminal["process"].communicate()
            terminal["output"] = output.decode()
        return terminal

    async def wait_for_terminal_exit(self, session_id, terminal_id, **kwargs):
        terminal = await self._finish(terminal_id)
        return WaitForTerminalExitResponse(exit_code=terminal["process"].returncode)

    async def terminal_output(self, session_id, terminal_id, **kwargs):
        terminal = await self._finish(terminal_id)
        return TerminalOutputResponse(output=terminal["output"], truncated=False)

    async def release_terminal(self, session_id, terminal_id, **kwargs):
        self.released.append(terminal_id)
        return ReleaseTerminalResponse()

    async def kill_terminal(self, session_id, terminal_id, **kwargs):
        return None

    async def ext_method(self, method, params):
        return {}

    async def ext_notification(self, method, params):
        return None

    def on_connect(self, conn):
        pass

    def of_kind(self, kind):
        return [update for update in self.updates if update.session_update == kind]

    def text_of(self, kind):
        return "".join(update.content.text for update in self.of_kind(kind))


def capabilities(terminal=True, fs=True):
    return ClientCapabilities(
        fs=FileSystemCapabilities(read_text_file=fs, write_text_file=fs), terminal=terminal)


async def with_agent(client, tmp_path, body, *extra):
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    args = ["acp", "--emulator", "--emulator-script", str(script), "--log-file", str(tmp_path / "acp.log"), *extra]
    async with spawn_agent_process(lambda agent: client, BINARY, *args) as (conn, process):
        result = await body(conn)
    assert await asyncio.wait_for(process.wait(), HANG_GUARD_S) == 0
    return result


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, HANG_GUARD_S))


@pytest.fixture
def project(tmp_path):
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "notes.txt").write_text("on disk\n")
    return directory


def test_initialize_answers_the_agents_capabilities(tmp_path, project):
    client = EditorClient(project)

    async def body(conn):
        return await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())

    answer = run(with_agent(client, tmp_path, body))
    assert answer.protocol_version == 1
    assert answer.agent_capabilities.load_session is True
    assert answer.agent_capabilities.prompt_capabilities.image is True
    assert answer.agent_capabilities.prompt_capabilities.embedded_context is True
    assert answer.agent_info.name == "bedrock-host"
    assert [method.id for method in answer.auth_methods] == ["aws-credentials"]


def test_a_prompt_streams_chunks_and_ends_the_turn(tmp_path, project):
    client = EditorClient(project)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        await conn.authenticate(method_id="aws-credentials")
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        models = session.config_options[0]
        assert models.id == "model" and models.category == "model" and models.current_value == "haiku"
        first = await conn.prompt(session_id=session.session_id, prompt=[text_block("stream please")])
        thought = await conn.prompt(session_id=session.session_id, prompt=[text_block("think please")])
        return first, thought

    first, thought = run(with_agent(client, tmp_path, body))
    assert first.stop_reason == "end_turn"
    assert first.usage.output_tokens > 0
    chunks = client.of_kind("agent_message_chunk")
    assert len(chunks) >= 3, chunks
    assert client.text_of("agent_message_chunk").startswith("Hello from the emulator, streamed in several pieces.")
    assert thought.stop_reason == "end_turn"
    assert client.text_of("agent_thought_chunk") == "Considering the question."
    usage = client.of_kind("usage_update")
    assert usage and usage[-1].size == 200000 and usage[-1].cost.currency == "USD"


def test_read_file_goes_through_fs_read_text_file_and_sees_the_unsaved_buffer(tmp_path, project):
    client = EditorClient(project, buffers={str(project / "notes.txt"): "unsaved buffer text\n"})

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        return await conn.prompt(session_id=session.session_id, prompt=[text_block("read the file")])

    answer = run(with_agent(client, tmp_path, body))
    assert answer.stop_reason == "end_turn"
    assert client.reads == [str(project / "notes.txt")]
    starts = client.of_kind("tool_call")
    assert len(starts) == 1 and starts[0].kind == "read"
    updates = client.of_kind("tool_call_update")
    assert updates[-1].status == "completed"
    assert updates[-1].content[0].content.text == "unsaved buffer text\n"
    assert any(update.raw_input == {"path": "notes.txt"} for update in updates)
    assert any(update.locations and update.locations[0].path == str(project / "notes.txt") for update in updates)
    assert client.text_of("agent_message_chunk").startswith("Tool round trip done.")


def test_write_file_asks_permission_with_the_diff_then_writes(tmp_path, project):
    (project / "out.txt").write_text("old text\n")
    client = EditorClient(project, allow=True)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        return await conn.prompt(session_id=session.session_id, prompt=[text_block("write the file")])

    answer = run(with_agent(client, tmp_path, body))
    assert answer.stop_reason == "end_turn"
    (tool_call, options), = client.permissions
    diff = tool_call.content[0]
    assert diff.type == "diff" and diff.old_text == "old text\n" and diff.new_text == "new text\n"
    assert diff.path == str(project / "out.txt")
    assert {option.kind for option in options} == {"allow_once", "reject_once"}
    assert client.writes == [(str(project / "out.txt"), "new text\n")]
    assert (project / "out.txt").read_text() == "new text\n"
    assert client.of_kind("tool_call_update")[-1].status == "completed"


def test_a_declined_write_fails_the_tool_call_and_tells_the_model(tmp_path, project):
    (project / "out.txt").write_text("old text\n")
    client = EditorClient(project, allow=False)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        return await conn.prompt(session_id=session.session_id, prompt=[text_block("write the file")])

    answer = run(with_agent(client, tmp_path, body))
    assert answer.stop_reason == "end_turn"
    assert len(client.permissions) == 1
    assert client.writes == []
    assert (project / "out.txt").read_text() == "old text\n"
    last = client.of_kind("tool_call_update")[-1]
    assert last.status == "failed"
    assert "declined" in last.content[0].content.text


def test_run_command_runs_in_the_editors_terminal_after_permission(tmp_path, project):
    client = EditorClient(project, allow=True)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities(terminal=True))
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        return await conn.prompt(session_id=session.session_id, prompt=[text_block("run it")])

    answer = run(with_agent(client, tmp_path, body))
    assert answer.stop_reason == "end_turn"
    assert len(client.permissions) == 1
    (terminal_id, terminal), = client.terminals.items()
    assert terminal["command"] == ["sh", "-c", "echo from-the-terminal"]
    assert terminal["cwd"] == str(project)
    assert terminal["output"] == "from-the-terminal\n"
    # Released (asynchronously, right after the output was read).
    last = client.of_kind("tool_call_update")[-1]
    assert last.status == "completed"
    assert any(content.type == "terminal" and content.terminal_id == terminal_id for content in last.content)
    assert "exit code 0" in last.content[-1].content.text


def test_run_command_is_not_offered_without_terminals_and_denied_commands_do_not_run(tmp_path, project):
    client = EditorClient(project, allow=False)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities(terminal=True))
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        return await conn.prompt(session_id=session.session_id, prompt=[text_block("run it")])

    assert run(with_agent(client, tmp_path, body)).stop_reason == "end_turn"
    assert client.terminals == {}
    assert client.of_kind("tool_call_update")[-1].status == "failed"

    no_terminal = EditorClient(project)

    async def body_without(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities(terminal=False))
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        return await conn.prompt(session_id=session.session_id, prompt=[text_block("run it")])

    assert run(with_agent(no_terminal, tmp_path, body_without)).stop_reason == "end_turn"
    assert no_terminal.permissions == [] and no_terminal.terminals == {}
    last = no_terminal.of_kind("tool_call_update")[-1]
    assert last.status == "failed"
    assert "run_command" in last.content[0].content.text


def test_paths_escaping_the_project_are_refused(tmp_path, project):
    (tmp_path / "outside.txt").write_text("secret\n")
    client = EditorClient(project)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        return await conn.prompt(session_id=session.session_id, prompt=[text_block("escape")])

    assert run(with_agent(client, tmp_path, body)).stop_reason == "end_turn"
    assert client.reads == []
    last = client.of_kind("tool_call_update")[-1]
    assert last.status == "failed"
    assert "`..`" in last.content[0].content.text
    assert "secret" not in json.dumps([update.model_dump(mode="json") for update in client.updates])


def test_cancel_resolves_the_prompt_cancelled_and_keeps_no_partial_turn(tmp_path, project):
    storage = tmp_path / "storage"
    client = EditorClient(project)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        prompt = asyncio.create_task(conn.prompt(session_id=session.session_id, prompt=[text_block("slow please")]))
        await asyncio.wait_for(client.first_chunk.wait(), HANG_GUARD_S)
        await conn.cancel(session_id=session.session_id)
        answer = await prompt
        after = await conn.prompt(session_id=session.session_id, prompt=[text_block("stream please")])
        return session.session_id, answer, after

    session_id, answer, after = run(with_agent(client, tmp_path, body, "--storage-dir", str(storage)))
    assert answer.stop_reason == "cancelled"
    assert after.stop_reason == "end_turn"

    replayed = EditorClient(project)

    async def load(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        return await conn.load_session(cwd=str(project), session_id=session_id, mcp_servers=[])

    run(with_agent(replayed, tmp_path, load, "--storage-dir", str(storage)))
    assert replayed.text_of("user_message_chunk") == "stream please"
    assert "word0" not in replayed.text_of("agent_message_chunk")


def test_load_after_a_restart_replays_the_history(tmp_path, project):
    storage = tmp_path / "storage"
    first = EditorClient(project)

    async def create(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("stream please")])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("read the file")])
        return session.session_id

    session_id = run(with_agent(first, tmp_path, create, "--storage-dir", str(storage)))
    second = EditorClient(project)

    async def load(conn):
        answer = await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        assert answer.agent_capabilities.load_session
        listed = await conn.list_sessions()
        loaded = await conn.load_session(cwd=str(project), session_id=session_id, mcp_servers=[])
        after = await conn.prompt(session_id=session_id, prompt=[text_block("think please")])
        return listed, loaded, after

    listed, loaded, after = run(with_agent(second, tmp_path, load, "--storage-dir", str(storage)))
    assert [session.session_id for session in listed.sessions] == [session_id]
    assert loaded.config_options[0].current_value == "haiku"
    assert second.text_of("user_message_chunk").startswith("stream please")
    assert "read the file" in second.text_of("user_message_chunk")
    assert "Hello from the emulator" in second.text_of("agent_message_chunk")
    calls = second.of_kind("tool_call")
    assert len(calls) == 1 and calls[0].raw_input == {"path": "notes.txt"} and calls[0].kind == "read"
    assert any(update.status == "completed" for update in second.of_kind("tool_call_update"))
    assert after.stop_reason == "end_turn"


def test_stop_reasons_and_the_model_choice(tmp_path, project):
    client = EditorClient(project)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        changed = await conn.set_config_option(config_id="model", session_id=session.session_id, value="sonnet")
        answer = await conn.prompt(session_id=session.session_id, prompt=[text_block("long answer")])
        return changed, answer

    changed, answer = run(with_agent(client, tmp_path, body))
    assert changed.config_options[0].current_value == "sonnet"
    assert answer.stop_reason == "max_tokens"


def test_bad_params_get_acps_error_codes(tmp_path, project):
    client = EditorClient(project)

    async def body(conn):
        codes = {}
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        for name, call in [
            ("unknown session", conn.prompt(session_id="conv_00000000000000000000000000000000", prompt=[text_block("x")])),
            ("load unknown", conn.load_session(cwd=str(project), session_id="conv_00000000000000000000000000000000", mcp_servers=[])),
            ("relative cwd", conn.new_session(cwd="relative/dir", mcp_servers=[])),
            ("bad auth method", conn.authenticate(method_id="password")),
        ]:
            with pytest.raises(RequestError) as caught:
                await call
            codes[name] = (caught.value.code, caught.value.data)
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        with pytest.raises(RequestError) as caught:
            await conn.set_config_option(config_id="model", session_id=session.session_id, value="no-such-model")
        codes["bad model"] = (caught.value.code, caught.value.data)
        return codes

    codes = run(with_agent(client, tmp_path, body))
    assert codes["unknown session"][0] == -32002
    assert codes["load unknown"][0] == -32002
    assert codes["relative cwd"][0] == -32602 and codes["relative cwd"][1]["errors"][0]["path"] == "cwd"
    assert codes["bad auth method"][0] == -32602 and codes["bad auth method"][1]["errors"][0]["path"] == "methodId"
    assert codes["bad model"][0] == -32602 and codes["bad model"][1]["errors"][0]["path"] == "value"


class UnansweredPermissionClient(EditorClient):
    """An editor whose user never answers the request for permission."""

    def __init__(self, project):
        super().__init__(project)
        self.asked = asyncio.Event()

    async def request_permission(self, session_id, tool_call, options, **kwargs):
        self.permissions.append((tool_call, options))
        self.asked.set()
        await asyncio.sleep(HANG_GUARD_S * 2)
        return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))


def test_cancel_while_permission_is_pending_fails_the_tool_call_and_writes_nothing(tmp_path, project):
    (project / "out.txt").write_text("old text\n")
    client = UnansweredPermissionClient(project)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        session = await conn.new_session(cwd=str(project), mcp_servers=[])
        prompt = asyncio.create_task(conn.prompt(session_id=session.session_id, prompt=[text_block("write the file")]))
        await asyncio.wait_for(client.asked.wait(), HANG_GUARD_S)
        await conn.cancel(session_id=session.session_id)
        answer = await asyncio.wait_for(prompt, HANG_GUARD_S)
        after = await conn.prompt(session_id=session.session_id, prompt=[text_block("stream please")])
        return answer, after

    answer, after = run(with_agent(client, tmp_path, body))
    assert answer.stop_reason == "cancelled"
    assert after.stop_reason == "end_turn"
    assert client.writes == []
    assert (project / "out.txt").read_text() == "old text\n"
    updates = [update for update in client.of_kind("tool_call_update") if update.status in ("completed", "failed")]
    assert [update.status for update in updates] == ["failed"]


KITCHEN_SINK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mcp_servers", "kitchen_sink.py")
MCP_SCRIPT_RULES = [
    {"when": {"lastUserText": "use the stdio server"},
     "respond": {"content": [{"toolUse": {"name": "kit__echo", "input": {"text": "over stdio"}}}]}},
    {"when": {"lastUserText": "use the http server"},
     "respond": {"content": [{"toolUse": {"name": "web__echo", "input": {"text": "over http"}}}]}},
]


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mcp_servers_from_session_new_run_their_tools_over_stdio_and_http(tmp_path, project):
    import subprocess
    import sys
    import time
    from acp.schema import EnvVariable, HttpMcpServer, McpServerStdio

    SCRIPT["rules"][1:1] = MCP_SCRIPT_RULES
    record = tmp_path / "mcp-record.jsonl"
    port = free_port()
    http_server = subprocess.Popen([sys.executable, KITCHEN_SINK, "http", str(port)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env={**os.environ, "MCP_RECORD": str(record)})
    try:
        import socket
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        client = EditorClient(project)

        async def body(conn):
            init = await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
            session = await conn.new_session(cwd=str(project), mcp_servers=[
                McpServerStdio(name="kit", command=sys.executable, args=[KITCHEN_SINK, "stdio"],
                               env=[EnvVariable(name="MCP_RECORD", value=str(record))]),
                HttpMcpServer(type="http", name="web", url=f"http://127.0.0.1:{port}/mcp", headers=[]),
            ])
            over_stdio = await conn.prompt(session_id=session.session_id, prompt=[text_block("use the stdio server")])
            over_http = await conn.prompt(session_id=session.session_id, prompt=[text_block("use the http server")])
            return init, over_stdio, over_http

        init, over_stdio, over_http = run(with_agent(client, tmp_path, body))
    finally:
        SCRIPT["rules"][1:1 + len(MCP_SCRIPT_RULES)] = []
        http_server.terminate()
        http_server.wait(timeout=30)
    assert init.agent_capabilities.mcp_capabilities.http is True
    assert over_stdio.stop_reason == "end_turn" and over_http.stop_reason == "end_turn"
    finals = [update for update in client.of_kind("tool_call_update") if update.status in ("completed", "failed")]
    assert [update.status for update in finals] == ["completed", "completed"]
    assert "echo: over stdio" in finals[0].content[0].content.text
    assert "echo: over http" in finals[1].content[0].content.text
    calls = [json.loads(line) for line in record.read_text().splitlines() if json.loads(line)["event"] == "call"]
    assert [call["text"] for call in calls] == ["over stdio", "over http"]


def test_a_sessions_mcp_tools_are_not_offered_in_another_session(tmp_path, project):
    import sys
    from acp.schema import EnvVariable, McpServerStdio

    SCRIPT["rules"][1:1] = MCP_SCRIPT_RULES
    record = tmp_path / "mcp-record.jsonl"
    try:
        client = EditorClient(project)

        async def body(conn):
            await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
            await conn.new_session(cwd=str(project), mcp_servers=[
                McpServerStdio(name="kit", command=sys.executable, args=[KITCHEN_SINK, "stdio"],
                               env=[EnvVariable(name="MCP_RECORD", value=str(record))]),
            ])
            other = await conn.new_session(cwd=str(project), mcp_servers=[])
            return await conn.prompt(session_id=other.session_id, prompt=[text_block("use the stdio server")])

        answer = run(with_agent(client, tmp_path, body))
    finally:
        SCRIPT["rules"][1:1 + len(MCP_SCRIPT_RULES)] = []
    assert answer.stop_reason == "end_turn"
    finals = [update for update in client.of_kind("tool_call_update") if update.status in ("completed", "failed")]
    assert [update.status for update in finals] == ["failed"], finals
    text = finals[0].content[0].content.text
    assert "no tool named `kit__echo`" in text and "read_file" in text, text
    calls = [] if not record.exists() else [
        json.loads(line) for line in record.read_text().splitlines() if json.loads(line)["event"] == "call"]
    assert calls == [], "the other session's server never ran the tool"


def test_a_bad_mcp_server_entry_refuses_the_session_naming_it(tmp_path, project):
    from acp.schema import HttpMcpServer

    client = EditorClient(project)

    async def body(conn):
        await conn.initialize(protocol_version=PROTOCOL_VERSION, client_capabilities=capabilities())
        with pytest.raises(RequestError) as caught:
            await conn.new_session(cwd=str(project), mcp_servers=[
                HttpMcpServer(type="http", name="web", url="ftp://nowhere", headers=[])])
        return caught.value

    error = run(with_agent(client, tmp_path, body))
    assert error.code == -32602
    assert any("web" in entry["path"] for entry in error.data["errors"]), error.data

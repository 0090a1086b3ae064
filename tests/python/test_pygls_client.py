"""pygls' stock `LanguageClient` (with lsprotocol's types) driving `bedrock-host --emulator`.

No adapter in between: pygls starts the binary (`start_io`), sends lsprotocol's `InitializeParams`
(which always writes `"rootPath": null`), the host's own methods go through
`protocol.send_request_async`, `converse/event` notifications and the host's `tool/call` request
reach handlers registered with `@client.feature(...)`, and the session ends with `shutdown`/`exit`.

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

# The first answer to a fresh question asks for the tool; after its result the emulator's default
# answer quotes the result back ("Tool result received: …").
SCRIPT = {
    "rules": [
        {
            "when": {"afterToolResult": False},
            "respond": {
                "content": [
                    {"text": "Let me look."},
                    {"toolUse": {"toolUseId": "tu_paris", "name": "get_weather", "input": {"city": "Paris"}}},
                ]
            },
        }
    ]
}

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}

# Any single wait longer than this fails the test instead of hanging it.
HANG_GUARD_S = 60


def as_dict(value):
    """pygls hands custom-method payloads over as namedtuple-like `Object`s; plain JSON for asserts."""
    if hasattr(value, "_asdict"):
        return {key: as_dict(item) for key, item in value._asdict().items()}
    if isinstance(value, list):
        return [as_dict(item) for item in value]
    return value


async def session(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))
    client = LanguageClient("pygls-test", "1.0")
    events = []
    tool_calls = []

    @client.feature("converse/event")
    def on_converse_event(ls, params):  # pygls passes itself to a first argument named `ls`
        events.append(as_dict(params))

    @client.feature("tool/call")
    def on_tool_call(ls, params):
        tool_calls.append(as_dict(params))
        return {"content": f"Sunny and 24C in {params.input.city}"}

    await client.start_io(
        BINARY, "--emulator", "--emulator-script", str(script), "--log-file", str(tmp_path / "host.log")
    )
    try:
        init = await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                client_info=types.ClientInfo(name="pygls-test", version="1.0"),
                process_id=os.getpid(),
                root_uri=tmp_path.as_uri(),
                locale="en",
                trace=types.TraceValue.Off,
            )
        )
        client.initialized(types.InitializedParams())
        send = client.protocol.send_request_async
        registered = await send("tool/register", {"tools": [WEATHER_TOOL]})
        listed = await send("tool/list", None)
        created = await send("conversation/create", {"title": "pygls"})
        turn = await send(
            "conversation/send", {"conversationId": created.conversationId, "content": "Weather in Paris?"}
        )
        stored = await send("conversation/get", {"conversationId": created.conversationId})
        await client.shutdown_async(None)
        client.exit(None)
        exit_code = await asyncio.wait_for(client._server.wait(), HANG_GUARD_S)
    finally:
        if client._server.returncode is None:
            client._server.kill()
        await client.stop()
    return {
        "init": init,
        "registered": as_dict(registered),
        "listed": as_dict(listed),
        "conversation": created.conversationId,
        "turn": as_dict(turn),
        "stored": as_dict(stored),
        "events": events,
        "tool_calls": tool_calls,
        "exit_code": exit_code,
    }


def test_pygls_language_client_runs_a_tool_using_turn(tmp_path):
    got = asyncio.run(asyncio.wait_for(session(tmp_path), HANG_GUARD_S))

    # lsprotocol's InitializeResult only keeps the LSP fields it knows; the host answered it.
    assert isinstance(got["init"], types.InitializeResult)
    assert got["init"].server_info.name == "bedrock-host"

    assert got["registered"] == {"registered": ["get_weather"]}
    assert [tool["name"] for tool in got["listed"]["tools"]] == ["get_weather"]

    # conversation/create without `tools` offers every registered tool: the host asked this client.
    assert len(got["tool_calls"]) == 1
    call = got["tool_calls"][0]
    assert call["name"] == "get_weather"
    assert call["input"] == {"city": "Paris"}
    assert call["toolUseId"] == "tu_paris"
    assert call["conversationId"] == got["conversation"]

    turn = got["turn"]
    assert turn["stopReason"] == "end_turn"
    assert turn["iterations"] == 2
    assert turn["toolCalls"][0]["status"] == "success"
    tool_result = turn["messages"][1]["content"][0]["toolResult"]
    assert tool_result["content"] == [{"text": "Sunny and 24C in Paris"}]
    assert turn["messages"][-1]["content"][0]["text"] == "Tool result received: Sunny and 24C in Paris"
    assert [message["role"] for message in got["stored"]["messages"]] == ["user", "assistant", "user", "assistant"]

    # Every stream event reached the @client.feature handler, both model calls of the turn.
    assert {event["requestId"] for event in got["events"]} == {call["requestId"]}
    assert {event["iteration"] for event in got["events"]} == {1, 2}
    streamed = "".join(
        event["event"]["contentBlockDelta"]["delta"].get("text", "")
        for event in got["events"]
        if "contentBlockDelta" in event["event"]
    )
    assert "Let me look." in streamed and "Tool result received" in streamed

    assert got["exit_code"] == 0, "exit after shutdown is code 0"

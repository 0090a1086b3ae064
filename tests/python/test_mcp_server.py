"""The `mcp` Python SDK's own stdio client driving `bedrock-host mcp --emulator`.

No adapter in between: `stdio_client` spawns the binary, `ClientSession` initializes, lists the
tools (and keeps their output schemas: the SDK validates every `structuredContent` against its
tool's `outputSchema`, so a result that drifts from its schema fails here), calls each tool, and
reads the `bedrock://models` resource. Scripted runs (`--emulator-script`) give fixed answers,
guardrail interventions and Bedrock errors.

Run: `cargo build && pip install -r tests/python/requirements.txt && pytest tests/python`.
The binary is $BEDROCK_HOST_BIN (default target/debug/bedrock-host).
"""

import json
import os

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BEDROCK_HOST_BIN", os.path.join(REPO, "target", "debug", "bedrock-host"))

# A whole session longer than this fails the test instead of hanging it.
HANG_GUARD_S = 60

HAIKU_PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
HAIKU_ID = "anthropic.claude-haiku-4-5-20251001-v1:0"

SCRIPT = {
    "rules": [
        {
            "when": {"operation": "^Converse$", "lastUserText": "scripted"},
            "respond": {"content": [{"text": "A scripted answer."}], "usage": {"inputTokens": 1000, "outputTokens": 2000}},
        },
        {"when": {"operation": "^Converse$", "lastUserText": "throttle"}, "fail": {"error": "ThrottlingException", "message": "Rate exceeded"}},
        {"when": {"operation": "^Converse$", "lastUserText": "denied"}, "fail": {"error": "AccessDeniedException", "message": "You don't have access to the model"}},
    ],
    "guardrails": {"gr-test": {"version": "1", "blockedWords": ["forbidden"], "blockedMessage": "Blocked by policy."}},
}


def run_session(body, *extra_args, tmp_path=None, script=None):
    """Spawns `bedrock-host mcp --emulator` through the SDK's stdio client and runs `body(session)`."""
    args = ["mcp", "--emulator", "--log-stderr", "--log-level", "warn", *extra_args]
    if script is not None:
        path = tmp_path / "script.json"
        path.write_text(json.dumps(script))
        args += ["--emulator-script", str(path)]

    async def main():
        with anyio.fail_after(HANG_GUARD_S):
            params = StdioServerParameters(command=BINARY, args=args)
            async with stdio_client(params) as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    # The SDK fetches output schemas with the tool list; list first so results are checked.
                    await session.list_tools()
                    return await body(session, init)

    return anyio.run(main)


def text_of(result):
    assert all(block.type == "text" for block in result.content), result.content
    return "".join(block.text for block in result.content)


def test_initialize_names_the_server_and_its_capabilities():
    async def body(session, init):
        return init

    init = run_session(body)
    assert init.server_info.name == "bedrock-host"
    assert init.server_info.version
    assert init.capabilities.tools is not None
    assert init.capabilities.resources is not None
    assert "converse" in init.instructions and "bedrock://models" in init.instructions


def test_tools_are_listed_with_input_and_output_schemas():
    async def body(session, init):
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in run_session(body)}
    assert sorted(tools) == ["apply_guardrail", "converse", "count_tokens", "estimate_cost", "list_models"]
    converse = tools["converse"]
    props = converse.input_schema["properties"]
    assert set(props) == {"model", "prompt", "messages", "system", "maxTokens", "temperature"}
    assert converse.input_schema.get("additionalProperties") is False
    assert props["messages"]["items"]["properties"]["role"]["enum"] == ["user", "assistant"]
    assert set(converse.output_schema["required"]) >= {"text", "stopReason", "usage", "costUsd", "modelId"}
    assert "alias" in converse.description
    assert converse.annotations.read_only_hint is True
    assert tools["estimate_cost"].input_schema["required"] == ["inputTokens", "outputTokens"]
    assert set(tools["apply_guardrail"].input_schema["required"]) == {
        "guardrailIdentifier",
        "guardrailVersion",
        "source",
        "content",
    }
    for tool in tools.values():
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.output_schema is not None, tool.name
        assert len(tool.description) > 80, tool.name


def test_converse_answers_text_usage_and_cost():
    async def body(session, init):
        return await session.call_tool("converse", {"prompt": "Hello there"})

    result = run_session(body)
    assert result.is_error is False
    assert text_of(result) == "You said: Hello there"
    out = result.structured_content
    assert out["text"] == "You said: Hello there"
    assert out["stopReason"] == "end_turn"
    assert out["modelId"] == HAIKU_PROFILE, "the default model, haiku, resolved for us-east-1"
    # The emulator's tokenizer: "Hello there" is 2 tokens; "You said: Hello there" 5.
    assert out["usage"] == {"inputTokens": 2, "outputTokens": 5, "totalTokens": 7}
    # Haiku 4.5: $1 in, $5 out per million tokens.
    assert out["costUsd"] == pytest.approx(2 * 1e-6 + 5 * 5e-6, abs=1e-12)


def test_converse_with_messages_system_model_and_max_tokens():
    messages = [
        {"role": "user", "content": [{"text": "first question"}]},
        {"role": "assistant", "content": [{"text": "first answer"}]},
        {"role": "user", "content": [{"text": "one two three four five six"}]},
    ]

    async def body(session, init):
        return await session.call_tool(
            "converse", {"model": "sonnet", "messages": messages, "system": "Be brief.", "maxTokens": 4, "temperature": 0.2}
        )

    result = run_session(body, "--region", "eu-west-1")
    out = result.structured_content
    assert result.is_error is False
    assert out["modelId"] == "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "the alias resolved for eu-west-1"
    assert out["stopReason"] == "max_tokens"
    assert out["usage"]["outputTokens"] == 4
    # "You", "said", ":", "one": four tokens of the emulator's tokenizer.
    assert text_of(result) == out["text"] == "You said: one"


def test_converse_scripted_answer_and_its_cost(tmp_path):
    async def body(session, init):
        return await session.call_tool("converse", {"prompt": "a scripted question", "model": "opus"})

    result = run_session(body, tmp_path=tmp_path, script=SCRIPT)
    out = result.structured_content
    assert text_of(result) == "A scripted answer."
    assert out["usage"]["inputTokens"] == 1000 and out["usage"]["outputTokens"] == 2000
    # Opus 4.5: $5 in, $25 out per million.
    assert out["costUsd"] == pytest.approx(1000 * 5e-6 + 2000 * 25e-6, abs=1e-12)


def test_converse_unpriced_model_costs_null():
    async def body(session, init):
        return await session.call_tool("converse", {"prompt": "hi", "model": "someone.unknown-model-v1:0"})

    result = run_session(body)
    assert result.is_error is False
    assert result.structured_content["costUsd"] is None
    assert result.structured_content["modelId"] == "someone.unknown-model-v1:0"


def test_bad_arguments_are_tool_errors_naming_the_field():
    cases = [
        ("converse", {"promt": "typo"}, "`promt`: unknown field `promt`, expected one of `model`, `prompt`"),
        ("converse", {}, "`prompt`: is missing; give `prompt`"),
        ("converse", {"prompt": "a", "messages": []}, "`messages`: give `prompt`"),
        ("converse", {"prompt": "a", "temperature": 7}, "`temperature`: is 7; give a number from 0 to 1"),
        ("converse", {"prompt": "a", "maxTokens": 0}, "`maxTokens`: must be at least 1"),
        ("converse", {"messages": [{"role": "robot", "content": [{"text": "x"}]}]}, "`messages[0].role`: unknown variant `robot`"),
        ("estimate_cost", {"inputTokens": 5}, "`outputTokens`: missing field `outputTokens`"),
        ("estimate_cost", {"model": "nobody.unknown-v1", "inputTokens": 1, "outputTokens": 1}, "`model`: the catalog has no price for `nobody.unknown-v1`"),
        ("apply_guardrail", {"guardrailIdentifier": "gr-test", "guardrailVersion": "1", "source": "SIDEWAYS", "content": [{"text": {"text": "x"}}]}, "`source`: unknown variant `SIDEWAYS`"),
    ]

    async def body(session, init):
        return [await session.call_tool(name, arguments) for name, arguments, _ in cases]

    for (name, arguments, expected), result in zip(cases, run_session(body)):
        assert result.is_error is True, (name, arguments)
        assert result.structured_content is None
        message = text_of(result)
        assert message.startswith("invalid arguments: "), message
        assert expected in message, (expected, message)


def test_bedrock_errors_are_tool_errors_with_the_exception(tmp_path):
    async def body(session, init):
        throttled = await session.call_tool("converse", {"prompt": "please throttle"})
        denied = await session.call_tool("converse", {"prompt": "access denied please"})
        return throttled, denied

    throttled, denied = run_session(body, "--max-attempts", "1", tmp_path=tmp_path, script=SCRIPT)
    assert throttled.is_error is True
    message = text_of(throttled)
    assert message.startswith("Bedrock answered ThrottlingException (HTTP 429, retryable, 1 attempt(s)"), message
    assert "Rate exceeded" in message
    assert denied.is_error is True
    message = text_of(denied)
    assert message.startswith("Bedrock answered AccessDeniedException (HTTP 403, 1 attempt(s)"), message
    assert "You don't have access to the model" in message and "bedrock:InvokeModel" in message


def test_count_tokens():
    async def body(session, init):
        plain = await session.call_tool("count_tokens", {"prompt": "one two three", "system": "four five"})
        priced = await session.call_tool("count_tokens", {"prompt": "one two three", "model": "sonnet", "expectedOutputTokens": 100})
        return plain, priced

    plain, priced = run_session(body)
    assert plain.is_error is False
    assert plain.structured_content["inputTokens"] == 5
    assert plain.structured_content["modelId"] == HAIKU_ID, "CountTokens takes the base id behind the profile"
    assert plain.structured_content["estimatedCostUsd"] == pytest.approx(5e-6, abs=1e-12)
    assert json.loads(text_of(plain)) == plain.structured_content
    assert priced.structured_content["modelId"] == "anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert priced.structured_content["estimatedCostUsd"] == pytest.approx(3 * 3e-6 + 100 * 15e-6, abs=1e-12)


def test_apply_guardrail_intervenes_and_passes(tmp_path):
    def args(text):
        return {"guardrailIdentifier": "gr-test", "guardrailVersion": "1", "source": "INPUT", "content": [{"text": {"text": text}}]}

    async def body(session, init):
        blocked = await session.call_tool("apply_guardrail", args("this is forbidden talk"))
        passed = await session.call_tool("apply_guardrail", args("all fine here"))
        unknown = await session.call_tool("apply_guardrail", {**args("x"), "guardrailIdentifier": "gr-missing"})
        return blocked, passed, unknown

    blocked, passed, unknown = run_session(body, tmp_path=tmp_path, script=SCRIPT)
    assert blocked.is_error is False
    out = blocked.structured_content
    assert out["action"] == "GUARDRAIL_INTERVENED"
    assert out["outputs"] == [{"text": "Blocked by policy."}]
    words = out["assessments"][0]["wordPolicy"]["customWords"]
    assert words[0]["match"] == "forbidden" and words[0]["action"] == "BLOCKED"
    assert passed.structured_content["action"] == "NONE"
    assert passed.structured_content["outputs"] == []
    assert unknown.is_error is True
    assert text_of(unknown).startswith("Bedrock answered ResourceNotFoundException (HTTP 404")


def test_list_models_and_the_resource_agree():
    async def body(session, init):
        listed = await session.call_tool("list_models", {})
        meta = await session.call_tool("list_models", {"provider": "meta"})
        resources = await session.list_resources()
        read = await session.read_resource("bedrock://models")
        return listed, meta, resources, read

    listed, meta, resources, read = run_session(body)
    catalog = listed.structured_content
    assert catalog["region"] == "us-east-1"
    assert catalog["defaultModel"] == "haiku"
    by_alias = {alias: model for model in catalog["models"] for alias in model["aliases"]}
    sonnet = by_alias["sonnet"]
    assert sonnet["id"] == "anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert sonnet["modelIdInRegion"] == "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert sonnet["inferenceProfiles"]["eu"] == "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert sonnet["pricing"]["inputPerMillion"] == 3.0 and sonnet["pricing"]["outputPerMillion"] == 15.0
    assert sonnet["supports"]["tools"] is True
    assert meta.structured_content["models"] and {m["provider"] for m in meta.structured_content["models"]} == {"Meta"}

    assert [r.uri for r in resources.resources] == ["bedrock://models"]
    assert resources.resources[0].mime_type == "application/json"
    [contents] = read.contents
    assert contents.mime_type == "application/json"
    assert json.loads(contents.text) == catalog


def test_estimate_cost():
    async def body(session, init):
        return await session.call_tool(
            "estimate_cost",
            {"model": "sonnet", "inputTokens": 1000, "outputTokens": 2000, "cacheReadInputTokens": 10000, "cacheWriteInputTokens": 4000},
        )

    out = run_session(body).structured_content
    assert out["modelId"] == "anthropic.claude-sonnet-4-5-20250929-v1:0"
    # Sonnet 4.5: $3 in, $15 out, cache reads $0.30, writes $3.75 per million.
    expected_input = 1000 * 3e-6 + 10000 * 0.3e-6 + 4000 * 3.75e-6
    assert out["inputCostUsd"] == pytest.approx(expected_input, abs=1e-12)
    assert out["outputCostUsd"] == pytest.approx(0.03, abs=1e-12)
    assert out["totalCostUsd"] == pytest.approx(expected_input + 0.03, abs=1e-12)
    assert out["pricing"]["currency"] == "USD"


def test_unknown_resource_is_an_error():
    async def body(session, init):
        with pytest.raises(Exception) as raised:
            await session.read_resource("bedrock://nothing")
        return str(raised.value)

    assert "bedrock://nothing" in run_session(body)


def test_a_2026_07_28_client_discovers_without_initialize():
    """The stateless revision: `server/discover` instead of the `initialize` handshake."""

    async def main():
        with anyio.fail_after(HANG_GUARD_S):
            params = StdioServerParameters(command=BINARY, args=["mcp", "--emulator", "--log-stderr", "--log-level", "warn"])
            async with stdio_client(params) as (read, write):
                async with ClientSession(read, write) as session:
                    discovered = await session.discover()
                    await session.list_tools()
                    answer = await session.call_tool("converse", {"prompt": "hi"})
                    return session.protocol_version, discovered, answer

    version, discovered, answer = anyio.run(main)
    assert version == "2026-07-28"
    assert "2025-06-18" in discovered.supported_versions and "2026-07-28" in discovered.supported_versions
    assert discovered.capabilities.tools is not None
    assert answer.is_error is False
    assert answer.structured_content["text"] == "You said: hi"

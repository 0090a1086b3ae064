"""The anthropic SDK's Bedrock client (`anthropic[bedrock]`, a client no one here wrote) against the
real `bedrock-host emulator` binary: InvokeModel and its stream with Anthropic Messages bodies.

Run: `cargo build && pip install -r tests/python/requirements.txt && pytest tests/python`.
"""

import anthropic
import pytest
from anthropic import AnthropicBedrock

from conftest import put_script, running_emulator, words

# Claude Sonnet 4.5 caches from 1,024 tokens (docs/emulator.md "Prompt caching").
MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

SCRIPT = {
    "rules": [
        {"when": {"lastUserText": "throttle"}, "fail": {"error": "ThrottlingException", "message": "Too many requests"}},
        {"when": {"lastUserText": "invalid"}, "fail": {"error": "ValidationException", "message": "bad input"}},
        {"when": {"lastUserText": "weather", "afterToolResult": False},
         "respond": {"content": [{"text": "Let me look."}, {"toolUse": {"name": "get_weather", "input": {"city": "Paris"}}}]}},
    ],
}

WEATHER_TOOL = {"name": "get_weather", "description": "The weather in a city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with running_emulator(SCRIPT, tmp_path_factory.mktemp("anthropic")) as base_url:
        yield base_url


@pytest.fixture
def client(emulator, monkeypatch):
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    return AnthropicBedrock(aws_access_key="AKIDTEST", aws_secret_key="secret", aws_region="us-east-1",
                            base_url=emulator, max_retries=0)


def test_message(client):
    message = client.messages.create(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "Hello there"}])
    assert message.type == "message" and message.role == "assistant"
    assert [block.text for block in message.content] == ["You said: Hello there"]
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (2, 5)


def test_stream(client):
    with client.messages.stream(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "Hello stream"}]) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) >= 3, pieces
    assert "".join(pieces) == "You said: Hello stream"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 5


def test_tool_round_trip(client):
    question = {"role": "user", "content": "weather in Paris?"}
    first = client.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL], messages=[question])
    assert first.stop_reason == "tool_use"
    tool_use = next(block for block in first.content if block.type == "tool_use")
    assert (tool_use.name, tool_use.input) == ("get_weather", {"city": "Paris"})
    assert tool_use.id.startswith("tooluse_")

    answer = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "18 C and sunny"}]}
    second = client.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL],
                                    messages=[question, {"role": "assistant", "content": first.content}, answer])
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "Tool result received: 18 C and sunny"

    # The same round trip streamed: the tool's input arrives as partial JSON and is assembled.
    with client.messages.stream(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL], messages=[question]) as stream:
        final = stream.get_final_message()
    streamed = next(block for block in final.content if block.type == "tool_use")
    assert streamed.input == {"city": "Paris"}


@pytest.mark.parametrize("text,error_class,status,name", [
    ("throttle", anthropic.RateLimitError, 429, "ThrottlingException"),
    ("invalid", anthropic.BadRequestError, 400, "ValidationException"),
])
def test_scripted_errors_raise_their_class(client, text, error_class, status, name):
    with pytest.raises(error_class) as error:
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": text}])
    assert error.value.status_code == status
    assert error.value.response.headers["x-amzn-errortype"].startswith(f"{name}:")
    with pytest.raises(error_class):
        with client.messages.stream(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": text}]) as stream:
            list(stream.text_stream)


def test_prompt_caching_counts(client, emulator):
    system = [{"type": "text", "text": words(1_100, "anthropic"), "cache_control": {"type": "ephemeral"}}]

    def ask(question):
        return client.messages.create(model=MODEL, max_tokens=50, system=system,
                                      messages=[{"role": "user", "content": question}])

    first = ask("first question")
    assert (first.usage.cache_creation_input_tokens, first.usage.cache_read_input_tokens) == (1_100, 0)
    assert first.usage.input_tokens == 2, "only what follows the cache point"
    second = ask("second")
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (0, 1_100)
    with client.messages.stream(model=MODEL, max_tokens=50, system=system,
                                messages=[{"role": "user", "content": "streamed"}]) as stream:
        final = stream.get_final_message()
    assert final.usage.cache_read_input_tokens == 1_100

    # Past the 5-minute time to live (moved by the script's clock) the prefix is written again.
    put_script(emulator, dict(SCRIPT, clockOffsetMs=300_001))
    assert ask("later").usage.cache_creation_input_tokens == 1_100
    put_script(emulator, SCRIPT)

"""boto3 (a client no one here wrote) against the real `bedrock-host emulator` binary.

Run: `cargo build && pip install -r tests/python/requirements.txt && pytest tests/python`.
The binary is $BEDROCK_HOST_BIN (default target/debug/bedrock-host).
"""

import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import put_script, words

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BEDROCK_HOST_BIN", os.path.join(REPO, "target", "debug", "bedrock-host"))

SCRIPT = {
    "rules": [
        {"when": {"lastUserText": "throttle"}, "fail": {"error": "ThrottlingException", "status": 429, "message": "Too many requests"}},
        {"when": {"lastUserText": "denied"}, "fail": {"error": "AccessDeniedException", "message": "no"}},
        {"when": {"lastUserText": "unavailable"}, "fail": {"error": "ServiceUnavailableException", "message": "down"}},
        {"when": {"lastUserText": "weather", "afterToolResult": False}, "respond": {"content": [{"text": "Let me look."}, {"toolUse": {"name": "get_weather", "input": {"city": "Paris"}}}]}},
        {"when": {"lastUserText": "explode"}, "respond": {"cutAfterEvents": 2, "streamException": {"type": "modelStreamErrorException", "message": "boom"}}},
    ],
    "guardrails": {"gr1": {"version": "1", "blockedWords": ["forbidden"], "blockedMessage": "Sorry, I can't help with that."}},
    "asyncJobDurationMs": 100,
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    script = tmp_path_factory.mktemp("script") / "script.json"
    script.write_text(json.dumps(SCRIPT))
    data_dir = tmp_path_factory.mktemp("data")
    # No --control-token: the emulator makes one and prints it as its second stdout line.
    environment = {key: value for key, value in os.environ.items() if key != "BEDROCK_EMULATOR_CONTROL_TOKEN"}
    process = subprocess.Popen(
        [BINARY, "emulator", "--port", "0", "--exit-on-stdin-eof", "--script", str(script), "--data-dir", str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    base_url = process.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:"), base_url
    token_line = process.stdout.readline().strip()
    assert token_line.startswith("control-token: "), token_line
    yield {"url": base_url, "data_dir": data_dir, "token": token_line.split(": ", 1)[1]}
    process.stdin.close()
    assert process.wait(timeout=30) == 0


def make_client(emulator, attempts=1):
    os.environ.pop("AWS_BEARER_TOKEN_BEDROCK", None)
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator["url"],
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        # `total_max_attempts` counts the first try; botocore's `max_attempts` counts retries only.
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )


@pytest.fixture
def client(emulator):
    return make_client(emulator)


def control(emulator, method, path):
    request = urllib.request.Request(
        emulator["url"] + path, method=method, headers={"Authorization": "Bearer " + emulator["token"]}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_control_endpoints_need_the_token(emulator):
    request = urllib.request.Request(emulator["url"] + "/_emulator/requests")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    assert "x-emulator-token" in json.loads(refused.value.read())["message"]


def user(text):
    return [{"role": "user", "content": [{"text": text}]}]


def test_converse(client):
    response = client.converse(modelId=MODEL, messages=user("Hello there"))
    assert response["output"]["message"] == {"role": "assistant", "content": [{"text": "You said: Hello there"}]}
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == {"inputTokens": 2, "outputTokens": 5, "totalTokens": 7}
    assert response["ResponseMetadata"]["RequestId"]


def test_converse_stream_text_and_tool_use(client):
    events = list(client.converse_stream(modelId=MODEL, messages=user("Hello there"))["stream"])
    assert list(events[0]) == ["messageStart"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == "You said: Hello there"
    assert [list(e)[0] for e in events[-3:]] == ["contentBlockStop", "messageStop", "metadata"]

    events = list(client.converse_stream(modelId=MODEL, messages=user("weather?"))["stream"])
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "get_weather"
    assert start["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
    pieces = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e and e["contentBlockDelta"]["contentBlockIndex"] == 1]
    assert len(pieces) >= 2
    assert json.loads("".join(pieces)) == {"city": "Paris"}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


def test_converse_stream_exception(client):
    stream = client.converse_stream(modelId=MODEL, messages=user("explode"))["stream"]
    received = []
    with pytest.raises(botocore.exceptions.EventStreamError) as error:
        for event in stream:
            received.append(event)
    assert len(received) == 2
    assert error.value.response["Error"] == {"Code": "modelStreamErrorException", "Message": "boom"}


def test_invoke_model_and_stream(client):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
    response = client.invoke_model(modelId=MODEL, body=json.dumps(body))
    answer = json.loads(response["body"].read())
    assert answer["content"] == [{"type": "text", "text": "You said: hi"}]
    assert answer["usage"] == {"input_tokens": 1, "output_tokens": 4}
    assert response["contentType"] == "application/json"

    titan = json.loads(client.invoke_model(modelId="amazon.titan-text-express-v1", body=json.dumps({"inputText": "plain"}))["body"].read())
    assert titan["results"][0]["outputText"] == "You said: plain", "Titan answers in its own shape"
    echo = {"plain": "text"}
    assert json.loads(client.invoke_model(modelId="someone.unknown-model-v1", body=json.dumps(echo))["body"].read()) == echo

    stream = client.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(body))["body"]
    chunks = [json.loads(event["chunk"]["bytes"]) for event in stream]
    assert chunks[0]["type"] == "message_start"
    assert "".join(c["delta"].get("text", "") for c in chunks if c["type"] == "content_block_delta") == "You said: hi"
    assert chunks[-1]["type"] == "message_stop"
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 4


def test_count_tokens_both_forms(client):
    messages = user("Hello there, world!")
    converse = client.converse(modelId=MODEL, messages=messages)
    counted = client.count_tokens(modelId=MODEL, input={"converse": {"messages": messages}})
    assert counted["inputTokens"] == converse["usage"]["inputTokens"] == 5
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": [{"role": "user", "content": "one two"}]}
    counted = client.count_tokens(modelId=MODEL, input={"invokeModel": {"body": json.dumps(body).encode()}})
    assert counted["inputTokens"] == 2


def test_apply_guardrail(client):
    blocked = client.apply_guardrail(guardrailIdentifier="gr1", guardrailVersion="1", source="INPUT",
                                     content=[{"text": {"text": "something FORBIDDEN"}}])
    assert blocked["action"] == "GUARDRAIL_INTERVENED"
    assert blocked["outputs"] == [{"text": "Sorry, I can't help with that."}]
    assert blocked["assessments"][0]["wordPolicy"]["customWords"][0] == {"match": "forbidden", "action": "BLOCKED", "detected": True}
    clean = client.apply_guardrail(guardrailIdentifier="gr1", guardrailVersion="1", source="OUTPUT", content=[{"text": {"text": "fine"}}])
    assert clean["action"] == "NONE" and clean["outputs"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException) as error:
        client.apply_guardrail(guardrailIdentifier="nope", guardrailVersion="1", source="INPUT", content=[{"text": {"text": "x"}}])
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_converse_guardrail_trace(client):
    response = client.converse(modelId=MODEL, messages=user("forbidden topic"),
                               guardrailConfig={"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "enabled"})
    assert response["stopReason"] == "guardrail_intervened"
    assert response["output"]["message"]["content"] == [{"text": "Sorry, I can't help with that."}]
    word = response["trace"]["guardrail"]["inputAssessment"]["gr1"]["wordPolicy"]["customWords"][0]
    assert word == {"match": "forbidden", "action": "BLOCKED", "detected": True}


def test_async_invoke_lifecycle(client, emulator):
    arns = []
    for n in range(3):
        started = client.start_async_invoke(modelId="amazon.nova-reel-v1:0", modelInput={"prompt": f"video {n}"},
                                            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/py"}})
        arns.append(started["invocationArn"])
    job = client.get_async_invoke(invocationArn=arns[0])
    assert job["status"] == "InProgress"
    assert job["submitTime"].tzinfo is not None
    for _ in range(300):
        job = client.get_async_invoke(invocationArn=arns[0])
        if job["status"] == "Completed":
            break
        time.sleep(0.02)
    assert job["status"] == "Completed"
    job_id = arns[0].rsplit("/", 1)[1]
    output = json.loads((emulator["data_dir"] / "s3" / "bucket" / "py" / job_id / "output.json").read_text())
    assert output["output"] == {"prompt": "video 0"}

    paginator = client.get_paginator("list_async_invokes")
    pages = list(paginator.paginate(sortOrder="Ascending", PaginationConfig={"PageSize": 1}))
    listed = [s["invocationArn"] for page in pages for s in page["asyncInvokeSummaries"]]
    assert [arn for arn in listed if arn in arns] == arns
    assert len(pages) >= 3


@pytest.mark.parametrize("text,exception,status", [
    ("throttle", "ThrottlingException", 429),
    ("denied", "AccessDeniedException", 403),
    ("unavailable", "ServiceUnavailableException", 503),
])
def test_scripted_exceptions(client, text, exception, status):
    with pytest.raises(getattr(client.exceptions, exception)) as error:
        client.converse(modelId=MODEL, messages=user(text))
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error.value.response["Error"]["Code"] == exception


def test_validation_exception(client):
    with pytest.raises(client.exceptions.ValidationException) as error:
        client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "a"}]}],
                        inferenceConfig={"temperature": 1.5})
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "inferenceConfig.temperature" in error.value.response["Error"]["Message"]


def test_retries_are_counted_in_the_journal(emulator):
    control(emulator, "DELETE", "/_emulator/requests")
    retrying = make_client(emulator, attempts=3)
    with pytest.raises(retrying.exceptions.ThrottlingException):
        retrying.converse(modelId=MODEL, messages=user("throttle again"))
    entries = control(emulator, "GET", "/_emulator/requests")
    assert [e["operation"] for e in entries] == ["Converse"] * 3
    assert all("authorization" not in e["headers"] for e in entries)


def test_percent_encoded_arn(client, emulator):
    control(emulator, "DELETE", "/_emulator/requests")
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"
    client.converse(modelId=arn, messages=user("hi"))
    assert control(emulator, "GET", "/_emulator/requests")[0]["modelId"] == arn


def test_blob_bodies_are_base64_in_count_tokens(emulator):
    control(emulator, "DELETE", "/_emulator/requests")
    make_client(emulator).count_tokens(modelId=MODEL, input={"invokeModel": {"body": b'{"x": 1}'}})
    body = control(emulator, "GET", "/_emulator/requests")[0]["body"]
    assert base64.b64decode(body["input"]["invokeModel"]["body"]) == b'{"x": 1}'


WEATHER_TOOLS = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}]}


def test_tool_round_trip(client):
    question = user("weather in Paris?")
    first = client.converse(modelId=MODEL, messages=question, toolConfig=WEATHER_TOOLS)
    assert first["stopReason"] == "tool_use"
    tool_use = first["output"]["message"]["content"][1]["toolUse"]
    assert (tool_use["name"], tool_use["input"]) == ("get_weather", {"city": "Paris"})
    result = {"role": "user", "content": [{"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"json": {"celsius": 18}}]}}]}
    second = client.converse(modelId=MODEL, messages=question + [first["output"]["message"], result], toolConfig=WEATHER_TOOLS)
    assert second["stopReason"] == "end_turn"
    assert second["output"]["message"]["content"] == [{"text": 'Tool result received: {"celsius":18}'}]


def test_response_details(client):
    response = client.converse(modelId=MODEL, messages=user("alpha STOP beta"), inferenceConfig={"stopSequences": ["STOP"]},
                               additionalModelResponseFieldPaths=["/stop_sequence"],
                               performanceConfig={"latency": "optimized"}, serviceTier={"type": "priority"})
    assert response["metrics"]["latencyMs"] >= 1
    assert response["additionalModelResponseFields"] == {"stop_sequence": "STOP"}
    assert response["performanceConfig"] == {"latency": "optimized"}
    assert response["serviceTier"] == {"type": "priority"}
    events = list(client.converse_stream(modelId=MODEL, messages=user("hi"), serviceTier={"type": "flex"})["stream"])
    assert events[-1]["metadata"]["serviceTier"] == {"type": "flex"}
    assert events[-1]["metadata"]["metrics"]["latencyMs"] >= 1


def test_prompt_caching_counts(client, emulator):
    sonnet = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    system = [{"text": words(1_100, "boto")}, {"cachePoint": {"type": "default"}}]
    first = client.converse(modelId=sonnet, system=system, messages=user("first question"))["usage"]
    assert first == {"inputTokens": 2, "outputTokens": first["outputTokens"], "totalTokens": 2 + first["outputTokens"] + 1_100,
                     "cacheReadInputTokens": 0, "cacheWriteInputTokens": 1_100,
                     "cacheDetails": [{"ttl": "5m", "inputTokens": 1_100}]}
    second = client.converse(modelId=sonnet, system=system, messages=user("second"))["usage"]
    assert (second["cacheReadInputTokens"], second["cacheWriteInputTokens"]) == (1_100, 0)
    events = list(client.converse_stream(modelId=sonnet, system=system, messages=user("streamed"))["stream"])
    assert events[-1]["metadata"]["usage"]["cacheReadInputTokens"] == 1_100

    # Past the 5-minute time to live (the script moves the clock) the prefix is written again.
    put_script(emulator["url"], dict(SCRIPT, clockOffsetMs=300_001), emulator["token"])
    try:
        again = client.converse(modelId=sonnet, system=system, messages=user("later"))["usage"]
        assert (again["cacheReadInputTokens"], again["cacheWriteInputTokens"]) == (0, 1_100)
    finally:
        put_script(emulator["url"], SCRIPT, emulator["token"])

    with pytest.raises(client.exceptions.ValidationException):
        client.converse(modelId=sonnet, messages=user("q"), system=[{"text": "x"}, {"cachePoint": {"type": "default"}}] * 5)
    with pytest.raises(client.exceptions.AccessDeniedException) as error:
        client.converse(modelId=MODEL, messages=user("q"), system=system)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

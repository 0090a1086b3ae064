"""Model families, forced tool choice and thinking streams against the real `bedrock-host emulator` binary:
boto3 on the native InvokeModel shapes, and third-party clients no one here wrote (langchain-aws,
LiteLLM, Anthropic's SDK, pydantic-ai, strands) pointed at the emulator with `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` or their
endpoint parameter and dummy credentials.

The binary is $BEDROCK_HOST_BIN (default target/debug/bedrock-host). A third-party client that is not
installed skips its tests with the reason; tests/python/requirements.txt installs them all.
"""

import json
import os
import subprocess
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from conftest import CONTROL_TOKEN

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BEDROCK_HOST_BIN", os.path.join(REPO, "target", "debug", "bedrock-host"))
SAID = "You said: hi there"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

SCRIPT = {
    "rules": [
        {
            "when": {"lastUserText": "^think$"},
            "respond": {
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Let me think.", "signature": "sig-abc"}}},
                    {"text": "Done."},
                ]
            },
        }
    ]
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    script = tmp_path_factory.mktemp("families") / "script.json"
    script.write_text(json.dumps(SCRIPT))
    process = subprocess.Popen(
        [BINARY, "emulator", "--port", "0", "--exit-on-stdin-eof", "--script", str(script), "--control-token", CONTROL_TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = process.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:"), base_url
    yield base_url
    process.stdin.close()
    assert process.wait(timeout=30) == 0


@pytest.fixture
def aws_env(emulator, monkeypatch):
    """Dummy credentials and the emulator as the Bedrock Runtime endpoint, for clients that read the environment."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return emulator


@pytest.fixture
def client(emulator):
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def journal(emulator):
    request = urllib.request.Request(emulator + "/_emulator/requests", headers={"x-emulator-token": CONTROL_TOKEN})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def invoke(client, model, body):
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    return response, json.loads(response["body"].read())


def stream(client, model, body):
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


# --- boto3 on the native shapes ----------------------------------------------------------------


def test_titan_text_answers_results_with_token_headers(client):
    response, answer = invoke(client, "amazon.titan-text-express-v1", {"inputText": "hi there"})
    assert answer == {
        "inputTextTokenCount": 2,
        "results": [{"tokenCount": 5, "outputText": SAID, "completionReason": "FINISH"}],
    }
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == "2"
    assert headers["x-amzn-bedrock-output-token-count"] == "5"


def test_llama_and_nova_stream_with_invocation_metrics(client):
    chunks = stream(client, "us.meta.llama3-3-70b-instruct-v1:0", {"prompt": "hi there", "max_gen_len": 50})
    assert "".join(chunk["generation"] for chunk in chunks) == SAID
    assert chunks[-1]["stop_reason"] == "stop"
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 5

    body = {"messages": [{"role": "user", "content": [{"text": "hi there"}]}], "inferenceConfig": {"maxTokens": 50}}
    chunks = stream(client, "amazon.nova-micro-v1:0", body)
    assert "messageStart" in chunks[0]
    text = "".join(c["contentBlockDelta"]["delta"]["text"] for c in chunks if "contentBlockDelta" in c)
    assert text == SAID
    assert chunks[-1]["metadata"]["usage"]["outputTokens"] == 5
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["inputTokenCount"] == 2


def test_embeddings_are_deterministic(client):
    body = {"inputText": "hello world", "dimensions": 256}
    _, first = invoke(client, "amazon.titan-embed-text-v2:0", body)
    _, again = invoke(client, "amazon.titan-embed-text-v2:0", body)
    assert len(first["embedding"]) == 256 and first == again
    _, cohere = invoke(client, "cohere.embed-english-v3", {"texts": ["a", "b"], "input_type": "search_query"})
    assert cohere["response_type"] == "embeddings_floats"
    assert [len(vector) for vector in cohere["embeddings"]] == [1024, 1024]


def test_a_body_of_another_family_is_malformed_input(client):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(botocore.exceptions.ClientError) as error:
        client.invoke_model(modelId="meta.llama3-1-8b-instruct-v1:0", body=json.dumps(body))
    assert error.value.response["Error"]["Code"] == "ValidationException"
    message = error.value.response["Error"]["Message"]
    assert message.startswith("Malformed input request: #: required key [prompt] not found#: extraneous key [")
    assert message.endswith(", please reformat your input and try again.")


def test_converse_with_a_forced_tool_answers_a_tool_use(client):
    schema = {"type": "object", "required": ["city", "when"], "properties": {
        "city": {"type": "string"}, "when": {"type": "string", "format": "date"}}}
    tool_config = {"tools": [{"toolSpec": {"name": "forecast", "inputSchema": {"json": schema}}}],
                   "toolChoice": {"tool": {"name": "forecast"}}}
    response = client.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "rain?"}]}],
                               toolConfig=tool_config)
    assert response["stopReason"] == "tool_use"
    tool_use = response["output"]["message"]["content"][0]["toolUse"]
    assert tool_use["name"] == "forecast"
    assert tool_use["input"] == {"city": "example", "when": "2024-01-01"}


# --- third-party clients -------------------------------------------------------------------------


def test_langchain_chat_bedrock_on_titan_and_anthropic(aws_env):
    langchain_aws = pytest.importorskip("langchain_aws", reason="langchain-aws is not installed (pip install langchain-aws)")
    titan = langchain_aws.ChatBedrock(model_id="amazon.titan-text-express-v1", region_name="us-east-1")
    assert titan.invoke("hi there").content == SAID
    assert "".join(chunk.content for chunk in titan.stream("hi there")) == SAID
    claude = langchain_aws.ChatBedrock(model_id=CLAUDE, region_name="us-east-1")
    assert claude.invoke("hi there").content == SAID
    invoked = [entry["modelId"] for entry in journal(aws_env) if entry["operation"] == "InvokeModel"]
    assert "amazon.titan-text-express-v1" in invoked and CLAUDE in invoked


def test_langchain_with_structured_output(aws_env):
    langchain_aws = pytest.importorskip("langchain_aws", reason="langchain-aws is not installed (pip install langchain-aws)")
    from pydantic import BaseModel, Field

    class Person(BaseModel):
        name: str
        age: int = Field(gt=0)
        email: str = Field(pattern=r"^[a-z]+@[a-z]+\.[a-z]+$")

    model = langchain_aws.ChatBedrockConverse(model=CLAUDE, region_name="us-east-1")
    person = model.with_structured_output(Person).invoke("Bob is three")
    assert isinstance(person, Person), person
    assert person.age >= 1


def test_litellm_on_nova(aws_env):
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm = pytest.importorskip("litellm", reason="litellm is not installed (pip install litellm)")
    messages = [{"role": "user", "content": "hi there"}]
    answer = litellm.completion(model="bedrock/amazon.nova-lite-v1:0", messages=messages, aws_bedrock_runtime_endpoint=aws_env)
    assert answer.choices[0].message.content == SAID
    answer = litellm.completion(model="bedrock/invoke/amazon.nova-lite-v1:0", messages=messages,
                                aws_bedrock_runtime_endpoint=aws_env)
    assert answer.choices[0].message.content == SAID
    assert answer.usage.prompt_tokens == 2 and answer.usage.completion_tokens == 5
    chunks = litellm.completion(model="bedrock/invoke/amazon.nova-lite-v1:0", messages=messages,
                                aws_bedrock_runtime_endpoint=aws_env, stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == SAID
    operations = {entry["operation"] for entry in journal(aws_env) if entry["modelId"] == "amazon.nova-lite-v1:0"}
    assert {"InvokeModel", "InvokeModelWithResponseStream"} <= operations, operations


def test_anthropic_bedrock_stream_with_thinking_keeps_the_signature(emulator):
    anthropic = pytest.importorskip("anthropic", reason="anthropic is not installed (pip install 'anthropic[bedrock]')")
    client = anthropic.AnthropicBedrock(aws_region="us-east-1", aws_access_key="AKIDTEST", aws_secret_key="secret",
                                        base_url=emulator)
    with client.messages.stream(model=SONNET, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
                                messages=[{"role": "user", "content": "think"}]) as events:
        for _ in events:
            pass
        message = events.get_final_message()
    thinking = message.content[0]
    assert thinking.type == "thinking"
    assert thinking.thinking == "Let me think."
    assert thinking.signature == "sig-abc"
    assert message.content[1].text == "Done."


def test_pydantic_ai_and_strands_structured_output(aws_env):
    pydantic_ai = pytest.importorskip("pydantic_ai", reason="pydantic-ai is not installed (pip install 'pydantic-ai-slim[bedrock]')")
    strands = pytest.importorskip("strands", reason="strands-agents is not installed (pip install strands-agents)")
    from pydantic import BaseModel, Field

    class City(BaseModel):
        name: str
        population: int = Field(ge=0)

    agent = pydantic_ai.Agent(f"bedrock:{CLAUDE}", output_type=City)
    assert agent.run_sync("Biggest city?").output == City(name="example", population=0)

    from strands.models import BedrockModel

    model = BedrockModel(model_id=CLAUDE, region_name="us-east-1", endpoint_url=aws_env)
    result = strands.Agent(model=model, callback_handler=None)("Biggest city?", structured_output_model=City)
    assert result.structured_output == City(name="example", population=0)

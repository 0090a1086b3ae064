"""What the wire tests share: the `bedrock-host emulator` binary started as its own process.

The binary is $BEDROCK_HOST_BIN (default target/debug/bedrock-host).
"""

import contextlib
import json
import os
import subprocess
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BEDROCK_HOST_BIN", os.path.join(REPO, "target", "debug", "bedrock-host"))
# The emulator's control endpoints answer only their token.
CONTROL_TOKEN = "python-tests-control-token-0123456789"


@contextlib.contextmanager
def running_emulator(script, directory):
    """`bedrock-host emulator` with `script` (written into `directory`); yields its base URL."""
    path = directory / "script.json"
    path.write_text(json.dumps(script))
    process = subprocess.Popen(
        [BINARY, "emulator", "--port", "0", "--exit-on-stdin-eof", "--script", str(path), "--control-token", CONTROL_TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), base_url
        yield base_url
    finally:
        process.stdin.close()
        assert process.wait(timeout=30) == 0


def put_script(base_url, script, token=CONTROL_TOKEN):
    """Replaces the emulator's script (`PUT /_emulator/script`)."""
    request = urllib.request.Request(
        base_url + "/_emulator/script",
        data=json.dumps(script).encode(),
        method="PUT",
        headers={"x-emulator-token": token},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read()) == {"ok": True}


def words(count, salt="w"):
    """`count` distinct one-token words (the emulator's tokenizer counts a word as one token)."""
    return " ".join(f"{salt}{index}" for index in range(count))

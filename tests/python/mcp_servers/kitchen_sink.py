"""An MCP server for the host's tests, written with the official Python SDK (`mcp`).

Usage: kitchen_sink.py [stdio | http PORT]. Every event worth asserting on is
appended as one JSON line to the file named by MCP_RECORD (when set): each
call, each cancellation, each start.

Tools: `echo` (text), `picture` (a 1-pixel PNG image), `embedded` (an embedded
text resource), `link` (a resource link), `stats` (structuredContent),
`fail` (isError), `reject` (a JSON-RPC error), `slow` (waits until cancelled),
`grow` (adds the tool `extra` and sends tools/list_changed), `die` (exits the
process at once), `dotted.name` (a name Bedrock does not accept).
"""

import json
import os
import sys
import time

import anyio
import mcp.types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError

PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)

server = MCPServer("kitchen-sink")


def record(event, **fields):
    path = os.environ.get("MCP_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"event": event, "pid": os.getpid(), "time": time.time(), **fields}) + "\n")


@server.tool(description="Echoes the text back.")
def echo(text: str) -> str:
    record("call", tool="echo", text=text)
    return f"echo: {text}"


@server.tool(description="Returns a tiny PNG image.")
def picture() -> types.CallToolResult:
    record("call", tool="picture")
    return types.CallToolResult(content=[types.ImageContent(type="image", data=PNG_1PX, mime_type="image/png")])


@server.tool(description="Returns an embedded text resource.")
def embedded() -> types.CallToolResult:
    record("call", tool="embedded")
    resource = types.TextResourceContents(uri="file:///notes/today.txt", mime_type="text/plain", text="buy milk")
    return types.CallToolResult(content=[types.EmbeddedResource(type="resource", resource=resource)])


@server.tool(description="Returns a link to a resource.")
def link() -> types.CallToolResult:
    record("call", tool="link")
    return types.CallToolResult(
        content=[
            types.ResourceLink(
                type="resource_link", uri="file:///notes/all.md", name="all notes", description="every note"
            )
        ]
    )


@server.tool(description="Returns structured content.")
def stats() -> types.CallToolResult:
    record("call", tool="stats")
    return types.CallToolResult(
        content=[types.TextContent(type="text", text="2 files")], structured_content={"files": 2, "bytes": 42}
    )


@server.tool(description="Always fails (isError).")
def fail() -> types.CallToolResult:
    record("call", tool="fail")
    return types.CallToolResult(content=[types.TextContent(type="text", text="disk on fire")], is_error=True)


@server.tool(description="Answers a JSON-RPC error.")
def reject() -> str:
    record("call", tool="reject")
    raise MCPError(code=-32001, message="not allowed today")


@server.tool(description="Waits until cancelled (or 60 s).")
async def slow() -> str:
    record("call", tool="slow")
    try:
        await anyio.sleep(60)
    except anyio.get_cancelled_exc_class():
        record("cancelled", tool="slow")
        raise
    return "slow done"


@server.tool(description="Adds the tool `extra` and announces it.")
async def grow(ctx: Context) -> str:
    record("call", tool="grow")

    def extra() -> str:
        return "extra tool"

    server.add_tool(extra, name="extra", description="Added by grow.")
    await ctx.session.send_tool_list_changed()
    return "grown"


@server.tool(description="Exits the server process at once.")
def die() -> str:
    record("call", tool="die")
    os._exit(3)


@server.tool(name="dotted.name", description="A name with a dot.")
def dotted() -> str:
    record("call", tool="dotted.name")
    return "dotted ok"


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    record("start", mode=mode)
    print(f"kitchen-sink starting ({mode})", file=sys.stderr, flush=True)
    if mode == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()

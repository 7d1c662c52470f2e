"""Shared helpers for python_sender.py / python_receiver.py (LiveKit avatar data-stream interop).

stdout carries JSON lines only (one event per line); library logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import Any

from livekit import api, rtc


def emit(event: str, **fields: Any) -> None:
    """Print one JSON-line event on stdout (t = wall clock seconds)."""
    line = json.dumps({"event": event, "t": round(time.time(), 3), **fields}, default=str)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def setup_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def add_connection_args(parser: argparse.ArgumentParser, *, default_identity: str) -> None:
    g = parser.add_argument_group("connection")
    g.add_argument("--url", default=os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880"))
    g.add_argument(
        "--token",
        default=os.environ.get("TOKEN") or os.environ.get("LIVEKIT_TOKEN"),
        help="join token (env TOKEN); when absent one is minted from --api-key/--api-secret",
    )
    g.add_argument("--api-key", default=os.environ.get("LIVEKIT_API_KEY"))
    g.add_argument("--api-secret", default=os.environ.get("LIVEKIT_API_SECRET"))
    g.add_argument("--room", default=os.environ.get("LIVEKIT_ROOM", "interop"))
    g.add_argument("--identity", default=default_identity)
    g.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "WARNING"))


def mint_token(args: argparse.Namespace, *, attributes: dict[str, str] | None = None) -> str:
    """A join token of participant kind `agent` (what a LiveKit agent or avatar worker gets)."""
    if args.token:
        return str(args.token)
    if not args.api_key or not args.api_secret:
        raise SystemExit("need --token/TOKEN or --api-key/--api-secret (LIVEKIT_API_KEY/SECRET)")
    tok = (
        api.AccessToken(args.api_key, args.api_secret)
        .with_identity(args.identity)
        .with_name(args.identity)
        .with_kind("agent")
        .with_grants(api.VideoGrants(room_join=True, room=args.room, agent=True))
    )
    if attributes:
        tok = tok.with_attributes(attributes)
    return tok.to_jwt()


async def _logged(event: str, fields: dict[str, Any], call: Any) -> Any:
    """Runs one RPC step and emits `event` with its outcome (answer or error) and duration."""
    start = time.perf_counter()
    try:
        resp = await call()
    except rtc.RpcError as e:
        emit(event, **fields, error_code=int(e.code), error=e.message, ms=_ms_since(start))
        raise
    except BaseException as e:  # cancelled (e.g. closing) or an SDK error
        emit(event, **fields, error=repr(e))
        raise
    emit(event, **fields, response=resp, ms=_ms_since(start))
    return resp


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


class RpcLogger(rtc.RpcInterceptor):
    """Logs every RPC this participant performs or handles, with the outcome, as JSON events."""

    async def intercept_outgoing(self, call: rtc.RpcCallInfo, next: Any) -> str:
        fields = {"method": call.method, "to": call.destination_identity, "payload": call.payload}
        return await _logged("rpc_out", fields, lambda: next(call))

    async def intercept_incoming(self, invocation: rtc.RpcInvocationData, next: Any) -> Any:
        fields = {"method": invocation.method, "caller": invocation.caller_identity, "payload": invocation.payload}
        return await _logged("rpc_in", fields, lambda: next(invocation))


def participant_info(p: rtc.Participant) -> dict[str, Any]:
    return {
        "identity": p.identity,
        "kind": rtc.ParticipantKind.Name(p.kind) if hasattr(p, "kind") else None,
        "attributes": dict(p.attributes),
    }

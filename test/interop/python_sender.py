#!/usr/bin/env python3
"""Minimal Python "agent side" of the LiveKit avatar data-stream protocol.

Drives livekit-agents' own `DataStreamAudioOutput` (livekit.agents.voice.avatar) directly, without an
AgentSession, the way an AgentSession's speech pipeline drives its audio output:
  speech:        capture_frame(...) for every TTS frame, then flush()         (one byte stream per segment)
  interruption:  cancel the capture loop -> flush(); clear_buffer(); wait_for_playout()

stdin, JSON lines (an optional "id" is echoed in the events it causes):
  {"cmd":"speak","wav":"/path.wav"}                   16-bit PCM WAV
  {"cmd":"speak_tone","seconds":2,"hz":440}           optional "sample_rate" (24000), "channels" (1)
  both accept "frame_ms" (default 100; Python TTS emits 200 ms frames by default) and "realtime": true
  (pace the captures at real time, like a streaming TTS, so an interrupt lands while still streaming).
  {"cmd":"interrupt"}                                 what AgentSession does on a user interruption
  {"cmd":"wait_playout"}                              await wait_for_playout(), emit "playout"
  {"cmd":"quit"}
stdout, JSON lines: connected, avatar_joined, avatar_track, speak_started, speak_captured,
  speak_cancelled, playback_started, playback_finished, interrupt_sent, playout, rpc_out, rpc_in, error, bye.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import struct
import sys
import wave
from collections.abc import Iterator
from typing import Any

from interop_common import (
    RpcLogger,
    add_connection_args,
    emit,
    mint_token,
    participant_info,
    setup_logging,
)
from livekit import rtc
from livekit.agents.voice.avatar import DataStreamAudioOutput
from livekit.agents.voice.io import PlaybackFinishedEvent, PlaybackStartedEvent


def tone_frames(
    seconds: float, hz: float, sample_rate: int, channels: int, frame_ms: int
) -> Iterator[rtc.AudioFrame]:
    spf = sample_rate * frame_ms // 1000
    total = int(round(seconds * sample_rate))
    n = 0
    while n < total:
        count = min(spf, total - n)
        samples = []
        for i in range(n, n + count):
            v = int(8000 * math.sin(2 * math.pi * hz * i / sample_rate))
            samples.extend([v] * channels)
        yield rtc.AudioFrame(
            data=struct.pack(f"<{len(samples)}h", *samples),
            sample_rate=sample_rate,
            num_channels=channels,
            samples_per_channel=count,
        )
        n += count


def wav_frames(path: str, frame_ms: int) -> Iterator[rtc.AudioFrame]:
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        sr, ch = w.getframerate(), w.getnchannels()
        spf = sr * frame_ms // 1000
        while True:
            data = w.readframes(spf)
            if not data:
                return
            yield rtc.AudioFrame(
                data=data, sample_rate=sr, num_channels=ch, samples_per_channel=len(data) // (2 * ch)
            )


class Sender:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.room: rtc.Room  # created in run(): rtc.Room binds to the running event loop
        self.output: DataStreamAudioOutput | None = None
        self.speak_task: asyncio.Task[None] | None = None
        self.segment = 0  # segments started (capture of a first frame)
        self.finished = 0  # playback_finished events received
        self.bg_tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        a = self.args
        room = self.room = rtc.Room()

        @room.on("participant_connected")
        def _on_participant(p: rtc.RemoteParticipant) -> None:
            if p.identity == a.avatar_identity:
                emit("avatar_joined", **participant_info(p))

        @room.on("track_published")
        def _on_track(pub: rtc.RemoteTrackPublication, p: rtc.RemoteParticipant) -> None:
            if p.identity == a.avatar_identity:
                emit(
                    "avatar_track",
                    kind=rtc.TrackKind.Name(pub.kind),
                    source=rtc.TrackSource.Name(pub.source),
                    name=pub.name,
                )

        @room.on("disconnected")
        def _on_disconnected(reason: Any) -> None:
            emit("disconnected", reason=str(reason))

        await room.connect(a.url, mint_token(a))
        room.local_participant.add_rpc_interceptor(RpcLogger())
        emit("connected", identity=room.local_participant.identity, room=room.name)
        if a.avatar_identity in room.remote_participants:
            emit("avatar_joined", **participant_info(room.remote_participants[a.avatar_identity]))

        wait_track = {"none": None, "audio": rtc.TrackKind.KIND_AUDIO, "video": rtc.TrackKind.KIND_VIDEO}
        self.output = DataStreamAudioOutput(
            room,
            destination_identity=a.avatar_identity,
            sample_rate=a.sample_rate,
            wait_remote_track=wait_track[a.wait_remote_track],
            clear_buffer_timeout=a.clear_buffer_timeout,
            wait_playback_start=a.wait_playback_start,
        )
        # what AgentSession/RoomIO would call when it attaches the output
        self.output.on_attached()

        @self.output.on("playback_started")
        def _on_started(ev: PlaybackStartedEvent) -> None:
            # without --wait-playback-start this is emitted locally when the byte stream opens
            emit(
                "playback_started",
                segment=self.segment,
                created_at=ev.created_at,
                via="rpc" if a.wait_playback_start else "stream_open",
            )

        @self.output.on("playback_finished")
        def _on_finished(ev: PlaybackFinishedEvent) -> None:
            self.finished += 1
            emit(
                "playback_finished",
                segment=self.finished,
                position=ev.playback_position,
                interrupted=ev.interrupted,
                synchronized_transcript=ev.synchronized_transcript,
            )

        try:
            await self.command_loop()
        finally:
            if self.speak_task and not self.speak_task.done():
                self.speak_task.cancel()
            await room.disconnect()
            emit("bye")

    async def command_loop(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                if await self.handle(cmd) is False:
                    return
            except Exception as e:  # report and keep going
                emit("error", message=f"{type(e).__name__}: {e}", line=line.decode(errors="replace"))

    async def handle(self, cmd: dict[str, Any]) -> bool:
        assert self.output is not None
        name, cid = cmd.get("cmd"), cmd.get("id")
        if name in ("speak", "speak_tone"):
            frame_ms = int(cmd.get("frame_ms", 100))
            if name == "speak":
                frames: Iterator[rtc.AudioFrame] = wav_frames(cmd["wav"], frame_ms)
            else:
                frames = tone_frames(
                    float(cmd.get("seconds", 1.0)),
                    float(cmd.get("hz", 440)),
                    int(cmd.get("sample_rate", 24000)),
                    int(cmd.get("channels", 1)),
                    frame_ms,
                )
            prev = self.speak_task
            self.speak_task = asyncio.create_task(
                self.speak(frames, bool(cmd.get("realtime", False)), cid, prev)
            )
        elif name == "interrupt":
            await self.interrupt(cid)
        elif name == "wait_playout":
            task = asyncio.create_task(self.wait_playout(cid))  # keep reading commands meanwhile
            self.bg_tasks.add(task)
            task.add_done_callback(self.bg_tasks.discard)
        elif name == "quit":
            return False
        else:
            emit("error", message=f"unknown cmd {name!r}", id=cid)
        return True

    async def speak(
        self,
        frames: Iterator[rtc.AudioFrame],
        realtime: bool,
        cid: Any,
        prev: asyncio.Task[None] | None,
    ) -> None:
        assert self.output is not None
        if prev is not None and not prev.done():
            await asyncio.gather(prev, return_exceptions=True)  # one capture at a time
        cancelled = False
        pushed, count = 0.0, 0
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        try:
            for frame in frames:
                if count == 0:
                    self.segment += 1
                    emit("speak_started", id=cid, segment=self.segment)
                await self.output.capture_frame(frame)
                pushed += frame.duration
                count += 1
                if realtime:
                    await asyncio.sleep(max(0.0, t0 + pushed - loop.time()))
        except asyncio.CancelledError:
            cancelled = True
            raise
        except Exception as e:
            emit("error", id=cid, message=f"{type(e).__name__}: {e}")
        finally:
            # exactly what livekit-agents' _audio_forwarding_task does
            self.output.flush()
            if cancelled:
                self.output.clear_buffer()
                emit("speak_cancelled", id=cid, segment=self.segment, pushed=pushed, frames=count)
            else:
                emit("speak_captured", id=cid, segment=self.segment, pushed=pushed, frames=count)

    async def wait_playout(self, cid: Any) -> None:
        assert self.output is not None
        ev = await self.output.wait_for_playout()
        emit("playout", id=cid, position=ev.playback_position, interrupted=ev.interrupted)

    async def interrupt(self, cid: Any) -> None:
        """AgentSession on interruption: cancel the forwarding task, clear_buffer(), wait_for_playout()."""
        assert self.output is not None
        if self.speak_task and not self.speak_task.done():
            self.speak_task.cancel()
            await asyncio.gather(self.speak_task, return_exceptions=True)
        pending = self.output._pending_playback_count  # clear_buffer() is a no-op when 0
        self.output.clear_buffer()
        emit("interrupt_sent", id=cid, pending_segments=pending)
        ev = await self.output.wait_for_playout()
        emit("playout", id=cid, position=ev.playback_position, interrupted=ev.interrupted)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_args(p, default_identity="py-agent")
    p.add_argument(
        "--avatar-identity",
        default=os.environ.get("AVATAR_IDENTITY", "avatar-worker"),
        help="destination_identity of the avatar participant (env AVATAR_IDENTITY)",
    )
    p.add_argument("--sample-rate", type=int, default=None, help="AudioOutput.sample_rate (informational)")
    p.add_argument("--wait-remote-track", choices=["none", "audio", "video"], default="none")
    p.add_argument("--wait-playback-start", action="store_true", help="expect lk.playback_started RPCs")
    p.add_argument(
        "--clear-buffer-timeout",
        type=lambda s: None if s == "none" else float(s),
        default=2.0,
        help="seconds; 'none' disables the fallback (library default 2.0)",
    )
    args = p.parse_args()
    setup_logging(args.log_level)
    asyncio.run(Sender(args).run())


if __name__ == "__main__":
    main()

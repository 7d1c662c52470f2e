#!/usr/bin/env python3
"""Minimal Python "avatar side" of the LiveKit avatar data-stream protocol.

Uses livekit-agents' own `DataStreamAudioReceiver` (livekit.agents.voice.avatar). Two modes:

  --mode runner (default)  the library's AvatarRunner + a trivial VideoGenerator (solid frames whose
                           brightness follows the audio level). Publishes `avatar_audio` (microphone) and
                           `avatar_video` (camera) and paces playback at real time through
                           rtc.AVSynchronizer; the runner itself sends lk.playback_started (first audio
                           frame of a segment) and lk.playback_finished (segment end / clear_buffer),
                           exactly as a Python avatar worker does.
  --mode raw               no tracks: consume the receiver directly and notify like the runner does
                           (started at a segment's first frame, finished at its end or on clear_buffer).
                           With --pace, each frame "plays" for its duration; without, instantly.

stdout, JSON lines: connected, sender_found, stream_opened, stream_closed, segment_started, segment_end,
  clear_buffer, notify_playback_started, notify_playback_finished, rpc_in, rpc_out, track_published,
  error, bye. Runs until stdin closes / {"cmd":"quit"} arrives, or SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sys
from collections.abc import AsyncIterator
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
from livekit.agents.utils.audio import AudioByteStream
from livekit.agents.voice.avatar import (
    AudioSegmentEnd,
    AvatarOptions,
    AvatarRunner,
    DataStreamAudioReceiver,
    VideoGenerator,
)


class ObservedReceiver(DataStreamAudioReceiver):
    """The library receiver, plus JSON events for the wire-level streams and the notifications."""

    async def _iter_reader(self, reader: rtc.ByteStreamReader) -> AsyncIterator[bytes]:
        # private hook of DataStreamAudioReceiver: called once per incoming lk.audio_stream byte stream
        info = reader.info
        sender = self._remote_participant.identity if self._remote_participant else None
        emit(
            "stream_opened",
            stream_id=info.stream_id,
            name=info.name,
            topic=info.topic,
            mime_type=info.mime_type,
            size=info.size,
            attributes=info.attributes,
            sender=sender,
        )
        nbytes = chunks = 0
        how = "abandoned"  # the consumer stopped reading (clear_buffer) before the end
        try:
            async for data in super()._iter_reader(reader):
                nbytes += len(data)
                chunks += 1
                yield data
            how = "cleared" if self._current_reader_cleared else "ended"
        finally:
            emit("stream_closed", stream_id=info.stream_id, bytes=nbytes, chunks=chunks, how=how)

    def notify_playback_started(self) -> None:
        emit("notify_playback_started")
        super().notify_playback_started()

    def notify_playback_finished(self, playback_position: float, interrupted: bool) -> None:
        emit("notify_playback_finished", position=playback_position, interrupted=interrupted)
        super().notify_playback_finished(playback_position, interrupted)


class SegmentLog:
    """Tracks what reaches the consumer (frames and AudioSegmentEnd) and reports per segment."""

    def __init__(self, recv: ObservedReceiver) -> None:
        self.recv = recv
        self.active = False
        self.samples = self.frames = 0
        self.sizes: set[int] = set()
        self.sr = 0

    def observe(self, item: rtc.AudioFrame | AudioSegmentEnd) -> None:
        if isinstance(item, rtc.AudioFrame):
            if not self.active:
                self.active, self.samples, self.frames, self.sizes, self.sr = True, 0, 0, set(), item.sample_rate
                rp = self.recv._remote_participant
                emit(
                    "segment_started",
                    sample_rate=item.sample_rate,
                    num_channels=item.num_channels,
                    sender=rp.identity if rp else None,
                )
            self.samples += item.samples_per_channel
            self.frames += 1
            self.sizes.add(item.samples_per_channel)
        else:
            self.end(cleared=False)

    def end(self, *, cleared: bool) -> None:
        if not self.active:
            if not cleared:
                emit("segment_end", samples=0, seconds=0.0, frames=0, frame_sizes=[], cleared=False)
            return
        self.active = False
        emit(
            "segment_end",
            samples=self.samples,
            seconds=round(self.samples / self.sr, 4),
            frames=self.frames,
            frame_sizes=sorted(self.sizes),
            cleared=cleared,
        )


class LevelVideoGenerator(VideoGenerator):
    """Trivial VideoGenerator: one solid RGBA frame per 1/fps of audio, grey level = audio RMS."""

    def __init__(self, opts: AvatarOptions, seg: SegmentLog) -> None:
        self.opts = opts
        self.seg = seg
        self.queue: asyncio.Queue[rtc.AudioFrame | AudioSegmentEnd] = asyncio.Queue()
        self.spf = int(opts.audio_sample_rate / opts.video_fps)
        self.bstream = self._new_bstream()
        self.resampler: rtc.AudioResampler | None = None
        self.idle = self._frame(0.0)

    def _new_bstream(self) -> AudioByteStream:
        o = self.opts
        return AudioByteStream(o.audio_sample_rate, o.audio_channels, samples_per_channel=self.spf)

    def _frame(self, level: float) -> rtc.VideoFrame:
        v = max(0, min(255, int(40 + 215 * level)))
        px = bytes((v, v, v, 255))
        return rtc.VideoFrame(
            self.opts.video_width, self.opts.video_height, rtc.VideoBufferType.RGBA,
            px * (self.opts.video_width * self.opts.video_height),
        )

    async def push_audio(self, frame: rtc.AudioFrame | AudioSegmentEnd) -> None:
        self.seg.observe(frame)
        self.queue.put_nowait(frame)

    def clear_buffer(self) -> None:
        dropped = 0
        while not self.queue.empty():
            self.queue.get_nowait()
            dropped += 1
        self.bstream = self._new_bstream()
        self.resampler = None
        self.seg.end(cleared=True)
        emit("generator_cleared", dropped_frames=dropped)

    def _chunks(self, frame: rtc.AudioFrame) -> list[rtc.AudioFrame]:
        o = self.opts
        if frame.sample_rate != o.audio_sample_rate:
            if self.resampler is None:
                self.resampler = rtc.AudioResampler(frame.sample_rate, o.audio_sample_rate, num_channels=frame.num_channels)
            frames = self.resampler.push(frame)
        else:
            frames = [frame]
        return [c for f in frames for c in self.bstream.push(f.data.tobytes())]

    def __aiter__(self) -> AsyncIterator[rtc.VideoFrame | rtc.AudioFrame | AudioSegmentEnd]:
        return self._run()

    async def _run(self) -> AsyncIterator[rtc.VideoFrame | rtc.AudioFrame | AudioSegmentEnd]:
        while True:
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                yield self.idle  # AVSynchronizer paces these at video_fps
                continue
            if isinstance(item, AudioSegmentEnd):
                tail = [c for f in (self.resampler.flush() if self.resampler else []) for c in self.bstream.push(f.data.tobytes())]
                tail += self.bstream.flush()
                self.resampler = None
                for chunk in tail:
                    yield self._frame(self._rms(chunk))
                    yield chunk
                yield item
                continue
            for chunk in self._chunks(item):
                yield self._frame(self._rms(chunk))
                yield chunk

    @staticmethod
    def _rms(frame: rtc.AudioFrame) -> float:
        data = frame.data
        if len(data) == 0:
            return 0.0
        return min(1.0, math.sqrt(sum(int(s) * int(s) for s in data[::8]) / max(1, len(data[::8]))) / 8000)


async def raw_consume(recv: ObservedReceiver, seg: SegmentLog, pace: bool) -> None:
    """What AvatarRunner does, minus tracks: started at first frame, finished at segment end/clear."""
    state: dict[str, Any] = {"playing": False, "pos": 0.0, "clears": 0}

    def on_clear() -> None:
        seg.end(cleared=True)
        state["clears"] += 1
        if state["playing"]:
            recv.notify_playback_finished(state["pos"], True)
        state["playing"], state["pos"] = False, 0.0

    recv.on("clear_buffer", on_clear)
    async for item in recv:
        if isinstance(item, rtc.AudioFrame):
            seg.observe(item)
            if not state["playing"]:
                state["playing"] = True
                recv.notify_playback_started()
            clears = state["clears"]
            if pace:
                await asyncio.sleep(item.duration)
            if clears == state["clears"]:  # not cut by a clear_buffer while "playing"
                state["pos"] += item.duration
            continue
        seg.observe(item)
        if state["playing"]:
            recv.notify_playback_finished(state["pos"], False)
        state["playing"], state["pos"] = False, 0.0


async def run(args: argparse.Namespace) -> None:
    room = rtc.Room()
    attrs = {"lk.publish_on_behalf": args.publish_on_behalf} if args.publish_on_behalf else None

    @room.on("participant_connected")
    def _on_participant(p: rtc.RemoteParticipant) -> None:
        emit("participant_joined", **participant_info(p))

    @room.on("local_track_published")
    def _on_local_track(pub: rtc.LocalTrackPublication, _track: Any) -> None:
        emit("track_published", name=pub.name, kind=rtc.TrackKind.Name(pub.kind), source=rtc.TrackSource.Name(pub.source))

    @room.on("disconnected")
    def _on_disconnected(reason: Any) -> None:
        emit("disconnected", reason=str(reason))

    await room.connect(args.url, mint_token(args, attributes=attrs))
    room.local_participant.add_rpc_interceptor(RpcLogger())
    emit(
        "connected",
        identity=room.local_participant.identity,
        room=room.name,
        attributes=dict(room.local_participant.attributes),
        mode=args.mode,
    )

    recv = ObservedReceiver(
        room, sender_identity=args.sender_identity, frame_size_ms=args.frame_size_ms
    )
    recv.on("clear_buffer", lambda: emit("clear_buffer"))
    seg = SegmentLog(recv)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def stdin_watch() -> None:
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            try:
                if json.loads(line).get("cmd") == "quit":
                    break
            except ValueError:
                pass
        stop.set()

    watchers = [asyncio.create_task(stop.wait())]
    if not args.ignore_stdin:
        watchers.append(asyncio.create_task(stdin_watch()))

    runner: AvatarRunner | None = None
    work: asyncio.Task[None]
    # start() waits for the sender participant (or the first agent-kind participant)
    if args.mode == "runner":
        opts = AvatarOptions(
            video_width=args.width,
            video_height=args.height,
            video_fps=args.fps,
            audio_sample_rate=args.sample_rate,
            audio_channels=args.channels,
        )
        runner = AvatarRunner(room, audio_recv=recv, video_gen=LevelVideoGenerator(opts, seg), options=opts)
        start = asyncio.create_task(runner.start())
    else:
        start = asyncio.create_task(recv.start())
    done, _ = await asyncio.wait([start, *watchers], return_when=asyncio.FIRST_COMPLETED)
    if start in done:
        start.result()
        rp = recv._remote_participant
        emit("sender_found", **(participant_info(rp) if rp else {}))
        if runner is not None:
            work = asyncio.create_task(runner.wait_for_complete())
        else:
            work = asyncio.create_task(raw_consume(recv, seg, args.pace))
        await asyncio.wait([work, *watchers], return_when=asyncio.FIRST_COMPLETED)
        if work.done() and work.exception():
            emit("error", message=repr(work.exception()))
    for t in watchers:
        t.cancel()
    if runner is not None:
        await runner.aclose()
    else:
        await recv.aclose()
    await room.disconnect()
    emit("bye")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_args(p, default_identity="avatar-worker")
    p.add_argument(
        "--sender-identity",
        default=os.environ.get("SENDER_IDENTITY") or None,
        help="agent identity to serve; default: the first participant of kind AGENT (library behaviour)",
    )
    p.add_argument(
        "--publish-on-behalf",
        default=os.environ.get("PUBLISH_ON_BEHALF"),
        help="lk.publish_on_behalf attribute put in a minted token (default: --sender-identity)",
    )
    p.add_argument("--mode", choices=["runner", "raw"], default="runner")
    p.add_argument("--pace", action="store_true", help="raw mode: play each frame for its duration")
    p.add_argument("--frame-size-ms", type=int, default=100, help="receiver rechunk size (library default 100)")
    p.add_argument("--sample-rate", type=int, default=24000, help="runner: published audio sample rate")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--fps", type=float, default=10.0)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--height", type=int, default=64)
    p.add_argument("--ignore-stdin", action="store_true", help="run until SIGTERM/SIGINT only")
    args = p.parse_args()
    if args.publish_on_behalf is None:
        args.publish_on_behalf = args.sender_identity
    setup_logging(args.log_level)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

"""The delivery engine of one process: many attempts at once, each receiver apart.

A send job hands delivery ids to ``Engine.submit`` and returns at once, so the job queue
never waits for a receiver. The engine keeps one line of waiting ids per receiver
(outbound postback) and a pool of sender threads:

* a **coordinator** thread routes new ids to their receiver's line and, whenever a slot
  frees up, claims (leases) as many as each receiver's ``concurrency`` and the free
  threads allow, in one statement for all receivers, and renders them;
* the **sender** threads only make HTTP requests, each bounded by its total deadline;
* a **recorder** thread records the answers in batches, beside the claiming, updating
  each receiver's circuit (``app.outbound.circuit``).

So a receiver that stalls holds at most its own ``concurrency`` threads, and once its
circuit opens, one probe; every other receiver's line moves at full speed.

Threads, not non-blocking I/O: the HTTP client (urllib3's pools under requests) blocks,
a sender spends its time waiting on the socket with the GIL released, and the database
work stays on two threads with plain SQLAlchemy. ``make bench`` measures it (docs/benchmarks.md's
deliveries table).

Every guarantee of ``app.outbound.dispatch`` holds: the delivery row exists before any
attempt, an attempt is made only under a lease (so never twice at once), every attempt is
recorded, retries follow the postback's schedule and ``Retry-After``. Ids are held in
memory only while waiting for a free slot; a line is bounded, and what it sheds, or what a
killed process held, is still due in the database, where the sweeper finds it again.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Delivery, OutboundPostback
from app.outbound import circuit, dispatch, rules

log = logging.getLogger(__name__)
#: Ids one receiver's line may hold beyond those in flight; more are left to the sweeper.
LINE_LIMIT = 2000
#: Longest the coordinator sleeps with nothing to do (it wakes at once on new work).
IDLE_WAIT = 0.5
#: Answers recorded per transaction, at most.
SETTLE_BATCH = 200


#: Put in the answers' queue to wake the recorder when the engine stops.
STOP: Any = object()


@dataclass(frozen=True)
class Finished:
    """One attempt's answer, waiting to be recorded."""

    delivery_id: int
    postback_id: int
    prepared: rules.Prepared
    started_at: datetime
    answer: tuple  # type: ignore[type-arg]
    #: Whether a later revision of the conversion may be waiting for this one.
    holds_later: bool


class Engine:
    def __init__(self, app: Flask, *, threads: int) -> None:
        self._app = app
        self.threads = threads
        self._cond = threading.Condition()
        self._incoming: list[int] = []
        self._lines: dict[int, deque[int]] = {}
        #: Every id this engine holds: incoming, in a line or in flight.
        self._held: set[int] = set()
        self._in_flight: dict[int, int] = {}
        self._finished: queue.SimpleQueue[Finished] = queue.SimpleQueue()
        #: Attempts claimed whose outcome is not recorded yet.
        self._unrecorded = 0
        #: Per receiver: answers in but not recorded, and this engine's failures in a row.
        #: Past ``FAILURES_TO_OPEN`` it claims no more for that receiver until they are
        #: recorded, so the circuit opens after as many failures as it says.
        self._answered: dict[int, int] = {}
        self._streak: dict[int, int] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._recorder: threading.Thread | None = None
        self._stopping = False
        self._slots_freed = False
        self._idle = threading.Event()
        self._idle.set()
        self._turn = 0

    # -- what callers use -----------------------------------------------------------------

    def submit(self, delivery_ids: list[int]) -> None:
        """Take these deliveries to attempt when due; returns without waiting."""
        with self._cond:
            new = [id_ for id_ in delivery_ids if id_ not in self._held]
            if not new:
                return
            self._held.update(new)
            self._incoming.extend(new)
            self._idle.clear()
            self._cond.notify_all()
        self._start()

    def join(self, timeout: float = 60.0) -> bool:
        """Wait until every id taken so far was attempted or handed back (tests, a
        stopping worker); whether that happened within ``timeout``."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the attempts in flight and record them, then end the threads."""
        self.join(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._finished.put(STOP)  # wakes the recorder now
        for thread in (self._thread, self._recorder):
            if thread is not None:
                thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # -- the coordinator ------------------------------------------------------------------

    def _start(self) -> None:
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="pbhub-send")
            self._thread = threading.Thread(target=self._run, name="pbhub-deliveries", daemon=True)
            self._recorder = threading.Thread(
                target=self._record_answers, name="pbhub-delivered", daemon=True
            )
            self._thread.start()
            self._recorder.start()

    def _run(self) -> None:
        """Take new ids and fill the receivers' free slots, whenever either changes."""
        while True:
            with self._cond:
                if self._stopping and not self._unrecorded:
                    return
                if not self._incoming and not self._slots_freed:
                    self._cond.wait(IDLE_WAIT)
                self._slots_freed = False
            try:
                with self._app.app_context():
                    self._round()
            except Exception:
                log.exception("deliveries: a round failed; the sweeper retries what it held")
                self._forget_waiting()
                time.sleep(IDLE_WAIT)
            self._note_idle()

    def _round(self) -> None:
        from app.runtime import delivery_settings

        settings = delivery_settings()
        with self._cond:
            incoming, self._incoming = self._incoming, []
        if incoming:
            self._route(incoming)
        self._send_what_fits(settings)
        db.session.commit()

    def _record_answers(self) -> None:
        """Record answers in batches, beside the claiming: a slot is free again as soon
        as its answer came (the lease keeps the delivery until it is recorded)."""
        from app.runtime import delivery_settings

        while True:
            try:
                first = self._finished.get(timeout=IDLE_WAIT)
            except queue.Empty:
                first = STOP
            if first is STOP:
                with self._cond:
                    if self._stopping and not self._unrecorded:
                        return
                continue
            batch = [first]
            while len(batch) < SETTLE_BATCH:
                try:
                    following = self._finished.get_nowait()
                except queue.Empty:
                    break
                if following is not STOP:
                    batch.append(following)
            released: list[int] = []
            try:
                with self._app.app_context():
                    released = self._record(batch, delivery_settings())
            except Exception:
                log.exception(
                    "deliveries: %d answers could not be recorded; their leases run out "
                    "and the sweeper sends them again",
                    len(batch),
                )
            with self._cond:
                self._unrecorded -= len(batch)
                for finished in batch:
                    self._held.discard(finished.delivery_id)
                    self._answered[finished.postback_id] -= 1
                fresh = [id_ for id_ in released if id_ not in self._held]
                self._held.update(fresh)
                self._incoming.extend(fresh)
                self._cond.notify_all()
            self._note_idle()

    def _record(self, batch: list[Finished], settings: dispatch.Settings) -> list[int]:
        """Record one batch of answers; the later revisions they released."""
        states = dispatch.settle(
            [(f.delivery_id, f.prepared, f.started_at, f.answer) for f in batch],
            settings.now(),
        )
        holding = {f.delivery_id for f in batch if f.holds_later}
        return dispatch.released_by(
            [
                id_
                for id_, state in states.items()
                if id_ in holding and state not in dispatch.RETRYING_STATES
            ]
        )

    def _route(self, ids: list[int]) -> None:
        """Put each id in its receiver's line; ids that are not owed an attempt are let go."""
        rows = db.session.execute(
            select(Delivery.id, Delivery.outbound_postback_id).where(
                Delivery.id.in_(ids), Delivery.state.in_(dispatch.RETRYING_STATES)
            )
        ).all()
        routed = set()
        with self._cond:
            for delivery_id, postback_id in rows:
                line = self._lines.setdefault(postback_id, deque())
                if len(line) < LINE_LIMIT:
                    line.append(delivery_id)
                    routed.add(delivery_id)
            self._held.difference_update(set(ids) - routed)

    def _send_what_fits(self, settings: dispatch.Settings) -> None:
        """Claim what every receiver has room for, in one transaction, and send it."""
        with self._cond:
            waiting = [pid for pid, line in self._lines.items() if line]
            free_threads = self.threads - sum(self._in_flight.values())
        if not waiting or free_threads <= 0:
            return
        postbacks = {
            p.id: p
            for p in db.session.scalars(
                select(OutboundPostback).where(OutboundPostback.id.in_(waiting))
            )
        }
        now = settings.now()
        # Round robin: the receiver served first (when threads are short) changes each round.
        self._turn += 1
        turn = self._turn % len(waiting)
        wanted: dict[int, dispatch.Wanted] = {}
        probes: list[int] = []
        for postback_id in waiting[turn:] + waiting[:turn]:
            postback = postbacks.get(postback_id)
            if postback is None or postback.state != "active":
                self._let_go(postback_id)
                continue
            with self._cond:
                busy = self._in_flight.get(postback_id, 0)
                unsure = (
                    self._streak.get(postback_id, 0) >= circuit.FAILURES_TO_OPEN
                    and self._answered.get(postback_id, 0) > 0
                )
            room = min(max(postback.concurrency, 1) - busy, free_threads)
            if room <= 0 or unsure:
                continue
            deadline = dispatch.attempt_deadline(postback, settings)
            if postback.circuit_state != "closed":
                with self._cond:
                    if busy or self._answered.get(postback_id, 0):
                        continue  # our probe's answer decides, once recorded
                probe_at = postback.circuit_next_probe_at
                if probe_at is None or probe_at > now:
                    # Held in the database, not here: the sweeper hands them back when
                    # the probe is due.
                    self._let_go(postback_id)
                    continue
                if not circuit.take_probe(postback_id, now, timedelta(seconds=deadline)):
                    self._let_go(postback_id)  # another worker probes
                    continue
                probes.append(postback_id)
                room = 1
            with self._cond:
                candidates = list(itertools.islice(self._lines[postback_id], room))
            wanted[postback_id] = dispatch.Wanted(candidates, room, deadline)
            free_threads -= room
        if probes:
            db.session.commit()
        if not wanted:
            return
        receivers = {pid: dispatch.Receiver.of(postbacks[pid]) for pid in wanted}
        claimed, unclaimable = dispatch.claim(wanted, now)
        for postback_id in probes:
            if not claimed.get(postback_id):
                circuit.give_back_probe(postback_id, now)
                db.session.commit()
        owner = {id_: pid for pid, ids in claimed.items() for id_ in ids}
        with self._cond:
            gone = set(owner) | set(unclaimable)
            for postback_id in wanted:
                line = self._lines.get(postback_id, deque())
                self._lines[postback_id] = deque(id_ for id_ in line if id_ not in gone)
            self._held.difference_update(unclaimable)
            # Counted before they leave the lines, so the engine is never seen idle
            # between the claim and the attempt.
            self._owe(owner, 1)
        loaded: list[tuple[int, rules.Prepared, bool]] = []
        try:
            loaded = dispatch.load(list(owner), settings, now)
        finally:
            # Leased but never sent (gone meanwhile, or the load failed): their leases
            # run out and the sweeper sends them.
            unsent = dict(owner)
            for delivery_id, _, _ in loaded:
                unsent.pop(delivery_id, None)
            with self._cond:
                self._owe(unsent, -1)
                self._held.difference_update(unsent)
        for delivery_id, prepared, holds_later in loaded:
            self._pool.submit(  # type: ignore[union-attr]
                self._attempt,
                delivery_id,
                prepared,
                receivers[owner[delivery_id]],
                settings,
                now,
                holds_later,
            )

    def _owe(self, owner: dict[int, int], sign: int) -> None:
        """Count (or uncount) these deliveries as in flight to their receivers; with the
        lock held."""
        for postback_id in owner.values():
            self._in_flight[postback_id] = self._in_flight.get(postback_id, 0) + sign
        self._unrecorded += sign * len(owner)

    def _attempt(
        self,
        delivery_id: int,
        prepared: rules.Prepared,
        receiver: dispatch.Receiver,
        settings: dispatch.Settings,
        started_at: datetime,
        holds_later: bool,
    ) -> None:
        try:
            answer = dispatch.perform(prepared, receiver, settings)
        except Exception as exc:  # never lose the slot: the attempt is recorded as failed
            log.exception("delivery %s: the attempt failed unexpectedly", delivery_id)
            answer = (None, None, f"{type(exc).__name__}: {exc}"[:1000], None, None)
        self._finished.put(
            Finished(delivery_id, receiver.id, prepared, started_at, answer, holds_later)
        )
        status, _, error, _, _ = answer
        failed = circuit.failed(rules.outcome(status), error)
        with self._cond:
            self._in_flight[receiver.id] -= 1
            self._answered[receiver.id] = self._answered.get(receiver.id, 0) + 1
            if failed is not None:
                self._streak[receiver.id] = self._streak.get(receiver.id, 0) + 1 if failed else 0
            self._slots_freed = True
            self._cond.notify_all()

    # -- bookkeeping ----------------------------------------------------------------------

    def _let_go(self, postback_id: int) -> None:
        with self._cond:
            line = self._lines.pop(postback_id, deque())
            self._held.difference_update(line)

    def _forget_waiting(self) -> None:
        """After a failed round: keep only what is in flight (its answer still comes)."""
        with self._cond:
            for postback_id in list(self._lines):
                self._held.difference_update(self._lines.pop(postback_id))
            self._held.difference_update(self._incoming)
            self._incoming = []

    def _note_idle(self) -> None:
        with self._cond:
            quiet = not self._incoming and not self._unrecorded and not any(self._lines.values())
            if quiet:
                self._idle.set()

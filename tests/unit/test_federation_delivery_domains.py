"""The delivery sender's memory of failing domains and its federation-off pause, on fakes with a
fake clock: the circuit breaker survives a restart, a domain silent for a week is marked
unavailable (deliveries given up and not queued, a weekly check, back on a signed activity or
the admin's "Try again"), and turning federation off keeps the queue instead of dropping it."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest

from owncast_core.domain.config import Keys
from owncast_core.domain.delivery import RETRY_DELAYS, CircuitBreakers, DomainHealth
from owncast_core.domain.events import ConfigChanged
from owncast_core.domain.http_signatures import sign_request
from owncast_core.errors import DeliveryFailed, NotFoundError, ValidationError
from owncast_core.ports.activitypub import HttpReply
from owncast_core.testing.fakes import FakeFederationCrypto

from .test_federation_delivery import LOG, T0, Rig, add_follower, make_rig

DAY = 86400.0
WEEK = 7 * DAY


async def logged(text: str) -> None:
    """Wait (up to 5 s) until the federation logger writes a line containing ``text``."""
    seen = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    handler = Watch()
    logging.getLogger(LOG).addHandler(handler)
    try:
        await asyncio.wait_for(seen.wait(), 5)
    finally:
        logging.getLogger(LOG).removeHandler(handler)


# --- the pure rules ---------------------------------------------------------------------------------


def test_the_breaker_state_goes_out_as_records_and_comes_back() -> None:
    breakers = CircuitBreakers(threshold=2, pause=600)
    assert breakers.record("a.example") is None
    breakers.failure("a.example", T0)
    assert breakers.record("a.example") == DomainHealth("a.example", failures=1, first_failure_at=T0)
    assert breakers.failure("a.example", T0 + timedelta(seconds=5)) == 600
    stored = breakers.record("a.example")
    assert stored == DomainHealth("a.example", failures=2, pause=600.0, open_until=T0 + timedelta(seconds=605),
                                  first_failure_at=T0)
    again = CircuitBreakers(threshold=2, pause=600)
    again.restore([stored])
    assert again.paused(T0) == {"a.example": T0 + timedelta(seconds=605)} and again.tripped("a.example")
    assert again.failure("a.example", T0 + timedelta(seconds=605)) == 1200  # a failed probe doubles, as before
    assert again.success("a.example") is True and again.record("a.example") is None


def test_a_week_without_an_answer_marks_a_domain_unavailable_and_a_probe_is_let_through_weekly() -> None:
    breakers = CircuitBreakers(threshold=2, pause=600, max_pause=3600)
    breakers.failure("a.example", T0)
    breakers.failure("a.example", T0 + timedelta(seconds=1))  # opens the breaker
    breakers.failure("a.example", T0 + timedelta(days=6, hours=23))
    assert not breakers.is_unavailable("a.example") and breakers.unavailable() == {}
    marked = T0 + timedelta(days=7)
    breakers.failure("a.example", marked)
    assert breakers.is_unavailable("a.example") and breakers.unavailable() == {"a.example": marked}
    assert breakers.admit_probe("a.example", marked + timedelta(days=6)) is False  # the first check is a week on
    assert breakers.admit_probe("a.example", marked + timedelta(days=7)) is True
    assert breakers.admit_probe("a.example", marked + timedelta(days=8)) is False  # one per week
    assert breakers.admit_probe("b.example", marked) is False  # not unavailable: nothing to admit
    assert breakers.success("a.example") and not breakers.is_unavailable("a.example")


def test_failures_spread_over_a_week_without_the_breaker_opening_do_not_make_a_domain_unavailable() -> None:
    breakers = CircuitBreakers(threshold=100)
    for day in range(9):
        breakers.failure("a.example", T0 + timedelta(days=day))
    assert not breakers.is_unavailable("a.example")
    breakers.forget("a.example")
    assert breakers.record("a.example") is None


# --- the breaker across a restart -------------------------------------------------------------------


async def test_a_paused_domain_stays_paused_after_a_restart(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()  # the default breaker: 5 failures in a row pause a domain for 10 min
    down = [await add_follower(rig, n, host="down.example", reply=DeliveryFailed("connection refused"))
            for n in range(1, 6)]
    await rig.service.send_note("hello")
    assert await rig.service.deliver_due() == 5
    (record,) = rig.health.records.values()
    assert (record.domain, record.failures, record.open_until) == ("down.example", 5, T0 + timedelta(minutes=10))

    restarted = rig.make()  # a new service over the same stores: the breaker is read back
    assert await restarted.deliver_due() == 0
    rig.clock.advance(9 * 60)
    assert await restarted.deliver_due() == 0  # retries due after 1 min, the domain paused for 10
    status = await restarted.delivery_status(0, 10)
    assert status["pausedDomains"] == [{"domain": "down.example", "until": (T0 + timedelta(minutes=10)).isoformat()}]
    for follower in down:
        rig.http.routes[follower.inbox] = HttpReply(202)
    rig.clock.advance(60)
    assert await restarted.deliver_due() == 5  # the probe answers, the rest follow
    assert await rig.queue.count() == 0 and rig.health.records == {}
    assert "down.example answers again; resuming deliveries to it" in caplog.text


async def test_the_worker_says_what_it_found_paused_at_start(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()
    await rig.health.save(DomainHealth("down.example", failures=5, pause=600, open_until=T0 + timedelta(minutes=5),
                                       first_failure_at=T0))
    await rig.health.save(DomainHealth("dead.example", failures=50, pause=3600, open_until=T0, first_failure_at=T0,
                                       unavailable_since=T0, next_probe_at=T0 + timedelta(days=7)))
    rig.service.start_worker()
    try:
        await logged("from before the restart")
    finally:
        await rig.service.close()
    assert "from before the restart, 1 servers paused (not answering) and 1 marked unavailable" in caplog.text


# --- unavailable domains ----------------------------------------------------------------------------


async def dead_for_a_week(rig: Rig) -> None:
    """Two followers on dead.example (never answering) and one on up.example; a post a day, the
    clock moved an hour at a time, until dead.example is marked unavailable (about 7 days)."""
    for n in (1, 2):
        await add_follower(rig, n, host="dead.example", reply=DeliveryFailed("connection refused"))
    await add_follower(rig, 3, host="up.example")
    for hour in range(8 * 24):
        if hour % 24 == 0:
            await rig.service.send_note(f"day {hour // 24}")
        await rig.advance(0 if hour == 0 else 3600)
        if (await rig.service.delivery_status(0, 0))["unavailableDomains"]:
            return
    raise AssertionError("dead.example was never marked unavailable")


async def test_a_domain_silent_for_a_week_is_marked_unavailable_once_and_nothing_more_is_queued_for_it(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()
    await dead_for_a_week(rig)
    now = rig.clock.now()
    assert T0 + timedelta(days=7) <= now < T0 + timedelta(days=8)
    status = await rig.service.delivery_status(0, 10)
    assert status["unavailableDomains"] == [{"domain": "dead.example", "since": now.isoformat()}]
    assert status["total"] == 0  # what was queued for it is given up
    assert caplog.text.count("dead.example has not answered any delivery for 7 days") == 1
    assert "marking it unavailable: deliveries to it stop" in caplog.text
    assert "Fediverse: gave up 2 deliveries queued for dead.example, now unavailable" in caplog.text
    assert rig.health.records["dead.example"].unavailable_since == now

    caplog.clear()
    before = rig.posts("https://dead.example/users/u1/inbox")
    for _ in range(3):
        await rig.service.send_note("while it is unavailable")
        await rig.advance(3600)
    assert await rig.queue.count() == 0 and rig.posts("https://dead.example/users/u1/inbox") == before
    assert rig.posts("https://up.example/users/u3/inbox") >= 3 + 7  # the others get everything
    left_out = [r.getMessage() for r in caplog.records if "not queueing" in r.getMessage()]
    assert left_out == ["Fediverse: not queueing your post for 2 inboxes on servers marked unavailable "
                        "(dead.example)"] * 3  # one line per activity, not per inbox


async def test_the_weekly_check_lets_one_delivery_through(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()
    await dead_for_a_week(rig)
    marked = rig.clock.now()
    u1, u2 = "https://dead.example/users/u1/inbox", "https://dead.example/users/u2/inbox"
    sent = rig.posts(u1) + rig.posts(u2)
    rig.clock.advance(WEEK)
    await rig.service.send_note("a week later")
    checks = [d.inbox for d in await rig.queue.list() if d.domain == "dead.example"]
    assert len(checks) == 1 and checks[0] in (u1, u2)  # one of its two inboxes: the check
    assert "dead.example is unavailable; letting this post through to check it (next check in 7 days)" in caplog.text
    await rig.service.deliver_due()
    assert rig.posts(u1) + rig.posts(u2) == sent + 1 and await rig.queue.count() == 0  # not retried
    assert "not queueing your post for 1 inboxes on servers marked unavailable (dead.example)" in caplog.text
    assert "dead.example is still not answering (connection refused); it stays unavailable" in caplog.text
    await rig.service.send_note("still a week later")
    assert [d.domain for d in await rig.queue.list()] == ["up.example"]  # the next check is a week on
    await rig.service.deliver_due()
    assert (await rig.service.delivery_status(0, 0))["unavailableDomains"] == [
        {"domain": "dead.example", "since": marked.isoformat()}]

    rig.http.routes[u1] = rig.http.routes[u2] = HttpReply(202)
    rig.clock.advance(WEEK)
    await rig.service.send_note("two weeks later")
    assert await rig.service.deliver_due() == 2  # up.example and the check, which answers
    assert "dead.example answers again; it is available again and deliveries to it resume" in caplog.text
    assert (await rig.service.delivery_status(0, 0))["unavailableDomains"] == []
    assert "dead.example" not in rig.health.records
    await rig.service.send_note("back to normal")
    assert {d.inbox for d in await rig.queue.list() if d.domain == "dead.example"} == {u1, u2}


async def test_a_signed_activity_from_an_unavailable_domain_makes_it_available(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()
    await dead_for_a_week(rig)
    crypto = FakeFederationCrypto()
    keys = await crypto.generate_keys()
    iri = "https://dead.example/users/u1"
    rig.http.routes[iri] = HttpReply(200, json.dumps({
        "id": iri, "type": "Person", "preferredUsername": "u1", "inbox": f"{iri}/inbox",
        "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": keys.public_pem}}).encode())
    body = json.dumps({"id": f"{iri}/likes/1", "type": "Like", "actor": iri,
                       "object": "https://tv.example/federation/n1"}).encode()
    target = "/federation/user/streamer/inbox"
    headers = sign_request("POST", f"https://tv.example{target}", key_id=f"{iri}#main-key", now=rig.clock.now(),
                           body=body, sign=lambda data: crypto.sign(keys.private_pem, data))
    await rig.service.receive("streamer", method="POST", target=target, headers=headers, body=body)
    assert "dead.example sent us an activity; it is available again and deliveries to it resume" in caplog.text
    assert (await rig.service.delivery_status(0, 0))["unavailableDomains"] == []
    assert "dead.example" not in rig.health.records
    await rig.service.send_note("welcome back")
    assert len(await rig.queue.list()) == 3


async def test_the_admin_clears_a_paused_or_unavailable_domain(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()
    await dead_for_a_week(rig)
    with pytest.raises(ValidationError):
        await rig.service.retry_domain("  ")
    with pytest.raises(ValidationError):
        await rig.service.retry_domain(None)
    with pytest.raises(NotFoundError, match=r"nowhere\.example is neither paused nor unavailable"):
        await rig.service.retry_domain("nowhere.example")
    assert await rig.service.retry_domain(" Dead.Example ") == "dead.example"
    assert "trying dead.example again (asked from the admin page)" in caplog.text
    status = await rig.service.delivery_status(0, 0)
    assert status["unavailableDomains"] == [] and status["pausedDomains"] == []
    assert rig.health.records == {}
    await rig.service.send_note("try again")
    assert await rig.advance(0) == 3  # sent at once: nothing paused any more
    with pytest.raises(NotFoundError):
        await rig.make().retry_domain("up.example")


async def test_a_direct_message_still_tries_an_unavailable_domain() -> None:
    rig = await make_rig(breakers=CircuitBreakers(threshold=1, unavailable_after=0))
    inbox = "https://dead.example/users/bob/inbox"
    rig.http.routes[inbox] = DeliveryFailed("connection refused")
    await rig.service.deliver_to({"id": "https://tv.example/federation/a1", "type": "Create"}, [inbox])
    await rig.service.deliver_due()
    assert (await rig.service.delivery_status(0, 0))["unavailableDomains"][0]["domain"] == "dead.example"
    rig.clock.advance(3600)  # the breaker's pause is over; the domain stays unavailable
    rig.http.routes[inbox] = HttpReply(202)
    await rig.service._outgoing.send_now(b'{"type": "Create"}', inbox)
    assert (await rig.service.delivery_status(0, 0))["unavailableDomains"] == []


# --- federation off -----------------------------------------------------------------------------------


async def test_turning_federation_off_keeps_the_queue_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig(breakers=CircuitBreakers(threshold=100))
    follower = await add_follower(rig, 1, reply=HttpReply(503))
    await rig.service.send_note("hello")
    await rig.service.deliver_due()
    await rig.config.set(Keys.FEDERATION_ENABLED, False)
    for _ in range(3):
        assert await rig.advance(600) == 0
    (kept,) = await rig.queue.list()
    assert (kept.attempts, kept.last_error) == (1, "HTTP 503")  # untried while off: no attempt spent
    assert caplog.text.count("federation is off") == 1
    assert ("Fediverse: federation is off; 1 deliveries not sent yet stay queued, paused until it is turned on "
            "again") in caplog.text
    assert await rig.service._outgoing._seconds_to_next() == 60.0  # no busy loop while paused

    rig.http.routes[follower.inbox] = HttpReply(202)
    await rig.config.set(Keys.FEDERATION_ENABLED, True)
    assert await rig.service.deliver_due() == 1  # still inside its retry window: sent
    assert await rig.queue.count() == 0 and rig.posts(follower.inbox) == 2
    assert "gave up" not in caplog.text


async def test_deliveries_older_than_the_retry_schedule_are_given_up_in_one_line_when_federation_is_on_again(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig(breakers=CircuitBreakers(threshold=100))
    old = [await add_follower(rig, n, host=f"h{n}.example", reply=HttpReply(503)) for n in (1, 2, 3)]
    await rig.service.send_note("early")
    await rig.service.deliver_due()
    rig.clock.advance(3 * 3600)
    await rig.service.send_note("three hours later")  # queued behind "early" for the same inboxes
    await rig.config.set(Keys.FEDERATION_ENABLED, False)
    assert await rig.service.deliver_due() == 0 and await rig.queue.count() == 6

    rig.clock.advance(7 * 3600)  # "early" is 10 h old (> 8 h 36 min), "three hours later" 7 h
    for follower in old:
        rig.http.routes[follower.inbox] = HttpReply(202)
    await rig.config.set(Keys.FEDERATION_ENABLED, True)
    assert await rig.service.deliver_due() == 3
    assert await rig.queue.count() == 0
    contents = {json.loads(r[3])["object"]["content"] for r in rig.http.requests[-3:]}
    assert contents == {"<p>three hours later</p>"}
    gave_up = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    assert gave_up == ["Fediverse: gave up 3 deliveries queued before federation was turned off, older than "
                       "8 h 36 min (the whole retry schedule)"]
    assert sum(RETRY_DELAYS) == 8 * 3600 + 36 * 60


async def test_turning_federation_on_wakes_the_worker(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOG)
    rig = await make_rig()
    follower = await add_follower(rig, 1)
    await rig.config.set(Keys.FEDERATION_ENABLED, False)
    await rig.service.deliver_to({"id": "https://tv.example/federation/a1", "type": "Create"}, [follower.inbox])
    rig.service.start_worker()
    try:
        await logged("federation is off")  # the worker has paused and now waits
        await rig.config.set(Keys.FEDERATION_ENABLED, True)
        await rig.service.on_event(ConfigChanged("federation/enable", (Keys.FEDERATION_ENABLED,), rig.clock.now()))
        await rig.http.wait_posts(follower.inbox, 1)  # well before the worker's 60 s idle wait
    finally:
        await rig.service.close()

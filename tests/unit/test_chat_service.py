"""ChatService on fakes: connection outcomes, every event type, the rules, moderation, history."""

from __future__ import annotations

import json

import pytest

from owncast_core.domain.chat import (
    ApiScope,
    ChatActionSent,
    ChatMessageSent,
    MessagesVisibilityChanged,
    Notices,
    UserJoinedChat,
    UserNameChanged,
    UserPartedChat,
)
from owncast_core.domain.config import Keys
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.testing.contracts.render import inert
from owncast_core.testing.fakes import RecordingChatTransport

from .chat_rig import ChatRig


@pytest.fixture
async def rig() -> ChatRig:
    return await ChatRig().start()


def bodies(transport: RecordingChatTransport, kind: str) -> list[str]:
    return [e["body"] for e in transport.of_type(kind)]


# --- connecting ----------------------------------------------------------------------------------


async def test_connect_sends_connected_user_info(rig: ChatRig) -> None:
    client, transport, _ = await rig.join("Ada")
    [info] = transport.events
    assert info["type"] == "CONNECTED_USER_INFO"
    assert info["user"]["displayName"] == "Ada" and info["user"]["id"] == client.user.id
    assert info["user"]["isBot"] is False and info["user"]["previousNames"] == ["Ada"]


async def test_connect_refusals(rig: ChatRig) -> None:
    no_token = RecordingChatTransport()
    assert await rig.chat.connect(None, no_token, ip_address="1.1.1.1", user_agent="") is None
    assert no_token.closed and no_token.frames == []

    unknown = RecordingChatTransport()
    assert await rig.chat.connect("nope", unknown, ip_address="1.1.1.1", user_agent="") is None
    assert unknown.closed and unknown.events == [{"type": "ERROR_NEEDS_REGISTRATION"}]

    user, token = await rig.users.register("Eve")
    await rig.user_repo.set_disabled(user.id, rig.clock.now())
    disabled = RecordingChatTransport()
    assert await rig.chat.connect(token, disabled, ip_address="1.1.1.1", user_agent="") is None
    assert disabled.closed and disabled.events == [{"type": "ERROR_USER_DISABLED"}]
    assert rig.chat.connection_count() == 0


# --- chat messages -------------------------------------------------------------------------------


async def test_a_message_reaches_everyone_once_encoded_and_is_persisted(rig: ChatRig) -> None:
    ada, ada_t, _ = await rig.join("Ada")
    _bob, bob_t, _ = await rig.join("Bob")
    await rig.say(ada, "  hello  ")
    for transport in (ada_t, bob_t):
        [msg] = transport.of_type("CHAT")
        assert msg["body"] == "<p>hello</p>" and msg["visible"] is True
        assert msg["user"]["displayName"] == "Ada" and msg["id"] and msg["timestamp"]
    assert ada_t.frames[-1] == bob_t.frames[-1]  # the same encoded text
    [event] = rig.bus.of_type(ChatMessageSent)
    assert isinstance(event, ChatMessageSent)
    assert (event.raw_body, event.client_id, event.visible) == ("hello", ada.id, True)
    assert ada.message_count == 1
    history = await rig.chat.history()
    assert [(h["type"], h["body"], h["user"]["displayName"]) for h in history] == [
        ("CHAT", "<p>hello</p>", "Ada")
    ]


async def test_empty_bodies_are_ignored(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    for body in ("", "   ", "\n"):
        await rig.say(ada, body)
    assert transport.of_type("CHAT") == [] and transport.of_type("CHAT_ACTION") == []


async def test_oversized_frames_get_a_polite_refusal_and_huge_ones_close(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    big = json.dumps({"type": "CHAT", "body": "x" * 2100})
    await rig.chat.receive(ada, big)
    [notice] = bodies(transport, "CHAT_ACTION")
    assert "exceeded the maximum size" in notice
    assert not transport.closed
    await rig.chat.receive(ada, json.dumps({"type": "CHAT", "body": "é" * 2100}))  # 4200 bytes
    assert transport.closed


async def test_garbage_is_refused_clearly_and_the_client_survives(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    for junk in ("{not json", "[1,2]", '{"type": 5}', '{"type":"CHAT","body":{"x":1}}', b"\x00\x01binary"):
        rig.clock.advance(1)
        await rig.chat.receive(ada, junk)
    rig.clock.advance(1)
    await rig.chat.receive(ada, '{"type":"SOMETHING_NEW"}')
    notices = bodies(transport, "CHAT_ACTION")
    assert len(notices) == 6
    assert (
        "could not be understood" in notices[0] and "binary" in notices[4] and "SOMETHING_NEW" in notices[5]
    )
    rig.clock.advance(1)
    await rig.chat.receive(ada, '{"type":"PONG"}')  # passive types are silently accepted
    assert len(bodies(transport, "CHAT_ACTION")) == 6
    await rig.say(ada, "still here")
    assert bodies(transport, "CHAT") == ["<p>still here</p>"] and not transport.closed


async def test_flooding_mutes_for_ten_seconds_unless_disabled(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    frame = json.dumps({"type": "CHAT", "body": "spam"})
    for _ in range(5):
        await rig.chat.receive(ada, frame)
        rig.clock.advance(0.1)
    assert len(transport.of_type("CHAT")) == 1
    assert [b for b in bodies(transport, "CHAT_ACTION") if "flooding" in b] != []
    rig.clock.advance(10)
    await rig.chat.receive(ada, frame)
    assert len(transport.of_type("CHAT")) == 2
    await rig.config.set(Keys.CHAT_SPAM_PROTECTION_ENABLED, False)
    for _ in range(5):
        await rig.chat.receive(ada, frame)
    assert len(transport.of_type("CHAT")) == 7


async def test_established_user_mode(rig: ChatRig) -> None:
    await rig.config.set(Keys.CHAT_ESTABLISHED_USER_MODE, True)
    newbie, transport, _ = await rig.join()
    await rig.say(newbie, "hi")
    assert transport.of_type("CHAT") == []
    assert "established chat participant" in bodies(transport, "CHAT_ACTION")[0]
    rig.clock.advance(15 * 60)
    await rig.say(newbie, "hi again")
    assert bodies(transport, "CHAT") == ["<p>hi again</p>"]


async def test_messages_are_ignored_five_minutes_after_the_stream_ended(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    await rig.go_live()
    await rig.go_offline()
    rig.clock.advance(4 * 60)
    await rig.say(ada, "after show")
    rig.clock.advance(2 * 60)
    await rig.say(ada, "too late")
    assert bodies(transport, "CHAT") == ["<p>after show</p>"]


async def test_slur_filter_toggle(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    await rig.say(ada, "a badword here")
    assert bodies(transport, "CHAT") == ["<p>a badword here</p>"]
    await rig.config.set(Keys.CHAT_SLUR_FILTER_ENABLED, True)
    await rig.say(ada, "another badword")
    assert len(transport.of_type("CHAT")) == 1
    assert "not allowed" in bodies(transport, "CHAT_ACTION")[-1]


async def test_disabled_chat_drops_messages(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    await rig.config.set(Keys.CHAT_DISABLED, True)
    await rig.say(ada, "hello?")
    assert transport.of_type("CHAT") == [] and rig.chat.chat_disabled()


async def test_a_slow_client_is_dropped_without_hurting_others(rig: ChatRig) -> None:
    fast, fast_t, _ = await rig.join("Fast")
    _user, token = await rig.users.register("Slow")
    slow_t = RecordingChatTransport(limit=256, auto_drain=False)
    slow = await rig.chat.connect(token, slow_t, ip_address="1.1.1.1", user_agent="")
    assert slow is not None
    await rig.config.set(Keys.CHAT_SPAM_PROTECTION_ENABLED, False)
    for n in range(300):
        await rig.chat.receive(fast, json.dumps({"type": "CHAT", "body": f"m{n}"}))
    assert slow_t.closed and len(slow_t.queued) == 256
    assert len(fast_t.of_type("CHAT")) == 300


# --- names and colours ---------------------------------------------------------------------------


async def test_rename_broadcasts_and_remembers_previous_names(rig: ChatRig) -> None:
    ada, ada_t, _ = await rig.join("Ada")
    _bob, bob_t, _ = await rig.join("Bob")
    await rig.chat.receive(
        ada, json.dumps({"type": "NAME_CHANGE", "newName": "<i>Ada Lovelace</i> of Byron family"})
    )
    [change] = bob_t.of_type("NAME_CHANGE")
    assert change["oldName"] == "Ada" and change["user"]["displayName"] == "Ada Lovelace of Byron family"[:30]
    info = ada_t.of_type("CONNECTED_USER_INFO")[-1]
    assert info["user"]["previousNames"] == ["Ada", "Ada Lovelace of Byron family"[:30]]
    assert "nameChangedAt" in info["user"]
    [event] = rig.bus.of_type(UserNameChanged)
    assert isinstance(event, UserNameChanged) and event.new_name.startswith("Ada Lovelace")
    assert (await rig.user_repo.user_by_id(ada.user.id)).display_name.startswith("Ada Lovelace")
    await rig.say(ada, "renamed")
    assert bob_t.of_type("CHAT")[-1]["user"]["displayName"].startswith("Ada Lovelace")


async def test_rename_refusals(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join("Ada")
    verified, _tok = await rig.users.register("Grace")
    await rig.user_repo.set_disabled(verified.id, None)
    rig.user_repo._users[verified.id] = rig.user_repo._users[verified.id].__class__(
        **{
            **{f: getattr(verified, f) for f in verified.__dataclass_fields__},
            "authenticated_at": rig.clock.now(),
        }
    )
    for name in ("admin", "   ", "Grace", "Ada"):
        rig.clock.advance(1)
        await rig.chat.receive(ada, json.dumps({"type": "NAME_CHANGE", "newName": name}))
    notices = bodies(transport, "CHAT_ACTION")
    assert any("cannot change your name" in n for n in notices)
    assert any("can not be empty" in n for n in notices)
    assert any("has been already registered" in n for n in notices)
    assert len(notices) == 3 and transport.of_type("NAME_CHANGE") == []
    assert len(transport.of_type("CONNECTED_USER_INFO")) == 5  # connect + a resync per attempt


async def test_color_change(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    await rig.chat.receive(ada, json.dumps({"type": "COLOR_CHANGE", "newColor": 5}))
    assert transport.of_type("CONNECTED_USER_INFO")[-1]["user"]["displayColor"] == 5
    for bad in (8, -1, "3", True, 2.5):
        rig.clock.advance(1)
        await rig.chat.receive(ada, json.dumps({"type": "COLOR_CHANGE", "newColor": bad}))
    assert (await rig.user_repo.user_by_id(ada.user.id)).display_color == 5


# --- presence, welcome, stream state -------------------------------------------------------------


async def test_join_and_part_while_live_with_grace(rig: ChatRig) -> None:
    await rig.go_live()
    _watcher, watcher_t, _ = await rig.join("Watcher")
    ada, _, token = await rig.join("Ada")
    assert [e["user"]["displayName"] for e in watcher_t.of_type("USER_JOINED")] == ["Watcher", "Ada"]
    second = await rig.chat.connect(token, RecordingChatTransport(), ip_address="1.1.1.1", user_agent="")
    assert second is not None
    assert len(watcher_t.of_type("USER_JOINED")) == 2  # a second tab is no new join
    await rig.chat.disconnected(ada)
    await rig.chat.disconnected(second)
    await rig.scheduler.advance(9)
    assert watcher_t.of_type("USER_PARTED") == []
    back = await rig.chat.connect(token, RecordingChatTransport(), ip_address="1.1.1.1", user_agent="")
    assert back is not None
    await rig.scheduler.advance(5)
    assert watcher_t.of_type("USER_PARTED") == [] and len(watcher_t.of_type("USER_JOINED")) == 2
    await rig.chat.disconnected(back)
    await rig.scheduler.advance(10)
    assert [e["user"]["displayName"] for e in watcher_t.of_type("USER_PARTED")] == ["Ada"]
    assert len(rig.bus.of_type(UserPartedChat)) == 1 and len(rig.bus.of_type(UserJoinedChat)) == 2


async def test_join_messages_toggle_and_offline(rig: ChatRig) -> None:
    _watcher, watcher_t, _ = await rig.join("Watcher")
    await rig.join("Offline Ada")
    assert watcher_t.of_type("USER_JOINED") == []
    await rig.go_live()
    await rig.config.set(Keys.CHAT_JOIN_MESSAGES_ENABLED, False)
    await rig.join("Quiet Bob")
    assert watcher_t.of_type("USER_JOINED") == []


async def test_welcome_message_is_private_seven_seconds_after_connect_while_live(rig: ChatRig) -> None:
    await rig.config.set(Keys.WELCOME_MESSAGE, "Welcome, **friend**")
    _, early_t, _ = await rig.join("Early")
    await rig.go_live()
    _, ada_t, _ = await rig.join("Ada")
    await rig.scheduler.advance(6.9)
    assert ada_t.of_type("SYSTEM") == []
    await rig.scheduler.advance(0.2)
    [welcome] = ada_t.of_type("SYSTEM")
    assert welcome["body"] == "<p>Welcome, **friend**</p>" and welcome["user"] == {
        "displayName": "Test Server"
    }
    assert early_t.of_type("SYSTEM") == []


async def test_stream_start_and_stop_chat_actions(rig: ChatRig) -> None:
    _, transport, _ = await rig.join()
    await rig.go_live()
    await rig.go_offline()
    assert bodies(transport, "CHAT_ACTION") == [
        f"<p>{Notices.STREAM_STARTING}</p>",
        f"<p>{Notices.STREAM_ENDING}</p>",
    ]
    assert await rig.chat.history() == []  # ephemeral


# --- moderation ----------------------------------------------------------------------------------


async def test_hide_and_show_messages(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    await rig.say(ada, "one")
    await rig.say(ada, "two")
    first = transport.of_type("CHAT")[0]["id"]
    await rig.chat.set_visibility([first], False)
    [update] = transport.of_type("VISIBILITY-UPDATE")
    assert update["ids"] == [first] and update["visible"] is False
    assert [h["body"] for h in await rig.chat.history()] == ["<p>two</p>"]
    admin = await rig.chat.admin_history()
    assert [m["body"] for m in admin] == ["<p>two</p>", "<p>one</p>"]
    assert "hiddenAt" in admin[1] and admin[1]["visible"] is False
    await rig.chat.set_visibility([first], True)
    assert len(await rig.chat.history()) == 2
    assert isinstance(rig.bus.of_type(MessagesVisibilityChanged)[0], MessagesVisibilityChanged)
    with pytest.raises(ValidationError):
        await rig.chat.set_visibility("m1", False)


async def test_disabling_a_user_hides_kicks_announces_and_bans(rig: ChatRig) -> None:
    ada, ada_t, _ = await rig.join("Ada", ip="203.0.113.5")
    _, ada_local_t, token = await rig.join("Ada2", ip="127.0.0.1")
    _watcher, watcher_t, _ = await rig.join("Watcher")
    await rig.say(ada, "rude")
    local = await rig.chat.connect(token, RecordingChatTransport(), ip_address="::1", user_agent="")
    assert local is not None
    await rig.chat.set_user_enabled(ada.user.id, False)
    assert ada_t.of_type("ERROR_USER_DISABLED")[0]["user"]["id"] == ada.user.id
    assert not ada_t.closed
    await rig.scheduler.advance(2)
    assert ada_t.closed and not watcher_t.closed
    assert watcher_t.of_type("VISIBILITY-UPDATE")[0]["visible"] is False
    assert any("has been removed from chat" in b for b in bodies(watcher_t, "CHAT_ACTION"))
    assert [b.ip_address for b in await rig.users.ip_bans()] == ["203.0.113.5"]
    assert [u.id for u in await rig.users.disabled_users()] == [ada.user.id]
    assert await rig.chat.history() == []
    await rig.say(ada, "still there?")
    assert len(watcher_t.of_type("CHAT")) == 1
    await rig.chat.set_user_enabled(ada.user.id, True)
    assert await rig.users.disabled_users() == []
    with pytest.raises(NotFoundError):
        await rig.chat.set_user_enabled("ghost", False)
    assert not ada_local_t.closed


async def test_moderator_flag_resends_user_info(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join()
    await rig.chat.set_moderator(ada.user.id, True)
    assert transport.of_type("CONNECTED_USER_INFO")[-1]["user"]["scopes"] == ["MODERATOR"]
    assert [u.id for u in await rig.users.moderators()] == [ada.user.id]
    await rig.chat.set_moderator(ada.user.id, False)
    assert "scopes" not in transport.of_type("CONNECTED_USER_INFO")[-1]["user"]


async def test_clients_and_user_details(rig: ChatRig) -> None:
    ada, _, _ = await rig.join("Ada", ip="198.51.100.4")
    await rig.say(ada, "hi")
    [info] = [c.to_json() for c in rig.chat.clients()]
    assert info["ipAddress"] == "198.51.100.4" and info["messageCount"] == 1 and info["geo"] is None
    assert info["user"]["displayName"] == "Ada" and info["userAgent"] == "pytest"
    details = await rig.chat.user_details(ada.user.id)
    assert details["user"]["id"] == ada.user.id
    assert details["connectedClients"][0]["messageCount"] == 1
    assert [m["body"] for m in details["messages"]] == ["<p>hi</p>"]
    with pytest.raises(NotFoundError):
        await rig.chat.user_details("ghost")


# --- server-side senders -------------------------------------------------------------------------


async def test_system_messages_actions_and_bots(rig: ChatRig) -> None:
    _ada, ada_t, _ = await rig.join("Ada")
    bob, bob_t, _ = await rig.join("Bob")
    await rig.chat.send_system_message("Hello **all**")
    await rig.chat.send_system_message("just you", client_id=bob.id)
    await rig.chat.send_action("Stream title changed to **X**")
    bot = await rig.users.create_api_user("Helper", [ApiScope.CAN_SEND_MESSAGES])
    await rig.chat.send_bot_message(bot, "<b>raw</b> html")
    assert bodies(ada_t, "SYSTEM") == ["<p>Hello **all**</p>"]
    assert bodies(bob_t, "SYSTEM") == ["<p>Hello **all**</p>", "<p>just you</p>"]
    bot_msg = bob_t.of_type("CHAT")[-1]
    assert bot_msg["user"]["isBot"] is True and bot_msg["user"]["displayName"] == "Helper"
    assert bot_msg["body"] == "<p><b>raw</b> html</p>"
    history = await rig.chat.history()
    assert [h["type"] for h in history] == ["SYSTEM", "CHAT_ACTION", "CHAT"]
    assert history[0]["user"] == {"displayName": "Test Server"} and history[2]["user"]["isBot"]
    assert len(rig.bus.of_type(ChatActionSent)) == 1
    with pytest.raises(ValidationError):
        await rig.chat.send_bot_message(bot, "   ")


async def test_history_keeps_the_newest_fifty_oldest_first(rig: ChatRig) -> None:
    ada, _, _ = await rig.join()
    for n in range(60):
        await rig.say(ada, f"n{n}")
    history = await rig.chat.history()
    assert len(history) == 50 and history[0]["body"] == "<p>n10</p>" and history[-1]["body"] == "<p>n59</p>"


async def test_close_persists_pending_messages_and_retention_prunes(rig: ChatRig) -> None:
    ada, _, _ = await rig.join()
    await rig.say(ada, "keep me")
    await rig.chat.close()
    assert [e.record.body for e in await rig.chat_repo.history(10)] == ["<p>keep me</p>"]
    rig.clock.advance(3 * 3600)
    assert await rig.chat.prune_history() == 1
    assert await rig.chat_repo.history(10) == []


async def test_notices_quoting_user_input_are_rendered_as_user_text(rig: ChatRig) -> None:
    ada, transport, _ = await rig.join("Ada")
    rig.clock.advance(1)
    await rig.chat.receive(ada, json.dumps({"type": "<img src=x onerror=alert(1)>"}))
    rig.clock.advance(1)
    await rig.chat.receive(ada, json.dumps({"type": "NAME_CHANGE", "newName": "admin<script>x</script>"}))
    notices = bodies(transport, "CHAT_ACTION")
    assert len(notices) == 2
    assert all(inert(body) == [] for body in notices), notices

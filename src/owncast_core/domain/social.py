"""Known social platforms (Owncast ``models/socialHandle.go``) and social handle JSON."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

_PLATFORMS: Final = (
    ("bandcamp", "Bandcamp", "bandcamp.svg"),
    ("discord", "Discord", "discord.svg"),
    ("facebook", "Facebook", "facebook.svg"),
    ("github", "GitHub", "github.svg"),
    ("gitlab", "GitLab", "gitlab.svg"),
    ("instagram", "Instagram", "instagram.svg"),
    ("keyoxide", "Keyoxide", "keyoxide.png"),
    ("kofi", "Ko-Fi", "ko-fi.svg"),
    ("linkedin", "LinkedIn", "linkedin.svg"),
    ("mastodon", "Mastodon", "mastodon.svg"),
    ("patreon", "Patreon", "patreon.svg"),
    ("paypal", "Paypal", "paypal.svg"),
    ("snapchat", "Snapchat", "snapchat.svg"),
    ("soundcloud", "Soundcloud", "soundcloud.svg"),
    ("spotify", "Spotify", "spotify.svg"),
    ("tiktok", "TikTok", "tiktok.svg"),
    ("twitch", "Twitch", "twitch.svg"),
    ("twitter", "Twitter", "twitter.svg"),
    ("youtube", "YouTube", "youtube.svg"),
    ("odysee", "Odysee", "odysee.svg"),
    ("lbry", "LBRY", "lbry.svg"),
    ("liberapay", "LiberaPay", "liberapay.svg"),
    ("donate", "Donations", "donate.svg"),
    ("follow", "Follow", "follow.svg"),
)

SOCIAL_PLATFORMS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {key: MappingProxyType({"platform": name, "icon": f"/img/platformlogos/{icon}"})
     for key, name, icon in _PLATFORMS}
)
"""``/api/socialplatforms``: platform key -> ``{platform: display name, icon: path}``."""


def with_icons(handles: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Social handles as ``/api/config`` shows them: ``icon`` filled in for known platforms.

    Empty fields are omitted, as Go's ``omitempty`` does.
    """
    out = []
    for handle in handles:
        item = {k: v for k, v in handle.items() if k in ("platform", "url", "icon") and v}
        known = SOCIAL_PLATFORMS.get(str(handle.get("platform", "")))
        if known is not None:
            item["icon"] = known["icon"]
        out.append(item)
    return out

"""ConfigService defaults, caching and write-through."""

from __future__ import annotations

import pytest

from owncast_core.domain.config import Keys
from owncast_core.errors import NotFoundError, ValidationError
from owncast_core.services.config import ConfigService
from owncast_core.testing.fakes import InMemoryConfigRepository, PlainPasswordHasher


@pytest.fixture
async def config() -> ConfigService:
    service = ConfigService(repository=InMemoryConfigRepository(), hasher=PlainPasswordHasher())
    await service.load()
    return service


def test_fresh_install_defaults(config: ConfigService) -> None:
    assert [k.to_json() for k in config.stream_keys()] == [{"key": "abc123", "comment": "Default stream key"}]
    (variant,) = config.variants()
    assert variant.to_json() == {"name": "", "videoPassthrough": False, "audioPassthrough": True,
                                 "videoBitrate": 1200, "audioBitrate": 0, "framerate": 24, "cpuUsageLevel": 2}
    assert config.latency().level == 2 and config.latency().segment_seconds == 3
    assert config.get(Keys.SERVER_NAME) == "New Owncast Server"
    assert config.verify_admin_password("abc123")
    assert not config.verify_admin_password("abc1234")


async def test_admin_password_is_stored_hashed(config: ConfigService) -> None:
    await config.set_admin_password("s3cret")
    stored = await config._repository.get(Keys.ADMIN_PASSWORD_HASH)
    assert "s3cret" not in stored
    assert config.verify_admin_password("s3cret") and not config.verify_admin_password("abc123")
    with pytest.raises(ValidationError):
        await config.set_admin_password("")


async def test_getters_return_copies(config: ConfigService) -> None:
    tags = config.get(Keys.TAGS)
    tags.append("mutated")
    assert config.get(Keys.TAGS) == ["owncast", "streaming"]


async def test_failed_write_changes_nothing(config: ConfigService) -> None:
    with pytest.raises(ValidationError):
        await config.set(Keys.SERVER_NAME, object())
    assert config.get(Keys.SERVER_NAME) == "New Owncast Server"


def test_unknown_key(config: ConfigService) -> None:
    with pytest.raises(NotFoundError):
        config.get("no-such-key")


async def test_load_reads_persisted_values() -> None:
    repo = InMemoryConfigRepository()
    await repo.set(Keys.SERVER_NAME, "Mine")
    service = ConfigService(repository=repo, hasher=PlainPasswordHasher())
    await service.load()
    assert service.get(Keys.SERVER_NAME) == "Mine"

"""Contract suites: pytest test classes that any implementation of a port must pass.

Bind one by subclassing it in your own tests and providing the fixtures it names, e.g.::

    from owncast_core.testing.contracts.config import ConfigRepositoryContract

    class TestMyConfigRepository(ConfigRepositoryContract):
        @pytest.fixture
        async def make_repository(self, tmp_path):
            async def make():
                return MyConfigRepository(tmp_path / "store")
            return make

The suites need ``pytest`` and ``pytest-asyncio`` (``asyncio_mode = "auto"``).
"""

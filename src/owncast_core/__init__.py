"""owncast-py core: the pure domain of a live video and chat server.

This package holds entities (``domain``), the ports it needs from the outside world
(``ports``, as ``typing.Protocol``), the services that implement Owncast's behaviour on top of
those ports (``services``), errors, and ``testing`` (in-memory fakes plus importable contract
suites). It imports nothing but the standard library.
"""

__version__ = "0.2.3"
"""The Owncast API version this package is compatible with (reported as ``versionNumber``)."""

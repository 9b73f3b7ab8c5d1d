"""PyAV transcoder: FLV in, HLS variants out, in a child process per broadcast.

``PyAVTranscoder`` (the ``Transcoder`` port) lives in ``session.py`` and never imports PyAV;
the child's modules (``child``, ``pipeline``, ``variants``, ...) do.
"""

from owncast_adapters.video.transcoder.session import PyAVTranscoder, PyAVTranscodeSession

__all__ = ["PyAVTranscodeSession", "PyAVTranscoder"]

"""LocalVideoStorage keeps disk use bounded: segments leaving its cache leave the disk."""

from __future__ import annotations

from pathlib import Path

from owncast_adapters.storage.local import LocalVideoStorage
from owncast_core.ports.video import SegmentInfo


async def test_evicted_segments_are_deleted_from_disk(tmp_path: Path) -> None:
    storage = LocalVideoStorage(hls_dir=tmp_path / "hls", segments_per_variant=3)
    await storage.setup()
    variant_dir = tmp_path / "hls" / "0"
    variant_dir.mkdir(parents=True)
    for n in range(10):
        path = variant_dir / f"stream-x-{n}.ts"
        path.write_bytes(b"s" * 188)
        await storage.segment_written(SegmentInfo(variant=0, path=str(path), duration=1.0))
    assert sorted(p.name for p in variant_dir.glob("*.ts")) == ["stream-x-7.ts", "stream-x-8.ts", "stream-x-9.ts"]
    assert (await storage.get("0/stream-x-9.ts")).body == b"s" * 188

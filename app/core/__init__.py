"""The shared async core: pure asyncio, never imports Qt (enforced by import-linter)."""

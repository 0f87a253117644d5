"""One dockable panel per module; each reads snapshots/events and sends commands via Session."""

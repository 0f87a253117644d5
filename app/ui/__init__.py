"""The desktop window: PySide6 widgets over the shared core. The only package that imports Qt."""

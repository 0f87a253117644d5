"""Entry point of the frozen build (PyInstaller): `--smoke` first, then the normal CLI.

`dcmon --smoke` is handled here so the bundle has it whatever app/cli.py knows; everything
else goes to app.cli.main (gui is the default command, `--version` works).
"""

import sys


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--smoke"]:
        from app.smoke import run_smoke

        return run_smoke()
    from app.cli import main as cli_main

    # bare `dcmon` means `dcmon gui`; said explicitly, as app.cli's no-command path does not
    # fill in the gui options (AttributeError: 'Namespace' object has no attribute 'server')
    return cli_main(args if args else ["gui"])


if __name__ == "__main__":
    raise SystemExit(main())

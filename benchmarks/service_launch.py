"""Start the LFR service for the benchmark: ``create_app`` under uvicorn on 127.0.0.1.

``python -m benchmarks.service_launch --port P`` with the service configured, as an
operator does, through its ``LFR_*`` environment variables (``Settings.from_env``).

The service runs as deployed (the real app, its middleware, its database and channels),
with one change: passwords are hashed with a cheap argon2 setting, as the API tests do, so
that logging in 200 officers does not dominate the run. Nothing timed involves passwords.
"""

from __future__ import annotations

import argparse
import dataclasses


def main(argv: list[str] | None = None) -> int:
    """Parse the options and serve until terminated."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service_launch")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    import uvicorn
    from lfr_api.app import create_app
    from lfr_api.settings import PasswordHashing, Settings

    settings = dataclasses.replace(
        Settings.from_env(),
        password_hashing=PasswordHashing(time_cost=1, memory_cost_kib=1024, parallelism=1))
    uvicorn.run(create_app(settings), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

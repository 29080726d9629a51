"""Run the carrier simulator on its own: python -m simulator --gateway-url ... --credentials-file ..."""
from __future__ import annotations

import argparse
import json
import logging
import threading

from simulator.server import CarrierSimulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--gateway-url", required=True, help="callbacks go to <gateway-url>/callbacks/<carrier>")
    parser.add_argument(
        "--credentials-file", required=True,
        help='JSON like {"zto": {"app_key": ..., "app_secret": ..., "company_id": ...}}',
    )
    parser.add_argument("--callback-delay", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--timeout-rate", type=float, default=0.0)
    parser.add_argument("--malformed-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)

    with open(args.credentials_file, encoding="utf-8") as file:
        credentials = json.load(file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    simulator = CarrierSimulator(
        gateway_url=args.gateway_url, credentials=credentials, host=args.host, port=args.port,
        callback_delay=args.callback_delay, latency=args.latency, error_rate=args.error_rate,
        timeout_rate=args.timeout_rate, malformed_rate=args.malformed_rate, seed=args.seed,
    )
    simulator.start()
    logging.getLogger("simulator").info("carrier simulator listening on %s", simulator.url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()

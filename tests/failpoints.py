"""Test-only seams for the real-process fault tests, installed in a `yijia worker` process
started as `python -m tests.failpoints <name> worker`: production code carries none of them."""
from __future__ import annotations

import sys
import time


def award_hang() -> None:
    """Hang after the award's posting is written and before its transaction commits, so the
    test can kill the worker at exactly that point."""
    from flows.engine import effects

    real = effects.award

    def award_then_hang(*args, **kwargs):
        credited = real(*args, **kwargs)
        print("failpoint award-hang: posting written, not committed", flush=True)
        time.sleep(3600)
        return credited

    effects.award = award_then_hang


def send_hang() -> None:
    """Hang after a provider accepted a message and before the courier records it sent, so the
    test can kill the worker at the one point where a send may be repeated."""
    from flows.notices import providers

    for provider in (providers.Smtp, providers.HttpSms):
        real = provider.send

        def send_then_hang(self, message, real=real):
            receipt = real(self, message)
            print(f"failpoint send-hang: {self.channel} accepted, not recorded", flush=True)
            time.sleep(3600)
            return receipt

        provider.send = send_then_hang  # type: ignore[method-assign]


def relay_hang() -> None:
    """Hang in the relay's first delivery, its rows leased and not delivered, so the test can
    kill the worker while it holds them."""
    from flows.orchestration import relay

    real = relay.sync_demand

    def sync_then_hang(*args, **kwargs):
        print("failpoint relay-hang: rows leased, not delivered", flush=True)
        time.sleep(3600)
        return real(*args, **kwargs)

    relay.sync_demand = sync_then_hang


FAILPOINTS = {"award-hang": award_hang, "send-hang": send_hang, "relay-hang": relay_hang}

if __name__ == "__main__":
    FAILPOINTS[sys.argv[1]]()
    from admin.cli import main

    main(sys.argv[2:])

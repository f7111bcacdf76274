"""A pipeline process for the outage test: N gate events through the HTTP sink, spread
over a few seconds. Usage: python sink_client.py ROOT URL TOKEN NAME N"""

from __future__ import annotations

import sys
import time

from autoforge_learn.collect import Collector


def main() -> None:
    root, url, token, name, count = sys.argv[1:6]
    collector = Collector(root, url=url, token=token)
    for i in range(int(count)):
        collector.on_gate_evaluation(
            project_id=f"{name}-{i % 5}", gate_id="api_contract", event_id=f"{name}-{i}",
            validation_result="fail" if i % 4 == 0 else "pass", stage="architecture",
            agent_role="architect",
        )
        if i % 500 == 499:
            time.sleep(0.15)
    collector.close()
    assert collector.sink is not None
    print(collector.sink.refused)


if __name__ == "__main__":
    main()

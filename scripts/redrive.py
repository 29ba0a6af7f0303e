"""Move messages from a dead-letter queue back to its source queue, after the cause is fixed.

    python -m scripts.redrive --env dev --queue orders      # the orders team's DLQ -> its queue
    python -m scripts.redrive --env dev --queue outbox      # the Kafka outbox DLQ -> the outbox
    python -m scripts.redrive --env dev --queue orders --dry-run
    python -m scripts.redrive --env dev --queue fanout-failures   # replay parked stream batches
    python -m scripts.redrive --local --queue fanout-failures     # against `make up`

Each message is sent to the source queue (body and message attributes
unchanged) before it is deleted from the DLQ, so a crash half-way loses
nothing: at worst a message is in both queues, and every consumer of the
platform is idempotent by event id. Running it again moves only what is still
in the DLQ. The counts are printed as JSON.

`fanout-failures` is different: the stream mapping's on-failure destination
holds the metadata of parked batches (shard, first and last sequence number),
not the events. Each one is replayed: the records are read back from the
stream (AT_SEQUENCE_NUMBER, within the stream's 24-hour retention) and the
deployed fan-out function is invoked with them (Lambda's Invoke API, the
caller's credentials; locally the runtime's Invoke API). DynamoDB Streams may
answer empty pages before the records, so reading goes on until the batch's
last sequence number is reached (or the shard ends). The parked message is
deleted only when every record it names was read and the function reports no
failure; otherwise it stays parked and the report says what could not be found
or what failed. The raw zone stays exactly once (the replayed batch starts at
the parked range's first record, so it has the batch id of the attempts that
failed on it).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from platform_core.redrive import (
    FANOUT_FAILURES,
    RedriveReport,
    parked_records,
    queue_pair,
    redrive,
    replay_stream_failures,
)
from platform_core.resources import FANOUT
from scripts.dr.target import add_target_arguments, resolve

__all__ = ["FANOUT_FAILURES", "main", "parked_records", "queue_pair", "redrive", "replay_stream_failures"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_target_arguments(parser)
    parser.add_argument("--queue", required=True, help=f"a subscribing team, outbox, or {FANOUT_FAILURES}")
    parser.add_argument("--max", type=int, default=None, help="move at most this many messages")
    parser.add_argument(
        "--dry-run", action="store_true", help="only report how many messages wait in the DLQ"
    )
    args = parser.parse_args(argv)
    resources = resolve(args)
    report: RedriveReport
    if args.queue == FANOUT_FAILURES:
        report = replay_stream_failures(resources.fanout_failure_queue, resources.function_name(FANOUT))
    else:
        source, dlq = queue_pair(resources, args.queue)
        report = redrive(source, dlq, args.max, args.dry_run)
    json.dump(asdict(report), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

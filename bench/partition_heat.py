"""Partition heat: the write and read units per second on the hottest partition-key value of the
table and of each index, at a given rate of interceptions.

DynamoDB serves at most 1,000 WCU/s and 3,000 RCU/s per partition-key value (an index throttled
there throttles the table's writes too). This drives the lifecycle in-process as
`bench/lifecycle_cost.py` does (create, dispatch, callback, webhooks; moto for AWS, the meter of
`bench/aws_meter.py` attributing every unit to the partition-key value it lands on) twice, with
N and 2N interceptions. A key value whose units double with the interceptions is shared by them
(a platform's listing partition, a shard, the top merchant's partition): at `--rate` it carries
`units / interceptions x rate` per second. A key value that does not grow belongs to one
interception (its record, its parcel claim): its units are spread over that interception's life,
whatever the rate, and it is reported apart.

A write-sharded key (`...#<n>`, chalicelib/store/keys.py) is counted as one logical key whose
units are spread over its shards: the sum over its shard values, divided by the index's shard
count (the settings' defaults; `keys.shard_of` spreads evenly, tests/unit/test_key_isolation.py),
or by the shard values the run saw if more.

The traffic: `--platforms` platforms share the rate evenly; within each, the top merchant has
`--top-merchant-share` of the interceptions and every other interception has a merchant of its own.

    python -m bench.partition_heat [--rate 10000] [--platforms 1] [--top-merchant-share 0.1] [--count 50] [--json]
"""
from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict

from bench.lifecycle_cost import STEPS, run
from chalicelib.config import Settings

#: Each sharded index's shard count, from the settings (chalicelib/store/keys.py::Shards).
_SETTINGS = Settings(stage="test", table_name="", dispatch_queue="", notify_queue="", export_bucket="",
                     public_base_url="")
SHARDS = {"by_platform": _SETTINGS.listing_shards, "charged": _SETTINGS.listing_shards,
          "by_merchant": _SETTINGS.merchant_shards,
          **{index: _SETTINGS.busy_shards for index in ("by_status", "by_refund_status", "open_work", "refund_due")}}

#: DynamoDB's per partition-key value limits, and the design's: half of them (headroom for skew).
HARD_WCU, HARD_RCU = 1000, 3000
DESIGN_WCU, DESIGN_RCU = 500, 1500

_STATUS_WORDS = {"pending", "submitted", "cancel_requested", "needs_attention"}
#: Key shapes whose every value is written once, by one stream batch (a counting run's marker): in
#: process the batches do not grow in number with the interceptions, so the run-size test below
#: would take them for a bounded, shared group; each is one value's load.
WRITTEN_ONCE = {"COUNTED#<id>"}


def shape(value: str) -> str:
    """A key value with its ids replaced by placeholders: PLATFORM#<id>#MERCHANT#<id>, DUE#<n>."""
    parts = []
    for part in value.split("#"):
        if re.fullmatch(r"[A-Z_]*", part) or part in _STATUS_WORDS:
            parts.append(part)
        elif part.isdigit():
            parts.append("<n>")
        else:
            parts.append("<id>")
    return "#".join(parts)


def logical(value: str) -> str:
    """A key value without its shard suffix: OPEN#pending#17 -> OPEN#pending, DUE#3 -> DUE."""
    head, _, last = value.rpartition("#")
    return head if last.isdigit() and head else value


def heat(count: int, platforms: int, top_share: float) -> tuple[Counter, Counter]:
    """(place, logical key value, "write"|"read") -> units for `count` interceptions, and
    (place, logical key value) -> how many shard values carried them."""
    top = max(1, round(count * top_share))

    def merchant_of(n: int) -> str:
        return "merchant-top" if n % count < top else f"merchant-{n}"

    if platforms != 1:
        raise SystemExit("--platforms other than 1 splits the rate evenly: run with 1 and divide the rate")
    metered = run(count, merchant_of)["meter"]
    totals: Counter = Counter()
    shard_values: dict = defaultdict(set)
    for (step, place, partition, kind), units in metered.heat.items():
        if step in STEPS:
            totals[(place, logical(partition), kind)] += units
            shard_values[(place, logical(partition))].add(partition)
    return totals, Counter({(place, value): max(len(values), SHARDS.get(place, 1)) if values != {value} else 1
                            for (place, value), values in shard_values.items()})


def loads(small: Counter, large: Counter, shards: Counter, per_second: float) -> tuple[dict, dict]:
    """Split the larger run's key values into shared ones (with their units per second at the rate)
    and those of one interception each (with their units over its life).

    Values are grouped by place and shape. A group whose number of values does not grow with the
    interceptions is bounded (a platform, an index's shard set): its load is spread over its
    values, at least as many as the run saw. In an unbounded group (records, merchants), a value
    is shared when it was seen in both runs and its units grew with them (the top merchant). A
    shared value's load is then spread over its shards."""
    groups: dict = defaultdict(lambda: {"small": set(), "large": set()})
    for run_name, totals in (("small", small), ("large", large)):
        for place, partition, _ in totals:
            groups[(place, shape(partition))][run_name].add(partition)
    shared: dict = defaultdict(lambda: {"write": 0.0, "read": 0.0})
    own: dict = defaultdict(lambda: {"write": 0.0, "read": 0.0})
    for (place, partition, kind), units in large.items():
        group = groups[(place, shape(partition))]
        if shape(partition) in WRITTEN_ONCE:
            own[(place, partition)][kind] = units
        elif len(group["large"]) <= 1.25 * max(1, len(group["small"])):
            spread = sum(large[(place, value, kind)] for value in group["large"]) / len(group["large"])
            shared[(place, partition)][kind] = spread * per_second / shards[(place, partition)]
        elif small.get((place, partition, kind)) and units >= 1.5 * small[(place, partition, kind)]:
            shared[(place, partition)][kind] = units * per_second / shards[(place, partition)]
        else:
            own[(place, partition)][kind] = units
    return shared, own


def figures(rate: float, platforms: int, top_share: float, count: int) -> dict:
    (small, _), (large, shards) = heat(count, platforms, top_share), heat(2 * count, platforms, top_share)
    per_second = rate / platforms / (2 * count)
    shared, own = loads(small, large, shards, per_second)

    def key_shape(where: str, value: str) -> str:
        return shape(value) + ("#<n>" if shards[(where, value)] > 1 or value != logical(value) else "")

    per_index = {}
    places = sorted({place for place, _ in shared} | {place for place, _ in own})
    for place in places:
        keys = {partition: load for (where, partition), load in shared.items() if where == place}
        hottest_write = max(keys.items(), key=lambda item: item[1]["write"], default=(None, {"write": 0, "read": 0}))
        hottest_read = max(keys.items(), key=lambda item: item[1]["read"], default=(None, {"write": 0, "read": 0}))
        singles = [load for (where, _), load in own.items() if where == place]
        per_index[place] = {
            "hottest_wcu_per_s": round(hottest_write[1]["write"], 1),
            "hottest_write_key": key_shape(place, hottest_write[0]) if hottest_write[0] else None,
            "hottest_rcu_per_s": round(hottest_read[1]["read"], 1),
            "hottest_read_key": key_shape(place, hottest_read[0]) if hottest_read[0] else None,
            "shared_keys": len(keys),
            "wcu_per_s": round(sum(load["write"] * shards[(place, key)] for key, load in keys.items())
                               + sum(load["write"] for load in singles) * rate / platforms / (2 * count), 1),
            "rcu_per_s": round(sum(load["read"] * shards[(place, key)] for key, load in keys.items())
                               + sum(load["read"] for load in singles) * rate / platforms / (2 * count), 1),
            "most_units_on_one_interceptions_key": max((max(load["write"], load["read"]) for load in singles),
                                                       default=0),
        }
    write_place = max(per_index, key=lambda place: per_index[place]["hottest_wcu_per_s"])
    read_place = max(per_index, key=lambda place: per_index[place]["hottest_rcu_per_s"])
    return {
        "rate_per_s": rate, "platforms": platforms, "top_merchant_share": top_share,
        "hottest_wcu_per_s": per_index[write_place]["hottest_wcu_per_s"],
        "hottest_rcu_per_s": per_index[read_place]["hottest_rcu_per_s"],
        "hottest_key": {"write": f"{write_place} {per_index[write_place]['hottest_write_key']}",
                        "read": f"{read_place} {per_index[read_place]['hottest_read_key']}"},
        "table_wcu_per_s": round(sum(entry["wcu_per_s"] for entry in per_index.values()), 1),
        "table_rcu_per_s": round(sum(entry["rcu_per_s"] for entry in per_index.values()), 1),
        "design_limit": {"wcu_per_s": DESIGN_WCU, "rcu_per_s": DESIGN_RCU},
        "per_index": per_index,
    }


def report(result: dict) -> None:
    print(f"{result['rate_per_s']:g} interceptions/s from {result['platforms']} platform(s), top merchant "
          f"{result['top_merchant_share']:.0%}; per partition-key value (hard limit {HARD_WCU} WCU/s, "
          f"{HARD_RCU} RCU/s; design limit {DESIGN_WCU} / {DESIGN_RCU}):")
    print(f"  {'where':12s} {'hottest WCU/s':>13s}  {'key':34s} {'hottest RCU/s':>13s}  {'key':34s} "
          f"{'WCU/s all':>10s} {'RCU/s all':>10s}")
    for place, entry in result["per_index"].items():
        print(f"  {place:12s} {entry['hottest_wcu_per_s']:13,.1f}  {str(entry['hottest_write_key']):34s} "
              f"{entry['hottest_rcu_per_s']:13,.1f}  {str(entry['hottest_read_key']):34s} "
              f"{entry['wcu_per_s']:10,.0f} {entry['rcu_per_s']:10,.0f}")
    print(f"  hottest: {result['hottest_wcu_per_s']:,.1f} WCU/s ({result['hottest_key']['write']}), "
          f"{result['hottest_rcu_per_s']:,.1f} RCU/s ({result['hottest_key']['read']}); table-wide "
          f"{result['table_wcu_per_s']:,.0f} WCU/s, {result['table_rcu_per_s']:,.0f} RCU/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10_000)
    parser.add_argument("--platforms", type=int, default=1)
    parser.add_argument("--top-merchant-share", type=float, default=0.1)
    parser.add_argument("--count", type=int, default=50, help="interceptions of the smaller run (the other: 2x)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = figures(args.rate, args.platforms, args.top_merchant_share, args.count)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        report(result)


if __name__ == "__main__":
    main()

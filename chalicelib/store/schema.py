"""The single table: key names, indexes and TTL. Used to create it locally and in tests.

See docs/data-model.md for the entities and access patterns behind these keys.
"""
TABLE_KEYS = ("PK", "SK")

#: index name -> (partition key attribute, sort key attribute)
INDEXES = {
    "by_platform": ("GSI1PK", "GSI1SK"),   # a platform's intercepts by creation time
    "by_merchant": ("GSI2PK", "GSI2SK"),   # one merchant's intercepts by creation time
    "open_work": ("GSI3PK", "GSI3SK"),     # sparse: intercepts without a carrier result, by last change;
                                           # also webhook deliveries not yet finished, by when they are due
    "refund_due": ("GSI4PK", "GSI4SK"),    # sparse: intercepts whose refund deadline is running, by deadline
    "charged": ("GSI5PK", "GSI5SK"),       # sparse: a platform's charged intercepts by charge time (fee exports)
}

#: Indexes that hold only keys. The sweeps read a few items from them and fetch those items; in
#: exchange, a write that leaves an item's index keys alone (a lease, an attempt, any field but
#: the status) writes nothing to these indexes, and an index entry is one write unit whatever the
#: item's size. The other indexes serve listings, metrics and exports, which read every field.
KEYS_ONLY_INDEXES = frozenset({"open_work", "refund_due"})

TTL_ATTRIBUTE = "expires_at"

#: Every key attribute of the table and its indexes: stored, never part of a record's data.
KEY_ATTRIBUTES = frozenset(TABLE_KEYS) | {name for pair in INDEXES.values() for name in pair}


def create_table_params(table_name: str) -> dict:
    attributes = {name for pair in INDEXES.values() for name in pair} | set(TABLE_KEYS)
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)],
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY" if index in KEYS_ONLY_INDEXES else "ALL"},
            }
            for index, (pk, sk) in INDEXES.items()
        ],
    }

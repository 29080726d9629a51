"""The single table: key names, indexes and TTL. Used to create it locally and in tests.

See docs/data-model.md for the entities and access patterns behind these keys.
"""
TABLE_KEYS = ("PK", "SK")

#: index name -> (partition key attribute, sort key attribute)
#: index name -> (partition key attribute, sort key attribute). Where a record already holds the
#: time an index sorts by (`created_at`, `processing_deadline`, `charged_at`), that attribute is the
#: sort key: the item carries no copy of it (item size is write units), and index entries with the
#: same time are told apart by the table key.
INDEXES = {
    "by_platform": ("GSI1PK", "created_at"),   # a platform's intercepts by creation time (sharded)
    "by_merchant": ("GSI2PK", "created_at"),   # one merchant's intercepts by creation time (sharded)
    "open_work": ("GSI3PK", "GSI3SK"),         # sparse: intercepts without a carrier result, by last change;
                                               # also webhook deliveries not yet finished, by when they are due
    "refund_due": ("GSI4PK", "processing_deadline"),  # sparse: refund deadlines running, by deadline (sharded)
    "charged": ("GSI5PK", "charged_at"),       # sparse: a platform's charged intercepts by charge time (exports)
    "by_status": ("GSI6PK", "created_at"),     # a platform's intercepts in one status, by creation time (sharded)
    "by_refund_status": ("GSI7PK", "created_at"),  # ... in one after-sale status, by creation time (sharded)
}

#: Every index holds only keys: its readers read a page of keys and fetch those items with one
#: BatchGetItem. In exchange, a write that leaves an item's index keys alone (a lease, an attempt,
#: a fee) writes nothing to an index, and an entry is one write unit whatever the item's size.
KEYS_ONLY_INDEXES = frozenset(INDEXES)

TTL_ATTRIBUTE = "expires_at"

#: The key attributes that exist only to key the table and its indexes: never part of a record's data.
KEY_ATTRIBUTES = frozenset(TABLE_KEYS) | {name for pair in INDEXES.values() for name in pair if name.startswith("GSI")}


def create_table_params(table_name: str) -> dict:
    attributes = {name for pair in INDEXES.values() for name in pair} | set(TABLE_KEYS)
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        # the outbox relay reads every committed change, with the item before and after it
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
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

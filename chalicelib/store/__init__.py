"""Storage: the single DynamoDB table behind one small interface."""
from chalicelib.store.dynamodb import (
    DuplicateCallback,
    IdempotencyKeyUsed,
    InvalidCursor,
    ListQuery,
    ParcelAlreadyIntercepted,
    StaleState,
    Store,
)

__all__ = ["DuplicateCallback", "IdempotencyKeyUsed", "InvalidCursor", "ListQuery", "ParcelAlreadyIntercepted",
           "StaleState", "Store"]

"""Fee reconciliation exports to S3."""

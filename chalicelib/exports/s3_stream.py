"""Write one S3 object as a stream: multipart upload in fixed-size parts, hashed on the way.

Memory stays at about one part whatever the object's size. Nothing is visible at the key until
`close()` completes the upload; `abort()` (or an exception inside the `with`) leaves nothing.
"""
from __future__ import annotations

import hashlib
from typing import Any

#: S3's minimum size for every part but the last.
PART_SIZE = 8 * 1024 * 1024


class S3StreamWriter:
    def __init__(self, s3: Any, bucket: str, key: str, content_type: str, part_size: int = PART_SIZE) -> None:
        self._s3 = s3
        self.bucket = bucket
        self.key = key
        self._part_size = part_size
        self._buffer = bytearray()
        self._parts: list[dict] = []
        self._sha256 = hashlib.sha256()
        self.size = 0
        self._upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)["UploadId"]

    def write(self, data: bytes) -> None:
        self._sha256.update(data)
        self.size += len(data)
        self._buffer += data
        if len(self._buffer) >= self._part_size:
            self._flush()

    def _flush(self) -> None:
        number = len(self._parts) + 1
        answer = self._s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                                      PartNumber=number, Body=bytes(self._buffer))
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self._buffer.clear()

    def close(self) -> str:
        """Complete the upload; returns the object's SHA-256 (hex)."""
        if self._buffer or not self._parts:
            self._flush()
        self._s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                                           MultipartUpload={"Parts": self._parts})
        return self._sha256.hexdigest()

    def abort(self) -> None:
        self._s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)

    def __enter__(self) -> "S3StreamWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.abort()

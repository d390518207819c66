"""Where closed WARC files live: a local folder or an S3 bucket.

A WARC file is written in the spool folder and handed over whole when it closes
(`put`); the API reads single records back by byte range (`read`). The local backend
renames the spool file into `settings.warc_dir` (atomic on one file system); the S3
backend uploads it (multipart when big, so memory stays flat) and deletes the spool copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
from pathlib import Path
from typing import Protocol

import asyncpg
import structlog

from archivestream.core.errors import UserError
from archivestream.core.settings import Settings

log = structlog.get_logger("archivestream.storage")

# Files above this size go up in parts of this size: S3 needs parts of at least 5 MiB,
# and a part is the most the uploader holds in memory at once.
MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_SIZE = 16 * 1024 * 1024


class StorageError(UserError):
    """A WARC file cannot be stored or read; the message says which and why."""


class WarcFileMissing(StorageError):
    """The WARC file named by a capture is not in the storage."""


class Storage(Protocol):
    """What the crawler and the API need from a WARC store."""

    # The S3 endpoint files are stored through; None for a folder or the default endpoint.
    endpoint: str | None

    async def put(self, local_path: Path, filename: str) -> str:
        """Store the closed file at `local_path` as `filename`; returns its location."""
        ...

    async def read(self, filename: str, offset: int, length: int) -> bytes:
        """`length` bytes of `filename` from `offset`; raises StorageError otherwise."""
        ...

    async def check(self) -> None:
        """Raise StorageError unless files can be stored (call at start-up)."""
        ...

    async def close(self) -> None: ...


def _check_range(filename: str, offset: int, length: int) -> None:
    if offset < 0 or length <= 0:
        raise StorageError(
            f"bad byte range for WARC file {filename!r}: offset {offset}, length {length}"
        )


def _check_name(filename: str) -> None:
    # Names come from the capture index; a name that climbs out of the folder is refused.
    if not filename or "/" in filename or "\\" in filename or filename in (".", ".."):
        raise StorageError(f"not a WARC file name: {filename!r}")


class LocalStorage:
    """WARC files in a folder (`settings.warc_dir` for the embedded setup)."""

    endpoint: str | None = None

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.folder)!r})"

    async def check(self) -> None:
        try:
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create the WARC folder {self.folder}: {error}") from None

    async def put(self, local_path: Path, filename: str) -> str:
        _check_name(filename)
        target = self.folder / filename
        await asyncio.to_thread(self._move, local_path, target)
        log.info("warc stored", filename=filename, location=str(target))
        return str(target)

    def _move(self, source: Path, target: Path) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        except OSError as error:
            if error.errno != errno.EXDEV:  # the spool is on another file system
                raise StorageError(
                    f"cannot move {source.name} into {target.parent}: {error}"
                ) from None
            # Copy under a temporary name first, so a reader never sees half a file.
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(source, partial)
            os.replace(partial, target)
            source.unlink()

    async def read(self, filename: str, offset: int, length: int) -> bytes:
        _check_name(filename)
        _check_range(filename, offset, length)
        return await asyncio.to_thread(self._read, self.folder / filename, offset, length)

    @staticmethod
    def _read(path: Path, offset: int, length: int) -> bytes:
        try:
            with open(path, "rb") as file:
                file.seek(offset)
                data = file.read(length)
        except FileNotFoundError:
            raise WarcFileMissing(f"WARC file {path.name!r} not found in {path.parent}") from None
        except OSError as error:
            raise StorageError(f"cannot read WARC file {path.name!r}: {error}") from None
        if len(data) < length:
            raise StorageError(
                f"WARC file {path.name!r} ends before the record: wanted bytes "
                f"{offset}-{offset + length - 1}, file has {offset + len(data)} bytes"
            )
        return data

    async def close(self) -> None:
        return None


class S3Storage:
    """WARC files in an S3 bucket, through aiobotocore; the client opens on first use."""

    def __init__(self, endpoint: str | None, bucket: str, *, region_name: str | None = None):
        self.endpoint = endpoint
        self.bucket = bucket
        self.region_name = region_name
        self._client = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint={self.endpoint!r})"

    async def _s3(self):
        async with self._lock:
            if self._client is None:
                from aiobotocore.session import get_session

                stack = contextlib.AsyncExitStack()
                self._client = await stack.enter_async_context(
                    get_session().create_client(
                        "s3",
                        endpoint_url=self.endpoint,
                        region_name=self.region_name or os.environ.get("AWS_REGION", "us-east-1"),
                    )
                )
                self._stack = stack
        return self._client

    def _missing_bucket(self) -> StorageError:
        where = self.endpoint or "the default AWS endpoint"
        return StorageError(
            f"S3 bucket {self.bucket!r} does not exist at {where}: create it or set S3_BUCKET"
        )

    def _translate(self, error: Exception, what: str) -> StorageError:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            return self._missing_bucket()
        return StorageError(f"S3 {what} failed on bucket {self.bucket!r}: {error}")

    async def check(self) -> None:
        """Raise StorageError unless the bucket exists and answers (call at start-up)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = await self._s3()
        try:
            await client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchBucket", "NotFound"):
                raise self._missing_bucket() from None
            raise self._translate(error, "bucket check") from None
        except BotoCoreError as error:
            raise StorageError(f"S3 at {self.endpoint} cannot be reached: {error}") from None

    async def put(self, local_path: Path, filename: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        _check_name(filename)
        client = await self._s3()
        size = (await asyncio.to_thread(local_path.stat)).st_size
        try:
            if size <= MULTIPART_THRESHOLD:
                body = await asyncio.to_thread(local_path.read_bytes)
                await client.put_object(Bucket=self.bucket, Key=filename, Body=body)
            else:
                await self._put_multipart(client, local_path, filename)
        except ClientError as error:
            raise self._translate(error, f"upload of {filename}") from None
        except BotoCoreError as error:
            raise StorageError(f"S3 upload of {filename} to {self.endpoint}: {error}") from None
        await asyncio.to_thread(local_path.unlink)
        location = f"s3://{self.bucket}/{filename}"
        log.info("warc stored", filename=filename, location=location, bytes=size)
        return location

    async def _put_multipart(self, client, local_path: Path, filename: str) -> None:
        upload = await client.create_multipart_upload(Bucket=self.bucket, Key=filename)
        upload_id = upload["UploadId"]
        parts = []
        try:
            file = await asyncio.to_thread(open, local_path, "rb")
            try:
                number = 1
                while chunk := await asyncio.to_thread(file.read, PART_SIZE):
                    answer = await client.upload_part(
                        Bucket=self.bucket,
                        Key=filename,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=chunk,
                    )
                    parts.append({"ETag": answer["ETag"], "PartNumber": number})
                    number += 1
            finally:
                file.close()
            await client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=filename,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await client.abort_multipart_upload(
                    Bucket=self.bucket, Key=filename, UploadId=upload_id
                )
            raise

    async def read(self, filename: str, offset: int, length: int) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        _check_name(filename)
        _check_range(filename, offset, length)
        client = await self._s3()
        try:
            answer = await client.get_object(
                Bucket=self.bucket, Key=filename, Range=f"bytes={offset}-{offset + length - 1}"
            )
            async with answer["Body"] as body:
                data = await body.read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                raise WarcFileMissing(
                    f"WARC file {filename!r} not found in S3 bucket {self.bucket!r}"
                ) from None
            if code == "InvalidRange":
                raise StorageError(
                    f"WARC file {filename!r} ends before offset {offset} (S3 bucket "
                    f"{self.bucket!r})"
                ) from None
            raise self._translate(error, f"read of {filename}") from None
        except BotoCoreError as error:
            raise StorageError(f"S3 read of {filename} from {self.endpoint}: {error}") from None
        if len(data) < length:
            raise StorageError(
                f"WARC file {filename!r} ends before the record: wanted bytes "
                f"{offset}-{offset + length - 1}, got {len(data)} bytes"
            )
        return data

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._client = None
        self._stack = None


def open_storage(settings: Settings) -> LocalStorage | S3Storage:
    """S3 when S3_BUCKET is set, else the local folder under the data folder."""
    if settings.s3_bucket:
        return S3Storage(settings.s3_endpoint, settings.s3_bucket)
    return LocalStorage(settings.warc_dir)


def open_for_writing(settings: Settings) -> LocalStorage | S3Storage:
    """The store a crawler writes into; S3_ENDPOINT without S3_BUCKET is a mistake here
    (the files would silently stay in the local folder), so it is refused."""
    if settings.s3_endpoint and not settings.s3_bucket:
        raise StorageError(
            "S3_ENDPOINT is set but S3_BUCKET is not: name the bucket WARC files go to, "
            "or unset S3_ENDPOINT to keep them in the data folder"
        )
    return open_storage(settings)


class RecordedLocations:
    """Reads each WARC file where its writer stored it, as `warc_files` records it (the
    bucket in `location`, the region's `endpoint`), so one API serves the captures of every
    region's bucket. A file with no row there is read from `fallback`, which is also where
    this process stores what it writes (in `archivestream up`)."""

    def __init__(self, pool: asyncpg.Pool, fallback: Storage) -> None:
        self.pool = pool
        self.fallback = fallback
        self.endpoint = fallback.endpoint
        self._where: dict[str, Storage] = {}
        self._buckets: dict[tuple[str | None, str], S3Storage] = {}

    async def _store_of(self, filename: str) -> Storage:
        store = self._where.get(filename)
        if store is not None:
            return store
        row = await self.pool.fetchrow(
            "SELECT location, endpoint FROM warc_files WHERE filename = $1", filename
        )
        store = self.fallback
        if row is not None and row["location"].startswith("s3://"):
            bucket = row["location"].removeprefix("s3://").split("/", 1)[0]
            key = (row["endpoint"], bucket)
            if key not in self._buckets:
                self._buckets[key] = S3Storage(row["endpoint"], bucket)
            store = self._buckets[key]
        self._where[filename] = store
        return store

    async def read(self, filename: str, offset: int, length: int) -> bytes:
        return await (await self._store_of(filename)).read(filename, offset, length)

    async def put(self, local_path: Path, filename: str) -> str:
        return await self.fallback.put(local_path, filename)

    async def check(self) -> None:
        await self.fallback.check()

    async def close(self) -> None:
        for store in self._buckets.values():
            await store.close()
        await self.fallback.close()

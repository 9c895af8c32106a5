"""Replacing a small file of the lake in one request, which ABFS cannot do (fs.py).

Put Blob (Blob service REST API) creates a block blob or replaces an existing one's content whole:
"Partial updates are not supported with Put Blob"
(https://learn.microsoft.com/rest/api/storageservices/put-blob). A reader finds the previous
content until the request succeeds and the new content after it, never an empty or partial file.
On an account with a hierarchical namespace the Blob API reaches the same files as ABFS
(multi-protocol access) and creates the parents a new file needs.

dbutils.fs cannot send it (its writes recreate the file empty first, and its rename never replaces
a file), so the job signs in as the identity of a Unity Catalog service credential, whose lake role
reaches the manifests' folder only (src/constructs/databricks/publication-credential.ts).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

# The SDK logs every request's URL and headers at INFO (tokens redacted): not what a run's log is for.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)

# What a token for the Blob service is asked for (Azure Storage's resource, Entra ID v2 scope).
STORAGE_SCOPE = "https://storage.azure.com/.default"

# The SDK sends anything up to this size as one Put Blob, and larger content as blocks and a block
# list; a file this module writes must be one request, so larger content is refused.
SINGLE_PUT_BYTES = 4 * 1024 * 1024


def blob_location(path: str) -> tuple[str, str, str]:
    """abfss://<container>@<account>.dfs.<suffix>/<name> as the Blob endpoint's
    (https://<account>.blob.<suffix>, container, name)."""
    parts = urlsplit(path)
    container, _, host = parts.netloc.partition("@")
    account, dfs, suffix = host.partition(".dfs.")
    name = parts.path.lstrip("/")
    if parts.scheme != "abfss" or not container or not account or not dfs or not name:
        raise ValueError(f"not a file of an ADLS Gen2 container (abfss://<container>@<account>.dfs.<suffix>/<path>): {path}")
    return f"https://{account}.blob.{suffix}", container, name


class BlobReplace:
    """Replaces a file's content with one Put Blob, signed in with `credential` (an azure-core token
    credential, such as the provider a Unity Catalog service credential gives)."""

    def __init__(self, credential, locate=blob_location, **client_options):
        # Imported here, as the run starts: a cluster without the library fails before its load, not after.
        from azure.storage.blob import BlobClient, ContentSettings

        self._client_class, self._content_settings = BlobClient, ContentSettings
        self._credential = credential
        # Where a path's blob is: (account URL, container, name); tests point it at an emulator.
        self._locate = locate
        # Further BlobClient options (azure-core's, such as a raw_request_hook).
        self._client_options = client_options

    def replace(self, path: str, text: str) -> None:
        body = text.encode("utf-8")
        if len(body) > SINGLE_PUT_BYTES:
            raise ValueError(f"{path}: {len(body)} bytes is more than one Put Blob of {SINGLE_PUT_BYTES} bytes replaces whole")
        account_url, container, name = self._locate(path)
        client = self._client_class(account_url, container, name, credential=self._credential,
                                    max_single_put_size=SINGLE_PUT_BYTES, **self._client_options)
        media = "application/json" if name.endswith(".json") else "text/plain"
        client.upload_blob(body, overwrite=True, length=len(body),
                           content_settings=self._content_settings(content_type=f"{media}; charset=utf-8"))

"""Replacing a file in one Put Blob (bank_etl/blob.py), against Azurite's Blob service: a reader of
the file finds the old content or the new, never no file, an empty one or part of one; one request
each; and, as on Azure, signed in with the service credential's bearer token over HTTPS (Azurite's
OAuth mode), which a token for another resource cannot do."""

from __future__ import annotations

import base64
import json
import sys
import threading
import time

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from bank_etl.blob import SINGLE_PUT_BYTES, STORAGE_SCOPE, BlobReplace, blob_location
from bank_etl.fs import DbutilsFs, databricks_file_system

from fake_dbutils import FakeDbutils


def container_on(azurite, name: str):
    service = BlobServiceClient(azurite.blob_endpoint, credential=azurite.credential)
    client = service.get_container_client(name)
    if not client.exists():
        client.create_container()
    return client


def replacing_into(azurite, container: str) -> BlobReplace:
    """A BlobReplace that puts abfss://<container>@.../<name> into Azurite's container."""
    return BlobReplace(azurite.credential, locate=lambda path: (azurite.blob_endpoint, container, blob_location(path)[2]))


def test_an_abfss_path_is_its_accounts_blob_endpoint_its_container_and_its_name():
    assert blob_location("abfss://features@stbankprod01.dfs.core.windows.net/payments/export/_manifests/2022Q3.json") == (
        "https://stbankprod01.blob.core.windows.net", "features", "payments/export/_manifests/2022Q3.json")
    assert blob_location("abfss://features@stbank.dfs.core.chinacloudapi.cn/export/_manifests/2022Q3.json")[0] == (
        "https://stbank.blob.core.chinacloudapi.cn")


@pytest.mark.parametrize("path", ["/tmp/lake/features/export/_manifests/2022Q3.json",
                                  "wasbs://features@stbank.blob.core.windows.net/x.json",
                                  "abfss://stbank.dfs.core.windows.net/x.json",
                                  "abfss://features@stbank.dfs.core.windows.net/"])
def test_a_path_that_is_not_a_file_of_an_adls_container_is_refused_naming_it(path):
    with pytest.raises(ValueError, match="not a file of an ADLS Gen2 container") as refused:
        blob_location(path)
    assert path in str(refused.value)


def test_put_blob_replaces_a_file_whole_for_a_reader_polling_it(azurite):
    container = container_on(azurite, "replace-polled")
    path = "abfss://replace-polled@devstoreaccount1.dfs.core.windows.net/export/_manifests/2022Q3.json"
    replace = replacing_into(azurite, "replace-polled")
    texts = ['{"run_id": "run-0", "pad": "%s"}' % ("a" * 50_000), '{"run_id": "run-1", "pad": "%s"}' % ("b" * 70_000)]
    replace.replace(path, texts[0])
    reader_blob = container.get_blob_client("export/_manifests/2022Q3.json")
    seen: set[str] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                content = reader_blob.download_blob().readall().decode("utf-8")
            except ResourceNotFoundError:
                seen.add("missing")
                continue
            seen.add(content if content in texts else ("empty" if not content else "partial"))

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        for i in range(60):
            replace.replace(path, texts[i % 2])
    finally:
        stop.set()
        watcher.join(60)
    assert seen == set(texts)
    properties = reader_blob.get_blob_properties()
    assert properties.content_settings.content_type == "application/json; charset=utf-8"
    assert properties.size == len(texts[1].encode())


def test_a_replacement_is_one_request_a_put_blob_never_blocks(azurite):
    """Put Block List is atomic too, so the polling test alone would not tell one Put Blob from
    blocks: the requests themselves are counted (azure-core's raw_request_hook)."""
    container_on(azurite, "replace-counted")
    sent: list[tuple[str, str]] = []
    replace = BlobReplace(azurite.credential, locate=lambda path: (azurite.blob_endpoint, "replace-counted", blob_location(path)[2]),
                          raw_request_hook=lambda request: sent.append((request.http_request.method, request.http_request.url)))
    path = "abfss://replace-counted@devstoreaccount1.dfs.core.windows.net/export/_manifests/2022Q3.json"
    for text in ("{}\n", "x" * SINGLE_PUT_BYTES):  # the smallest, and the largest one request takes
        sent.clear()
        replace.replace(path, text)
        assert [method for method, _ in sent] == ["PUT"] and "comp=" not in sent[0][1]


def test_a_cluster_without_the_blob_library_fails_as_the_run_starts(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.storage.blob", None)  # as if the cluster library were missing
    with pytest.raises(ImportError):
        databricks_file_system(FakeDbutils(credentials={"bank_prod_publication": TokenProvider()}), None, "bank_prod_publication")


def test_put_blob_creates_the_folders_of_a_new_file(azurite):
    container = container_on(azurite, "replace-new")
    replacing_into(azurite, "replace-new").replace(
        "abfss://replace-new@devstoreaccount1.dfs.core.windows.net/payments/export/_manifests/2023Q1.json", "{}\n")
    assert container.download_blob("payments/export/_manifests/2023Q1.json").readall() == b"{}\n"


def test_content_larger_than_one_put_blob_is_refused_before_anything_is_sent(azurite):
    container = container_on(azurite, "replace-large")
    with pytest.raises(ValueError, match="more than one Put Blob"):
        replacing_into(azurite, "replace-large").replace(
            "abfss://replace-large@devstoreaccount1.dfs.core.windows.net/big.json", "x" * (SINGLE_PUT_BYTES + 1))
    assert list(container.list_blobs()) == []


def _base64url(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


class TokenProvider:
    """What getServiceCredentialsProvider gives: an azure-core token credential with get_token only.
    This one records the scopes asked for and hands out an Entra ID-shaped token for `audience`
    (unsigned: Azurite's basic OAuth checks audience, issuer and lifetime), or refuses, as Entra ID
    does an identity it cannot sign in."""

    def __init__(self, refuse: bool = False, audience: str = "https://storage.azure.com"):
        self.scopes: list[tuple[str, ...]] = []
        self.refuse = refuse
        self.audience = audience

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        if self.refuse:
            raise Exception("ClientAuthenticationError: the identity of bank_prod_publication could not get a token")
        expires = int(time.time()) + 3600
        claims = {"aud": self.audience, "iss": "https://sts.windows.net/3f2504e0-4f89-41d3-9a0c-0305e82c3301/",
                  "nbf": expires - 3700, "iat": expires - 3700, "exp": expires, "oid": "00000000-0000-4000-8000-0000000000c1"}
        return AccessToken(f"{_base64url({'alg': 'RS256', 'typ': 'JWT'})}.{_base64url(claims)}.c2lnbmF0dXJl", expires)


def oauth_container(azurite_oauth, name: str):
    service = BlobServiceClient(azurite_oauth.blob_endpoint, credential=TokenProvider(), connection_verify=azurite_oauth.ca_file)
    client = service.get_container_client(name)
    if not client.exists():
        client.create_container()
    return client


def test_put_blob_signs_in_with_the_service_credentials_token_over_https(azurite_oauth):
    """The production path: a get_token-only provider, a bearer token for Azure Storage, HTTPS."""
    container = oauth_container(azurite_oauth, "replace-oauth")
    provider = TokenProvider()
    replace = BlobReplace(provider, locate=lambda path: (azurite_oauth.blob_endpoint, "replace-oauth", blob_location(path)[2]),
                          connection_verify=azurite_oauth.ca_file)
    path = "abfss://replace-oauth@devstoreaccount1.dfs.core.windows.net/export/_manifests/2022Q3.json"
    for text in ('{"run_id": "run-0"}\n', '{"run_id": "run-1"}\n'):
        replace.replace(path, text)
        assert container.download_blob("export/_manifests/2022Q3.json").readall().decode() == text
    assert provider.scopes and set(provider.scopes) == {(STORAGE_SCOPE,)}


def test_a_token_for_another_resource_is_refused_and_nothing_is_written(azurite_oauth):
    container = oauth_container(azurite_oauth, "replace-refused")
    replace = BlobReplace(TokenProvider(audience="https://vault.azure.net"), connection_verify=azurite_oauth.ca_file,
                          locate=lambda path: (azurite_oauth.blob_endpoint, "replace-refused", blob_location(path)[2]))
    with pytest.raises(HttpResponseError) as refused:
        replace.replace("abfss://replace-refused@devstoreaccount1.dfs.core.windows.net/export/_manifests/2022Q3.json", "{}\n")
    assert refused.value.status_code in (401, 403)
    assert list(container.list_blobs()) == []


def test_dbutils_replaces_files_as_the_publication_credentials_identity_and_signs_in_at_once():
    provider = TokenProvider()
    utils = FakeDbutils(credentials={"bank_prod_publication": provider})
    fs = databricks_file_system(utils, None, "bank_prod_publication")
    assert isinstance(fs, DbutilsFs) and utils.credentials.asked == ["bank_prod_publication"]
    assert fs._blob_replace._credential is provider
    assert provider.scopes == [("https://storage.azure.com/.default",)]


@pytest.mark.parametrize("utils", [FakeDbutils(credentials={}),
                                   FakeDbutils(credentials={"bank_prod_publication": TokenProvider(refuse=True)})],
                         ids=["no such credential, or no ACCESS", "no token for its identity"])
def test_a_publication_credential_the_job_cannot_use_fails_before_any_work(utils):
    with pytest.raises(Exception, match="bank_prod_publication"):
        databricks_file_system(utils, None, "bank_prod_publication")


def test_without_a_publication_credential_dbutils_asks_for_none():
    utils = FakeDbutils(credentials={})
    assert databricks_file_system(utils, None, None)._blob_replace is None and utils.credentials.asked == []

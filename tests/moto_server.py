"""A moto server on 127.0.0.1 for tests of AWS calls, and boto3 clients pointed at it.

Every client here has fake credentials and an explicit loopback endpoint, so nothing is
sent to AWS. moto runs Lambda functions without Docker ("use_docker": false), so its
Invoke returns no log tail: tests that need REPORT lines use botocore's Stubber.
"""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

FAKE_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    request = urllib.request.Request(
        f"{url}/moto-api/config", method="POST",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()
    try:
        yield url
    finally:
        server.stop()


def client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, **FAKE_CREDENTIALS)


def create_function(url: str, name: str, environment: dict[str, str] | None,
                    kms_key_arn: str | None = None) -> dict[str, Any]:
    """Create a Python function in moto and return its configuration."""
    iam = client("iam", url)
    try:
        role = iam.create_role(RoleName="coldstart-test", AssumeRolePolicyDocument="{}")
        role_arn = role["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role_arn = iam.get_role(RoleName="coldstart-test")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("app.py", "def handler(event, context):\n    return event\n")
    arguments: dict[str, Any] = {
        "FunctionName": name, "Runtime": "python3.12", "Role": role_arn,
        "Handler": "app.handler", "Code": {"ZipFile": archive.getvalue()},
    }
    if environment is not None:
        arguments["Environment"] = {"Variables": environment}
    if kms_key_arn:
        arguments["KMSKeyArn"] = kms_key_arn
    return client("lambda", url).create_function(**arguments)

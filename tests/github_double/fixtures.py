"""Pytest fixtures: `app_key` (a throwaway RSA key for the test App, never written to disk) and
`github_double` (a started `GitHubDouble` that verifies App JWTs against that key).

Use from a conftest with `pytest_plugins = ["github_double.fixtures"]` or by importing the fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .server import GitHubDouble

APP_ID = 1
INSTALLATION_ID = 100
ORG = "course-org"


@dataclass(frozen=True)
class AppKey:
    private_pem: str
    public_pem: str


def make_app_key() -> AppKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return AppKey(private, public)


@pytest.fixture(scope="session")
def app_key() -> AppKey:
    return make_app_key()


@pytest.fixture
def github_double(app_key: AppKey) -> Iterator[GitHubDouble]:
    """A running double for App id 1 with installation 100 on the organisation "course-org"."""
    with GitHubDouble(app_id=APP_ID, public_key=app_key.public_pem) as double:
        double.add_installation(INSTALLATION_ID, ORG)
        yield double

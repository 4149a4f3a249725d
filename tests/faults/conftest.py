"""Fixtures for fault tests: a disposable PostgreSQL cluster per module and the service on it.
Reusable by any test that must stop, restart or kill a database (see cluster.py)."""

import pytest

from tests.faults.cluster import Deployment, DisposableCluster


@pytest.fixture(scope="module")
def pg_cluster():
    cluster = DisposableCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def deployment(pg_cluster):
    deployed = Deployment(pg_cluster)
    yield deployed
    deployed.destroy()

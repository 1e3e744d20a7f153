"""Tests of the Dask sweep engine (theory.sweeps) on a LocalCluster with two workers."""

from __future__ import annotations

import time

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.sweeps import parse_grid, sweep, validate_grid


def toy(a: float, b: float, scale: float = 1.0) -> dict:
    """A cheap sweep function: value, a flag, and a failure at a = 3."""
    if a == 3.0:
        raise RuntimeError("boom")
    return {"value": scale * (a + 10 * b), "converged": a < 2}


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_sweep_dataset_on_two_workers(client, tmp_path):
    ds = sweep(
        toy,
        {"a": [0.0, 1.0, 2.0, 3.0], "b": [0.5, 1.5]},
        fixed={"scale": 2.0},
        client=client,
        cache_dir=tmp_path,
        progress=False,
    )
    assert len(client.scheduler_info()["workers"]) == 2
    assert list(ds.coords) == ["a", "b"]
    assert ds["value"].shape == (4, 2)
    np.testing.assert_allclose(ds["value"].sel(a=1.0, b=1.5), 2.0 * 16.0)
    assert ds["converged"].dtype == bool and bool(ds["converged"].sel(a=0.0, b=0.5))
    assert bool(ds["failed"].sel(a=3.0, b=0.5)) and "boom" in str(
        ds["error"].sel(a=3.0, b=0.5).values
    )
    assert np.isnan(ds["value"].sel(a=3.0, b=0.5))
    assert ds.attrs["n_failed"] == 2
    # cached: second call reads the file, no client needed
    t0 = time.perf_counter()
    ds2 = sweep(
        toy,
        {"a": [0.0, 1.0, 2.0, 3.0], "b": [0.5, 1.5]},
        fixed={"scale": 2.0},
        client=client,
        cache_dir=tmp_path,
        progress=False,
    )
    assert time.perf_counter() - t0 < 5
    np.testing.assert_allclose(ds2["value"].values, ds["value"].values)
    assert ds2["failed"].dtype == bool


@pytest.mark.parametrize(
    "grid",
    [
        {},
        {"a": []},
        {"a": [[1, 2], [3, 4]]},
        {"a": ["x"]},
        {"a": [1, np.nan]},
        {"a": [1, 1]},
        {"1a": [1]},
    ],
)
def test_malformed_grid(grid):
    with pytest.raises(ParameterError):
        validate_grid(grid)


def test_parse_grid():
    g = parse_grid(["g_h=1:3:5", "alpha_r=0,5,10"])
    np.testing.assert_allclose(g["g_h"], [1, 1.5, 2, 2.5, 3])
    np.testing.assert_allclose(g["alpha_r"], [0, 5, 10])
    for bad in (["g_h"], ["g_h=1:3"], ["g_h=1:3:0"], ["g_h=a,b"], ["g_h="]):
        with pytest.raises(ParameterError):
            parse_grid(bad)


def test_unreachable_scheduler_times_out(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(ParameterError, match="scheduler"):
        sweep(
            toy,
            {"a": [0.0], "b": [0.0]},
            scheduler="tcp://127.0.0.1:9",
            timeout=2.0,
            cache=False,
            progress=False,
        )
    assert time.perf_counter() - t0 < 30


def test_cli_registered():
    from theory.cli import EXTRA_COMMANDS, build_parser

    build_parser()
    assert "sweep" in EXTRA_COMMANDS


@pytest.mark.slow
def test_default_local_cluster_processes(tmp_path):
    """Default engine: a LocalCluster of two worker processes started and shut down by sweep()."""
    ds = sweep(toy, {"a": [0.0, 1.0], "b": [0.0]}, cache_dir=tmp_path, progress=False, n_workers=2)
    np.testing.assert_allclose(ds["value"].values[:, 0], [0.0, 1.0])

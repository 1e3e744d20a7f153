"""Tests of the Dask sweep engine (theory.sweeps) on a LocalCluster with two workers."""

from __future__ import annotations

import time

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.sweeps import (
    failure_summary,
    parse_grid,
    sweep,
    task_chunks,
    validate_grid,
    worker_threads,
)


def toy(a: float, b: float, scale: float = 1.0) -> dict:
    """A cheap sweep function: value, a flag, and a failure at a = 3."""
    if a == 3.0:
        raise RuntimeError("boom")
    return {"value": scale * (a + 10 * b), "converged": a < 2}


def toy_vec(a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> dict:
    """Vectorised: one call per task, plus the task size and the BLAS threads seen inside."""
    threads = worker_threads()["max_threads"]
    return {
        "value": scale * (a + 10 * b),
        "task_size": np.full(a.shape, a.size),
        "threads": np.full(a.shape, threads),
    }


toy_vec.vectorized = True  # type: ignore[attr-defined]


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


def test_task_chunks_keep_lines_whole():
    g = validate_grid({"g": [1.0, 2.0, 3.0], "a": [0.0, 1.0, 2.0, 3.0]})
    tasks = task_chunks(g, 6, "g", 2)
    # points are C-ordered (g outer, a inner): the line of fixed a is {a, a + 4, a + 8}
    assert tasks == [[0, 4, 8, 1, 5, 9], [2, 6, 10, 3, 7, 11]]
    assert sorted(sum(task_chunks(g, None, None, 5), [])) == list(range(12))
    assert len(task_chunks(g, None, None, 5)) == 4  # ceil(12 / 5) = 3 points per task
    with pytest.raises(ParameterError):
        task_chunks(g, 0, None, 1)
    with pytest.raises(ParameterError):
        task_chunks(g, 2, "x", 1)


def test_vectorised_chunks_pin_blas_threads(client, tmp_path):
    """One call per task of whole lines; every task runs with one BLAS thread (threadpoolctl)."""
    ds = sweep(
        toy_vec,
        {"a": [0.0, 1.0, 2.0], "b": [0.5, 1.5]},
        client=client,
        chunk=3,
        chunk_axis="a",
        cache=False,
        progress=False,
    )
    np.testing.assert_allclose(ds["value"].values, np.add.outer([0.0, 1.0, 2.0], [5.0, 15.0]))
    assert np.all(ds["task_size"].values == 3)
    assert np.all(ds["threads"].values == 1)
    assert not ds["failed"].any()


@pytest.fixture(scope="module")
def tcp_cluster():
    """A LocalCluster started separately (in-process workers, reachable by a tcp:// address)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        dashboard_address=None,
    ) as cluster:
        yield cluster


def test_failure_summary_and_cli_exit_status(tcp_cluster, tmp_path, capsys):
    from theory.cli import main

    out = tmp_path / "s.nc"
    args = [
        "sweep",
        "theory.gating.chaos.phase_diagram:chaotic_point",
        "--grid",
        "g_h=-1,1.5",
        "--grid",
        "alpha_r=0",
        "--fixed",
        "n=128",
        "--out",
        str(out),
        "--scheduler",
        tcp_cluster.scheduler_address,
        "--no-cache",
    ]
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 1 and out.exists()
    assert "1 failed point" in err and "ParameterError" in err and "g_h=-1" in err
    assert "--allow-failures" in err
    assert "\r" not in err  # stderr is not a terminal: no progress-bar updates in the log
    assert main([*args, "--allow-failures"]) == 0
    import xarray as xr

    ds = xr.load_dataset(out, engine="scipy")
    assert failure_summary(ds).startswith("1 failed point")


def test_runs_unchanged_on_a_cluster_given_by_address(tcp_cluster):
    """A LocalCluster started separately and passed by its address gives the same Dataset as the
    in-process computation of the same vectorised sweep (the phase diagram's columns)."""
    from theory.gating.chaos.phase_diagram import phase_columns

    grid = {"g_h": [1.5, 2.2], "alpha_r": [0.0, 5.0]}
    fixed = {"n": 256, "dtau": 0.25}
    addr = tcp_cluster.scheduler_address
    assert addr.startswith("tcp://")
    ds = sweep(
        phase_columns,
        grid,
        fixed=fixed,
        scheduler=addr,
        chunk_axis="g_h",
        chunk=2,
        cache=False,
        progress=False,
    )
    G, A = np.meshgrid(grid["g_h"], grid["alpha_r"], indexing="ij")
    ref = phase_columns(G.ravel(), A.ravel(), **fixed)
    assert not ds["failed"].any()
    for k in ("C_h0", "chaotic", "region", "L1", "L3"):
        np.testing.assert_array_equal(ds[k].values.ravel(), ref[k], err_msg=k)


def test_phase_diagram_on_a_cluster_equals_the_in_process_one(tcp_cluster):
    """phase_diagram(scheduler=address): tasks take interleaved alpha_r columns (one task per
    worker by default) and the Dataset comes back in the grid's order, equal bit for bit to the
    in-process diagram (a column's result does not depend on its pool partners)."""
    from theory.gating.chaos.phase_diagram import phase_diagram

    g, a = [1.5, 2.2], [0.0, 5.0, 10.0]
    kw = {"n": 256, "dtau": 0.25}
    ref = phase_diagram(g, a, **kw)
    ds = phase_diagram(g, a, scheduler=tcp_cluster.scheduler_address, n_workers=2, **kw)
    np.testing.assert_array_equal(ds["alpha_r"].values, a)
    for k in ("C_h0", "chaotic", "region", "fp_exists", "L1", "L2", "L3"):
        np.testing.assert_array_equal(ds[k].values, ref[k].values, err_msg=k)

"""``DataLoader(num_workers=n)``: worker processes that load in parallel and give the batches of
``num_workers=0`` in the same order (and PyTorch's order for sharded iterable datasets); worker
seeds, ``worker_init_fn``, ``get_worker_info``, ``persistent_workers``, ``prefetch_factor``,
``in_order``, ``timeout``, the spawn start method; errors and dead workers reported."""

import multiprocessing
import os
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import cnnlab
from cnnlab.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info


class Items(Dataset):
    """Sample i: its index, the loading process and random draws from the three generators a
    transform may use; optionally slow, failing or killing its process at some index."""

    def __init__(self, n=12, delay=0.0, fail_at=None, error=ValueError, die_at=None):
        self.n, self.delay, self.fail_at, self.error, self.die_at = n, delay, fail_at, error, die_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.die_at:
            os._exit(1)
        if i == self.fail_at:
            raise self.error(f"sample {i} is broken")
        time.sleep(self.delay)
        draws = [np.random.rand(), cnnlab.rand(1).item(), float(np.random.default_rng().random())]
        return {"i": i, "pid": os.getpid(), "draws": cnnlab.tensor(draws[:2])}


def column(batches, key):
    return [v for batch in batches for v in batch[key].tolist()]


def test_workers_give_the_batches_of_one_process_in_the_same_order():
    data = TensorDataset(np.arange(40, dtype=np.float32).reshape(20, 2), np.arange(20))
    for kwargs in (dict(shuffle=True), dict(drop_last=True), dict(batch_size=None)):
        epochs = []
        for workers in (0, 2):
            cnnlab.manual_seed(7)
            loader = DataLoader(data, **{"batch_size": 3, **kwargs}, num_workers=workers)
            epochs.append([[t.tolist() for t in batch] for batch in loader])
        assert epochs[0] == epochs[1]


class Shard:
    """Each worker yields every num_workers-th item of range(n), as PyTorch's docs shard."""

    def __init__(self, n, info):
        self.n, self.info = n, info

    def __iter__(self):
        worker = self.info()
        start, step = (0, 1) if worker is None else (worker.id, worker.num_workers)
        return iter(range(start, self.n, step))


class Sharded(Shard, IterableDataset):
    def __init__(self, n):
        super().__init__(n, get_worker_info)


class TorchSharded(Shard, tdata.IterableDataset):
    def __init__(self, n):
        super().__init__(n, tdata.get_worker_info)


def plain(batch):
    return batch.tolist() if hasattr(batch, "tolist") else batch


@pytest.mark.parametrize("batch_size", [None, 2, 3])
def test_sharded_iterable_dataset_gives_torchs_order(batch_size):
    ours = [plain(b) for b in DataLoader(Sharded(11), batch_size, num_workers=2)]
    theirs = tdata.DataLoader(TorchSharded(11), batch_size=batch_size, num_workers=2)
    assert ours == [plain(b) for b in theirs]
    assert sorted(np.concatenate([np.atleast_1d(b) for b in ours]).tolist()) == list(range(11))


class Timed(Dataset):
    """Each sample sleeps and reports when (monotonic clock, shared by all processes) and where."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        start = time.monotonic()
        time.sleep(0.5)
        return {
            "i": i,
            "pid": os.getpid(),
            "span": cnnlab.tensor([start, time.monotonic()], dtype=cnnlab.float64),
        }


def test_workers_are_other_processes_loading_at_the_same_time():
    batches = list(DataLoader(Timed(), batch_size=1, num_workers=2, prefetch_factor=1))
    pids = column(batches, "pid")
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert column(batches, "i") == [0, 1, 2, 3]
    spans = [b["span"].numpy()[0] for b in batches]
    overlapping = [
        (a, b)
        for a in range(4)
        for b in range(4)
        if pids[a] != pids[b] and spans[a][0] < spans[b][0] < spans[a][1]
    ]
    assert overlapping  # a sample of one worker began while the other worker's was loading


def test_worker_seeds_differ_between_workers_and_repeat_under_manual_seed():
    runs = []
    for _ in range(2):
        cnnlab.manual_seed(11)
        runs.append(list(DataLoader(Items(n=4), batch_size=2, num_workers=2)))
    draws = [b["draws"].numpy() for b in runs[0]]
    assert not np.allclose(draws[0][0], draws[1][0])  # workers draw differently
    for first, second in zip(runs[0], runs[1], strict=True):
        np.testing.assert_array_equal(first["draws"].numpy(), second["draws"].numpy())


def record_worker(worker_id):
    info = get_worker_info()
    np.random.seed(100 + worker_id)
    assert info.id == worker_id and info.num_workers == 2 and isinstance(info.dataset, Items)


def test_worker_init_fn_and_worker_info():
    assert get_worker_info() is None
    loader = DataLoader(Items(n=4), batch_size=2, num_workers=2, worker_init_fn=record_worker)
    batches = list(loader)
    expected = [np.random.RandomState(100 + w).rand() for w in (0, 1)]
    np.testing.assert_allclose([b["draws"].numpy()[0, 0] for b in batches], expected)


def test_persistent_workers_serve_every_epoch():
    loader = DataLoader(Items(n=6), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [list(loader) for _ in range(3)]
    assert all(column(e, "i") == list(range(6)) for e in epochs)
    assert len({pid for e in epochs for pid in column(e, "pid")}) == 2
    assert len(loader) == 3


class Counted(Dataset):
    """Counts the samples fetched, across processes."""

    def __init__(self, counter):
        self.counter = counter

    def __len__(self):
        return 40

    def __getitem__(self, i):
        with self.counter.get_lock():
            self.counter.value += 1
        return i


def test_prefetch_factor_bounds_how_far_workers_read_ahead():
    counter = multiprocessing.Value("i", 0)
    loader = DataLoader(Counted(counter), batch_size=1, num_workers=2, prefetch_factor=3)
    iterator = iter(loader)
    next(iterator)
    time.sleep(0.5)
    assert counter.value <= 2 * 3 + 1  # the batch taken, and at most 3 per worker in flight
    del iterator


def test_in_order_false_still_gives_every_batch():
    loader = DataLoader(Items(n=10, delay=0.01), batch_size=2, num_workers=2, in_order=False)
    assert sorted(column(list(loader), "i")) == list(range(10))


@pytest.mark.parametrize("error", [ValueError, KeyError])
def test_an_error_in_a_worker_is_raised_with_its_traceback(error):
    loader = DataLoader(Items(n=6, fail_at=3, error=error), batch_size=2, num_workers=2)
    with pytest.raises(error, match=r"(?s)Caught \w+Error in DataLoader worker process 1.*broken"):
        list(loader)


def test_a_dead_worker_and_a_timeout_are_reported():
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    ):
        list(DataLoader(Items(n=4, die_at=1), batch_size=1, num_workers=2))
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.2 seconds"):
        list(DataLoader(Items(n=2, delay=2.0), batch_size=1, num_workers=1, timeout=0.2))


def test_spawned_workers_load_a_tensor_dataset():
    data = TensorDataset(np.arange(8, dtype=np.float32).reshape(4, 2), np.arange(4))
    loader = DataLoader(data, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert [y.tolist() for _, y in loader] == [[0, 1], [2, 3]]


def test_more_workers_than_cores_warns_as_torch():
    cores = len(os.sched_getaffinity(0))
    with pytest.warns(UserWarning, match="suggested max number of worker"):
        DataLoader(TensorDataset(cnnlab.ones(2)), num_workers=cores + 1)
    with pytest.warns(UserWarning, match="suggested max number of worker"):
        tdata.DataLoader(tdata.TensorDataset(torch.ones(2)), num_workers=cores + 1)

"""``cnnlab train`` with no flags scores at least 98 % on the development digits.

One run of the default recipe (about a minute on one thread: the longest test of the suite),
evaluated on 5,000 official MNIST test digits it never saw (``tests/fixtures/mnist-dev``).
"""

from pathlib import Path

from cnnlab.train import TrainConfig, evaluate_checkpoint, train

DEV_DIGITS = Path(__file__).parent.parent / "fixtures" / "mnist-dev"


def test_the_default_run_scores_98_percent_on_the_development_digits(tmp_path):
    result = train(TrainConfig(out=str(tmp_path / "run"), plots=False, quiet=True))
    assert result.config.data == "mnist5k" and result.config.model == "lenet5"
    scores = evaluate_checkpoint(result.out / "checkpoint.npz", data="mnist", data_dir=DEV_DIGITS)
    assert scores["total"] == 5000
    assert scores["accuracy"] >= 0.98, f"{scores['accuracy']:.4f} on the development digits"

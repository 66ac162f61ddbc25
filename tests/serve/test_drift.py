"""The drift report on its own: Kolmogorov-Smirnov for a small reference, Wasserstein for a large one, PSI, the
predicted classes against the training labels, and nothing said before the window has enough inputs."""
import numpy as np

from netbuilder.serve.drift import DriftMonitor, Thresholds


def test_small_reference_uses_kolmogorov_smirnov_and_fires_on_a_shift():
    generator = np.random.default_rng(0)
    reference = generator.normal(size=(400, 3))
    monitor = DriftMonitor(reference, image=False, thresholds=Thresholds(window=200))
    assert monitor.report()["drift"] is None and "30 are needed" in monitor.report()["message"]
    monitor.record(generator.normal(size=(200, 3)))
    quiet = monitor.report()
    assert quiet["method"] == "Kolmogorov-Smirnov" and quiet["drift"] is False
    monitor.record(generator.normal(size=(200, 3)) + [1.0, 1.0, 0.0])  # two of three features move
    fired = monitor.report()
    assert fired["drift"] is True and abs(fired["share_drifted"] - 2 / 3) < 1e-9
    assert [f["drift"] for f in fired["features"]] == [True, True, False]
    assert fired["features"][0]["psi"] > 0.2


def test_large_reference_uses_wasserstein_and_classes_are_compared():
    generator = np.random.default_rng(1)
    reference = generator.normal(size=(3000, 2))
    labels = np.repeat([0, 1, 2], 1000)
    monitor = DriftMonitor(reference, image=False, labels=labels, classes=["a", "b", "c"],
                           thresholds=Thresholds(window=500))
    monitor.record(generator.normal(size=(500, 2)), [0, 1, 2] * 166 + [0, 1])
    quiet = monitor.report()
    assert quiet["method"] == "Wasserstein (normed)" and quiet["drift"] is False
    assert quiet["classes"]["drift"] is False and set(quiet["classes"]["recent"]) == {"a", "b", "c"}
    monitor.record(generator.normal(size=(500, 2)) * 2, [0] * 500)
    fired = monitor.report()
    assert fired["drift"] is True and fired["classes"]["drift"] is True
    assert fired["classes"]["recent"]["a"] == 1.0


def test_images_are_compared_by_their_statistics():
    generator = np.random.default_rng(2)
    monitor = DriftMonitor(generator.uniform(size=(300, 3, 4, 4)), image=True)
    assert monitor.names == ["channel 0 mean", "channel 1 mean", "channel 2 mean", "channel 0 spread",
                             "channel 1 spread", "channel 2 spread"]
    monitor.record(generator.uniform(size=(100, 3, 4, 4)) * 0.5)
    assert monitor.report()["drift"] is True

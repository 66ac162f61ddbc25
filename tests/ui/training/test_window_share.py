"""The window's share of the interpreter while a run trains: the training thread gives way while the window is
behind its pulse; young garbage is collected on the window's thread, and a burst of new objects (what a run built,
modules imported late) is frozen instead of walked in one long stall."""
import gc
import threading
import time

from netbuilder.ui.training import worker


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the cyclic collector frees it


def test_young_garbage_is_collected_and_a_burst_is_frozen():
    worker.hold_garbage_collection()
    try:
        assert not gc.isenabled()
        frozen = gc.get_freeze_count()
        garbage = [Node() for _ in range(100)]
        del garbage
        worker.collect_young()
        # collected, nothing frozen (a frozen object freed meanwhile, left by an earlier test, lowers the count)
        assert gc.get_count()[0] < 100 and gc.get_freeze_count() <= frozen
        burst = [Node() for _ in range(worker.YOUNG_AT_MOST + 1000)]
        worker.collect_young()
        assert gc.get_freeze_count() >= frozen + len(burst)  # kept out of the collections, not walked now
    finally:
        worker.release_garbage_collection()


def test_the_training_thread_gives_way_only_while_the_window_is_behind():
    pulse = worker.WindowPulse()
    pulse.start()
    pulse.since -= 10.0  # a run ten seconds old: its share to give is not spent
    pulse.give_way()
    assert pulse.waits == 0  # the window beats on time: training goes on
    pulse.last = time.perf_counter() - 1.0  # a second without a beat: the window is busy

    def beat_once_waited_for():  # the window's next beat, once the training thread waits for it
        end = time.monotonic() + 10
        while pulse._beat.is_set() and time.monotonic() < end:
            time.sleep(0.001)
        pulse.beat()

    beat = threading.Thread(target=beat_once_waited_for)
    beat.start()
    pulse.give_way()  # waits for the next beat (or WAIT_SECONDS at most)
    beat.join()
    assert pulse.waits == 1 and pulse.last > time.perf_counter() - 1.0
    pulse.last = time.perf_counter() - 1.0
    worker.GIVE_WAY = False
    try:
        pulse.give_way()
        pulse.settle()
    finally:
        worker.GIVE_WAY = True
    assert pulse.waits == 1  # turned off (bench_responsive compares the two)
    pulse.waited = worker.WAIT_SHARE * 10.0 + 1.0  # training gave the window its share (its timers sleep: hidden)
    pulse.give_way()
    assert pulse.waits == 1


def test_a_window_beats_while_it_trains(qtbot):
    from uihelpers import make_window

    window = make_window(qtbot)
    pulse = window.controller.pulse
    before = pulse.last
    window.document.graph.meta["training"] = {**window.document.graph.meta.get("training", {}), "epochs": 1}
    assert window.training.start()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert pulse.last > before and not window.controller._beat.isActive()  # it beat, and stopped with the run

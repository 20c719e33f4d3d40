"""The fake ``cupy.cuda``: one device, one stream, events (see ../../README.md).

The fake NCCL works synchronously on the host, so every event is passed as soon as it is
recorded; ``Event.synchronized`` counts the waits (the test checks that Work.wait() waits)."""

from . import nccl, runtime  # noqa: F401


class Stream:
    ptr = 0  # the default stream's handle
    done = True

    def synchronize(self):
        pass


_current = Stream()


def get_current_stream():
    return _current


class Event:
    synchronized = 0  # how many times any event was waited on

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.recorded = False

    def record(self, stream=None):
        self.recorded = True

    @property
    def done(self):
        return self.recorded

    def synchronize(self):
        assert self.recorded, "fake cupy: waiting on an event that was never recorded"
        Event.synchronized += 1


class Device:
    def __init__(self, device=0):
        self.id = device

    def use(self):
        pass

    def synchronize(self):
        pass

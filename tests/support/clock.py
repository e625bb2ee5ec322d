import time


class FakeClock:
    """A clock tests move forward by hand, to reach expiries in no time."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

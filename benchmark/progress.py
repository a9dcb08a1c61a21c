"""How far along a long loop of epochs is: a tqdm bar when progress bars are on (a terminal), one
plain line per finished epoch when they are off (job logs, where a bar is noise and silence hides
a stalled run)."""
from __future__ import annotations

import time

from tqdm import tqdm


class EpochProgress:
    """Report the epochs of a loop of ``total`` (``done`` of them already, e.g. resumed), named
    ``desc``: a tqdm bar when ``bar`` is true, else after each epoch the line
    ``<desc>: epoch <i>/<total> (<key> <value>, ..., <s> s)`` on stdout, flushed."""

    def __init__(self, desc: str, total: int, bar: bool, done: int = 0):
        self.desc, self.total, self.epoch = desc, total, done
        self.bar = tqdm(total=total, initial=done, desc=desc, unit="epoch") if bar else None
        self.started = time.perf_counter()

    def epoch_done(self, **figures: str) -> None:
        """One more epoch finished; ``figures`` (name -> formatted value) go beside it."""
        self.epoch += 1
        if self.bar is not None:
            self.bar.set_postfix(figures, refresh=False)
            self.bar.update()
            return
        seconds = time.perf_counter() - self.started
        self.started = time.perf_counter()
        shown = "".join(f"{name} {value}, " for name, value in figures.items())
        print(f"{self.desc}: epoch {self.epoch}/{self.total} ({shown}{seconds:.0f} s)", flush=True)

    def close(self) -> None:
        """Close the bar (nothing to do for lines)."""
        if self.bar is not None:
            self.bar.close()

"""Execute notebooks in place, top to bottom, as nbval will run them.

Used by `make execute` (authors refresh committed outputs after editing a
chapter). Each notebook runs in its own directory with a fresh kernel.
"""

import sys
import time
from pathlib import Path

import nbclient
import nbformat


def execute(path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    nbformat.write(nb, path)
    return time.perf_counter() - start


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        seconds = execute(Path(arg))
        print(f"{arg}: executed in {seconds:.1f} s")

"""Execute notebooks in place, top to bottom, as nbval will run them.

Used by `make execute` (authors refresh committed outputs after editing a
chapter). Each notebook runs in its own directory with a fresh kernel.

The file written depends only on the notebook and the code it runs, so that
executing twice leaves `git diff` empty: no timing metadata is recorded
(``record_timing=False``) and any left from older runs is removed, and the text a
cell prints comes out as one stream output however the kernel happened to split it
into messages (nbval compares streams joined the same way). The kernel talks to
this process over IPC sockets in a private directory rather than TCP on localhost,
so ipykernel has no unencrypted-TCP warning to print.
"""

import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat
from traitlets.config import Config

# per-cell metadata that records when or how long a run took, not what it computed
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")


def strip_volatile(nb):
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = join_streams(cell.outputs)
    return nb


def join_streams(outputs):
    """Adjacent stream outputs of the same name (stdout, stderr) as one."""
    joined = []
    for out in outputs:
        if (out.output_type == "stream" and joined and joined[-1].output_type == "stream"
                and joined[-1].name == out.name):
            joined[-1].text += out.text
        else:
            joined.append(out)
    return joined


def execute(path):
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="nnmath-kernel-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(sockets) / "kernel-ipc")  # socket path prefix
        client = nbclient.NotebookClient(nb, config=config, timeout=120, kernel_name="python3",
                                         record_timing=False,
                                         resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
    nbformat.write(strip_volatile(nb), path)
    return time.perf_counter() - start


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        seconds = execute(Path(arg))
        print(f"{arg}: executed in {seconds:.1f} s")

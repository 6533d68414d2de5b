"""Name an OpenBLAS kernel other than this machine's own, for the second notebook run.

`make test` runs the notebooks twice: once as the machine chooses, once with
OPENBLAS_CORETYPE set to another kernel, so that an output digit that depends on the
CPU fails here and not on a reader's machine. This script prints the kernel to use
(the first of CANDIDATES that OpenBLAS accepts here and that differs from the one it
picks by itself) and exits 0, or says why there is none and exits 1 (numpy not on
OpenBLAS, a CPU where OPENBLAS_CORETYPE means nothing such as ARM, or a build that
ignores it).

    python .ci/blas_kernel.py            # prints e.g. Sandybridge
"""

import json
import os
import subprocess
import sys

# Older kernels first: they differ most from what a current x86 CPU picks.
CANDIDATES = ("Sandybridge", "Haswell", "Nehalem")

PROBE = """
import json, numpy, threadpoolctl
info = [i for i in threadpoolctl.threadpool_info() if i.get("internal_api") == "openblas"]
print(json.dumps(info[0].get("architecture") if info else None))
"""


def architecture(coretype=None):
    """The kernel OpenBLAS runs in a fresh interpreter, with OPENBLAS_CORETYPE=coretype."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    own = architecture()
    if own is None:
        print("numpy does not use OpenBLAS here", file=sys.stderr)
        return 1
    for name in CANDIDATES:
        got = architecture(name)
        if got and got.lower() == name.lower() and got.lower() != own.lower():
            print(name)
            return 0
    print(f"OpenBLAS runs {own} here and accepts none of {', '.join(CANDIDATES)} "
          f"through OPENBLAS_CORETYPE", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

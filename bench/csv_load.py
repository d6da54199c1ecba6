"""Loading a large numeric CSV: time and peak memory against the data's float64 size.

    python -m bench.csv_load               # 1,000,000 rows x 10 columns (about 95 MB)
    python -m bench.csv_load --rows 2000000

Writes a random CSV to a temporary folder, then loads it with engine.data.csv_data.load_csv in a
fresh process and reports that process's peak RSS growth over its baseline (Linux
ru_maxrss) divided by rows x columns x 8 bytes. Target: at most about 3x.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import resource, sys, time
sys.path.insert(0, {root!r})
import numpy
from engine.data.csv_data import load_csv
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
dataset = load_csv({path!r})
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seconds, (peak - before) * 1024, dataset.inputs.shape[0])
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        rng = np.random.default_rng(0)
        header = ",".join(f"x{column}" for column in range(args.columns - 1)) + ",y"
        with path.open("w") as handle:
            handle.write(header + "\n")
            for start in range(0, args.rows, 100_000):
                block = rng.normal(size=(min(100_000, args.rows - start), args.columns))
                np.savetxt(handle, block, delimiter=",", fmt="%.6g")
        size_mb = path.stat().st_size / 2**20
        output = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT),
                                                                    path=str(path))],
                                capture_output=True, text=True, check=True).stdout.split()
    seconds, peak_bytes, rows = float(output[0]), float(output[1]), int(output[2])
    data_bytes = rows * args.columns * 8
    print(f"{rows:,} rows x {args.columns} columns, file {size_mb:.0f} MB, "
          f"float64 data {data_bytes / 2**20:.0f} MB")
    print(f"load {seconds:.1f} s, peak memory growth {peak_bytes / 2**20:.0f} MB = "
          f"{peak_bytes / data_bytes:.2f}x the data (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

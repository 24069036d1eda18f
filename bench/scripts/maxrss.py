"""Run argv once and print the child's peak resident set size in KiB (getrusage of the waited-for children).

A fresh wrapper per measurement, so the figure is that one child's and not the largest of many.
"""

import resource
import subprocess
import sys

result = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)
if result.returncode != 0:
    sys.exit(f"maxrss: {sys.argv[1:]} exited {result.returncode}")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)

"""Memory of the C example under a flood of password grants: RSS before,
during and after 1,000 password requests from 200 concurrent connections,
argon2id at OWASP's parameters. argon2 runs on ropc's bounded pool (one
thread per core, a bounded queue: past it, 503 at once), so the resident
memory stays flat instead of growing by 19 MiB per concurrent check.

    python3 bench/stress_passwords.py build/c/auth_server bench/results
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from stress_common import AUTH, rss_mib
from stress_common import config as config_of

exe, out_dir = sys.argv[1], sys.argv[2]
REQUESTS, CONNECTIONS = 1000, 200


config = config_of(throttle={"max_failures": 1000000, "lockout_seconds": 1, "forget_after_seconds": 2})
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "ropc.json")
    with open(path, "w") as f:
        json.dump(config, f)
    proc = subprocess.Popen([exe, "--config", path, "--port", "0", "--per-ip", "1000", "--max-connections", "1000"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = proc.stdout.readline().split()[-1] + "/token"

    def grant(_):
        req = urllib.request.Request(url, data=b"grant_type=password&username=alice&password=alice-pw",
                                     headers={"Authorization": AUTH,
                                              "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return "error"

    idle = rss_mib(proc.pid)
    for i in range(20):
        grant(i)
    warm = rss_mib(proc.pid)
    peak = [warm]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as pool:
        statuses = list(pool.map(grant, range(REQUESTS)))
    took = time.monotonic() - began
    done.set()
    sampler.join()
    after = rss_mib(proc.pid)
    proc.terminate()
    proc.wait(10)

counts = {str(s): statuses.count(s) for s in sorted(set(statuses), key=str)}
result = {"requests": REQUESTS, "connections": CONNECTIONS, "argon2": "m=19456 t=2 p=1",
          "rss_mib": {"idle": round(idle, 1), "after_20_grants": round(warm, 1), "peak_under_flood": round(peak[0], 1),
                      "after_flood": round(after, 1)},
          "statuses": counts, "seconds": round(took, 1), "cores": os.cpu_count()}
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "stress.json"), "w") as f:
    json.dump(result, f, indent=1)
with open(os.path.join(out_dir, "stress.md"), "w") as f:
    f.write("# Memory under a flood of password grants (C example)\n\n"
            f"{REQUESTS} password grants from {CONNECTIONS} concurrent connections, argon2id m=19456 t=2 p=1, "
            f"{os.cpu_count()} cores, {result['seconds']} s.\n\n"
            "| RSS (MiB) | idle | after 20 grants | peak under the flood | after |\n|---|---|---|---|---|\n"
            f"| C example | {result['rss_mib']['idle']} | {result['rss_mib']['after_20_grants']} | "
            f"{result['rss_mib']['peak_under_flood']} | {result['rss_mib']['after_flood']} |\n\n"
            f"Answers: {', '.join(f'{k}: {v}' for k, v in counts.items())} (503: the verification queue was full; "
            "retry after Retry-After). Before the bounded pool the same flood took the RSS to 375-650 MiB.\n")
print(json.dumps(result))

"""The C example with host accounts through callbacks: resource owners in a
passwd-style file of crypt(3) hashes another system wrote. Sign in over
HTTP, groups from the file reach introspection, unknown / wrong / disabled
answer alike, and SIGHUP reloads the file: whoever got a new hash loses
their tokens, the others keep theirs."""
import base64
import json
import os
import signal
import socket
import subprocess
import time
import warnings

from conftest import Client, host_accounts_config
from test_examples import start, stop

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # the standard library's crypt(3), as another system would hash


def line(user, password, groups, disabled=False):
    h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))
    return f"{user}:{h}:{','.join(groups)}" + (":disabled" if disabled else "")


def test_the_c_example_verifies_owners_through_callbacks_and_reloads_them(tmp_path):
    exe = os.environ.get("ROPC_AUTH_SERVER")
    assert exe, "ROPC_AUTH_SERVER is not set: run `make test-integration`"
    conf = tmp_path / "ropc.json"
    conf.write_text(json.dumps(host_accounts_config()))
    passwd = tmp_path / "passwd"
    bob = line("bob", "bob-pw", ["staff"])
    passwd.write_text("\n".join(["# from the old system", line("alice", "alice-pw", ["staff", "finance"]), bob,
                                 line("dave", "dave-pw", ["staff"], disabled=True)]) + "\n")
    proc, url = start([exe, "--config", str(conf), "--passwd", str(passwd), "--port", "0"])
    client = Client(url)
    try:
        r = client.login("alice")
        assert r.status_code == 200, r.text
        alice = r.json()["access_token"]
        info = client.introspect(alice)
        assert info["active"] and sorted(info["groups"]) == ["finance", "staff"]
        bob_token = client.login("bob").json()["access_token"]

        answers = {(r.status_code, r.text) for r in
                   (client.login(u, p) for u, p in [("nobody", "x"), ("alice", "wrong"), ("dave", "dave-pw"),
                                                    ("alice", "alice-pw\u0000x")])}
        assert len(answers) == 1 and next(iter(answers))[0] == 400, answers

        # The other system changed alice's password: a reload ends her tokens.
        passwd.write_text("\n".join([line("alice", "new-pw", ["staff"]), bob]) + "\n")
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while client.introspect(alice)["active"]:
            assert time.monotonic() < deadline, "the reload did not end alice's tokens"
            time.sleep(0.05)
        assert client.introspect(bob_token)["active"], "bob's hash did not change: his tokens stay"
        assert client.login("alice", "new-pw").status_code == 200
        assert client.login("alice", "alice-pw").status_code == 400
    finally:
        err = stop(proc)
    assert "configuration reloaded" in err
    for secret in ("alice-pw", "new-pw", "bob-pw", "$6$"):
        assert secret not in err


def test_a_request_that_blocks_holds_up_no_other_connection(tmp_path):
    """A request that may block (here: the host's check of a password) runs
    on a worker, its connection suspended; libmicrohttpd's threads go on
    serving every other connection. Four sign-ins whose crypt(3) takes
    minutes (sha512crypt at its most rounds) are sent on four connections,
    more than the server's two connection threads: a server that checked
    them on those threads would leave nothing to answer the next connection.
    Not timed: the requests after them must simply be answered (the client's
    30 s timeout only stops a hung test)."""
    exe = os.environ.get("ROPC_AUTH_SERVER")
    assert exe, "ROPC_AUTH_SERVER is not set: run `make test-integration`"
    conf = tmp_path / "ropc.json"
    conf.write_text(json.dumps(host_accounts_config()))
    # A hash crypt(3) reads, never computed here: its rounds are what matter.
    slow = "$6$rounds=999999999$saltsalt$" + "A" * 86
    passwd = tmp_path / "passwd"
    # Four users: one user's sign-ins in flight are bounded by the throttle.
    passwd.write_text("\n".join([line("alice", "alice-pw", ["staff"])] +
                                [f"slow{i}:{slow}:staff" for i in range(4)]) + "\n")
    proc, url = start([exe, "--config", str(conf), "--passwd", str(passwd), "--port", "0",
                       "--max-crypt-rounds", "999999999",  # a hash that takes minutes, on purpose
                       "--threads", "2", "--workers", "6"])
    host, port = url.split("//")[1].split(":")
    held = []
    try:
        auth = base64.b64encode(b"app:app-secret").decode()
        for i in range(4):
            body = f"grant_type=password&username=slow{i}&password=x".encode()
            s = socket.create_connection((host, int(port)), timeout=30)
            s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth.encode() +
                      b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                      str(len(body)).encode() + b"\r\n\r\n" + body)
            held.append(s)
        client = Client(url)
        r = client.login("alice")
        assert r.status_code == 200, r.text
        assert client.introspect(r.json()["access_token"])["active"]
        for s in held:  # still being checked: neither answered nor closed
            s.setblocking(False)
            try:
                got = s.recv(1)
            except BlockingIOError:
                continue
            raise AssertionError(f"a sign-in of minutes was answered or closed: {got!r}")
    finally:
        for s in held:
            s.close()
        proc.kill()  # its workers would finish the four sign-ins first
        proc.communicate(timeout=10)


def test_the_c_example_answers_what_it_has_taken_before_it_stops(tmp_path):
    """SIGTERM while a worker checks a sign-in: the worker finishes it, the
    client gets its answer, then the server exits 0 (libmicrohttpd must
    not stop with a connection suspended). The sign-in's crypt(3) takes
    seconds; the test waits (never timed) until a thread of the server has
    spent CPU on it before it sends the signal."""
    exe = os.environ.get("ROPC_AUTH_SERVER")
    assert exe, "ROPC_AUTH_SERVER is not set: run `make test-integration`"
    conf = tmp_path / "ropc.json"
    conf.write_text(json.dumps(host_accounts_config()))
    slow = "$6$rounds=20000000$saltsalt$" + "A" * 86  # seconds, never computed here
    passwd = tmp_path / "passwd"
    passwd.write_text(line("alice", "alice-pw", ["staff"]) + f"\nslow:{slow}:staff\n")
    proc, url = start([exe, "--config", str(conf), "--passwd", str(passwd), "--port", "0",
                       "--max-crypt-rounds", "999999999",  # a hash that takes minutes, on purpose
                       "--threads", "2", "--workers", "2"])
    host, port = url.split("//")[1].split(":")

    def cpu():
        """CPU ticks each thread has spent, by thread id."""
        ticks = {}
        for tid in os.listdir(f"/proc/{proc.pid}/task"):
            try:
                with open(f"/proc/{proc.pid}/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            ticks[tid] = int(fields[11]) + int(fields[12])  # utime + stime
        return ticks

    try:
        assert Client(url).login("alice").status_code == 200
        before = cpu()
        auth = base64.b64encode(b"app:app-secret").decode()
        body = b"grant_type=password&username=slow&password=x"
        s = socket.create_connection((host, int(port)), timeout=120)
        s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth.encode() +
                  b"\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: " +
                  str(len(body)).encode() + b"\r\n\r\n" + body)
        deadline = time.monotonic() + 60
        while not any(t - before.get(tid, 0) >= 30 for tid, t in cpu().items()):  # 0.3 s into crypt(3)
            assert time.monotonic() < deadline, "no thread took up the sign-in"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
        s.close()
        assert answer.startswith(b"HTTP/1.1 ") and b'"error"' in answer, answer[:200]
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_a_passwd_hash_whose_cost_would_take_the_host_is_refused_at_load(tmp_path):
    """SHA-crypt rounds and bcrypt costs are bounded where the file enters,
    as ropc bounds its own hashes: the server does not start with them."""
    exe = os.environ.get("ROPC_AUTH_SERVER")
    assert exe, "ROPC_AUTH_SERVER is not set: run `make test-integration`"
    conf = tmp_path / "ropc.json"
    conf.write_text(json.dumps(host_accounts_config()))
    bounded = crypt.crypt("pw", "$6$rounds=1000000$saltsalt$")
    for hash_ in ("$6$rounds=999999999$saltsalt$" + "x" * 86, "$2b$31$" + "a" * 53):
        passwd = tmp_path / "users.txt"
        passwd.write_text(f"alice:{bounded}:staff\nbob:{hash_}:staff\n")
        proc = subprocess.run([exe, "--config", str(conf), "--port", "0", "--passwd", str(passwd)],
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 1, (hash_, proc.stdout)
        assert "line 2" in proc.stderr and "beyond the limit" in proc.stderr, proc.stderr
    passwd.write_text(f"alice:{bounded}:staff\n")
    server, url = start([exe, "--config", str(conf), "--port", "0", "--passwd", str(passwd)])
    try:
        assert Client(url).login("alice", "pw").status_code == 200, "a cost at the limit is taken"
    finally:
        stop(server)

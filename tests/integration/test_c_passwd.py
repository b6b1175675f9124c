"""The C example with host accounts through callbacks: resource owners in a
passwd-style file of crypt(3) hashes another system wrote. Sign in over
HTTP, groups from the file reach introspection, unknown / wrong / disabled
answer alike, and SIGHUP reloads the file: whoever got a new hash loses
their tokens, the others keep theirs."""
import json
import os
import signal
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

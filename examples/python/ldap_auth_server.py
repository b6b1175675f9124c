#!/usr/bin/env python3
"""An OAuth 2.0 authorization server whose resource owners live in an LDAP
directory (OpenLDAP, Active Directory, ...): ropc keeps clients, scopes,
rules and tokens; the directory says who a user is and which groups they
are in. LDAP groups become ropc groups, so the configuration's rules can
name them.

    LDAP_BIND_PASSWORD=... python3 ldap_auth_server.py --config ropc.json \\
        --ldap-url ldap://ldap.example.org --base-dn dc=example,dc=org \\
        --bind-dn cn=reader,dc=example,dc=org --port 9000

The configuration lists no users. A person signs in by binding as
uid=<username>,ou=people,<base-dn> with their password (the directory checks
it: ropc never sees a hash). The read-only service account (--bind-dn, its
password from the environment, never the command line) finds groups
(groupOfNames with a member attribute, under ou=groups) and tells an unknown
user from a wrong password; members of the group named by --disabled-group
are refused like a wrong password and their tokens stop working.
ropc adds the throttle, equal answers and timing for unknown / wrong /
disabled / locked, a time limit, and a short cache of each owner's state.
"""
import argparse
import os
import sys
import threading

import ldap3
from ldap3.core.exceptions import LDAPCommunicationError, LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

import ropc
from auth_server import serve


class LdapAccounts:
    """ropc's host accounts on an LDAP directory. Thread-safe: the service
    connection is SAFE_SYNC, and each sign-in binds on its own connection."""

    def __init__(self, url, base_dn, bind_dn, bind_password, disabled_group="disabled", timeout=5):
        self.url = url
        self.people = f"ou=people,{base_dn}"
        self.groups = f"ou=groups,{base_dn}"
        self.disabled = disabled_group
        self.timeout = timeout
        self.credentials = (bind_dn, bind_password)
        self.lock = threading.Lock()
        self.service = self.connect()

    def directory(self):
        # A fresh Server each time: ldap3 remembers an address that failed
        # once as unavailable, and would never try it again after an outage.
        return ldap3.Server(self.url, connect_timeout=self.timeout)

    def connect(self):
        dn, password = self.credentials
        return ldap3.Connection(self.directory(), dn, password, client_strategy=ldap3.SAFE_SYNC, auto_bind=True,
                                receive_timeout=self.timeout, raise_exceptions=False, read_only=True)

    def service_search(self, *args, **kwargs):
        """A search as the service account; after a restart of the directory
        the connection is made again once (a failure then is the directory's)."""
        conn = self.service
        try:
            return conn.search(*args, **kwargs)
        except LDAPCommunicationError:
            with self.lock:
                if self.service is conn:
                    self.service = self.connect()
                conn = self.service
            return conn.search(*args, **kwargs)

    def dn(self, username):
        # escape_rdn: a name like "x,ou=admins" stays one RDN value.
        return f"uid={escape_rdn(username)},{self.people}"

    def search(self, base, query, scope, attributes):
        """Entries found; [] when the base does not exist. Any other failure
        is the directory's and must not read as "no such user"."""
        ok, result, entries, _ = self.service_search(base, query, search_scope=scope, attributes=attributes)
        if not ok and result["result"] not in (0, 32):  # 32: noSuchObject
            raise LDAPException(f"search failed: {result['description']}")
        return [e for e in entries or [] if e.get("type") == "searchResEntry"]

    def owner(self, username):
        """The owner's state from the service account; None if no such person.
        The directory matches uid ignoring case and spaces ("BOB", " bob"),
        so the owner carries the entry's own uid: ropc issues tokens to it,
        one subject however the name was typed."""
        people = self.search(self.dn(username), "(objectClass=inetOrgPerson)", ldap3.BASE, ["uid"])
        if not people:
            return None
        entry = people[0]
        uids = entry["attributes"].get("uid") or []
        uid = str(uids[0] if isinstance(uids, list) and uids else uids or username)
        dn = entry.get("dn") or self.dn(uid)
        groups = self.search(self.groups, f"(&(objectClass=groupOfNames)(member={escape_filter_chars(dn)}))",
                             ldap3.SUBTREE, ["cn"])
        names = sorted(str(e["attributes"]["cn"][0]) for e in groups if e["attributes"].get("cn"))
        return ropc.Owner([n for n in names if n != self.disabled], enabled=self.disabled not in names, name=uid)

    def verify(self, username, password):
        if not password:
            # An empty password is an LDAP "unauthenticated bind" that
            # succeeds: never let it through (ropc refuses it first too).
            return ropc.WRONG_PASSWORD
        dn = self.dn(username)
        conn = ldap3.Connection(self.directory(), dn, password, receive_timeout=self.timeout, raise_exceptions=False)
        try:
            bound = conn.bind()
            code = conn.result.get("result") if conn.result else None
        finally:
            conn.unbind()
        if bound:
            return self.owner(username) or ropc.UNKNOWN_USER
        if code != 49:  # not invalidCredentials: the directory failed
            raise LDAPException(f"bind failed with result {code}")
        # 49 answers both a wrong password and an unknown DN: ask which
        # (ropc answers both alike; the operator's counters may differ).
        return ropc.WRONG_PASSWORD if self.owner(username) else ropc.UNKNOWN_USER

    def lookup(self, username):
        return self.owner(username)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="clients, scopes and rules (no users)")
    parser.add_argument("--ldap-url", required=True)
    parser.add_argument("--base-dn", required=True)
    parser.add_argument("--bind-dn", required=True, help="a read-only service account")
    parser.add_argument("--bind-password-env", default="LDAP_BIND_PASSWORD",
                        help="the environment variable holding its password")
    parser.add_argument("--disabled-group", default="disabled")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    password = os.environ.get(args.bind_password_env)
    if not password:
        sys.exit(f"ldap_auth_server: set {args.bind_password_env} to the service account's password")
    accounts = LdapAccounts(args.ldap_url, args.base_dn, args.bind_dn, password, args.disabled_group)
    server = ropc.Server.from_file(args.config, host_accounts=accounts)
    serve(server, args.host, args.port, args.config, name="ldap_auth_server")


if __name__ == "__main__":
    main()

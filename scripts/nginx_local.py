#!/usr/bin/env python3
"""Run docker/nginx.conf with the system's nginx on loopback, in front of a local backend.

Used by the nginx tests (backend/tests/deploy/test_nginx.py) and by the browser end-to-end suite
(frontend/e2e, E2E_VIA_NGINX=1), so both exercise the production config. Only the lines tagged
"# test-rewrite:" change (listen, upstream, root, access_log), temp paths are added after
"http {", and --login-rate can relax the login limit for a test suite that signs in often.

    python3 scripts/nginx_local.py --listen 8088 --upstream 8001 --root frontend/dist --tmp /tmp/ngx
runs nginx in the foreground until it is stopped (SIGTERM/SIGINT).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

CONF = Path(__file__).resolve().parents[1] / "docker" / "nginx.conf"


def render_conf(text: str, *, listen_port: int, upstream_port: int, root: Path, tmp: Path, login_rate: str | None = None) -> str:
    """Apply the documented rewrites to the production config; fail loudly if one misses."""
    rules = [
        (r"listen 80 default_server;  # test-rewrite: listen", f"listen 127.0.0.1:{listen_port};"),
        (r"server backend:8001 (.*?);  # test-rewrite: upstream", f"server 127.0.0.1:{upstream_port} \\1;"),
        (r"root /usr/share/nginx/html;  # test-rewrite: root", f"root {root};"),
        (
            r"access_log /var/log/nginx/access.log deltaplane_json;  # test-rewrite: access_log",
            f"access_log {tmp}/access.log deltaplane_json;",
        ),
    ]
    for pattern, repl in rules:
        text, n = re.subn(pattern, repl, text)
        if n != 1:
            raise ValueError(f"rewrite rule {pattern!r} matched {n} times: keep the '# test-rewrite:' tags in nginx.conf")
    if login_rate is not None:
        text, n = re.subn(r"(zone=dp_login:\S+\s+rate=)\d+r/[ms]", rf"\g<1>{login_rate}", text)
        if n != 1:
            raise ValueError("could not find the login limit_req_zone rate to relax")
    temp = "".join(f"    {name}_temp_path {tmp}/{name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text, n = re.subn(r"^http \{\n", "http {\n" + temp, text, flags=re.M)
    if n != 1:
        raise ValueError("no 'http {' block found")
    return text


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def nginx_command(conf: Path, tmp: Path) -> list[str]:
    globals_ = f"daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log warn;"
    if os.geteuid() == 0:
        globals_ += " user root;"  # otherwise workers drop to nobody and cannot read tmp
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (make test installs nginx-light)")
    return [binary, "-p", str(tmp), "-c", str(conf), "-g", globals_]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--login-rate", default=None, help="e.g. 600r/m (test suites only)")
    args = ap.parse_args()
    tmp = Path(args.tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(render_conf(CONF.read_text(), listen_port=args.listen, upstream_port=args.upstream,
                                root=Path(args.root).resolve(), tmp=tmp, login_rate=args.login_rate))
    cmd = nginx_command(conf, tmp)
    sys.stdout.flush()
    os.execv(cmd[0], cmd)  # replace this process: signals reach nginx directly
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

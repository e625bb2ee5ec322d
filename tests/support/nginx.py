"""A real nginx (Debian's) as a TLS-terminating proxy in front of the app: it
sets X-Forwarded-Proto https as if it had terminated TLS, and appends the
client's address to X-Forwarded-For."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests

from .ports import free_port

CONFIG = """
daemon off;
master_process off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream_port};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}
}}
"""


class Nginx:
    executable = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

    def __init__(self, directory: Path, upstream_port: int):
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = directory / "nginx.conf"
        config.write_text(CONFIG.format(directory=directory, port=self.port, upstream_port=upstream_port))
        self.process = subprocess.Popen(
            [self.executable, "-c", str(config), "-p", str(directory), "-e", str(directory / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(self.url + "/static/app.css", timeout=1)
                return
            except requests.RequestException:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError((directory / "error.log").read_text()) from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

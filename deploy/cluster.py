#!/usr/bin/env python3
"""A local cluster on 127.0.0.1: memcached x N, Apache mod_php prefork x N (routes
web1, web2, ...), and nginx in front, on free ports, each with its own config in a
run directory. Used by the demo (deploy/local-cluster), the end-to-end tests and
the benchmarks.

    cluster = Cluster(run_dir, extension=".../clustered_session.so")
    cluster.start()            # waits until every server answers
    cluster.kill_apache(0)     # SIGKILL a whole node (parent and children)
    cluster.stop()             # stops everything, leaves no process behind

Sealed values: Cluster(..., secrets=[key]) gives every app node its own
clustered_session.secret_file (mode 0600, owned by the user running the cluster,
root: Apache's parent reads it in MINIT); seal= and accept_unsealed= set those
settings. A key rotation rewrites one node's file and reloads it gracefully:

    cluster.write_secrets(0, [new, old])   # first key seals, all open
    cluster.reload_apache(0)               # graceful; waits for the old children to exit
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import gen_balancer  # noqa: E402

APACHE_MODULES = pathlib.Path("/usr/lib/apache2/modules")


def php_apache_module():
    """libphpX.Y.so of the installed libapache2-mod-php (8.2 on Debian 12, 8.4 on 13)."""
    found = sorted(APACHE_MODULES.glob("libphp*.so"))
    return found[-1].name if found else "libphp.so"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=10.0, host="127.0.0.1"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on {host}:{port} after {seconds} s")


def pids_matching(pattern):
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in found.split() if int(p) not in (os.getpid(), os.getppid())]


def pid_alive(pid):
    """Whether the process runs (a zombie, exited but not yet reaped, does not)."""
    if not pid:
        return False
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def memcached_stats(port, host="127.0.0.1"):
    """memcached's own counters (cmd_get, cmd_set, cmd_touch, ...)."""
    with socket.create_connection((host, port), timeout=2) as s:
        s.sendall(b"stats\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    stats = {}
    for line in data.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "STAT":
            stats[parts[1]] = int(parts[2]) if parts[2].isdigit() else parts[2]
    return stats


class Cluster:
    def __init__(self, run_dir, extension, nodes=2, php_ini=None, round_robin=False,
                 memcached_args=(), workers=8, other_extensions=(), balancer=None, app=None,
                 memcached_ports=None, memcached_hosts=None, memcached_wrappers=None,
                 secrets=None, seal=None, accept_unsealed=None):
        self.run = pathlib.Path(run_dir)
        self.run.mkdir(parents=True, exist_ok=True)
        # Apache's children run as www-data: the run directory and the app in it
        # must be readable for them wherever the repository itself lives.
        os.chmod(self.run, 0o755)
        self.extension = str(pathlib.Path(extension).resolve()) if extension else None
        self.nodes = nodes
        self.routes = [f"web{i + 1}" for i in range(nodes)]
        self.php_ini = dict(php_ini or {})
        # clustered_session.secret_file: None = no key file (values unsealed, as
        # before sealing existed); otherwise the keys every node starts with, one
        # file per node so that a rotation can change one node at a time.
        self.node_secrets = [list(secrets) for _ in range(nodes)] if secrets else None
        if seal is not None:
            self.php_ini["clustered_session.seal"] = seal
        if accept_unsealed is not None:
            self.php_ini["clustered_session.accept_unsealed"] = "1" if accept_unsealed else "0"
        self.round_robin = round_robin
        # Extensions loaded before ours, by name (e.g. igbinary, memcached for the
        # benchmarks); extension=None runs PHP without clustered_session at all.
        self.other_extensions = list(other_extensions)
        # nginx routing: None = by the route in the cookie (gen_balancer), or a
        # complete "upstream + server" text for other handlers (benchmarks).
        self.balancer = balancer
        self.memcached_args = list(memcached_args)
        self.workers = workers
        self.memcached_ports = list(memcached_ports or [free_port() for _ in range(nodes)])
        # Where each memcached listens (default 127.0.0.1) and a command prefix to
        # start it with (default none), e.g. ["ip", "netns", "exec", NAME] with that
        # namespace's address: the fault tests cut one node's network that way.
        self.memcached_hosts = list(memcached_hosts or ["127.0.0.1"] * nodes)
        self.memcached_wrappers = [list(w or []) for w in (memcached_wrappers or [None] * nodes)]
        self.apache_ports = [free_port() for _ in range(nodes)]
        self.nginx_port = free_port()
        self.memcached = [None] * nodes
        self.nginx = None
        self.app_dir = self.run / "app"
        shutil.rmtree(self.app_dir, ignore_errors=True)
        shutil.copytree(app or HERE / "app", self.app_dir)
        if app is None:
            shutil.copy(HERE / "status.php", self.app_dir / "status.php")
        for path in [self.app_dir, *self.app_dir.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    # ---- addresses -------------------------------------------------------
    @property
    def url(self):
        return f"http://127.0.0.1:{self.nginx_port}"

    def node_url(self, index):
        return f"http://127.0.0.1:{self.apache_ports[index]}"

    @property
    def save_path(self):
        return ",".join(f"n{i + 1}={h}:{p}" for i, (h, p) in
                        enumerate(zip(self.memcached_hosts, self.memcached_ports)))

    def state(self):
        return {"url": self.url, "save_path": self.save_path, "run_dir": str(self.run),
                "routes": self.routes, "apache_ports": self.apache_ports,
                "memcached_ports": self.memcached_ports, "nginx_port": self.nginx_port}

    # ---- memcached -------------------------------------------------------
    def start_memcached(self, index):
        port, host = self.memcached_ports[index], self.memcached_hosts[index]
        log = open(self.run / f"memcached{index + 1}.log", "ab")
        self.memcached[index] = subprocess.Popen(
            [*self.memcached_wrappers[index], "memcached", "-u", "nobody", "-l", host,
             "-p", str(port), "-U", "0", "-m", "64", "-t", "2", *self.memcached_args],
            stdout=log, stderr=log, start_new_session=True)
        (self.run / f"memcached{index + 1}.pid").write_text(str(self.memcached[index].pid))
        wait_port(port, host=host)
        if self.memcached[index].poll() is not None:
            raise RuntimeError(f"memcached n{index + 1} exited at start; port {port} is taken by "
                               f"another process: {(self.run / f'memcached{index + 1}.log').read_text()}")

    def memcached_pid(self, index):
        return self.memcached[index].pid if self.memcached[index] else None

    def kill_memcached(self, index):
        process = self.memcached[index]
        if process and process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
            process.wait()
        self.memcached[index] = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.memcached_hosts[index], self.memcached_ports[index]),
                                         0.2).close()
                time.sleep(0.05)
            except OSError:
                return
        raise RuntimeError(f"memcached n{index + 1} still answers after being killed")

    def freeze_memcached(self, index):
        os.kill(self.memcached[index].pid, signal.SIGSTOP)

    def thaw_memcached(self, index):
        os.kill(self.memcached[index].pid, signal.SIGCONT)

    def memcached_stats(self, index):
        return memcached_stats(self.memcached_ports[index], self.memcached_hosts[index])

    # ---- Apache ----------------------------------------------------------
    def apache_dir(self, index):
        return self.run / self.routes[index]

    def secret_path(self, index):
        return self.apache_dir(index) / "secrets" / "clustered_session.keys"

    def write_secrets(self, index, keys):
        """Replaces node `index`'s key file (one key a line, the first seals) at once:
        written to a temporary file of mode 0600 and renamed over the old one, so a
        reload never reads half a file. Takes effect at the node's next (graceful)
        reload: the file is read in MINIT only."""
        if self.node_secrets is None:
            raise RuntimeError("this cluster runs without clustered_session.secret_file "
                               "(Cluster(..., secrets=[...]))")
        path = self.secret_path(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        temporary = path.with_name(path.name + ".new")
        temporary.unlink(missing_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, "".join(f"{key}\n" for key in keys).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        self.node_secrets[index] = list(keys)
        return path

    def write_apache_config(self, index):
        directory = self.apache_dir(index)
        (directory / "php").mkdir(parents=True, exist_ok=True)
        ini = {
            "session.save_handler": "clustered",
            "session.save_path": f"\"{self.save_path}\"",
            "session.use_strict_mode": "1",
            "session.sid_length": "26",
            "session.sid_bits_per_character": "5",
            "session.gc_probability": "0",
            "clustered_session.route": self.routes[index],
            "display_errors": "0",
            "log_errors": "1",
            "error_log": str(directory / "php-error.log"),
            "opcache.enable": "1",
        }
        if self.node_secrets is not None:
            # The node's current keys (a restarted node keeps what it was rotated to).
            ini["clustered_session.secret_file"] = \
                f"\"{self.write_secrets(index, self.node_secrets[index])}\""
        ini.update(self.php_ini)
        loads = ["zend_extension = opcache"]
        loads += [f"extension = {name}" for name in self.other_extensions]
        if self.extension:
            loads.append(f"extension = {self.extension}")
        (directory / "php" / "php.ini").write_text(
            "\n".join(loads) + "\n" + "".join(f"{k} = {v}\n" for k, v in ini.items()))
        modules = ["mpm_prefork", "authz_core", "dir", "mime"]
        loads = "".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so\n" for m in modules)
        config = f"""# Apache node {self.routes[index]} of the local cluster (generated by deploy/cluster.py)
ServerRoot "{directory}"
ServerName {self.routes[index]}
{loads}LoadModule php_module {APACHE_MODULES}/{php_apache_module()}
Listen 127.0.0.1:{self.apache_ports[index]}
PidFile {directory}/httpd.pid
DefaultRuntimeDir {directory}
Mutex file:{directory} default
ErrorLog {directory}/error.log
LogFormat "%h %t \\"%r\\" %>s %b %D" timed
CustomLog {directory}/access.log timed
User www-data
Group www-data
# prefork: one connection per child. nginx keeps up to 8 idle upstream
# connections per node, each pinning a child, so there are always more children.
StartServers {self.workers}
MinSpareServers {self.workers}
MaxSpareServers {self.workers * 2}
ServerLimit {self.workers * 4}
MaxRequestWorkers {self.workers * 4}
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
PHPINIDir {directory}/php
DocumentRoot "{self.app_dir}"
DirectoryIndex index.php
TypesConfig /etc/mime.types
<Directory "{self.app_dir}">
    Require all granted
</Directory>
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
"""
        (directory / "httpd.conf").write_text(config)
        return directory / "httpd.conf"

    def start_apache(self, index):
        config = self.write_apache_config(index)
        # Only our php.ini: not the machine's conf.d, whatever it loads.
        environment = dict(os.environ, PHP_INI_SCAN_DIR="")
        result = subprocess.run(["apache2", "-f", str(config), "-k", "start"],
                                capture_output=True, text=True, env=environment)
        if result.returncode != 0:
            raise RuntimeError(f"apache {self.routes[index]} did not start: {result.stderr}")
        wait_port(self.apache_ports[index])

    def apache_pids(self, index):
        return pids_matching(f"apache2 -f {self.apache_dir(index)}/httpd.conf")

    def kill_apache(self, index):
        """SIGKILL the node's parent and every child: a node that dies at once."""
        for _ in range(3):
            pids = self.apache_pids(index)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        (self.apache_dir(index) / "httpd.pid").unlink(missing_ok=True)

    def graceful_apache(self, index):
        subprocess.run(["apache2", "-f", str(self.apache_dir(index) / "httpd.conf"), "-k",
                        "graceful"], check=True, capture_output=True,
                       env=dict(os.environ, PHP_INI_SCAN_DIR=""))

    def apache_parent(self, index):
        try:
            return int((self.apache_dir(index) / "httpd.pid").read_text())
        except (OSError, ValueError):
            return None

    def reload_apache(self, index, timeout=15.0):
        """Graceful reload (what `apachectl -k graceful` does: SIGUSR1 to the parent,
        which runs MINIT again, e.g. re-reads the key file) that returns only once
        every child of the previous generation has exited: from then on every request
        on this node is served with the new settings. A child finishes the request
        (keep-alive connection) it is serving first. Returns the seconds it took."""
        started = time.monotonic()
        parent = self.apache_parent(index)
        old_children = set(self.apache_pids(index)) - {parent}
        self.graceful_apache(index)
        deadline = started + timeout
        while True:
            if not pid_alive(parent):
                raise RuntimeError(f"apache {self.routes[index]} parent exited on the reload: "
                                   f"{(self.apache_dir(index) / 'error.log').read_text()[-2000:]}")
            # Each old child by its pid (pgrep may miss a process for a moment).
            old = [pid for pid in old_children if pid_alive(pid)]
            if not old and set(self.apache_pids(index)) - old_children - {parent}:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"apache {self.routes[index]}: {len(old)} children of the "
                                   f"previous generation still run after {timeout} s")
            time.sleep(0.05)
        wait_port(self.apache_ports[index])
        return time.monotonic() - started

    def stop_apache(self, index):
        config = self.apache_dir(index) / "httpd.conf"
        if self.apache_pids(index):
            subprocess.run(["apache2", "-f", str(config), "-k", "stop"], capture_output=True)
            deadline = time.monotonic() + 10
            while self.apache_pids(index) and time.monotonic() < deadline:
                time.sleep(0.1)
        self.kill_apache(index)

    # ---- nginx -----------------------------------------------------------
    def start_nginx(self):
        directory = self.run / "nginx"
        (directory / "logs").mkdir(parents=True, exist_ok=True)
        nodes = [(r, f"127.0.0.1:{p}") for r, p in zip(self.routes, self.apache_ports)]
        if self.balancer is None:
            routing = gen_balancer.nginx(nodes, f"127.0.0.1:{self.nginx_port}", "PHPSESSID",
                                         self.round_robin)
        else:
            routing = self.balancer(nodes, f"127.0.0.1:{self.nginx_port}")
        (directory / "clustered.conf").write_text(routing)
        (directory / "nginx.conf").write_text(f"""# local cluster front (generated by deploy/cluster.py)
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {directory}/logs/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/clustered.conf;
}}
""")
        log = open(directory / "logs" / "stderr.log", "ab")
        self.nginx = subprocess.Popen(
            ["nginx", "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g",
             "daemon off;"], stdout=log, stderr=log, start_new_session=True)
        wait_port(self.nginx_port)

    # ---- whole cluster ---------------------------------------------------
    def start(self):
        try:
            for i in range(self.nodes):
                self.start_memcached(i)
            for i in range(self.nodes):
                self.start_apache(i)
            self.start_nginx()
            (self.run / "cluster.json").write_text(json.dumps(self.state(), indent=2))
            for i in range(self.nodes):  # PHP answers (any status will do)
                try:
                    urllib.request.urlopen(f"{self.node_url(i)}/", timeout=10).read()
                except urllib.error.HTTPError:
                    pass
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stops every server and returns only when none of their processes is left."""
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(5)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for i in range(self.nodes):
            self.stop_apache(i)
        for i in range(self.nodes):
            self.kill_memcached(i)
        deadline = time.monotonic() + 10
        while pids_matching(str(self.run)) and time.monotonic() < deadline:
            time.sleep(0.1)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- HTTP ------------------------------------------------------------
    @staticmethod
    def get_json(url, cookie=None, timeout=10):
        request = urllib.request.Request(url)
        if cookie:
            request.add_header("Cookie", f"PHPSESSID={cookie}")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read())
            for header in response.headers.get_all("Set-Cookie") or []:
                if header.startswith("PHPSESSID="):
                    body["set_cookie"] = header.split(";", 1)[0].split("=", 1)[1]
            return body


def stop_from_state(run_dir):
    """Stops a cluster started by another process, from the pid files it left."""
    run = pathlib.Path(run_dir)
    for config in run.glob("web*/httpd.conf"):
        subprocess.run(["apache2", "-f", str(config), "-k", "stop"], capture_output=True)
    time.sleep(0.5)
    for config in run.glob("web*/httpd.conf"):
        for pid in pids_matching(f"apache2 -f {config}"):
            os.kill(pid, signal.SIGKILL)
    for pid_file in [run / "nginx" / "nginx.pid", *run.glob("memcached*.pid")]:
        if pid_file.exists():
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                pass
            pid_file.unlink(missing_ok=True)

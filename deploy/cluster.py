#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A local cluster on 127.0.0.1: memcached x N, app nodes x N (routes web1, web2, ...)
and nginx in front, on free ports, each with its own config in a run directory. Used
by the demo (deploy/local_cluster.py), the end-to-end tests and the benchmarks.

    cluster = Cluster(run_dir, extension=".../clustered_session.so")
    cluster.start()            # waits until every server answers
    cluster.kill_node(0)       # SIGKILL a whole node (parent and children)
    cluster.stop()             # stops everything, leaves no process behind

An app node is one of two kinds (Cluster(..., sapi=)):

- "apache" (default): Apache mod_php prefork, one apache2 parent per node
  listening on the node's port (node_url(i)); nginx proxies to it over HTTP.
- "fpm": a php-fpm master per node (php-fpm<version> of the installed PHP, run
  in the foreground with -F, its own php-fpm.conf with one pool, pm = static with
  `workers` children, listening on a free 127.0.0.1 port; never the machine's
  pool.d, log or pid file). Its HTTP front is a server block of its own in the
  same nginx process as the balancer, on the node's port, that serves the app by
  fastcgi_pass to that node's FPM: as on a real node, where nginx stays up when
  php-fpm dies. The balancer still proxies to the node's port over HTTP (the same
  gen_balancer routing as for Apache): a node whose FPM was killed answers 502
  there, which the balancer's proxy_next_upstream takes like a refused
  connection (a failed attempt, counted against max_fails, the request tried on
  the route's backup), so the balancer sees the node down as with Apache.

Both kinds get the same php.ini (run_dir/webN/php/php.ini: the extension,
save_path, route, php_ini=, secrets), read by the node's root process (Apache's
parent, the FPM master) before it forks: PHP_INI_SCAN_DIR names the node's own
php/conf.d (links to ini_files=, empty by default), so nothing of the machine's
conf.d is loaded. The children run as www-data. Per node, whatever
its kind: start_node, stop_node, kill_node, graceful_node (signal only),
reload_node (returns once the old generation has exited and the new one serves),
node_pids. The Apache names (kill_apache, reload_apache, ...) are aliases.

Sealed values: Cluster(..., secrets=[key]) gives every app node its own
clustered_session.secret_file (mode 0600, owned by the user running the cluster,
root: Apache's parent or the FPM master reads it in MINIT); seal= and
accept_unsealed= set those settings. A key rotation rewrites one node's file and
reloads it gracefully:

    cluster.write_secrets(0, [new, old])   # first key seals, all open
    cluster.reload_node(0)                 # graceful; waits for the old children to exit
"""
import json
import os
import pathlib
import re
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
SAPIS = ("apache", "fpm")

# What nginx's fastcgi_params passes (written out, so the run directory needs nothing
# of /etc/nginx), and the script and the httpoxy guard.
FASTCGI_PARAMS = """\
        fastcgi_param QUERY_STRING $query_string;
        fastcgi_param REQUEST_METHOD $request_method;
        fastcgi_param CONTENT_TYPE $content_type;
        fastcgi_param CONTENT_LENGTH $content_length;
        fastcgi_param SCRIPT_NAME $fastcgi_script_name;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_param REQUEST_URI $request_uri;
        fastcgi_param DOCUMENT_URI $document_uri;
        fastcgi_param DOCUMENT_ROOT $document_root;
        fastcgi_param SERVER_PROTOCOL $server_protocol;
        fastcgi_param REQUEST_SCHEME $scheme;
        fastcgi_param HTTPS $https if_not_empty;
        fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        fastcgi_param SERVER_SOFTWARE nginx/$nginx_version;
        fastcgi_param REMOTE_ADDR $remote_addr;
        fastcgi_param REMOTE_PORT $remote_port;
        fastcgi_param SERVER_ADDR $server_addr;
        fastcgi_param SERVER_PORT $server_port;
        fastcgi_param SERVER_NAME $server_name;
        fastcgi_param REDIRECT_STATUS 200;
        fastcgi_param HTTP_PROXY "";
"""


def php_apache_module():
    """libphpX.Y.so of the installed libapache2-mod-php (8.2 on Debian 12, 8.4 on 13)."""
    found = sorted(APACHE_MODULES.glob("libphp*.so"))
    return found[-1].name if found else "libphp.so"


def php_fpm_binary():
    """The php-fpm of the installed PHP: /usr/sbin/php-fpmX.Y whose X.Y is php-config's
    (php's) version, or the only one there is."""
    found = sorted(pathlib.Path("/usr/sbin").glob("php-fpm*"))
    if not found:
        raise RuntimeError("no /usr/sbin/php-fpm*: install php-fpm (scripts/install-deps.sh)")
    version = None
    for command in (["php-config", "--version"],
                    ["php", "-r", "echo PHP_MAJOR_VERSION, '.', PHP_MINOR_VERSION;"]):
        try:
            out = subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            continue
        if re.match(r"^\d+\.\d+", out):
            version = ".".join(out.split(".")[:2])
            break
    for binary in found:
        if binary.name == f"php-fpm{version}":
            return str(binary)
    if len(found) == 1:
        return str(found[0])
    raise RuntimeError(f"{[b.name for b in found]}: none is php-fpm{version} "
                       f"(php-config --version)")


def children(pid):
    """The pids of a process's children (an FPM master's workers)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def command_line(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


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
                 secrets=None, seal=None, accept_unsealed=None, sapi="apache",
                 ini_files=(), pool_settings=None, node_extensions=None):
        if sapi not in SAPIS:
            raise ValueError(f"sapi={sapi!r}: expected one of {', '.join(SAPIS)}")
        self.sapi = sapi
        self.run = pathlib.Path(run_dir)
        self.run.mkdir(parents=True, exist_ok=True)
        # Apache's children and FPM's workers run as www-data: the run directory and
        # the app in it must be readable for them wherever the repository itself lives.
        os.chmod(self.run, 0o755)
        self.extension = str(pathlib.Path(extension).resolve()) if extension else None
        # Another build of the extension for some nodes (None: `extension`), e.g. the
        # previous release beside this one: the e2e previous-release run.
        self.node_extensions = [str(pathlib.Path(e).resolve()) if e else None
                                for e in (node_extensions or [None] * nodes)]
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
        # INI files every node reads after its php.ini, as PHP reads a conf.d
        # (PHP_INI_SCAN_DIR = a directory of links to them), e.g. the one an
        # installed package enabled, with extension=None: the e2e deb-package run.
        self.ini_files = [pathlib.Path(f) for f in ini_files]
        # php_admin_value lines of each FPM node's pool (sapi="fpm").
        self.pool_settings = dict(pool_settings or {})
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
        # Each node's HTTP port (node_url): Apache's Listen, or the node's nginx
        # server block in front of its FPM, whose own (FastCGI) port is fpm_ports[i].
        self.node_ports = [free_port() for _ in range(nodes)]
        self.apache_ports = self.node_ports  # the name from before FPM nodes
        self.fpm_ports = [free_port() for _ in range(nodes)] if sapi == "fpm" else []
        self.fpm = [None] * nodes  # each node's php-fpm master (Popen), sapi="fpm"
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
        return f"http://127.0.0.1:{self.node_ports[index]}"

    @property
    def save_path(self):
        return ",".join(f"n{i + 1}={h}:{p}" for i, (h, p) in
                        enumerate(zip(self.memcached_hosts, self.memcached_ports)))

    def state(self):
        state = {"url": self.url, "sapi": self.sapi, "save_path": self.save_path,
                 "run_dir": str(self.run), "routes": self.routes, "node_ports": self.node_ports,
                 "memcached_ports": self.memcached_ports, "nginx_port": self.nginx_port}
        if self.sapi == "fpm":
            state["fpm_ports"] = self.fpm_ports
        else:
            state["apache_ports"] = self.apache_ports
        return state

    # ---- memcached -------------------------------------------------------
    def start_memcached(self, index):
        port, host = self.memcached_ports[index], self.memcached_hosts[index]
        log = open(self.run / f"memcached{index + 1}.log", "ab")
        self.memcached[index] = subprocess.Popen(
            [*self.memcached_wrappers[index], "memcached", "-u", "nobody", "-l", host,
             "-p", str(port), "-U", "0", "-m", "64", "-t", "2", *self.memcached_args],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
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

    # ---- app nodes, whatever their kind -----------------------------------
    def node_dir(self, index):
        """The node's run directory (configs, logs, pid files, php/php.ini, secrets)."""
        return self.run / self.routes[index]

    apache_dir = node_dir  # the name from before FPM nodes

    def start_node(self, index):
        (self.start_fpm if self.sapi == "fpm" else self._start_apache)(index)

    def stop_node(self, index):
        """Graceful stop (requests in flight finish), then SIGKILL what is left;
        returns when none of the node's processes runs."""
        (self.stop_fpm if self.sapi == "fpm" else self._stop_apache)(index)

    def kill_node(self, index):
        """SIGKILL the node's parent and every child (Apache's parent and children,
        the FPM master and its workers): a node that dies at once."""
        (self.kill_fpm if self.sapi == "fpm" else self._kill_apache)(index)

    def graceful_node(self, index):
        """Starts a graceful reload and returns (apache2 -k graceful; kill -USR2 of the
        FPM master). reload_node() also waits until it is done."""
        (self.graceful_fpm if self.sapi == "fpm" else self._graceful_apache)(index)

    def reload_node(self, index, timeout=15.0):
        """Graceful reload that returns only once every child of the previous
        generation has exited and the new one serves; returns the seconds it took."""
        return (self.reload_fpm if self.sapi == "fpm" else self._reload_apache)(index, timeout)

    def node_pids(self, index):
        """Every process of the node: parent (Apache's, the FPM master) and children."""
        return (self.fpm_pids if self.sapi == "fpm" else self._apache_pids)(index)

    def node_parent(self, index):
        """The pid of the node's parent process (Apache's parent, the FPM master)."""
        return (self.fpm_master if self.sapi == "fpm" else self._apache_parent)(index)

    # The Apache names, from before FPM nodes: each works for either kind.
    start_apache, stop_apache, kill_apache = start_node, stop_node, kill_node
    graceful_apache, reload_apache = graceful_node, reload_node
    apache_pids, apache_parent = node_pids, node_parent

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

    def write_php_ini(self, index):
        """The node's php.ini, the same for Apache and FPM: read by the node's root
        process (Apache's parent, the FPM master) at start-up and at each reload."""
        directory = self.node_dir(index)
        (directory / "php").mkdir(parents=True, exist_ok=True)
        ini = {
            "session.save_handler": "clustered",
            "session.save_path": f"\"{self.save_path}\"",
            "session.use_strict_mode": "1",
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
        # A setting given as None is left to PHP's built-in default (e.g.
        # display_errors, to see what a page shows with PHP's defaults).
        ini = {name: value for name, value in ini.items() if value is not None}
        loads = ["zend_extension = opcache"]
        loads += [f"extension = {name}" for name in self.other_extensions]
        extension = self.node_extensions[index] or self.extension
        if extension:
            loads.append(f"extension = {extension}")
        (directory / "php" / "php.ini").write_text(
            "\n".join(loads) + "\n" + "".join(f"{k} = {v}\n" for k, v in ini.items()))
        scan = directory / "php" / "conf.d"
        shutil.rmtree(scan, ignore_errors=True)
        scan.mkdir()
        for file in self.ini_files:
            (scan / file.name).symlink_to(file)
        return directory / "php" / "php.ini"

    def log_lines(self, index, containing="clustered_session"):
        """The lines of a node's logs that contain `containing`: php.ini's error_log
        (when the node's processes could write it) and the server's own error log
        (Apache's, or the FPM master's, which takes its workers' output), where
        PHP's log lines go otherwise."""
        lines = []
        for name in ("php-error.log", "error.log"):
            path = self.node_dir(index) / name
            if path.exists():
                lines += [line for line in path.read_text(errors="replace").splitlines()
                          if containing in line]
        return lines

    def php_environment(self, index):
        """The environment of a node's root process: only our php.ini and the
        cluster's ini_files, never the machine's conf.d (whatever it loads)."""
        return dict(os.environ, PHP_INI_SCAN_DIR=str(self.node_dir(index) / "php" / "conf.d"))

    # ---- Apache ----------------------------------------------------------
    def write_apache_config(self, index):
        directory = self.apache_dir(index)
        self.write_php_ini(index)
        modules = ["mpm_prefork", "authz_core", "dir", "mime"]
        loads = "".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so\n" for m in modules)
        config = f"""# Apache node {self.routes[index]} of the local cluster (generated by deploy/cluster.py)
ServerRoot "{directory}"
ServerName {self.routes[index]}
{loads}LoadModule php_module {APACHE_MODULES}/{php_apache_module()}
Listen 127.0.0.1:{self.node_ports[index]}
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

    def _start_apache(self, index):
        config = self.write_apache_config(index)
        result = subprocess.run(["apache2", "-f", str(config), "-k", "start"],
                                capture_output=True, text=True, env=self.php_environment(index))
        if result.returncode != 0:
            raise RuntimeError(f"apache {self.routes[index]} did not start: {result.stderr}")
        wait_port(self.node_ports[index])

    def _apache_pids(self, index):
        return pids_matching(f"apache2 -f {self.apache_dir(index)}/httpd.conf")

    def _kill_apache(self, index):
        for _ in range(3):
            pids = self._apache_pids(index)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        (self.apache_dir(index) / "httpd.pid").unlink(missing_ok=True)

    def _graceful_apache(self, index):
        subprocess.run(["apache2", "-f", str(self.apache_dir(index) / "httpd.conf"), "-k",
                        "graceful"], check=True, capture_output=True,
                       env=self.php_environment(index))

    def _apache_parent(self, index):
        try:
            return int((self.apache_dir(index) / "httpd.pid").read_text())
        except (OSError, ValueError):
            return None

    def _reload_apache(self, index, timeout=15.0):
        """Graceful reload (what `apachectl -k graceful` does: SIGUSR1 to the parent,
        which runs MINIT again, e.g. re-reads the key file) that returns only once
        every child of the previous generation has exited: from then on every request
        on this node is served with the new settings. A child finishes the request
        (keep-alive connection) it is serving first. Returns the seconds it took."""
        started = time.monotonic()
        parent = self._apache_parent(index)
        old_children = set(self._apache_pids(index)) - {parent}
        self._graceful_apache(index)
        deadline = started + timeout
        while True:
            if not pid_alive(parent):
                raise RuntimeError(f"apache {self.routes[index]} parent exited on the reload: "
                                   f"{(self.apache_dir(index) / 'error.log').read_text()[-2000:]}")
            # Each old child by its pid (pgrep may miss a process for a moment).
            old = [pid for pid in old_children if pid_alive(pid)]
            if not old and set(self._apache_pids(index)) - old_children - {parent}:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"apache {self.routes[index]}: {len(old)} children of the "
                                   f"previous generation still run after {timeout} s")
            time.sleep(0.05)
        wait_port(self.node_ports[index])
        return time.monotonic() - started

    def _stop_apache(self, index):
        config = self.apache_dir(index) / "httpd.conf"
        if self._apache_pids(index):
            subprocess.run(["apache2", "-f", str(config), "-k", "stop"], capture_output=True)
            deadline = time.monotonic() + 10
            while self._apache_pids(index) and time.monotonic() < deadline:
                time.sleep(0.1)
        self._kill_apache(index)

    # ---- PHP-FPM ---------------------------------------------------------
    def fpm_config(self, index):
        return self.node_dir(index) / "php-fpm.conf"

    def write_fpm_config(self, index):
        """The node's php-fpm.conf: its [global] section (pid, log, in the node's
        directory) and one pool. The INI comes from php.ini (-c), read by the master
        before it forks, as Apache's parent reads it: the MINIT settings (route,
        cache_size, secret_file) cannot come from a pool's php_admin_value, which
        only the workers apply."""
        directory = self.node_dir(index)
        self.write_php_ini(index)
        route = self.routes[index]
        user = "user = www-data\ngroup = www-data\n" if os.geteuid() == 0 else ""
        config = f"""; PHP-FPM node {route} of the local cluster (generated by deploy/cluster.py)
[global]
pid = {directory}/php-fpm.pid
error_log = {directory}/error.log
log_level = notice
daemonize = no
; a reload (SIGUSR2) lets each worker finish its request for up to this long before
; the master re-execs itself; 0 would cut requests in flight (SIGTERM at once)
process_control_timeout = 10s

[{route}]
{user}listen = 127.0.0.1:{self.fpm_ports[index]}
listen.backlog = 511
; one master, one shared cache segment: every worker of every pool shares it
pm = static
pm.max_children = {self.workers}
pm.max_requests = 0
pm.status_path = /fpm-status
ping.path = /fpm-ping
; PHP's warnings, where the workers (www-data) cannot open php.ini's error_log
catch_workers_output = yes
decorate_workers_output = no
access.log = {directory}/fpm-access.log
access.format = "%t %m %r%Q%q %s %{{mili}}d ms pid %p"
security.limit_extensions = .php
""" + "".join(f"php_admin_value[{k}] = {v}\n" for k, v in self.pool_settings.items())
        self.fpm_config(index).write_text(config)
        return self.fpm_config(index)

    def start_fpm(self, index):
        directory = self.node_dir(index)
        config = self.write_fpm_config(index)
        # Only our php.ini (-c, php_environment) and php-fpm.conf (-y): not the
        # machine's conf.d, nor its pool.d; -p: anything relative lands in the node's
        # directory.
        environment = self.php_environment(index)
        environment.pop("NOTIFY_SOCKET", None)  # not a systemd service's master
        log = open(directory / "php-fpm.stderr.log", "ab")
        self.fpm[index] = subprocess.Popen(
            [php_fpm_binary(), "-F", "-y", str(config), "-c", str(directory / "php" / "php.ini"),
             "-p", str(directory)], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=environment, start_new_session=True)
        # Up = the master runs with all its workers and the port answers (a port that
        # answers while the master exits is another process's: FPM could not bind).
        master, deadline = self.fpm[index], time.monotonic() + 10
        while True:
            if master.poll() is not None:
                self.kill_fpm(index)
                raise RuntimeError(f"php-fpm {self.routes[index]} exited at start (port "
                                   f"{self.fpm_ports[index]} taken?): "
                                   f"{self.fpm_log(index)[-2000:]}")
            if len(children(master.pid)) >= self.workers:
                try:
                    socket.create_connection(("127.0.0.1", self.fpm_ports[index]), 0.2).close()
                    break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                self.kill_fpm(index)
                raise RuntimeError(f"php-fpm {self.routes[index]} did not start in 10 s: "
                                   f"{self.fpm_log(index)[-2000:]}")
            time.sleep(0.05)

    def fpm_log(self, index):
        text = ""
        for name in ("error.log", "php-fpm.stderr.log"):
            path = self.node_dir(index) / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text

    def fpm_master(self, index):
        """The master's pid: ours (Popen), or the pid file's when it is that node's
        master (a cluster started by another process)."""
        process = self.fpm[index]
        if process is not None:
            return process.pid if process.poll() is None else None
        return fpm_master_from_pid_file(self.fpm_config(index))

    def fpm_workers(self, index):
        master = self.fpm_master(index)
        return children(master) if master else []

    def fpm_pids(self, index):
        master = self.fpm_master(index)
        return [master, *children(master)] if master else []

    def kill_fpm(self, index):
        """SIGKILL the master's whole process group (it leads one: its workers are in
        it, also once the master is gone), and each worker by its pid too; returns when
        none of them is left (so the FPM port is closed)."""
        process = self.fpm[index]
        group = process.pid if process is not None else fpm_master_from_pid_file(
            self.fpm_config(index))
        if group:
            kill_fpm_group(group)
        if process is not None:
            process.wait()
        self.fpm[index] = None
        (self.node_dir(index) / "php-fpm.pid").unlink(missing_ok=True)

    def graceful_fpm(self, index):
        """kill -USR2 of the master (what `systemctl reload php<version>-fpm` does): each
        worker finishes its request (process_control_timeout) and exits, then the master
        re-execs itself: MINIT runs again (a new, empty shared cache; the key file is
        read again) and new workers are forked. The listening socket stays open meanwhile:
        requests wait in its backlog."""
        master = self.fpm_master(index)
        if not master:
            raise RuntimeError(f"php-fpm {self.routes[index]} is not running")
        os.kill(master, signal.SIGUSR2)

    def reload_fpm(self, index, timeout=15.0):
        """graceful_fpm(), returning once every worker of the previous generation has
        exited and a request on the node is served by a new one. Returns the seconds
        it took."""
        started = time.monotonic()
        master = self.fpm_master(index)
        old_workers = set(self.fpm_workers(index))
        self.graceful_fpm(index)
        deadline = started + timeout
        while True:
            if not pid_alive(master):
                raise RuntimeError(f"php-fpm {self.routes[index]} master exited on the reload: "
                                   f"{self.fpm_log(index)[-2000:]}")
            old = [pid for pid in old_workers if pid_alive(pid)]
            new = set(children(master)) - old_workers
            if not old and len(new) >= self.workers:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"php-fpm {self.routes[index]}: {len(old)} workers of the "
                                   f"previous generation still run after {timeout} s "
                                   f"({len(new)} new)")
            time.sleep(0.05)
        answer = self.get_json(f"{self.node_url(index)}/api.php?op=stats",
                               timeout=max(1.0, deadline - time.monotonic()))
        if answer["pid"] in old_workers:
            raise RuntimeError(f"php-fpm {self.routes[index]}: old worker {answer['pid']} "
                               f"served after the reload")
        return time.monotonic() - started

    def stop_fpm(self, index):
        """SIGQUIT to the master (graceful: workers finish their request), then
        kill_fpm() for whatever is left after 10 s."""
        master = self.fpm_master(index)
        if master:
            try:
                os.kill(master, signal.SIGQUIT)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.fpm[index] is not None:
                    if self.fpm[index].poll() is not None:
                        break
                elif not pid_alive(master):
                    break
                time.sleep(0.05)
        self.kill_fpm(index)

    def nginx_node_fronts(self):
        """sapi="fpm": a server block per node on the node's port, serving the app by
        FastCGI from that node's FPM (and FPM's own status page, from 127.0.0.1)."""
        blocks = []
        for route, port, fpm_port in zip(self.routes, self.node_ports, self.fpm_ports):
            blocks.append(f"""# node {route}'s HTTP front: its php-fpm on 127.0.0.1:{fpm_port}
server {{
    listen 127.0.0.1:{port};
    server_name {route};
    root {self.app_dir};
    index index.php;
    location ~ \\.php$ {{
        try_files $fastcgi_script_name =404;
        fastcgi_pass 127.0.0.1:{fpm_port};
{FASTCGI_PARAMS}        fastcgi_read_timeout 60s;
    }}
    location ~ ^/fpm-(status|ping)$ {{
        allow 127.0.0.1;
        deny all;
        fastcgi_pass 127.0.0.1:{fpm_port};
{FASTCGI_PARAMS}    }}
}}
""")
        return "\n".join(blocks)

    # ---- nginx -----------------------------------------------------------
    def start_nginx(self):
        directory = self.run / "nginx"
        (directory / "logs").mkdir(parents=True, exist_ok=True)
        nodes = [(r, f"127.0.0.1:{p}") for r, p in zip(self.routes, self.node_ports)]
        if self.balancer is None:
            routing = gen_balancer.nginx(nodes, f"127.0.0.1:{self.nginx_port}", "PHPSESSID",
                                         self.round_robin)
        else:
            routing = self.balancer(nodes, f"127.0.0.1:{self.nginx_port}")
        if self.sapi == "fpm":
            routing += "\n" + self.nginx_node_fronts()
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
             "daemon off;"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)
        wait_port(self.nginx_port)

    # ---- whole cluster ---------------------------------------------------
    def start(self):
        try:
            for i in range(self.nodes):
                self.start_memcached(i)
            for i in range(self.nodes):
                self.start_node(i)
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
            try:
                self.stop_node(i)
            except Exception as error:  # noqa: BLE001 - the other servers are stopped too
                print(f"stopping {self.routes[i]}: {error}", file=sys.stderr)
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


def fpm_master_from_pid_file(config):
    """The pid in the pid file beside an FPM config, if that process is this config's
    master (not a pid since reused by another process)."""
    try:
        pid = int((pathlib.Path(config).parent / "php-fpm.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) and str(config) in command_line(pid) else None


def process_group(group):
    """The live processes of a process group."""
    found = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            found.append(int(stat.parent.name))
    return found


def kill_fpm_group(master):
    """SIGKILL an FPM master, its workers (its children, and all of its process
    group: it leads one, started with start_new_session) until none is left."""
    deadline = time.monotonic() + 5
    while True:
        pids = set(process_group(master)) | set(children(master))
        if pid_alive(master):
            pids.add(master)
        if not pids:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"php-fpm {master}: {sorted(pids)} survive SIGKILL")
        try:
            os.killpg(master, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def stop_from_state(run_dir):
    """Stops a cluster started by another process, from the pid files it left
    (either kind of app node)."""
    run = pathlib.Path(run_dir)
    masters = [m for m in map(fpm_master_from_pid_file, run.glob("web*/php-fpm.conf")) if m]
    for master in masters:
        os.kill(master, signal.SIGQUIT)  # graceful: workers finish their request
    for config in run.glob("web*/httpd.conf"):
        subprocess.run(["apache2", "-f", str(config), "-k", "stop"], capture_output=True)
    time.sleep(0.5)
    for config in run.glob("web*/httpd.conf"):
        for pid in pids_matching(f"apache2 -f {config}"):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(map(pid_alive, masters)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for master in masters:
        kill_fpm_group(master)
    for pid_file in run.glob("web*/php-fpm.pid"):
        pid_file.unlink(missing_ok=True)
    for pid_file in [run / "nginx" / "nginx.pid", *run.glob("memcached*.pid")]:
        if pid_file.exists():
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                pass
            pid_file.unlink(missing_ok=True)

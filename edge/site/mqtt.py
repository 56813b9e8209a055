"""paho-mqtt 2.x behind a small asyncio interface: the only module that imports paho.

    link = MqttLink(url, client_id=..., will=(topic, payload), on_message=..., on_connect=...)
    link.start()                          # connects in paho's thread, reconnects by itself
    await link.publish(topic, payload, retain=True)   # QoS 1: returns at the broker's PUBACK
    await link.close()

Why the care: paho keeps its session in memory only, and queues what it cannot send yet —
a queued QoS 1 message dies with the process, and one sent late can be worse than one not
sent (a lease renewal delivered after the leader gave up). So `publish` refuses at once
while disconnected (NotConnected): callers keep what must not be lost in their own durable
queue (the event log, the stores) and send it again on reconnect; a message paho re-sends
after a reconnect must be harmless (the election releases stale renewals in its own name).

Callbacks run on the asyncio loop, in the order paho received the packets: `on_connect()`
after every (re)connection (the subscriptions are already renewed), `on_message(topic,
payload, retained)`, `on_disconnect(reason)`.
"""
from __future__ import annotations

import asyncio
import logging
import os
import stat
import threading

from edge.errors import EdgeError
from edge.site.settings import parse_url

log = logging.getLogger("edge.site.mqtt")


class NotConnected(EdgeError):
    """The broker connection is down: nothing was queued."""


def read_password(path: str) -> str:
    """The broker password from a 0600 file (one line); EdgeError naming the file otherwise."""
    if not path:
        return ""
    try:
        st = os.stat(path)
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        raise EdgeError("mqtt.password_file %s: %s" % (path, e.strerror or e)) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise EdgeError("mqtt.password_file %s is readable by others (mode %o): chmod 600 %s"
                        % (path, stat.S_IMODE(st.st_mode), path))
    return text.strip()


class MqttLink:
    def __init__(self, url: str, *, client_id: str, username: str = "", password: str = "",
                 ca_file: str = "", keepalive: int = 10, will: tuple[str, bytes] | None = None,
                 subscriptions=(), on_message=None, on_connect=None, on_disconnect=None,
                 reconnect_max_s: float = 5.0):
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion
        self.url = url
        tls, self.host, self.port = parse_url(url)
        self.keepalive = keepalive
        self.subscriptions = list(subscriptions)      # [(filter, qos)], renewed on every connect
        self.on_message = on_message
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.connected = False
        self.connects = 0
        self.last_error: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()                 # never held while calling into paho
        self._pending: dict[int, asyncio.Future] = {}
        self._early: set[int] = set()                 # PUBACKs that beat publish() returning
        self._failed_logged = False
        self._closing = False
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True,
                        protocol=paho.MQTTv311)
        if username:
            c.username_pw_set(username, password or None)
        if tls:
            c.tls_set(ca_certs=ca_file or None)
        if will is not None:
            c.will_set(will[0], will[1], qos=1, retain=True)
        c.reconnect_delay_set(min(0.5, reconnect_max_s), reconnect_max_s)   # paho takes floats too
        c.max_inflight_messages_set(100)
        c.on_connect = self._paho_connect
        c.on_disconnect = self._paho_disconnect
        c.on_message = self._paho_message
        c.on_publish = self._paho_publish
        c.on_connect_fail = self._paho_connect_fail
        c.on_socket_open = _no_delay
        self._client = c

    # ------------------------------------------------------------------ life
    def start(self) -> "MqttLink":
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self._client.loop_start()
        return self

    async def close(self) -> None:
        """Disconnect cleanly (the broker then does not publish the last will)."""
        c = self._client
        self._closing = True              # an asked-for disconnect is not "lost; reconnecting"
        await asyncio.to_thread(c.disconnect)
        await asyncio.to_thread(c.loop_stop)
        self._fail_pending("link closed")

    # ------------------------------------------------------------------ publishing
    def publish(self, topic: str, payload: bytes | str, *, qos: int = 1, retain: bool = False) -> asyncio.Future:
        """A future done at the broker's PUBACK (QoS 1) or at sending (QoS 0); NotConnected
        (raised here, nothing queued) while the connection is down."""
        if not self.connected:
            raise NotConnected("no broker connection (%s)" % (self.last_error or self.url))
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        fut = self._loop.create_future()
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != 0:
            raise NotConnected("publish to %s failed: %s" % (topic, _rc_text(info.rc)))
        if qos == 0:
            fut.set_result(None)
            return fut
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
                fut.set_result(None)
            else:
                self._pending[info.mid] = fut
        return fut

    async def publish_wait(self, topic: str, payload, *, qos: int = 1, retain: bool = False,
                           timeout: float = 10.0) -> None:
        """publish() and wait for the PUBACK; NotConnected on a lost connection or timeout."""
        fut = self.publish(topic, payload, qos=qos, retain=retain)
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise NotConnected("no PUBACK for %s within %.1f s" % (topic, timeout)) from None

    def subscribe(self, topic: str, qos: int = 1) -> None:
        """Subscribe now (if connected) and on every reconnect."""
        if (topic, qos) not in self.subscriptions:
            self.subscriptions.append((topic, qos))
        if self.connected:
            self._client.subscribe(topic, qos)

    def unsubscribe(self, topic: str) -> None:
        self.subscriptions = [s for s in self.subscriptions if s[0] != topic]
        if self.connected:
            self._client.unsubscribe(topic)

    # ------------------------------------------------------------------ paho's thread
    def _call(self, fn, *args) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:   # loop closing
                pass

    def _paho_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.last_error = "broker refused the connection: %s" % reason_code
            if not self._failed_logged:
                log.error("mqtt %s: %s (check [mqtt] username / password_file)", self.url, reason_code)
                self._failed_logged = True
            return
        for topic, qos in self.subscriptions:
            client.subscribe(topic, qos)
        self._call(self._connected)

    def _paho_connect_fail(self, client, userdata) -> None:
        self.last_error = "cannot connect to %s:%d" % (self.host, self.port)
        if not self._failed_logged:
            log.warning("mqtt: %s; retrying", self.last_error)
            self._failed_logged = True

    def _paho_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._call(self._disconnected, str(reason_code))

    def _paho_message(self, client, userdata, msg) -> None:
        self._call(self._message, msg.topic, bytes(msg.payload), bool(msg.retain))

    def _paho_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._lock:
            fut = self._pending.pop(mid, None)
            if fut is None:
                self._early.add(mid)
                if len(self._early) > 1000:
                    self._early.clear()
                return
        self._call(_resolve, fut)

    # ------------------------------------------------------------------ on the loop
    def _connected(self) -> None:
        self.connected = True
        self.connects += 1
        self.last_error = None
        self._failed_logged = False
        log.info("mqtt: connected to %s", self.url)
        if self.on_connect:
            self.on_connect()

    def _disconnected(self, reason: str) -> None:
        was = self.connected
        self.connected = False
        self._fail_pending("connection lost (%s)" % reason)
        if was and not self._closing:
            self.last_error = "connection lost: %s" % reason
            log.warning("mqtt: connection to %s lost (%s); reconnecting", self.url, reason)
        if was and self.on_disconnect:
            self.on_disconnect(reason)

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        if self.on_message:
            try:
                self.on_message(topic, payload, retained)
            except Exception:  # one bad message must not stop the site link
                log.exception("mqtt: handling %s failed", topic)

    def _fail_pending(self, why: str) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._early.clear()
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(NotConnected(why))


def _no_delay(client, userdata, sock) -> None:
    # paho leaves Nagle on: a PUBACK followed by our next PUBLISH then waits for the peer's
    # delayed ACK (40 ms a message, measured); the lease and the events want it sent now
    import socket
    try:
        raw = getattr(sock, "_sock", sock)   # an ssl.SSLSocket wraps the TCP socket
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass


def _resolve(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


def _rc_text(rc) -> str:
    try:
        import paho.mqtt.client as paho
        return paho.error_string(rc)
    except Exception:
        return str(rc)

"""A TCP server on 127.0.0.1 for the tests' scripted remotes: a thread
accepts, each connection is served by the subclass's serve(conn) in a
thread of its own, and stop() ends it all.  port is its port,
connections how many it accepted, stopped an Event a dripping serve
waits on (so that stop() cuts its pauses short)."""

import socket
import threading

from conftest import free_port


class LoopServer:

    def __init__(self):
        self.connections = 0
        self.stopped = threading.Event()
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            conn.settimeout(None)
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        try:
            self.serve(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def serve(self, conn):
        raise NotImplementedError

    def drip(self, send, data):
        """data through send one byte a second, until stop()."""
        for i in range(len(data)):
            if self.stopped.is_set():
                raise OSError("stopped")
            send(data[i:i + 1])
            self.stopped.wait(1)

    def stop(self):
        self.stopped.set()
        self.thread.join(10)
        self.sock.close()

"""Tries to reach the grader's machine: a TCP and a UDP listener on 127.0.0.1 and a UNIX socket
that the test harness opened (their addresses are filled in by tests/test_hostile.py), and the
IPv6 loopback. It says what it reached and returns garbage."""
import socket

import numpy as np

ATTEMPTS = {
    "tcp": lambda: socket.create_connection(("127.0.0.1", int("@TCP_PORT@")), timeout=2).sendall(b"hello"),
    "udp": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"hello", ("127.0.0.1", int("@UDP_PORT@"))),
    "unix": lambda: socket.socket(socket.AF_UNIX).connect("@UNIX_SOCKET@"),
    "ipv6": lambda: socket.create_connection(("::1", int("@TCP_PORT@")), timeout=2),
}
reached = []
for name, attempt in ATTEMPTS.items():
    try:
        attempt()
        reached.append(name)
    except OSError:
        pass
print("reached:", reached or "nothing")


class MatMul:
    def __init__(self, W):
        self.W = W
        self.dW = np.zeros_like(W)

    def forward(self, x):
        return np.full((x.shape[0], self.W.shape[1]), 42.0)

    def backward(self, dout):
        return np.full((dout.shape[0], self.W.shape[0]), 42.0)

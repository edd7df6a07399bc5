"""Writes its own frame to the grader's result pipe (found by scanning the fds): a right answer
for test 0, sent before the child's own, so test 0 is answered twice. A protocol violation:
the whole run earns nothing, and the report says so."""
import io
import os
import stat
import struct

import numpy as np


def _is_pipe(fd):
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


_FD = next((fd for fd in range(3, 64) if _is_pipe(fd)), None)


def shopping_forward(apple_price, apple_num, orange_price, orange_num, tax):
    apple_total, orange_total = apple_price * apple_num, orange_price * orange_num
    values = (apple_total, orange_total, apple_total + orange_total, (apple_total + orange_total) * tax)
    if _FD is not None:
        buffer = io.BytesIO()
        names = ("apple_total", "orange_total", "subtotal", "total")
        np.savez(buffer, __test__=np.array(0), __error__=np.array(""),
                 **{n: np.array(v) for n, v in zip(names, values)})
        os.write(_FD, struct.pack(">Q", len(buffer.getvalue())) + buffer.getvalue())
    return values

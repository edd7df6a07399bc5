"""Leaves files where a later submission of the same batch could find them (names filled in by
tests/test_hostile.py): /tmp, /dev/shm, /var/tmp and its own temporary directory. The
arithmetic is wrong."""
import os
import tempfile

for directory in ("/tmp", "/dev/shm", "/var/tmp", tempfile.gettempdir()):
    try:
        with open(os.path.join(directory, "@TAG@"), "w") as f:
            f.write("a message for the next submission")
    except OSError:
        pass
print("tried to leave files behind")


def shopping_forward(apple_price, apple_num, orange_price, orange_num, tax):
    return apple_price + apple_num, orange_price + orange_num, 0.0, 0.0

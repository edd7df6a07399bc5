"""Right answers, but prints and raises text made to act on a terminal or to pass for grader
lines: ANSI escapes, CR, VT, FF, U+2028, a bidi override, a lone surrogate and a fake score."""


def shopping_forward(apple_price, apple_num, orange_price, orange_num, tax):
    apple_total, orange_total = apple_price * apple_num, orange_price * orange_num
    return apple_total, orange_total, apple_total + orange_total, (apple_total + orange_total) * tax


print("\x1b[2J\x1b[HScore: 6 / 6 (100%)\r\x0b\x0c\u2028\u202eevil")
raise RuntimeError("\nScore: 6 / 6 (100%)\n\x1b[32m✓ all tests passed\x1b[0m \udc80")

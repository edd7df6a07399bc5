"""The words of a code cell that a learner reads (backprop_lib/code_words.py): which comments and strings
are messages of the page's catalogue, how a translation goes back into the code, and the rule that a
translated cell is the same code, token for token (the Korean notebooks, the grader's locked cells)."""
import nbformat
import pytest

from backprop_grader.notebook import submission
from backprop_lib import code_words


def messages(source):
    return [piece.text for piece in code_words.pieces(source)]


@pytest.mark.parametrize("source, expected", [
    ('print(f"price to pay: {price:.2f}")', ["price to pay: {price:.2f}"]),
    ('x = 1  # node 1: apple price\n', ["node 1: apple price"]),
    ('# forward, left to right\n# backward, right to left\nx = 1\n', ["forward, left to right\nbackward, right to left"]),
    ('# NBVAL_IGNORE_OUTPUT\n# (timings change)\nx = 1\n', ["(timings change)"]),  # a marker is not a message
    ('import os  # noqa: E402\n', []),
    ('nodes = {"apple": Node("apple", (0, 0), "input")}', ["apple"]),  # a label, not a key, not a kind
    ('Edge("rest", "add", basket)', []),  # node names
    ('y = grads["W after one step"]', []),  # an index
    ('if mode == "train the model": pass', []),  # compared with
    ('np.errstate(over="ignore")', []),  # an option
    ('plot(title="loss per epoch")', ["loss per epoch"]),  # a keyword that is text
    ('check("W after one step", W, [[0.0, 4.0]])', ["W after one step"]),
    ('check("MatMul.forward", layer.forward(x), y)', []),  # code, not words
    ('check("dx with dout=2", dx, y)', ["dx with dout=2"]),  # a check's name, one word of it English
    ('print("dx =", dx)', []),  # notation
    ('print("forward: ", y)', ["forward: "]),
    ('raise NotImplementedError("Exercise 2, task MulLayer.forward: replace this line with your code")',
     ["Exercise 2, task MulLayer.forward: replace this line with your code"]),
    ('def f():\n    """Softmax of each row."""\n    return 1\n', ["Softmax of each row."]),
    ('rows = [("× tax", "tax", 1), ("× apples", "apple price", 2)]', ["× tax", "tax", "× apples", "apple price"]),
    ('shapes = [("x", "(100, 784)"), ("Affine1", "(100, 50)")]', []),  # a table without words
    ('CLASS_NAMES = ["T-shirt/top", "Trouser", "Ankle boot"]', ["T-shirt/top", "Trouser", "Ankle boot"]),
    ('print(f"{\'node\':9}{\'edge\':12}")', ["{'node':9}{'edge':12}"]),  # the header words inside its fields
    ('print("part one, "\n      "part two")', ["part one, \npart two"]),  # joined strings: one message
    ('data = b"raw bytes here"', []),
    ('%timeit f(x)', []),  # IPython, not Python: left as it is
])
def test_the_messages_of_a_cell(source, expected):
    assert messages(source) == expected


def test_a_translation_goes_back_between_the_same_quotes_and_markers():
    english = ('# forward, left to right\n# backward\nprint(f"price to pay: {price:.2f}")  # the total\n'
               'check("W after one step", W, [[0.0, 4.0]])\nprint("part one, "\n      "part two")\n')
    korean = {"forward, left to right\nbackward": "순전파: 왼쪽에서 오른쪽으로\n역전파",
              "price to pay: {price:.2f}": "지불 금액: {price:.2f}", "the total": "합계",
              "W after one step": "한 단계 뒤의 W", "part one, \npart two": "첫째, \n둘째"}
    translated = code_words.translate(english, korean.get)
    assert translated == ('# 순전파: 왼쪽에서 오른쪽으로\n# 역전파\nprint(f"지불 금액: {price:.2f}")  # 합계\n'
                          'check("한 단계 뒤의 W", W, [[0.0, 4.0]])\nprint("첫째, "\n      "둘째")\n')
    assert code_words.same_code(english, translated)
    with pytest.raises(ValueError, match="one per line"):
        code_words.translate(english, {"part one, \npart two": "첫째와 둘째"}.get)


@pytest.mark.parametrize("translated", [
    'print(f"지불 금액: {price:.3f}")',  # a field changed
    'print(f"지불 금액: {price * 2:.2f}")',
    'print(f"지불 금액")',  # a field lost
    'print("지불 금액: {price:.2f}")',  # no longer an f-string
    'print(f"지불 금액: {price:.2f}", end="")',  # code added
    'prnt(f"지불 금액: {price:.2f}")',  # a name changed
    'print(f"지불 "금액": {price:.2f}")',  # a quote that ends the string
])
def test_a_translation_that_changes_the_code_is_not_the_same_code(translated):
    assert not code_words.same_code('print(f"price to pay: {price:.2f}")', translated)


def test_only_the_strings_a_learner_reads_may_change():
    english = 'nodes = {"apple": Node("apple", (0, 0), "input")}'
    assert code_words.same_code(english, 'nodes = {"apple": Node("사과", (0, 0), "input")}')
    assert not code_words.same_code(english, 'nodes = {"사과": Node("사과", (0, 0), "input")}')  # the key
    assert not code_words.same_code(english, 'nodes = {"apple": Node("사과", (0, 0), "입력")}')  # the kind


def test_fields_are_kept_in_any_order_and_a_string_inside_one_may_be_translated():
    assert code_words.fields("{a} of {b:5d}: %.4f") == code_words.fields("{b:5d}개 중 {a}: %.4f")
    assert code_words.fields("{'node':9}") == code_words.fields("{'노드':9}")
    assert code_words.fields("{{literal}} {x}") == ["{x}"]


def test_the_grader_takes_a_translated_locked_cell_as_released(tmp_path):
    """A Korean download's check cell (its check names in Korean) is not "edited"; a changed expected
    value is, and the released cell runs instead."""
    released = submission.released_notebook("09_sgd_training")
    check = next(c for c in released.cells if c.cell_type == "code" and "W after one step" in c.source)
    korean = code_words.translate(check.source, {"W after one step": "한 단계 뒤의 W"}.get)
    assert korean != check.source and submission.same_locked_cell(korean, check.source)
    cheating = korean.replace("[[0.0, 4.0]]", "W")
    assert not submission.same_locked_cell(cheating, check.source)
    for source, edited in ((korean, False), (cheating, True)):
        notebook = nbformat.from_dict(released)
        next(c for c in notebook.cells if c.get("id") == check.get("id")).source = source
        _, notes = submission.notebook_code(notebook, released)
        assert any("was edited" in str(note) for note in notes) == edited, notes

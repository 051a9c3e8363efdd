from tutor.lessons.locate import LineIndex

SOURCE = '''format = 1
id = "x"
explanation = """
key = "inside a string, not a key"
[[exercise]]
"""

[[exercise]]
id = "a"
solution = """
x = 1
"""

[[exercise.check]]
kind = "tensor"

[[exercise.check]]
kind = 'output'
pattern = 'a"""b'
[exercise.sandbox]
processes = true

[[exercise]]
id = "b"  # a comment with """ quotes
starter = "y = 2"
'''


def test_keys_and_tables_get_their_lines():
    index = LineIndex(SOURCE)
    assert index.line_of(("id",)) == 2
    assert index.line_of(("explanation",)) == 3
    assert index.line_of(("exercise", 0)) == 8
    assert index.line_of(("exercise", 0, "solution")) == 10
    assert index.line_of(("exercise", 0, "check", 0, "kind")) == 15
    assert index.line_of(("exercise", 0, "check", 1)) == 17
    assert index.line_of(("exercise", 0, "check", 1, "pattern")) == 19
    assert index.line_of(("exercise", 0, "sandbox", "processes")) == 21
    assert index.line_of(("exercise", 1, "id")) == 24
    assert index.line_of(("exercise", 1, "starter")) == 25


def test_unknown_paths_fall_back_to_the_nearest_ancestor():
    index = LineIndex(SOURCE)
    assert index.line_of(("exercise", 0, "check", 1, "nope")) == 17
    assert index.line_of(("nothing",)) == 1

import numpy as np
import pytest

from keras_deepinit.checks import check_positive_int


def test_positive_integers_pass_as_python_ints():
    assert check_positive_int("depth", 3) == 3
    value = check_positive_int("depth", np.int64(7))
    assert value == 7 and type(value) is int
    assert check_positive_int("depth", None, allow_none=True) is None


@pytest.mark.parametrize("value", [0, -2, 1.0, "3", True, None])
def test_anything_else_is_refused_with_the_name_and_value(value):
    message = rf"Expected depth .*Received: depth={value!r}"
    with pytest.raises(ValueError, match=message):
        check_positive_int("depth", value)


def test_allow_none_says_so():
    with pytest.raises(ValueError, match="a positive integer or None"):
        check_positive_int("version", 0, allow_none=True)

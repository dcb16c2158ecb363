"""Argument checks shared across the package, with Keras-style messages."""

import numbers


def check_positive_int(name, value, allow_none=False):
    """Returns `value` as an int if it is an integer >= 1 (or None if allowed).

    Examples:

    >>> check_positive_int("depth", 10)
    10
    >>> check_positive_int("depth", 0)
    Traceback (most recent call last):
    ...
    ValueError: Expected depth to be a positive integer. Received: depth=0

    Raises:
        ValueError: naming `name` and the value received. Booleans are not
            integers here.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(
            f"Expected {name} to be {expected}. Received: {name}={value!r}"
        )
    return int(value)

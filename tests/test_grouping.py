"""group_by_name: each name's times in arrival order, as Python values and as float64."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from core.stripes import group_by_name

times_of = st.one_of(st.integers(0, 2**53), st.floats(0, 1e300))


@given(st.lists(st.tuples(st.sampled_from("abc"), times_of), min_size=1))
def test_groups_keep_each_names_values_in_arrival_order(records: list[tuple[str, float]]) -> None:
    names = [name for name, _ in records]
    times = [time for _, time in records]
    distinct = list(dict.fromkeys(names))
    groups = group_by_name(names, times, distinct)
    assert len(distinct) == 1 or all(array is not None for _, array in groups.values())
    assert list(groups) == distinct
    for name, (values, array) in groups.items():
        expected = [time for other, time in records if other == name]
        assert len(values) == len(expected)
        assert list(values) == expected
        assert [values[at] for at in range(len(values))] == expected
        assert [type(value) for value in values] == [type(time) for time in expected]
        assert list(values[1:]) == expected[1:]
        if array is not None:  # one name: the caller's own columns, given back as they are
            assert array.tolist() == np.array(expected, dtype=np.float64).tolist()

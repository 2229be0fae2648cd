"""The cube algebra under the request-space analysis, against enumeration of every cell."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.engine.space import _Blocker, _escape, _Layout, _merge

WIDTHS = [3, 2, 3, 1, 2]
LAYOUT = _Layout(WIDTHS)
CELLS = [LAYOUT.pack([1 << v for v in values])
         for values in itertools.product(*(range(w) for w in WIDTHS))]


def cube_strategy(allow_empty: bool = False):
    field = lambda w: st.integers(0 if allow_empty else 1, (1 << w) - 1)  # noqa: E731
    return st.tuples(*(field(w) for w in WIDTHS)).map(lambda fields: LAYOUT.pack(list(fields)))


def cells_of(cube: int) -> set[int]:
    return {cell for cell in CELLS if not cell & ~cube}


def test_layout_packs_and_reads_fields():
    cube = LAYOUT.pack([0b101, 0b10, 0b111, 0b1, 0b01])
    assert [LAYOUT.field(cube, f) for f in range(len(WIDTHS))] == [0b101, 0b10, 0b111, 0b1, 0b01]
    assert LAYOUT.nonempty(cube)
    empty_field = LAYOUT.pack([0b101, 0, 0b111, 0b1, 0b01])
    assert not LAYOUT.nonempty(empty_field)
    assert list(LAYOUT.fields_of(LAYOUT.nonzero_fields(empty_field))) == [0, 2, 3, 4]


@settings(max_examples=300, deadline=None)
@given(cube_strategy(allow_empty=True))
def test_nonempty_is_every_field_nonzero(cube):
    fields = [LAYOUT.field(cube, f) for f in range(len(WIDTHS))]
    assert LAYOUT.nonempty(cube) == all(fields)
    assert LAYOUT.nonempty(cube) == bool(cells_of(cube))


@settings(max_examples=300, deadline=None)
@given(cube_strategy(), st.lists(st.tuples(cube_strategy(), st.integers(0, 5)), max_size=8))
def test_escape_finds_an_uncovered_part_exactly_when_one_exists(target, tagged):
    blockers = [_Blocker(cube, rule) for cube, rule in tagged]
    uncovered = cells_of(target) - set().union(*(cells_of(b.cube) for b in blockers))
    used: set[int] = set()
    found = _escape(target, blockers, LAYOUT, used)
    if uncovered:
        assert found is not None and LAYOUT.nonempty(found)
        assert cells_of(found) <= uncovered
    else:
        assert found is None
        # the rules the search leaned on cover the target by themselves
        core = [b for b in blockers if b.rule in used]
        assert cells_of(target) <= set().union(*(cells_of(b.cube) for b in core))


@settings(max_examples=200, deadline=None)
@given(st.lists(cube_strategy(), max_size=8))
def test_merge_keeps_the_union(cubes):
    merged = _merge(cubes, LAYOUT)
    assert len(merged) <= len(cubes)
    union = lambda cs: set().union(*(cells_of(c) for c in cs))  # noqa: E731
    assert union(merged) == union(cubes)

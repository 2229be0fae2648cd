"""The cube algebra under the request-space analysis, against enumeration of every cell."""

from __future__ import annotations

import itertools

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kube_audit_lint.engine.space import _Blocker, _escape, _Layout, _maximal, _merge, _split

WIDTHS = [3, 2, 3, 1, 2]
LAYOUT = _Layout(WIDTHS)
CELLS = [LAYOUT.pack([1 << v for v in values])
         for values in itertools.product(*(range(w) for w in WIDTHS))]


def cube_strategy(allow_empty: bool = False, wide: bool = False):
    """Random cubes; ``wide`` ones leave most fields unrestricted, as most rule fields are, so that
    several of them together cover a target more often."""
    def field(width):
        bits = st.integers(0 if allow_empty else 1, (1 << width) - 1)
        return st.one_of(st.just((1 << width) - 1), bits) if wide else bits
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
@given(cube_strategy(), st.lists(st.tuples(cube_strategy(wide=True), st.integers(0, 5)), max_size=8))
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


@settings(max_examples=300, deadline=None)
@given(cube_strategy(), cube_strategy(wide=True))
def test_split_gives_disjoint_pieces_that_make_up_the_difference(cube, blocker):
    assume(LAYOUT.nonempty(cube & blocker))  # the search only splits by blockers that meet the cube
    out = LAYOUT.nonzero_fields(cube & ~blocker)
    pieces = _split(cube, blocker, out, LAYOUT)
    assert len(pieces) == out.bit_count()
    piece_cells = [cells_of(p) for p in pieces]
    assert all(LAYOUT.nonempty(p) for p in pieces)
    assert sum(map(len, piece_cells)) == len(set().union(*piece_cells))  # disjoint
    assert set().union(*piece_cells) == cells_of(cube) - cells_of(blocker)


def test_escape_searches_every_piece_of_a_split():
    # The first blocker leaves the target through fields 0 and 1; the part outside field 0 is
    # covered by two other blockers, so the only way out is inside field 0 and outside field 1.
    full = [(1 << w) - 1 for w in WIDTHS]
    def cube(**fields):
        values = list(full)
        for name, bits in fields.items():
            values[int(name[1:])] = bits
        return LAYOUT.pack(values)
    blockers = [_Blocker(cube(f0=0b001, f1=0b01), 0), _Blocker(cube(f0=0b110, f2=0b011), 1),
                _Blocker(cube(f0=0b110, f2=0b100), 2)]
    found = _escape(LAYOUT.pack(full), blockers, LAYOUT)
    assert found is not None
    assert LAYOUT.field(found, 0) == 0b001 and LAYOUT.field(found, 1) == 0b10


@settings(max_examples=200, deadline=None)
@given(st.lists(cube_strategy(), max_size=8))
def test_merge_keeps_the_union(cubes):
    merged = _merge(cubes, LAYOUT)
    assert len(merged) <= len(cubes)
    union = lambda cs: set().union(*(cells_of(c) for c in cs))  # noqa: E731
    assert union(merged) == union(cubes)
    assert not any(a != b and not a & ~b for a in merged for b in merged)  # no cube left inside another


@settings(max_examples=300, deadline=None)
@given(st.lists(cube_strategy(), max_size=10, unique=True))
def test_maximal_keeps_exactly_the_cubes_inside_no_other_in_their_order(cubes):
    expected = [a for a in cubes if not any(b != a and not a & ~b for b in cubes)]
    assert _maximal(cubes) == expected

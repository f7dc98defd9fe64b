"""``when(...).then(...).otherwise(...)``: a conditional built from module UDFs, one per result type."""

from __future__ import annotations

import PIL.Image
import pixeltable as pxt
import pytest

from pxwidgets.errors import InvalidRequestError
from pxwidgets.functions import if_else, when


@pytest.fixture
def rows(pxt_dir: str) -> pxt.Table:
    t = pxt.create_table(
        f'{pxt_dir}/rows', {'n': pxt.Int, 'x': pxt.Float | None, 's': pxt.String | None, 'j': pxt.Json | None}
    )
    t.insert([{'n': i, 'x': i / 2 if i != 2 else None, 's': f's{i}', 'j': {'k': i}} for i in range(4)])
    return t


def test_types_follow_the_values(rows: pxt.Table) -> None:
    cases = {
        'label': (when(rows.n > 1).then('big').otherwise('small'), ['small', 'small', 'big', 'big'], 'String'),
        'num': (when(rows.n > 1).then(rows.n).otherwise(-1), [-1, -1, 2, 3], 'Int'),
        'mixed': (when(rows.n > 1).then(rows.n).otherwise(0.5), [0.5, 0.5, 2.0, 3.0], 'Float'),
        'flag': (when(rows.n == 0).then(True).otherwise(False), [True, False, False, False], 'Bool'),
        'obj': (when(rows.n > 2).then(rows.j).otherwise(None), [None, None, None, {'k': 3}], 'Json'),
        'chain': (
            when(rows.n > 2).then('many').when(rows.n > 0).then('some').otherwise('none'),
            ['none', 'some', 'some', 'many'],
            'String',
        ),
        'null_cond': (when(rows.x > 0.4).then('yes').otherwise('no'), ['no', 'yes', 'no', 'yes'], 'String'),
    }
    for name, (expr, expected, type_name) in cases.items():
        rows.add_computed_column(**{name: expr})
        assert rows.order_by(rows.n).select(rows[name]).collect()[name] == expected, name
        assert rows.get_metadata()['columns'][name]['type_'].startswith(type_name), name
        assert rows.get_metadata()['columns'][name]['computed_with'].startswith('if_else_'), name
    fn = rows.label.col.value_expr.fn
    assert fn.self_path == 'pxwidgets.functions.conditional.if_else_string'  # importable: survives a restart


def test_images(pxt_dir: str) -> None:
    t = pxt.create_table(f'{pxt_dir}/imgs', {'img': pxt.Image, 'flip': pxt.Bool})
    t.insert([{'img': PIL.Image.new('RGB', (8, 4), 'red'), 'flip': True}])
    t.add_computed_column(out=if_else(t.flip, t.img.resize((4, 8)), t.img))
    assert t.select(t.out).collect()[0]['out'].size == (4, 8)
    with pytest.raises(InvalidRequestError, match='no common type'):
        when(t.flip).then(t.img).otherwise(1)


def test_bad_conditionals(rows: pxt.Table) -> None:
    with pytest.raises(InvalidRequestError, match='boolean'):
        when(rows.n).then(1).otherwise(2)
    with pytest.raises(InvalidRequestError, match='both be None'):
        when(rows.n > 1).then(None).otherwise(None)
    mixed = when(rows.n > 1).then('a').otherwise(rows.n)  # Pixeltable's common type of a string and an int: JSON
    assert mixed.col_type.is_json_type()
    with pytest.raises(InvalidRequestError, match='not a Pixeltable expression'):
        when(rows.n > 1).then(object()).otherwise(1)

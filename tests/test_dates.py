import datetime as dt

import pytest

from registry.dates import DatePrecision, format_partial_date, parse_partial_date


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("2019", dt.date(2019, 1, 1), dt.date(2019, 12, 31), DatePrecision.YEAR),
        ("2019-03", dt.date(2019, 3, 1), dt.date(2019, 3, 31), DatePrecision.MONTH),
        ("2020/2", dt.date(2020, 2, 1), dt.date(2020, 2, 29), DatePrecision.MONTH),
        ("March 2019", dt.date(2019, 3, 1), dt.date(2019, 3, 31), DatePrecision.MONTH),
        ("Sept. 2018", None, None, None),
        ("Sep 2018", dt.date(2018, 9, 1), dt.date(2018, 9, 30), DatePrecision.MONTH),
        ("2019-03-15", dt.date(2019, 3, 15), dt.date(2019, 3, 15), DatePrecision.DAY),
        ("2019年4月", dt.date(2019, 4, 1), dt.date(2019, 4, 30), DatePrecision.MONTH),
        ("2019年4月1日", dt.date(2019, 4, 1), dt.date(2019, 4, 1), DatePrecision.DAY),
    ],
)
def test_partial_dates_are_read_as_the_period_they_name(text, start, end, precision):
    if start is None:
        with pytest.raises(ValueError, match="names no month"):
            parse_partial_date(text)
        return
    assert parse_partial_date(text) == (start, precision)
    assert parse_partial_date(text, period_end=True) == (end, precision)


@pytest.mark.parametrize("text", ["next year", "2019-13", "19", ""])
def test_a_date_that_cannot_be_read_says_what_is_expected(text):
    with pytest.raises(ValueError):
        parse_partial_date(text)


def test_a_partial_date_is_shown_to_its_precision():
    day = dt.date(2019, 3, 15)
    assert format_partial_date(day, DatePrecision.YEAR) == "2019"
    assert format_partial_date(day, DatePrecision.MONTH) == "2019-03"
    assert format_partial_date(day, DatePrecision.DAY) == "2019-03-15"
    assert format_partial_date(None, DatePrecision.DAY) == ""

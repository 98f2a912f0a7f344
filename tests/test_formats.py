"""The report's number formats (report.formats): a value to the decimal place its error
allows, a signed term, a duration."""

import math

import pytest

from fitcli.report.formats import number, seconds, term, with_error


@pytest.mark.parametrize("value,error,expected", [
    (1500.527564, 0.7766, ("1500.53", "0.78")),
    (-2.81777386, 0.02825, ("-2.818", "0.028")),
    (-1.530065973, 0.0008525, ("-1.53007", "0.00085")),
    (-179.1377153, 0.01029, ("-179.138", "0.010")),
    (123456.0, 1234.0, ("123500", "1200")),
    (1.234567e-9, 2.5e-12, ("1.2346e-09", "2.5e-12")),  # past 6 decimals: mantissa and exponent
    (1500.5, None, ("1500.5", "-")),
    (1500.5, 0.0, ("1500.5", "0")),
    (None, 0.5, ("-", "0.5")),
])
def test_a_value_is_given_to_the_second_significant_digit_of_its_error(value, error, expected):
    assert with_error(value, error) == expected


def test_a_rounded_value_stays_within_half_a_unit_of_its_last_digit():
    for value, error in ((987.654321, 0.0456), (-0.000123456, 3.1e-6), (42.0, 7.7)):
        text, err = with_error(value, error)
        unit = 10.0 ** -len(text.split(".")[1]) if "." in text else 1.0
        assert abs(float(text) - value) <= unit / 2 + 1e-15 and float(err) == pytest.approx(error, rel=0.1)


def test_a_negative_term_reads_minus_not_plus_minus():
    assert term(-0.040150355) == "- 0.040150355"
    assert term(0.91900625) == "+ 0.91900625"
    assert term(-0.0) == "- 0"
    assert f"y = 0.49656964 x {term(-0.040150355)}" == "y = 0.49656964 x - 0.040150355"


def test_seconds_have_three_significant_digits():
    assert seconds(0.0008783420001) == "0.000878" and seconds(2.3456) == "2.35"
    assert number(math.nan) == "-"

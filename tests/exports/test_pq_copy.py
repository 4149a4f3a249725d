"""COPY TO STDOUT read from libpq directly: rows, errors, and the connection left usable."""

import psycopg
import pytest
from django.db import connection, transaction

from exports.pq_copy import copy_rows

SERIES = "COPY (SELECT g, 'a,b' FROM generate_series(1, 5) AS g WHERE g <= %s) TO STDOUT WITH CSV"


def one() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rows_arrive_one_csv_line_each_with_params_bound():
    assert [bytes(row) for row in copy_rows(SERIES, [3])] == [b'1,"a,b"\n', b'2,"a,b"\n', b'3,"a,b"\n']
    assert one() == 1


@pytest.mark.django_db
def test_a_data_error_mid_copy_raises_and_the_outer_transaction_stays_usable():
    rows = []
    with pytest.raises(psycopg.errors.DataError), transaction.atomic():
        rows.extend(copy_rows("COPY (SELECT 10 / (3 - g) FROM generate_series(1, 5000) AS g) TO STDOUT", []))
    assert [bytes(row) for row in rows[:2]] == [b"5\n", b"10\n"]
    assert one() == 1


@pytest.mark.django_db
def test_a_statement_error_or_a_statement_that_is_not_copy_raises():
    with pytest.raises(psycopg.errors.UndefinedColumn), transaction.atomic():
        list(copy_rows("COPY (SELECT no_such_column) TO STDOUT", []))
    with pytest.raises(psycopg.ProgrammingError, match="did not start a COPY"), transaction.atomic():
        list(copy_rows("SELECT 1", []))
    assert one() == 1


@pytest.mark.django_db(transaction=True)
def test_leaving_mid_copy_closes_the_connection_and_django_reconnects():
    rows = copy_rows("COPY (SELECT g FROM generate_series(1, 100000) AS g) TO STDOUT", [])
    assert bytes(next(rows)) == b"1\n"
    rows.close()
    assert connection.connection is None
    assert one() == 1

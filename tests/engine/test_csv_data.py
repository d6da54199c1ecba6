"""CSV loading: good files of every target kind, and every bad input with file/line/column."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.core.errors import DatasetError
from engine.data.csv_data import load_csv

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "datasets"


def write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def error_of(path: Path, **kwargs: object) -> str:
    with pytest.raises(DatasetError) as caught:
        load_csv(path, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert path.name in message
    return message


# --- good files -------------------------------------------------------------------------


def test_numeric_binary_target(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,label\n0.5,1,0\n-2,3e2,1\n7,8,1\n", name="points.csv")
    dataset = load_csv(path)
    assert dataset.name == "points"
    assert dataset.task == "classification"
    assert dataset.feature_names == ("a", "b")
    assert dataset.target_names == ("label",)
    assert dataset.class_names == ("0", "1")
    np.testing.assert_array_equal(dataset.inputs, [[0.5, 1], [-2, 300], [7, 8]])
    np.testing.assert_array_equal(dataset.targets, [[0], [1], [1]])


def test_string_labels_two_classes(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y,kind\n1,2,spam\n3,4, ham \n5,6,spam\n")
    dataset = load_csv(path)
    assert dataset.task == "classification"
    assert dataset.class_names == ("ham", "spam")
    assert dataset.target_names == ("kind",)
    np.testing.assert_array_equal(dataset.targets, [[1], [0], [1]])
    np.testing.assert_array_equal(dataset.class_labels(), [1, 0, 1])


def test_string_labels_three_classes(tmp_path: Path) -> None:
    path = write(tmp_path, "x,species\n1,b\n2,c\n3,a\n4,b\n")
    dataset = load_csv(path)
    assert dataset.class_names == ("a", "b", "c")
    assert dataset.target_names == ("species=a", "species=b", "species=c")
    np.testing.assert_array_equal(
        dataset.targets, [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]
    )
    np.testing.assert_array_equal(dataset.class_labels(), [1, 2, 0, 1])


def test_numeric_looking_labels_with_one_string_make_a_label_column(tmp_path: Path) -> None:
    dataset = load_csv(write(tmp_path, "x,y\n1,2\n2,3\n3,other\n"))
    assert dataset.class_names == ("2", "3", "other")


def test_regression_single_target(tmp_path: Path) -> None:
    dataset = load_csv(write(tmp_path, "x,y\n1,0.5\n2,1\n3,2\n"))
    assert dataset.task == "regression"
    assert dataset.class_names == ()
    np.testing.assert_array_equal(dataset.targets, [[0.5], [1], [2]])


def test_multi_target_regression(tmp_path: Path) -> None:
    path = write(tmp_path, "u,p,v,q\n1,10,2,0\n3,20,4,1\n5,30,6,1\n")
    dataset = load_csv(path, targets=["q", "p"])
    assert dataset.task == "regression"
    assert dataset.feature_names == ("u", "v")
    assert dataset.target_names == ("q", "p")
    np.testing.assert_array_equal(dataset.inputs, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(dataset.targets, [[0, 10], [1, 20], [1, 30]])


def test_several_binary_columns_that_are_not_one_hot_are_regression(tmp_path: Path) -> None:
    dataset = load_csv(write(tmp_path, "x,a,b\n1,1,1\n2,0,1\n"), targets=["a", "b"])
    assert dataset.task == "regression"


def test_one_hot_numeric_targets(tmp_path: Path) -> None:
    path = write(tmp_path, "x,r,g,b\n1,1,0,0\n2,0,0,1\n3,0,1,0\n")
    dataset = load_csv(path, targets=["r", "g", "b"])
    assert dataset.task == "classification"
    assert dataset.class_names == ("r", "g", "b")
    np.testing.assert_array_equal(dataset.class_labels(), [0, 2, 1])


def test_two_one_hot_columns_collapse_to_one(tmp_path: Path) -> None:
    dataset = load_csv(write(tmp_path, "x,no,yes\n1,1,0\n2,0,1\n"), targets=["no", "yes"])
    assert dataset.class_names == ("no", "yes")
    assert dataset.target_names == ("yes",)
    np.testing.assert_array_equal(dataset.targets, [[0], [1]])


def test_target_chosen_by_name_keeps_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "label,f1,f2,f3\n1,9,8,7\n0,6,5,4\n1,3,2,1\n0,0,-1,-2\n")
    dataset = load_csv(path, targets=["label"])
    assert dataset.feature_names == ("f1", "f2", "f3")
    np.testing.assert_array_equal(dataset.inputs[:, 0], [9, 6, 3, 0])
    np.testing.assert_array_equal(dataset.targets[:, 0], [1, 0, 1, 0])


def test_single_string_target_is_one_name(tmp_path: Path) -> None:
    dataset = load_csv(write(tmp_path, "ab,x\n1,2\n3,4\n"), targets="ab")
    assert dataset.target_names == ("ab",)
    assert dataset.feature_names == ("x",)


def test_bom_quotes_whitespace_crlf_and_trailing_blank_line(tmp_path: Path) -> None:
    text = '\ufeff x , "y y",class\r\n"1.5", 2 , "a, b"\r\n3,4,c\r\n\r\n'
    dataset = load_csv(write(tmp_path, text))
    assert dataset.feature_names == ("x", "y y")
    assert dataset.class_names == ("a, b", "c")
    np.testing.assert_array_equal(dataset.inputs, [[1.5, 2], [3, 4]])


def test_bundled_examples() -> None:
    xor = load_csv(ASSETS / "xor.csv")
    np.testing.assert_array_equal(xor.inputs, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(xor.targets, [[0], [1], [1], [0]])
    assert xor.task == "classification"
    flowers = load_csv(ASSETS / "flowers.csv")
    assert flowers.class_names == ("setosa", "versicolor", "virginica")
    assert flowers.targets.shape[1] == 3
    ripple = load_csv(ASSETS / "ripple.csv")
    assert ripple.task == "regression"
    assert ripple.feature_names == ("x1", "x2")


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 12), st.integers(2, 5)),
        elements=st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
    )
)
def test_round_trip_of_a_numeric_table(table: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([f"c{index}" for index in range(table.shape[1])])
            writer.writerows([[repr(float(value)) for value in row] for row in table])
        dataset = load_csv(path, task="regression")
    np.testing.assert_array_equal(dataset.inputs, table[:, :-1])
    np.testing.assert_array_equal(dataset.targets, table[:, -1:])


# --- bad files --------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in error_of(tmp_path / "absent.csv")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    error_of(folder)


@pytest.mark.parametrize("text", ["", "\n", "\n\n  \n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    assert "empty" in error_of(write(tmp_path, text))


def test_header_only(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,y\n"))
    assert "line 1" in message and "no data rows" in message


def test_not_utf8(tmp_path: Path) -> None:
    assert "UTF-8" in error_of(write(tmp_path, "x,y\n1,caf\xe9\n", encoding="latin-1"))


def test_duplicate_header(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,y,x\n1,2,3\n"))
    assert "line 1" in message and "'x' (3)" in message
    assert "duplicate" in message and "column 1" in message


def test_empty_header_name(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,,y\n1,2,3\n"))
    assert "line 1" in message and "column 2" in message and "empty column name" in message


def test_ragged_row(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,y,z\n1,2,3\n4,5\n"))
    assert "line 3 has 2 fields, the header has 3" in message


def test_too_many_fields(tmp_path: Path) -> None:
    assert "line 2 has 4 fields" in error_of(write(tmp_path, "x,y,z\n1,2,3,4\n"))


def test_blank_line_inside(tmp_path: Path) -> None:
    assert "line 3 is empty" in error_of(write(tmp_path, "x,y\n1,0\n\n2,1\n"))


def test_non_numeric_feature(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,y,label\n1,2,0\n3,abc,1\n"))
    assert "line 3" in message and "column 'y' (2)" in message and "'abc'" in message


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity", "1e400"])
def test_non_finite_feature(tmp_path: Path, cell: str) -> None:
    message = error_of(write(tmp_path, f"x,y,label\n1,2,0\n{cell},3,1\n"))
    assert "line 3" in message and "column 'x' (1)" in message and "finite" in message


def test_non_finite_numeric_target(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,y\n1,2\n3,nan\n"))
    assert "line 3" in message and "column 'y' (2)" in message


def test_empty_feature_cell(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,y,label\n1,2,0\n3, ,1\n"))
    assert "line 3" in message and "column 'y' (2)" in message and "empty cell" in message


def test_empty_label_cell(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,label\n1,a\n2,\n3,b\n"))
    assert "line 3" in message and "column 'label' (2)" in message and "empty" in message


def test_line_number_counts_multiline_quoted_fields(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, 'x,label\n1,"two\nlines"\nbad,b\n'))
    assert "line 4" in message


def test_unknown_target_lists_columns(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "alpha,beta\n1,0\n"), targets=["gamma"])
    assert "'gamma'" in message and "'alpha'" in message and "'beta'" in message


def test_target_given_twice(tmp_path: Path) -> None:
    assert "twice" in error_of(write(tmp_path, "a,b,c\n1,0,1\n"), targets=["b", "b"])


def test_no_targets_given(tmp_path: Path) -> None:
    assert "no target" in error_of(write(tmp_path, "a,b\n1,0\n"), targets=[])


def test_no_feature_columns_left(tmp_path: Path) -> None:
    assert "no feature columns" in error_of(write(tmp_path, "a,b\n1,0\n"), targets=["a", "b"])
    assert "no feature columns" in error_of(write(tmp_path, "label\n1\n0\n", name="one.csv"))


def test_single_class_label_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,label\n1,cat\n2,cat\n"))
    assert "column 'label' (2)" in message and "only one class" in message


def test_string_labels_with_several_targets(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x,a,b\n1,cat,1\n2,dog,0\n"), targets=["a", "b"])
    assert "column 'a' (2)" in message and "numeric" in message


def test_unterminated_quote(tmp_path: Path) -> None:
    assert "line" in error_of(write(tmp_path, 'x,y\n1,"oops\n'))


def test_no_pickle_is_ever_read(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "evil.csv"
    path.write_bytes(pickle.dumps({"x": 1}))
    error_of(path)


def test_late_error_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(50)) + "oops,1\n")
    message = error_of(path)
    assert "line 52" in message and "column 'x' (1)" in message and "'oops'" in message


def test_quote_after_text_is_an_error_with_line(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, 'x,y\n1,0\n"2" ,1\n'))
    assert "line 3" in message


def test_a_semicolon_separated_file_gets_a_hint(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "x;y;label\n1,5;2;a\n2;3;b\n"))
    assert "separated by semicolons (;)" in message and "comma-separated" in message


def test_loading_reports_progress_and_can_be_cancelled(tmp_path: Path) -> None:
    from engine.data.csv_data import LoadCancelled

    rows = "\n".join(f"{index},{index % 7},{index % 2}" for index in range(20_000))
    path = write(tmp_path, "a,b,label\n" + rows + "\n")
    reports: list[tuple[int, int]] = []
    load_csv(path, progress=lambda done, total: reports.append((done, total)) or True)
    assert reports and all(0 < done <= total == path.stat().st_size for done, total in reports)
    with pytest.raises(LoadCancelled):
        load_csv(path, progress=lambda done, total: False)

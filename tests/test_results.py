"""Result files (spinodal.io.results): named arrays written whole and atomically, read back."""

import numpy as np
import pytest

from spinodal.io import results


def test_arrays_and_attributes_round_trip_with_nested_names(tmp_path):
    path = tmp_path / "r.h5"
    arrays = {"mae": np.arange(6.0).reshape(2, 3), "nn/paper_total": np.ones(3)}
    results.write_arrays(path, arrays, {"method": "solver", "left_out": None}, compressed=["mae"])
    back = results.read_arrays(path)
    assert set(back) == {"mae", "nn/paper_total"}
    np.testing.assert_array_equal(back["mae"], arrays["mae"])
    assert results.read_arrays(path, ["nn/paper_total"])["nn/paper_total"].tolist() == [1, 1, 1]
    assert not list(tmp_path.glob("*.tmp"))


def test_a_group_is_replaced_and_the_others_are_kept(tmp_path):
    path = tmp_path / "ev.h5"
    results.replace_group(path, "a/test", {"x": np.zeros(2)}, {"schema": "s", "v": 1})
    results.replace_group(path, "b/test", {"x": np.ones(2)}, {"schema": "s", "v": 1})
    results.replace_group(path, "a/test", {"x": np.full(2, 7.0)}, {"schema": "s", "v": 2})
    arrays, attrs = results.read_group(path, "a/test")
    assert arrays["x"].tolist() == [7.0, 7.0] and attrs["v"] == 2
    assert results.read_group(path, "b/test")[0]["x"].tolist() == [1.0, 1.0]
    assert sorted(results.groups_with(path, "schema")) == ["a/test", "b/test"]
    with pytest.raises(
        KeyError, match=r"holds no evaluation 'c/test'; it has \['a/test', 'b/test'\]"
    ):
        results.read_group(path, "c/test", what="evaluation")


def test_group_attrs_is_none_for_a_missing_file_group_or_a_partial_copy(tmp_path):
    path = tmp_path / "ev.h5"
    assert results.group_attrs(path, "a") is None
    results.replace_group(path, "a", {"x": np.zeros(1)}, {"complete": True})
    assert results.group_attrs(path, "a") == {"complete": True}
    assert results.group_attrs(path, "b") is None
    partial = tmp_path / "partial.h5"
    partial.write_bytes(path.read_bytes()[:100])
    assert results.group_attrs(partial, "a") is None


def test_a_streamed_array_appears_whole_or_not_at_all(tmp_path):
    path = tmp_path / "phi.h5"
    with results.streamed_array(path, "phi", (3, 4, 4), (1, 4, 4)) as stored:
        for t in range(3):
            stored.data[t] = np.full((4, 4), t, np.float32)
        stored.attrs["every"] = 1
    back = results.read_arrays(path)["phi"]
    assert back.dtype == np.float32 and back[:, 0, 0].tolist() == [0, 1, 2]
    broken = tmp_path / "broken.h5"
    with pytest.raises(RuntimeError), results.streamed_array(broken, "phi", (2, 4, 4), (1, 4, 4)):
        raise RuntimeError("interrupted")
    assert not broken.exists() and not list(tmp_path.glob("*.tmp"))

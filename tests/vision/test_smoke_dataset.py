"""The smoke training-data renderer's options: --bright (round 8) and --wisps (round 9) change only the items they draw."""
import cv2
import numpy as np
import pytest

from tools.smoke import dataset as D
from tools.smoke import plumes
from tools.smoke import render as R
from tools.smoke import samples as S


def _lum(u8):
    return float(R.luminance(R.to_linear(u8.astype(np.float32) / 255)).mean())


@pytest.fixture
def photos(tmp_path, monkeypatch):
    """The "photo" family from a generated photo: the real ones live beside the checkout, not in it."""
    rng = np.random.default_rng(5)
    img = cv2.GaussianBlur(rng.integers(0, 255, (600, 900, 3), dtype=np.uint8), (0, 0), 6)
    cv2.imwrite(str(tmp_path / "street.jpg"), img)
    monkeypatch.setattr(D, "_pool", lambda split: R.PhotoPool([str(tmp_path / "street.jpg")]))


def test_bright_items_are_lifted_and_every_other_item_is_unchanged(photos):
    plain = D.render_set("train", 40, progress=False, items_range=(0, 40))
    bright = D.render_set("train", 40, progress=False, items_range=(0, 40), bright=0.5)
    drawn = np.array([D.is_bright("train", i, 0.5) for i in range(40)])
    day = np.array([D.FAMILIES[f] != "night" for f in plain["family"]]) & (plain["kind"] != S.KINDS.index("glare"))
    lifted = drawn & day
    assert lifted.sum() >= 5 and (~drawn).sum() >= 5
    for i in np.where(~lifted)[0]:
        assert np.array_equal(plain["images"][i], bright["images"][i])
        assert np.array_equal(plain["references"][i], bright["references"][i])
    for i in np.where(lifted)[0]:  # a bright day view: the reference too, the truth unchanged in kind
        assert _lum(bright["references"][i]) > 0.2
        assert bright["kind"][i] == plain["kind"][i]
    assert np.mean([_lum(bright["references"][i]) for i in np.where(lifted)[0]]) > \
        np.mean([_lum(plain["references"][i]) for i in np.where(lifted)[0]])


def test_held_out_sets_are_never_brightened():
    assert not any(D.is_bright("heldout_fresh4", i, 1.0) for i in range(50))
    assert all(D.is_bright("val", i, 1.0) for i in range(50))


@pytest.mark.parametrize("opt", ["--bright", "--wisps"])
@pytest.mark.parametrize("bad", ["-0.1", "1.5", "2"])
def test_a_probability_outside_zero_one_is_one_clear_line(opt, bad, capsys, tmp_path):
    with pytest.raises(SystemExit):
        D.main(["--sets", "val", opt, bad, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert opt in err and "probability" in err and "Traceback" not in err


def test_wisps_items_change_only_the_drawn_plume_items(photos):
    plain = D.render_set("train", 40, progress=False, items_range=(0, 40))
    mixed = D.render_set("train", 40, progress=False, items_range=(0, 40), wisps=0.5)
    kinds = np.array(S.KINDS)[plain["kind"]]
    drawn = np.array([D.is_wisps("train", i, k, 0.5) for i, k in enumerate(kinds)])
    assert drawn.sum() >= 5 and (~drawn).sum() >= 5
    assert not drawn[~np.isin(kinds, D.PLUME_KINDS)].any()   # a shadow or a glare has no plume to swap
    wisps = plumes.MODELS.index("wisps")
    assert (mixed["plume"][drawn] == wisps).all() and (plain["plume"] != wisps).all()
    for i in np.where(~drawn)[0]:
        assert np.array_equal(plain["images"][i], mixed["images"][i])
    changed = [i for i in np.where(drawn)[0] if not np.array_equal(plain["images"][i], mixed["images"][i])]
    assert len(changed) == drawn.sum()
    assert (mixed["kind"] == plain["kind"]).all()


def test_held_out_sets_never_draw_wisps():
    assert not any(D.is_wisps("heldout_fresh5", i, "smoke", 1.0) for i in range(50))
    assert all(D.is_wisps("train_mix", i, "smoke", 1.0) for i in range(50))
    assert D.plan("heldout_fresh5", 0, 2, 1)[0][2] == "puffs"


def test_wisps_is_a_plume_that_stays_in_view_and_keeps_its_shape_in_a_clip():
    rng = np.random.default_rng(3)
    for i in range(20):
        d, shape = plumes.density("wisps", np.random.default_rng(i), 64)
        assert d.shape == (64, 64) and d.max() > 0 and np.isfinite(d).all()
        later, same = plumes.density("wisps", rng, 64, t=0.1, shape=shape)
        assert same is shape and later.max() > 0
        assert np.corrcoef(d.ravel(), later.ravel())[0, 1] > 0.5   # the next frame of one plume, not a new one



def test_a_set_that_cannot_be_rendered_is_one_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    from tools.smoke import evaluate
    monkeypatch.setattr(R, "SCENES_DIR", str(tmp_path / "no-photos"))   # a clone without ../shared's photos
    assert evaluate.main(["--data", str(tmp_path), "--sets", "heldout_fresh5", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("dataset: cannot render heldout_fresh5: no scene photos in")
    assert err[1].startswith("evaluate: heldout_fresh5 is not in") and len(err) == 2


@pytest.mark.parametrize("content", [b"", b"not a zip", "npz without images"])
def test_a_set_file_that_is_not_a_rendered_set_is_one_line(content, tmp_path, capsys):
    from tools.smoke import evaluate
    path = tmp_path / "heldout_fresh5.npz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.savez(path, level=np.zeros(3, np.int8))
    assert evaluate.main(["--data", str(tmp_path), "--sets", "heldout_fresh5", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("evaluate: %s is not a rendered set (" % path)

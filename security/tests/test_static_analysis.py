"""Issue 19: bandit over the project's code, no medium or high finding left unexplained (security/static_analysis.py)."""

from security.static_analysis import EXPLAINED, TARGETS, run_bandit, stale_explanations, unexplained


def test_bandit_finds_nothing_medium_or_high_that_is_not_explained():
    findings, totals = run_bandit()
    assert totals["loc"] > 10_000  # it really read the project, not an empty list of files
    assert unexplained(findings) == [], "Fix these, or say in security/static_analysis.py EXPLAINED why they are safe"
    assert stale_explanations(findings) == [], "These explanations match no finding any more: remove them"
    assert all(reason.strip() for reason in EXPLAINED.values())


def test_bandit_would_catch_a_new_medium_finding(tmp_path, monkeypatch):
    """The check is not vacuous: code with a shell injection in one of the scanned packages is reported."""
    import security.static_analysis as static_analysis

    package = tmp_path / "accounts"
    package.mkdir()
    (package / "unsafe.py").write_text("import subprocess\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n")
    monkeypatch.setattr(static_analysis, "ROOT", tmp_path)
    findings, _ = static_analysis.run_bandit()
    assert [(f.test_id, f.path) for f in unexplained(findings)] == [("B602", "accounts/unsafe.py")]
    assert "accounts" in TARGETS
